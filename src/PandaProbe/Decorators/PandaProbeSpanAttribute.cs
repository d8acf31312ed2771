namespace PandaProbe;

/// <summary>
/// How <see cref="PandaProbeProxy"/> records the calls of an interface method: the span's kind and name, and whether
/// the arguments and the result are captured. On an interface, it sets the defaults of its methods; on a method, what
/// it sets wins over the interface's (a property left unset on the method keeps the interface's value).
/// </summary>
/// <example><code>
/// [PandaProbeSpan(Kind = SpanType.Retriever)]
/// public interface IDocumentSearch
/// {
///     Task&lt;IReadOnlyList&lt;string&gt;&gt; SearchAsync(string query, int top, CancellationToken cancellationToken = default);
///
///     [PandaProbeSpan(Kind = SpanType.Tool, Name = "fetch-page", CaptureOutput = false)]
///     Task&lt;string&gt; FetchAsync(Uri page);
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class PandaProbeSpanAttribute : Attribute
{
    SpanType? kind;
    bool? captureInput;
    bool? captureOutput;

    /// <summary>The span's kind. <value>Default: <see cref="SpanType.Other"/>.</value></summary>
    public SpanType Kind { get => kind ?? SpanType.Other; set => kind = value; }

    /// <summary>
    /// The span's name (and the name of the trace a call starts when no trace is open). Used on methods only; on an
    /// interface it is ignored. <value>Default: the method's name.</value>
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// Whether the arguments are recorded as the span's input, an object keyed by parameter name
    /// (<see cref="CancellationToken"/> parameters are never recorded). <value>Default: <c>true</c>.</value>
    /// </summary>
    public bool CaptureInput { get => captureInput ?? true; set => captureInput = value; }

    /// <summary>
    /// Whether the result is recorded as the span's output (for a task, its result; for an
    /// <see cref="IAsyncEnumerable{T}"/>, the items enumerated). <value>Default: <c>true</c>.</value>
    /// </summary>
    public bool CaptureOutput { get => captureOutput ?? true; set => captureOutput = value; }

    /// <summary>The kind, if set on this attribute.</summary>
    internal SpanType? KindIfSet => kind;

    /// <summary>Whether to capture the input, if set on this attribute.</summary>
    internal bool? CaptureInputIfSet => captureInput;

    /// <summary>Whether to capture the output, if set on this attribute.</summary>
    internal bool? CaptureOutputIfSet => captureOutput;
}
