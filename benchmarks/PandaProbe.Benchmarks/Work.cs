using PandaProbe.Model;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PandaProbe.Benchmarks;

/// <summary>A chat message, the payload of the LLM scenario (named as the platform's messages convention wants).</summary>
public sealed record ChatMessage([property: JsonPropertyName("role")] string Role, [property: JsonPropertyName("content")] string Content);

/// <summary>An LLM input or output in the messages convention: <c>{"messages": [...]}</c>.</summary>
public sealed record ChatMessages([property: JsonPropertyName("messages")] ChatMessage[] Messages);

/// <summary>
/// The unit of work of every scenario, written once per SDK so the BenchmarkDotNet classes, the caller-allocation
/// probe and the throughput loop all measure the same code.
/// </summary>
public static class Work
{
    public const string Model = "gpt-4o-mini";
    public const long PromptTokens = 42, CompletionTokens = 17;
    public const double Cost = 0.000123;

    public static readonly ChatMessages Input = new(
    [
        new("system", "You are a helpful assistant that answers briefly."),
        new("user", "What is the capital of France?"),
        new("assistant", "Paris."),
        new("user", "And of Italy?"),
    ]);

    public static readonly ChatMessages Output = new([new("assistant", "Rome.")]);

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    // --- scenario 1: tracing disabled --------------------------------------------------------------------------

    public static void PandaDisabledSpan(TraceContext disabledTrace)
    {
        using var span = disabledTrace.Span("span");
    }

    public static void OtelDisabledSpan()
    {
        using var activity = Unlistened.Source.StartActivity("span");
    }

    // --- scenario 2: one trace with one span, no payload ------------------------------------------------------

    public static void PandaTraceWithOneSpan(PandaProbeClient client)
    {
        using var trace = client.StartTrace("trace");
        using var span = trace.Span("span");
    }

    /// <summary>The same structure in OpenTelemetry: a root activity (the trace) and one child.</summary>
    public static void OtelTraceWithOneSpan(ActivitySource source)
    {
        using var root = source.StartActivity("trace");
        using var child = source.StartActivity("span");
    }

    /// <summary>The cheapest OpenTelemetry equivalent: a single root activity.</summary>
    public static void OtelSingleActivity(ActivitySource source)
    {
        using var root = source.StartActivity("span");
    }

    // --- scenario 3: an LLM span with messages, model, token usage and cost --------------------------------

    public static void PandaLlmSpan(PandaProbeClient client)
    {
        using var trace = client.StartTrace("chat");
        using var span = trace.Span("completion", SpanType.Llm, model: Model);
        span.SetInput(Input);
        span.SetOutput(Output);
        span.SetTokenUsage(PromptTokens, CompletionTokens);
        span.SetCost(Cost);
    }

    /// <summary>OpenTelemetry: messages serialized to JSON attributes (attributes are primitives), model, tokens, cost as tags.</summary>
    public static void OtelLlmSpan(ActivitySource source)
    {
        using var root = source.StartActivity("chat");
        using var span = source.StartActivity("completion");
        if (span is null) return;
        span.SetTag("gen_ai.request.model", Model);
        span.SetTag("gen_ai.input.messages", JsonSerializer.Serialize(Input, Json));
        span.SetTag("gen_ai.output.messages", JsonSerializer.Serialize(Output, Json));
        span.SetTag("gen_ai.usage.input_tokens", PromptTokens);
        span.SetTag("gen_ai.usage.output_tokens", CompletionTokens);
        span.SetTag("gen_ai.usage.cost", Cost);
    }

    // --- scenario 4: spans inside traces of a given size -----------------------------------------------------

    /// <summary>Traces of <paramref name="spansPerTrace"/> spans until <paramref name="totalSpans"/> spans were made.</summary>
    public static void PandaSpansInTraces(PandaProbeClient client, int spansPerTrace, int totalSpans)
    {
        for (var done = 0; done < totalSpans;)
        {
            using var trace = client.StartTrace("trace");
            for (var i = 0; i < spansPerTrace && done < totalSpans; i++, done++)
            {
                using var span = trace.Span("span");
            }
        }
    }

    public static void OtelSpansInTraces(ActivitySource source, int spansPerTrace, int totalSpans)
    {
        for (var done = 0; done < totalSpans;)
        {
            using var root = source.StartActivity("trace");
            for (var i = 0; i < spansPerTrace && done < totalSpans; i++, done++)
            {
                using var span = source.StartActivity("span");
            }
        }
    }
}
