using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.Tests.Support;

/// <summary>
/// A scripted <see cref="IChatClient"/>: returns <see cref="Response"/> (or throws <see cref="Error"/>), streams
/// <see cref="Updates"/> (then throws <see cref="StreamError"/> if set), and records what it saw.
/// </summary>
public sealed class FakeChatClient : IChatClient
{
    public ChatResponse Response { get; set; } = new(new ChatMessage(ChatRole.Assistant, "ok"));
    public Exception? Error { get; set; }
    public IReadOnlyList<ChatResponseUpdate> Updates { get; set; } = [];
    public Exception? StreamError { get; set; }
    public ChatClientMetadata? Metadata { get; set; }
    /// <summary>Responses for successive calls (a tool loop's model turns); <see cref="Response"/> once it is empty.</summary>
    public Queue<ChatResponse> Script { get; } = new();
    /// <summary>Update lists for successive streamed calls; <see cref="Updates"/> once it is empty.</summary>
    public Queue<IReadOnlyList<ChatResponseUpdate>> StreamScript { get; } = new();
    public List<ChatOptions?> ReceivedOptions { get; } = [];

    public List<List<ChatMessage>> Received { get; } = [];
    public SpanContext? CurrentSpanDuringCall { get; private set; }
    public bool StreamDisposed { get; private set; }
    public int UpdatesYielded { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        Received.Add(messages.ToList());
        ReceivedOptions.Add(options);
        CurrentSpanDuringCall = Probe.CurrentSpan;
        if (Error is not null) return Task.FromException<ChatResponse>(Error);
        return Task.FromResult(Script.Count > 0 ? Script.Dequeue() : Response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Received.Add(messages.ToList());
        ReceivedOptions.Add(options);
        var updates = StreamScript.Count > 0 ? StreamScript.Dequeue() : Updates;
        try
        {
            foreach (var update in updates)
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                UpdatesYielded++;
                yield return update;
            }
            if (StreamError is not null) throw StreamError;
        }
        finally
        {
            StreamDisposed = true;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose() { }
}
