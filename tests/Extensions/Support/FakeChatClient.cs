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

    public List<List<ChatMessage>> Received { get; } = [];
    public SpanContext? CurrentSpanDuringCall { get; private set; }
    public bool StreamDisposed { get; private set; }
    public int UpdatesYielded { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        Received.Add(messages.ToList());
        CurrentSpanDuringCall = Probe.CurrentSpan;
        if (Error is not null) return Task.FromException<ChatResponse>(Error);
        return Task.FromResult(Response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Received.Add(messages.ToList());
        try
        {
            foreach (var update in Updates)
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
