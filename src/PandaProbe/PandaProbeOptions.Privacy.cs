using System.Text.RegularExpressions;

namespace PandaProbe;

public sealed partial class PandaProbeOptions
{
    /// <summary>
    /// What of the recorded values leaves the process: everything but the secrets (<see cref="Model.ContentMode.Full"/>;
    /// see <see cref="RedactionOptions.MaskSecrets"/>), everything after the <see cref="Redaction"/> rules
    /// (<see cref="Model.ContentMode.Redacted"/>), or no inputs, outputs or log data at all and the rest after the rules
    /// (<see cref="Model.ContentMode.MetadataOnly"/>). Applied on the export
    /// side, before any exporter (platform, file, OpenTelemetry), processor or <c>CompletedTraces</c> subscriber sees a
    /// trace; never on your thread. For sensitive flows only, use a second client with a stricter mode.
    /// <value>Default: <c>PANDAPROBE_CONTENT_MODE</c> (<c>full</c>, <c>redacted</c>, <c>metadata_only</c>), else <c>Full</c>.</value>
    /// </summary>
    public ContentMode? ContentMode { get; set; }

    /// <summary>
    /// The redaction rules: the secrets pass in every mode (<see cref="RedactionOptions.MaskSecrets"/>), the others when
    /// <see cref="ContentMode"/> is not <c>Full</c>. <value>Default: the built-in rules.</value>
    /// </summary>
    public RedactionOptions Redaction { get; } = new();

    /// <summary>Which traces are kept: a ratio by trace id, and rules that keep a trace whatever the ratio.</summary>
    public SamplingOptions Sampling { get; } = new();

    /// <summary>
    /// With <c>await using</c> on a trace (<c>DisposeAsync</c>) and with <c>TraceAsync</c>, waits until that trace has
    /// been delivered (see <see cref="TraceContext.FlushAsync"/>) before returning, for at most
    /// <see cref="FlushOnDisposeTimeout"/>: for serverless functions and hosts that freeze or stop after the response.
    /// A plain <c>Dispose</c> never waits. <c>false</c> here leaves it to <c>PANDAPROBE_FLUSH_ON_DISPOSE</c>.
    /// <value>Default: <c>false</c>.</value>
    /// </summary>
    public bool FlushOnDispose { get; set; }

    /// <summary>
    /// Live mode, for long runs (agents that work for minutes): the platform shows each trace while it runs. The trace
    /// is posted as RUNNING when it starts (<c>POST /traces</c>), each span is added as it ends
    /// (<c>POST /traces/{id}/spans</c>), and the completed trace is posted as always, which completes it (the platform
    /// upserts traces and spans by id, so nothing is stored twice). Progress is best-effort: never retried beyond the
    /// ingestion lag, spooled or counted as items; the completed trace keeps the usual guarantees. Progress leaves only
    /// for traces the sampling ratio keeps at their start (none while tail rules or <c>FitPlatformRate</c> decide at
    /// the end), and is redacted like everything else. Each span end then costs one more item in the export queue.
    /// <c>false</c> here leaves it to <c>PANDAPROBE_LIVE_MODE</c>. <value>Default: <c>false</c>.</value>
    /// </summary>
    public bool LiveMode { get; set; }

    /// <summary>How long <see cref="FlushOnDispose"/> waits at most. <value>Default: 5 s.</value></summary>
    public TimeSpan FlushOnDisposeTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The redaction rules (see <see cref="PandaProbeOptions.ContentMode"/>). In every mode, the secrets pass
/// (<see cref="MaskSecrets"/>) masks API keys, bearer tokens and connection-string and URL passwords wherever they appear
/// in a text. When the mode is not <c>Full</c>, a value under a sensitive key name is also replaced by
/// <c>[REDACTED]</c>; e-mail addresses, card numbers and API-key shapes are masked wherever they appear in a text
/// (<c>[REDACTED:email]</c>, <c>[REDACTED:card]</c>, <c>[REDACTED:key]</c>); then each of <see cref="Patterns"/> is
/// masked, then <see cref="Custom"/> is applied. Names, ids, session and user ids, models, token usage, costs, times and
/// statuses are never changed.
/// </summary>
public sealed class RedactionOptions
{
    /// <summary>
    /// Key names whose values are replaced wherever they appear: metadata, parameters, error data, and any JSON object
    /// inside an input, output or log line. Compared without case, spaces, dashes, dots and underscores; a key also
    /// matches when it ends with a name (<c>openai_api_key</c> matches <c>apikey</c>).
    /// <value>Default: password, passwd, secret, token, apikey, accesskey, privatekey, authorization, cookie, ssn,
    /// creditcard, cardnumber, cvv.</value>
    /// </summary>
    public IList<string> KeyNames { get; } = new List<string>(Redaction.Redactor.DefaultKeyNames);

    /// <summary>Mask e-mail addresses. <value>Default: <c>true</c>.</value></summary>
    public bool MaskEmails { get; set; } = true;

    /// <summary>Mask card numbers (13 to 19 digits, spaces or dashes allowed, passing the Luhn check). <value>Default: <c>true</c>.</value></summary>
    public bool MaskCardNumbers { get; set; } = true;

    /// <summary>
    /// Mask API-key shapes when <see cref="PandaProbeOptions.ContentMode"/> is not <c>Full</c>: OpenAI and Anthropic
    /// (<c>sk-…</c>), PandaProbe and Stripe-like (<c>sk_live_…</c>, <c>sk_pp_…</c>), AWS access keys, GitHub and Slack
    /// tokens, Google API keys, JWTs and bearer tokens. <see cref="MaskSecrets"/> masks the same shapes in every mode, so
    /// turning them off in those modes takes both set to <c>false</c>. <value>Default: <c>true</c>.</value>
    /// </summary>
    public bool MaskApiKeys { get; set; } = true;

    /// <summary>
    /// The secrets pass, in every <see cref="PandaProbeOptions.ContentMode"/> (<c>Full</c>, the default, included): in
    /// every text that leaves (inputs, outputs, log data, metadata, parameters, error messages and data, strings inside
    /// JSON included) the API-key shapes of <see cref="MaskApiKeys"/> and bearer tokens become <c>[REDACTED:key]</c>, the
    /// value of a connection-string password (<c>Password=</c>, <c>Pwd=</c>, <c>Passwd=</c>, any case; up to <c>;</c>
    /// or the end of the line, or a quoted value) becomes <c>[REDACTED]</c> (<c>Password=[REDACTED];</c>), and the
    /// password of a URL becomes <c>[REDACTED]</c> (<c>postgres://app:[REDACTED]@db</c>). It masks only secrets:
    /// e-mail addresses, card numbers and key names stay the <c>Redacted</c> mode's rules. A text with none of the
    /// secrets' marks (<c>sk-</c>, <c>AKIA</c>, <c>Bearer</c>, <c>password</c>, <c>pwd</c>, <c>://</c>, …) costs one scan.
    /// <c>false</c> lets secrets through under <c>Full</c>; in the other modes <see cref="MaskApiKeys"/> still masks the
    /// key shapes. <value>Default: <c>PANDAPROBE_MASK_SECRETS</c> (<c>true</c> or <c>false</c>), else <c>true</c>.</value>
    /// </summary>
    public bool? MaskSecrets { get; set; }

    /// <summary>More patterns; every match is replaced by <c>[REDACTED]</c>. <value>Default: none.</value></summary>
    public IList<Regex> Patterns { get; } = new List<Regex>();

    /// <summary>
    /// Applied last to every text (strings inside JSON values included); return the text to send. If it throws, the
    /// whole value is replaced by <c>[REDACTED]</c>. <value>Default: none.</value>
    /// </summary>
    public Func<string, string>? Custom { get; set; }
}

/// <summary>
/// Which traces are kept. The ratio decides by trace id (the same id always gets the same answer, in every process).
/// While any keep rule is on, every trace is recorded and decided when it ends, so that an error, a slow or a costly
/// trace is kept whatever the ratio (the ratio then saves export and platform cost, not the caller's); with every rule
/// off, a trace the ratio drops is a no-op from its start, allocating nothing and
/// costing a few tens of nanoseconds more than a disabled one. A trace is kept or left out
/// whole, with all its spans, late spans and scores. Traces left out are counted in <c>Health.SampledOut</c>.
/// </summary>
public sealed class SamplingOptions
{
    /// <summary>The share of traces kept, 0 to 1. <value>Default: <c>PANDAPROBE_SAMPLE_RATE</c>, else 1 (all).</value></summary>
    public double? Ratio { get; set; }

    /// <summary>Keep every trace that ended in error, or has a span that did. <value>Default: <c>true</c>.</value></summary>
    public bool KeepErrors { get; set; } = true;

    /// <summary>Keep every trace that took at least this long. <value>Default: none.</value></summary>
    public TimeSpan? KeepSlowerThan { get; set; }

    /// <summary>Keep every trace whose spans cost at least this much, in US dollars. <value>Default: none.</value></summary>
    public double? KeepCostlierThan { get; set; }

    /// <summary>
    /// Fit the traces sent to the rate the platform accepts (<c>POST /traces</c> is limited per API key; the platform
    /// says how much in its rate-limit answers): once it has refused for that reason, completed traces are kept at its
    /// rate, errors and traces scored before they ended first, and the rest is left out (counted in
    /// <see cref="Pipeline.PipelineHealth.SampledOut"/>, with their late spans and scores) instead of waiting in the
    /// spool. Applied after <see cref="Ratio"/> and the keep rules; only with the platform exporter. Off, traces above
    /// the rate wait in the spool and are delivered at the platform's pace (nothing is lost). It cannot be combined with
    /// <c>Spool.WriteAhead</c> (building the client throws <see cref="ArgumentException"/>).
    /// <value>Default: <c>false</c>.</value>
    /// </summary>
    public bool FitPlatformRate { get; set; }
}
