using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace PandaProbe.Extensions.Tests.Support;

/// <summary>
/// An OpenAI-compatible HTTP server on 127.0.0.1 (a real Kestrel) that answers <c>POST /v1/chat/completions</c> and
/// <c>POST /v1/embeddings</c> from a script: each request takes the next <see cref="Reply"/> (JSON, an SSE stream, an
/// error status, or a stream whose connection is dropped). It records every request body, so a test can check what the
/// real OpenAI .NET SDK sent. A request with no scripted reply gets a 500 that names the route.
/// </summary>
public sealed class ScriptedOpenAIServer : IAsyncDisposable
{
    /// <summary>One scripted answer.</summary>
    public abstract record Reply;

    /// <summary>A JSON body with <paramref name="Status"/>.</summary>
    public sealed record Json(JsonNode Body, int Status = 200) : Reply;

    /// <summary>An SSE stream of <paramref name="Chunks"/> (each a <c>data:</c> event), then <c>data: [DONE]</c>; or, with
    /// <paramref name="DropAfter"/>, the connection aborted after the chunks, once <paramref name="DropWhen"/> completes
    /// (the test's consumer has read them: data still unread in the client's socket would be lost with the reset).</summary>
    public sealed record Stream(IReadOnlyList<JsonNode> Chunks, bool DropAfter = false, Task? DropWhen = null) : Reply;

    readonly WebApplication app;
    readonly ConcurrentQueue<Reply> script = new();
    readonly ConcurrentQueue<(string Path, JsonElement Body)> requests = new();

    ScriptedOpenAIServer(WebApplication app, Uri endpoint)
    {
        this.app = app;
        Endpoint = endpoint;
    }

    /// <summary>The API base address, <c>http://127.0.0.1:{port}/v1</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>The requests received so far: route and parsed body.</summary>
    public IReadOnlyList<(string Path, JsonElement Body)> Requests => requests.ToArray();

    /// <summary>Starts the server on a free port of 127.0.0.1.</summary>
    public static async Task<ScriptedOpenAIServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        ScriptedOpenAIServer? server = null;
        app.MapPost("/v1/{**route}", (HttpContext http) => server!.AnswerAsync(http));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new ScriptedOpenAIServer(app, new Uri(address.TrimEnd('/') + "/v1"));
        return server;
    }

    /// <summary>Queues the answers of the next requests, in order.</summary>
    public ScriptedOpenAIServer Then(params Reply[] replies)
    {
        foreach (var reply in replies) script.Enqueue(reply);
        return this;
    }

    /// <summary>The real OpenAI SDK pointed at this server: no retries (a scripted error is answered once), short timeouts.</summary>
    public OpenAIClient OpenAI() => new(new ApiKeyCredential("sk-test"), new OpenAIClientOptions
    {
        Endpoint = Endpoint,
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(20),
    });

    async Task AnswerAsync(HttpContext http)
    {
        using var body = await JsonDocument.ParseAsync(http.Request.Body);
        requests.Enqueue((http.Request.Path.Value ?? "", body.RootElement.Clone()));
        if (!script.TryDequeue(out var reply))
        {
            http.Response.StatusCode = 500;
            await http.Response.WriteAsync($"no scripted reply for {http.Request.Path}");
            return;
        }

        switch (reply)
        {
            case Json json:
                http.Response.StatusCode = json.Status;
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync(Encode(json.Body, body.RootElement).ToJsonString());
                break;
            case Stream stream:
                http.Response.ContentType = "text/event-stream";
                foreach (var chunk in stream.Chunks)
                {
                    await http.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n");
                    await http.Response.Body.FlushAsync();
                }
                if (stream.DropAfter)
                {
                    if (stream.DropWhen is { } when) await when.WaitAsync(TimeSpan.FromSeconds(10));
                    http.Abort();
                    return;
                }
                await http.Response.WriteAsync("data: [DONE]\n\n");
                break;
        }
    }

    /// <summary>Embedding vectors go out as the request asked: floats, or base64 of little-endian floats (the SDK's default).</summary>
    static JsonNode Encode(JsonNode body, JsonElement request)
    {
        if (!request.TryGetProperty("encoding_format", out var format) || format.GetString() != "base64") return body;
        var copy = body.DeepClone();
        foreach (var item in copy["data"]?.AsArray() ?? [])
        {
            if (item?["embedding"] is not JsonArray vector) continue;
            var bytes = new byte[vector.Count * sizeof(float)];
            for (var i = 0; i < vector.Count; i++)
                BitConverter.TryWriteBytes(bytes.AsSpan(i * sizeof(float)), vector[i]!.GetValue<float>());
            item["embedding"] = Convert.ToBase64String(bytes);
        }
        return copy;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    // ---- wire shapes of the OpenAI chat completions API ----

    const long Created = 1_764_000_000;

    /// <summary>The usage object, with cached prompt tokens and reasoning tokens.</summary>
    public static JsonObject Usage(int prompt, int completion, int cached = 0, int reasoning = 0) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject
        {
            ["reasoning_tokens"] = reasoning,
            ["audio_tokens"] = 0,
            ["accepted_prediction_tokens"] = 0,
            ["rejected_prediction_tokens"] = 0,
        },
    };

    /// <summary>A tool call as it appears in an assistant message.</summary>
    public static JsonObject ToolCall(string id, string name, string arguments) => new()
    {
        ["id"] = id,
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments },
    };

    /// <summary>A whole (non-streamed) chat completion.</summary>
    public static Json Completion(string id, string model, string? content, JsonObject usage, params JsonObject[] toolCalls)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = content, ["refusal"] = null };
        if (toolCalls.Length > 0) message["tool_calls"] = new JsonArray(toolCalls.Cast<JsonNode>().ToArray());
        return new Json(new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = Created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["logprobs"] = null,
                ["finish_reason"] = toolCalls.Length > 0 ? "tool_calls" : "stop",
            }),
            ["usage"] = usage,
            ["system_fingerprint"] = "fp_scripted",
        });
    }

    /// <summary>One streamed chunk carrying <paramref name="delta"/> (and a finish reason on the last one).</summary>
    public static JsonObject Chunk(string id, string model, JsonObject delta, string? finishReason = null) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = Created,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = delta,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        }),
    };

    /// <summary>The final usage chunk (no choices) sent when the request asked for <c>stream_options.include_usage</c>.</summary>
    public static JsonObject UsageChunk(string id, string model, JsonObject usage) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = Created,
        ["model"] = model,
        ["choices"] = new JsonArray(),
        ["usage"] = usage,
    };

    /// <summary>A text stream: a role chunk, one chunk per piece, a finish chunk, then the usage chunk.</summary>
    public static Stream TextStream(string id, string model, IEnumerable<string> pieces, JsonObject usage, bool dropAfterPieces = false,
        Task? dropWhen = null)
    {
        var chunks = new List<JsonNode> { Chunk(id, model, new JsonObject { ["role"] = "assistant", ["content"] = "" }) };
        chunks.AddRange(pieces.Select(p => Chunk(id, model, new JsonObject { ["content"] = p })));
        if (dropAfterPieces) return new Stream(chunks, DropAfter: true, dropWhen);
        chunks.Add(Chunk(id, model, new JsonObject(), "stop"));
        chunks.Add(UsageChunk(id, model, usage));
        return new Stream(chunks);
    }

    /// <summary>An error body as the platform sends it.</summary>
    public static Json Error(int status, string message, string type, string? code = null) => new(new JsonObject
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code },
    }, status);

    /// <summary>An embeddings response (vectors as floats; re-encoded as base64 when the request asks).</summary>
    public static Json Embeddings(string model, int promptTokens, params float[][] vectors) => new(new JsonObject
    {
        ["object"] = "list",
        ["data"] = new JsonArray(vectors.Select((v, i) => (JsonNode)new JsonObject
        {
            ["object"] = "embedding",
            ["index"] = i,
            ["embedding"] = new JsonArray(v.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
        }).ToArray()),
        ["model"] = model,
        ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["total_tokens"] = promptTokens },
    });
}
