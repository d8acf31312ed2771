using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using PandaProbe.Model;
using PandaProbe.Model.Pricing;
using Family = PandaProbe.Extensions.AI.PandaProbeAIExtensions.GenAiMetrics;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The gen_ai instruments of the integrations, on the SDK's meter (<c>PandaProbe</c>; a listener matches meters by
/// name, so this is the same meter as the pipeline's counters). Instruments cost nothing until a listener enables
/// them; every recording checks <see cref="Instrument.Enabled"/> first.
/// </summary>
/// <remarks>
/// <para>Two families, chosen per middleware (<see cref="Family"/>):</para>
/// <list type="bullet">
/// <item>OpenTelemetry's gen_ai semantic conventions v1.41 (what Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c>
/// emits): <c>gen_ai.client.token.usage</c> (histogram, <c>{token}</c>, one observation per call per
/// <c>gen_ai.token.type</c>) and <c>gen_ai.client.operation.duration</c> (histogram, <c>s</c>).</item>
/// <item>semantic-conventions-genai v0.1.0: <c>gen_ai.client.inference.duration</c>, the
/// <c>gen_ai.client.inference.usage.*</c> counters (by <c>gen_ai.token.modality</c>) and the
/// <c>gen_ai.client.inference.operation.{input,output}_tokens</c> histograms; embeddings:
/// <c>gen_ai.client.embeddings.duration</c> and <c>gen_ai.client.embeddings.operation.input_tokens</c>.</item>
/// </list>
/// <para>Both: <c>gen_ai.client.operation.cost</c> (histogram, <c>{USD}</c>, the open proposal's name) for model calls
/// priced from the client's catalogue. Agent runs use PandaProbe's own names (<c>pandaprobe.agent.*</c>), so no backend
/// adds a run's tokens to those of its model calls.</para>
/// </remarks>
internal static class GenAiMeter
{
    /// <summary>The meter's name: the SDK's meter (<c>PandaProbe</c>).</summary>
    public const string Name = PandaProbe.Pipeline.PipelineCounters.MeterName;

    /// <summary>The duration buckets the conventions advise (seconds).</summary>
    static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>The token-count buckets the conventions advise.</summary>
    static readonly long[] TokenBuckets =
        [1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864];

    static readonly Meter Meter = new(Name, typeof(GenAiMeter).Assembly.GetName().Version?.ToString());

    // gen_ai semantic conventions v1.41
    internal static readonly Histogram<long> TokenUsage = Tokens(Names.TokenUsage, "Measures number of input and output tokens used");
    internal static readonly Histogram<double> OperationDuration = Duration(Names.OperationDuration, "GenAI operation duration");

    // semantic-conventions-genai v0.1.0
    internal static readonly Histogram<double> InferenceDuration = Duration(Names.InferenceDuration, "GenAI client inference operation duration");
    internal static readonly Counter<long> UsageInput = Counter(Names.UsageInput, "The number of input (prompt) tokens used, including cached tokens");
    internal static readonly Counter<long> UsageOutput = Counter(Names.UsageOutput, "The number of output (completion) tokens used, including reasoning tokens");
    internal static readonly Counter<long> UsageCacheRead = Counter(Names.UsageCacheRead, "The number of input tokens served from a provider-managed cache");
    internal static readonly Counter<long> UsageCacheWrite = Counter(Names.UsageCacheWrite, "The number of input tokens written to a provider-managed cache");
    internal static readonly Counter<long> UsageReasoning = Counter(Names.UsageReasoning, "The number of output tokens used for reasoning");
    internal static readonly Histogram<long> OperationInput = Tokens(Names.OperationInput, "The number of input tokens per inference operation");
    internal static readonly Histogram<long> OperationOutput = Tokens(Names.OperationOutput, "The number of output tokens per inference operation");
    internal static readonly Histogram<double> EmbeddingsDuration = Duration(Names.EmbeddingsDuration, "GenAI client embeddings operation duration");
    internal static readonly Histogram<long> EmbeddingsInput = Tokens(Names.EmbeddingsInput, "The number of input tokens used per embeddings operation");

    // both families
    internal static readonly Histogram<double> Cost = Meter.CreateHistogram<double>(Names.Cost, "{USD}",
        "The cost of a model call, priced from the PandaProbe client's catalogue");

    // PandaProbe's own: an agent run's rollup
    internal static readonly Histogram<long> AgentTokens = Tokens(Names.AgentTokens, "The tokens of an agent run, as the agent reports them (the sum of its model calls)");
    internal static readonly Histogram<double> AgentDuration = Duration(Names.AgentDuration, "The duration of an agent run");

    /// <summary>The instrument names.</summary>
    internal static class Names
    {
        public const string TokenUsage = "gen_ai.client.token.usage";
        public const string OperationDuration = "gen_ai.client.operation.duration";
        public const string InferenceDuration = "gen_ai.client.inference.duration";
        public const string UsageInput = "gen_ai.client.inference.usage.input_tokens";
        public const string UsageOutput = "gen_ai.client.inference.usage.output_tokens";
        public const string UsageCacheRead = "gen_ai.client.inference.usage.cache_read.input_tokens";
        public const string UsageCacheWrite = "gen_ai.client.inference.usage.cache_write.input_tokens";
        public const string UsageReasoning = "gen_ai.client.inference.usage.reasoning.output_tokens";
        public const string OperationInput = "gen_ai.client.inference.operation.input_tokens";
        public const string OperationOutput = "gen_ai.client.inference.operation.output_tokens";
        public const string EmbeddingsDuration = "gen_ai.client.embeddings.duration";
        public const string EmbeddingsInput = "gen_ai.client.embeddings.operation.input_tokens";
        public const string Cost = "gen_ai.client.operation.cost";
        public const string AgentTokens = "pandaprobe.agent.token.usage";
        public const string AgentDuration = "pandaprobe.agent.operation.duration";
    }

    /// <summary>The attribute names.</summary>
    internal static class Tags
    {
        public const string Operation = "gen_ai.operation.name";
        public const string Provider = "gen_ai.provider.name";
        public const string RequestModel = "gen_ai.request.model";
        public const string ResponseModel = "gen_ai.response.model";
        public const string ServerAddress = "server.address";
        public const string ServerPort = "server.port";
        public const string ErrorType = "error.type";
        public const string TokenType = "gen_ai.token.type";
        public const string TokenModality = "gen_ai.token.modality";
        public const string AgentName = "gen_ai.agent.name";
        public const string CostCurrency = "gen_ai.usage.cost.currency";
        public const string CostSource = "gen_ai.usage.cost.source";
    }

    static Histogram<long> Tokens(string name, string description) =>
        Meter.CreateHistogram<long>(name, "{token}", description, tags: null,
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });

    static Histogram<double> Duration(string name, string description) =>
        Meter.CreateHistogram<double>(name, "s", description, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    static Counter<long> Counter(string name, string description) => Meter.CreateCounter<long>(name, "{token}", description);

    /// <summary><c>true</c> when a listener enabled an instrument that a model call of <paramref name="family"/> records.</summary>
    public static bool Listened(Family family, bool embeddings) => family switch
    {
        Family.SemanticConventions => TokenUsage.Enabled || OperationDuration.Enabled || (!embeddings && Cost.Enabled),
        Family.SemanticConventionsGenAi => embeddings
            ? EmbeddingsDuration.Enabled || EmbeddingsInput.Enabled
            : InferenceDuration.Enabled || UsageInput.Enabled || UsageOutput.Enabled || UsageCacheRead.Enabled
              || UsageCacheWrite.Enabled || UsageReasoning.Enabled || OperationInput.Enabled || OperationOutput.Enabled || Cost.Enabled,
        _ => false,
    };

    /// <summary><c>true</c> when a listener enabled an agent-run instrument.</summary>
    public static bool AgentListened => AgentTokens.Enabled || AgentDuration.Enabled;
}

/// <summary>
/// The metrics of one model call (chat or embeddings) that a PandaProbe middleware makes: started before the call,
/// finished exactly once with its result or its failure. Only the outermost PandaProbe layer of a call measures it (a
/// client wrapped twice, or with an OpenTelemetry middleware in between, counts the call once). Never throws.
/// </summary>
internal sealed class ModelCallMetrics
{
    /// <summary>The PandaProbe layer beneath the one measuring the call in this flow: it is the same call.</summary>
    static readonly AsyncLocal<object?> Measured = new();

    readonly Family family;
    readonly bool embeddings;
    readonly string? requestModel;
    readonly string? provider;
    readonly string? serverAddress;
    readonly int serverPort;
    readonly PandaProbeClient? client;
    readonly long started;
    int finished;

    // What a stream reported so far.
    readonly object gate = new();
    string? streamModel;
    UsageDetails? streamUsage;

    ModelCallMetrics(Family family, bool embeddings, string? requestModel, string? provider, Uri? endpoint, PandaProbeClient? client)
    {
        this.family = family;
        this.embeddings = embeddings;
        this.requestModel = requestModel;
        this.provider = provider;
        if (endpoint is { IsAbsoluteUri: true } uri && uri.Host.Length > 0)
        {
            serverAddress = uri.Host;
            serverPort = uri.Port;
        }
        this.client = client;
        started = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Starts measuring a call of <paramref name="self"/>, or <c>null</c>: the family is <c>None</c>, nobody listens, or
    /// an outer PandaProbe layer measures this call already. <paramref name="target"/> is the layer beneath
    /// <paramref name="self"/> that is the same call.
    /// </summary>
    public static ModelCallMetrics? Start(Family family, bool embeddings, string? requestModel, string? provider, Uri? endpoint,
        PandaProbeClient? client, object self, object? target)
    {
        try
        {
            if (ReferenceEquals(Measured.Value, self)) return null;   // an outer layer measures this call
            if (family is not (Family.SemanticConventions or Family.SemanticConventionsGenAi) || !GenAiMeter.Listened(family, embeddings))
                return null;
            Measured.Value = target;
            return new ModelCallMetrics(family, embeddings, requestModel, provider, endpoint, client);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai metrics: {ex.Message}");
            return null;
        }
    }

    /// <summary>Notes one streamed update (its model and usage).</summary>
    public void Observe(ChatResponseUpdate update)
    {
        try
        {
            if (update is null || Volatile.Read(ref finished) != 0) return;
            lock (gate)
            {
                if (!string.IsNullOrEmpty(update.ModelId)) streamModel = update.ModelId;
                foreach (var content in update.Contents)
                    if (content is UsageContent { Details: { } details })
                    {
                        if (streamUsage is null) streamUsage = new UsageDetails();
                        streamUsage.Add(details);
                    }
            }
        }
        catch (Exception ex) { SelfLog.Write($"gen_ai metrics: {ex.Message}"); }
    }

    /// <summary>Ends a stream with what it reported.</summary>
    public void CompleteStream()
    {
        string? model;
        UsageDetails? usage;
        lock (gate) (model, usage) = (streamModel, streamUsage);
        Succeeded(model, usage);
    }

    /// <summary>Records a chat call that returned <paramref name="usage"/> from <paramref name="responseModel"/>.</summary>
    public void Succeeded(string? responseModel, UsageDetails? usage)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        try
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var model = string.IsNullOrEmpty(responseModel) ? null : responseModel;
            var tags = Base(model);
            if (family == Family.SemanticConventions) Record(GenAiMeter.OperationDuration, seconds, tags);
            else Record(embeddings ? GenAiMeter.EmbeddingsDuration : GenAiMeter.InferenceDuration, seconds, tags);
            if (usage is null) return;
            if (embeddings)
            {
                if (usage.InputTokenCount is not { } input) return;
                if (family == Family.SemanticConventions) RecordTokens(GenAiMeter.TokenUsage, input, tags, "input");
                else Record(GenAiMeter.EmbeddingsInput, Math.Max(0, input), tags);
                return;
            }
            if (family == Family.SemanticConventions)
            {
                if (usage.InputTokenCount is { } input) RecordTokens(GenAiMeter.TokenUsage, input, tags, "input");
                if (usage.OutputTokenCount is { } output) RecordTokens(GenAiMeter.TokenUsage, output, tags, "output");
            }
            else RecordInference(usage, tags);
            RecordCost(model ?? requestModel, usage, tags);
        }
        catch (Exception ex) { SelfLog.Write($"gen_ai metrics: {ex.Message}"); }
    }

    /// <summary>Records an embeddings call that reported <paramref name="inputTokens"/>.</summary>
    public void Succeeded(string? responseModel, long? inputTokens) =>
        Succeeded(responseModel, inputTokens is { } tokens ? new UsageDetails { InputTokenCount = tokens } : null);

    /// <summary>Records a failed call: its duration with <c>error.type</c>, no tokens.</summary>
    public void Failed(Exception exception)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        try
        {
            var tags = Base(null);
            tags.Add(GenAiMeter.Tags.ErrorType, exception.GetType().FullName);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (family == Family.SemanticConventions) Record(GenAiMeter.OperationDuration, seconds, tags);
            else Record(embeddings ? GenAiMeter.EmbeddingsDuration : GenAiMeter.InferenceDuration, seconds, tags);
        }
        catch (Exception ex) { SelfLog.Write($"gen_ai metrics: {ex.Message}"); }
    }

    TagList Base(string? responseModel)
    {
        var tags = new TagList { { GenAiMeter.Tags.Operation, embeddings ? "embeddings" : "chat" } };
        if (requestModel is not null) tags.Add(GenAiMeter.Tags.RequestModel, requestModel);
        if (provider is not null) tags.Add(GenAiMeter.Tags.Provider, provider);
        if (serverAddress is not null)
        {
            tags.Add(GenAiMeter.Tags.ServerAddress, serverAddress);
            tags.Add(GenAiMeter.Tags.ServerPort, serverPort);
        }
        if (responseModel is not null) tags.Add(GenAiMeter.Tags.ResponseModel, responseModel);
        return tags;
    }

    void RecordInference(UsageDetails usage, TagList tags)
    {
        if (usage.InputTokenCount is { } input)
        {
            Record(GenAiMeter.OperationInput, Math.Max(0, input), tags);
            Add(GenAiMeter.UsageInput, input, tags, Unknown);
        }
        if (usage.OutputTokenCount is { } output)
        {
            Record(GenAiMeter.OperationOutput, Math.Max(0, output), tags);
            Add(GenAiMeter.UsageOutput, output, tags, Unknown);
        }
        if (ChatTelemetry.Usage(usage) is var (_, _, extra))
        {
            if (extra.TryGetValue(PandaProbe.Model.TokenUsage.CacheReadKey, out var cacheRead)) Add(GenAiMeter.UsageCacheRead, cacheRead, tags, Unknown);
            if (extra.TryGetValue(PandaProbe.Model.TokenUsage.CacheCreationKey, out var cacheWrite)) Add(GenAiMeter.UsageCacheWrite, cacheWrite, tags, Unknown);
            if (extra.TryGetValue(PandaProbe.Model.TokenUsage.ReasoningKey, out var reasoning)) Add(GenAiMeter.UsageReasoning, reasoning, tags, Unknown);
        }
    }

    /// <summary>
    /// The <c>gen_ai.token.modality</c> of the usage counters: Microsoft.Extensions.AI reports no stable breakdown by
    /// modality, so every count is <c>unknown</c>, as the conventions ask when the modality cannot be determined.
    /// </summary>
    const string Unknown = "unknown";

    static void Add(Counter<long> counter, long value, TagList tags, string modality)
    {
        if (!counter.Enabled) return;
        tags.Add(GenAiMeter.Tags.TokenModality, modality);
        counter.Add(Math.Max(0, value), tags);
    }

    static void RecordTokens(Histogram<long> histogram, long value, TagList tags, string type)
    {
        if (!histogram.Enabled) return;
        tags.Add(GenAiMeter.Tags.TokenType, type);
        histogram.Record(Math.Max(0, value), tags);
    }

    static void Record<T>(Histogram<T> histogram, T value, TagList tags) where T : struct
    {
        if (histogram.Enabled) histogram.Record(value, tags);
    }

    void RecordCost(string? model, UsageDetails usage, TagList tags)
    {
        if (!GenAiMeter.Cost.Enabled || model is null) return;
        if ((client ?? Probe.Client).PriceCatalog is not { } catalog || !catalog.TryFind(model, out var price)) return;
        if (ChatTelemetry.Usage(usage) is not var (prompt, completion, extra)) return;
        tags.Add(GenAiMeter.Tags.CostCurrency, "USD");
        tags.Add(GenAiMeter.Tags.CostSource, "local");
        // Priced as every span is priced (the catalogue's rules, one implementation).
        var tokens = PandaProbe.Model.TokenUsage.Of(prompt, completion, extra.Count == 0 ? null : extra.Select(kv => (kv.Key, kv.Value)));
        GenAiMeter.Cost.Record(PandaProbe.Model.Pricing.CostCalculator.Compute(price, tokens).Total, tags);
    }
}

/// <summary>
/// The metrics of one agent run, under PandaProbe's own names (<c>pandaprobe.agent.operation.duration</c>,
/// <c>pandaprobe.agent.token.usage</c>): a run's tokens are the sum of its model calls, which the gen_ai instruments
/// count already. Only the outermost PandaProbe wrapper of a run measures it. Never throws.
/// </summary>
internal sealed class AgentRunMetrics
{
    static readonly AsyncLocal<object?> Measured = new();

    readonly string agentName;
    readonly string? requestModel;
    readonly long started = Stopwatch.GetTimestamp();
    int finished;

    AgentRunMetrics(string agentName, string? requestModel)
    {
        this.agentName = agentName;
        this.requestModel = requestModel;
    }

    /// <summary>Starts measuring a run of <paramref name="self"/>; <c>null</c> when nobody listens or an outer wrapper measures it.</summary>
    public static AgentRunMetrics? Start(string agentName, string? requestModel, object self, object? target)
    {
        try
        {
            if (ReferenceEquals(Measured.Value, self) || !GenAiMeter.AgentListened) return null;
            Measured.Value = target;
            return new AgentRunMetrics(agentName, requestModel);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"agent metrics: {ex.Message}");
            return null;
        }
    }

    /// <summary>Records the run's duration and the usage it reported (<paramref name="usage"/>, when any).</summary>
    public void Succeeded(string? responseModel, UsageDetails? usage) => Finish(responseModel, usage, null);

    /// <summary>Records a failed run: its duration with <c>error.type</c>, no tokens.</summary>
    public void Failed(Exception exception) => Finish(null, null, exception);

    void Finish(string? responseModel, UsageDetails? usage, Exception? failure)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        try
        {
            var tags = new TagList
            {
                { GenAiMeter.Tags.Operation, "invoke_agent" },
                { GenAiMeter.Tags.AgentName, agentName },
            };
            if (requestModel is not null) tags.Add(GenAiMeter.Tags.RequestModel, requestModel);
            if (!string.IsNullOrEmpty(responseModel)) tags.Add(GenAiMeter.Tags.ResponseModel, responseModel);
            if (failure is not null)
            {
                tags.Add(GenAiMeter.Tags.ErrorType, failure.GetType().FullName);
                if (GenAiMeter.AgentDuration.Enabled) GenAiMeter.AgentDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
                return;
            }
            if (GenAiMeter.AgentDuration.Enabled) GenAiMeter.AgentDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            if (usage is null || !GenAiMeter.AgentTokens.Enabled) return;
            if (usage.InputTokenCount is { } input)
            {
                var inputTags = tags;
                inputTags.Add(GenAiMeter.Tags.TokenType, "input");
                GenAiMeter.AgentTokens.Record(Math.Max(0, input), inputTags);
            }
            if (usage.OutputTokenCount is { } output)
            {
                var outputTags = tags;
                outputTags.Add(GenAiMeter.Tags.TokenType, "output");
                GenAiMeter.AgentTokens.Record(Math.Max(0, output), outputTags);
            }
        }
        catch (Exception ex) { SelfLog.Write($"agent metrics: {ex.Message}"); }
    }
}
