namespace PandaProbe.Internal;

/// <summary>Feeds one <see cref="ITraceProcessor"/> from the enriched reducer outputs, isolating its failures.</summary>
internal sealed class ProcessorObserver(ITraceProcessor processor) : IObserver<Output>
{
    public void OnNext(Output output)
    {
        try
        {
            switch (output)
            {
                case Output.TraceStarted s: processor.OnTraceStart(s.Trace); break;
                case Output.SpanStarted s: processor.OnSpanStart(s.Span); break;
                case Output.SpanCompleted c: processor.OnSpanEnd(c.Span); break;
                case Output.TraceCompleted c: processor.OnTraceEnd(c.Trace); break;
            }
        }
        catch (Exception ex)
        {
            SelfLog.Write($"trace processor {processor.GetType().Name} failed: {ex.Message}");
        }
    }

    public void OnError(Exception error) => SelfLog.Write($"trace processor feed stopped: {error.Message}");

    public void OnCompleted() { }
}
