using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PandaProbe.Extensions.Tests.Support;

/// <summary>A real logger provider that keeps every line it is given (category, level, formatted message).</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    public sealed record Line(string Category, LogLevel Level, string Message);

    public ConcurrentQueue<Line> Lines { get; } = new();

    public IEnumerable<Line> In(string category) => Lines.Where(l => l.Category == category);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    sealed class Logger(RecordingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue(new Line(category, logLevel, formatter(state, exception)));
    }
}

/// <summary>Tests that start hosts change process-wide state (the <see cref="Probe"/> default, <see cref="SelfLog"/>): one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWide
{
    public const string Name = "process-wide PandaProbe state";
}
