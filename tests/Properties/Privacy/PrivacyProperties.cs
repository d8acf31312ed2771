using System.Diagnostics;
using System.Text.Json;
using PandaProbe.Exporters;
using PandaProbe.Model.Sampling;
using PandaProbe.Properties.Checks;
using PandaProbe.Properties.Export;
using PandaProbe.Serialization;
using PandaProbe.Model;

namespace PandaProbe.Properties.Privacy;

/// <summary>
/// What leaves the process: under <see cref="ContentMode.Redacted"/> no generated secret reaches any sink (the
/// platform body, the local file, the OpenTelemetry activities' tags, and what exporters and subscribers are handed),
/// under <see cref="ContentMode.MetadataOnly"/> no input or output does; sampling keeps the configured share by trace
/// id, always the same answer for the same id, keeps every error trace, and never splits a trace.
/// </summary>
[Collection(ActivityReplayProperties.Name)]
public class PrivacyProperties
{
    /// <summary>Secrets made from a plan: an e-mail address, a card number that passes the Luhn check, an API key.</summary>
    static string[] Secrets(byte[] plan)
    {
        var seed = plan.Aggregate(17, (h, b) => h * 31 + b);
        var random = new Random(seed);
        string Letters(int n) => new(Enumerable.Range(0, n).Select(_ => (char)('a' + random.Next(26))).ToArray());
        var email = $"{Letters(3 + random.Next(6))}.{Letters(4)}@{Letters(5)}.com";
        var digits = Enumerable.Range(0, 15).Select(_ => random.Next(10)).ToList();
        var sum = 0;
        for (var i = 0; i < 15; i++)
        {
            var d = digits[14 - i];
            if (i % 2 == 0) { d *= 2; if (d > 9) d -= 9; }   // the check digit comes last, so the digit before it doubles
            sum += d;
        }
        digits.Add((10 - sum % 10) % 10);
        var card = string.Concat(digits);
        var key = "sk-proj-" + Letters(24);
        return [email, card, key];
    }

    sealed class Sinks : IDisposable
    {
        readonly ActivityListener listener;
        readonly List<string> tags = [];
        public readonly string File = Path.Combine(Path.GetTempPath(), $"pandaprobe-privacy-{Guid.NewGuid():N}.jsonl");
        public readonly InMemoryTraceExporter Memory = new();
        public readonly List<TraceRecord> Subscribed = [];

        public Sinks()
        {
            listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == ActivityTraceExporter.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a => { lock (tags) tags.AddRange(a.TagObjects.Select(t => $"{t.Key}={Text(t.Value)}")); },
            };
            ActivitySource.AddActivityListener(listener);
        }

        static string Text(object? value) => value switch
        {
            string[] many => string.Join(",", many),
            _ => value?.ToString() ?? "",
        };

        public PandaProbeClient Client(ContentMode mode) => new(new PandaProbeOptions
        {
            Enabled = true, ContentMode = mode, RegisterProcessExitHandler = false,
            EnvironmentVariables = new Dictionary<string, string?>(),
            Exporters = { Memory, new FileTraceExporter(File), new ActivityTraceExporter() },
        });

        public IReadOnlyList<string> Tags { get { lock (tags) return tags.ToArray(); } }

        /// <summary>Every text that left: the platform bodies, the file, the activity tags, and what subscribers saw.</summary>
        public IEnumerable<(string Sink, string Text)> Everything() =>
            Memory.Traces.Select(t => ("platform trace body", WireJson.Trace(t)))
                .Concat(Memory.LateSpans.Select(s => ("platform late span body", WireJson.Spans([s]))))
                .Concat(Memory.Scores.Select(s => ("platform score body", WireJson.Score(s))))
                .Concat(System.IO.File.Exists(File) ? [("local file", System.IO.File.ReadAllText(File))] : [])
                .Concat(Tags.Select(t => ("OpenTelemetry tag", t)))
                .Concat(Subscribed.Select(t => ("CompletedTraces subscriber", WireJson.Trace(t))));

        public void Dispose()
        {
            listener.Dispose();
            try { System.IO.File.Delete(File); } catch (IOException) { }
        }
    }

    /// <summary>Records a trace holding the secrets everywhere a value can go, then flushes.</summary>
    static void RecordEverywhere(PandaProbeClient client, string[] secrets, Sinks sinks)
    {
        var (email, card, key) = (secrets[0], secrets[1], secrets[2]);
        // Kept until the client is disposed: subscribers are served on their own queue, which shutdown drains (a flush
        // waits for the exporters only), so disposing the subscription here could miss the trace.
        _ = client.CompletedTraces.Subscribe(t => { lock (sinks.Subscribed) sinks.Subscribed.Add(t); });
        Guid traceId;
        using (var trace = client.StartTrace("agent", input: $"please mail {email}",
                   metadata: new Dictionary<string, object?> { ["contact"] = email, ["api_key"] = "plain-value" }))
        {
            traceId = trace.TraceId;
            using (var llm = trace.Span("answer", SpanType.Llm, model: "gpt-4o"))
            {
                llm.SetInput(new { messages = new[] { new { role = "user", content = $"my card is {card}, key {key}" } } });
                llm.SetOutput(new { messages = new[] { new { role = "assistant", content = $"noted {email}" } } });
                llm.SetMetadata(new Dictionary<string, object?> { ["note"] = $"card {card}", ["password"] = "hunter2" });
                llm.Log($"used {key}");
            }
            using (var tool = trace.Span("send_mail", SpanType.Tool))
            {
                tool.SetInput(new { to = email, card = long.Parse(card, System.Globalization.CultureInfo.InvariantCulture) });
                tool.SetOutput($"sent to {email}");
                tool.SetError($"mailbox {email} full", new Dictionary<string, object?> { ["token"] = key });
            }
            trace.SetOutput(new { reply = $"done, {email}" });
        }
        client.Score(traceId, "helpful", true, reason: $"user {email} liked it");
        client.FlushAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    [TraceProperty(AtMost = 40)]
    public Property A_redacted_trace_leaves_none_of_its_secrets_in_any_sink(byte[] plan)
    {
        var secrets = Secrets(plan);
        using var sinks = new Sinks();
        using (var client = sinks.Client(ContentMode.Redacted)) RecordEverywhere(client, secrets, sinks);
        var leaks = sinks.Everything()
            .SelectMany(x => secrets.Where(s => x.Text.Contains(s, StringComparison.Ordinal)).Select(s => $"{x.Sink} holds {s}"))
            .ToList();
        return Claim.All(
        [
            (sinks.Memory.Traces.Count == 1 && sinks.Memory.Scores.Count == 1, "the trace or the score was not exported"),
            (sinks.Tags.Count > 0 && sinks.Subscribed.Count == 1 && File.Exists(sinks.File), "a sink saw nothing: the check would be empty"),
            (leaks.Count == 0, string.Join("\n", leaks.Distinct().Take(5))),
        ]);
    }

    [TraceProperty(AtMost = 20)]
    public Property Metadata_only_leaves_no_input_or_output_anywhere(byte[] plan)
    {
        var secrets = Secrets(plan);
        using var sinks = new Sinks();
        using (var client = sinks.Client(ContentMode.MetadataOnly)) RecordEverywhere(client, secrets, sinks);
        var problems = new List<string>();
        foreach (var trace in sinks.Memory.Traces)
        {
            using var body = JsonDocument.Parse(WireJson.Trace(trace));
            var objects = new[] { body.RootElement }.Concat(body.RootElement.TryGetProperty("spans", out var spans) ? spans.EnumerateArray() : []);
            foreach (var o in objects)
                foreach (var field in new[] { "input", "output" })
                    if (o.TryGetProperty(field, out _)) problems.Add($"a body has {field}");
        }
        foreach (var line in File.ReadLines(sinks.File))
            if (line.Contains("\"input\"", StringComparison.Ordinal) || line.Contains("\"output\"", StringComparison.Ordinal))
                problems.Add("the local file has an input or output");
        problems.AddRange(sinks.Tags.Where(t => t.StartsWith("pandaprobe.input=", StringComparison.Ordinal) || t.StartsWith("pandaprobe.output=", StringComparison.Ordinal))
            .Select(t => $"an activity has {t[..t.IndexOf('=')]}"));
        problems.AddRange(sinks.Subscribed.Where(t => t.Input is not null || t.Output is not null || t.Spans.Exists(s => s.Input is not null || s.Output is not null))
            .Select(_ => "a subscriber saw an input or output"));
        return Claim.All(
        [
            (sinks.Memory.Traces.Count == 1 && sinks.Memory.Traces[0].Spans.Count == 2, "the trace and its spans were not all exported"),
            (problems.Count == 0, string.Join("\n", problems.Distinct().Take(5))),
        ]);
    }

    /// <summary>A version 4 trace id drawn from <paramref name="random"/>.</summary>
    static TraceId Id(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new TraceId(new Guid(bytes));
    }

    [TraceProperty]
    public Property Head_sampling_keeps_the_configured_share_and_decides_the_same_for_the_same_id(byte share, int seed)
    {
        const int N = 4_000;
        var ratio = share / 255.0;
        var policy = new SamplingPolicy(ratio, false, null, null);
        var again = new SamplingPolicy(ratio, true, TimeSpan.FromSeconds(1), 1.0);
        var random = new Random(seed);
        var ids = Enumerable.Range(0, N).Select(_ => Id(random)).ToList();
        var kept = ids.Count(policy.HeadKeeps);
        var sigma = Math.Sqrt(N * ratio * (1 - ratio));
        return Claim.All(
        [
            (Math.Abs(kept - N * ratio) <= 5 * sigma + 1, $"kept {kept} of {N} at ratio {ratio:N3}"),
            (ids.All(id => policy.HeadKeeps(id) == again.HeadKeeps(id) && policy.HeadKeeps(id) == policy.HeadKeeps(id)), "the same id got two answers"),
        ]);
    }

    [TraceProperty]
    public Property A_decision_at_the_start_keeps_the_share_and_agrees_with_the_decision_by_id(byte share)
    {
        const int N = 4_000;
        var ratio = share / 256.0;   // below 1: the ratio decides at the start
        var policy = new SamplingPolicy(ratio, false, null, null);
        var kept = Enumerable.Range(0, N).Select(_ => policy.StartOrDrop()).OfType<TraceId>().ToList();
        var sigma = Math.Sqrt(N * ratio * (1 - ratio));
        return Claim.All(
        [
            (policy.DecidesAtStart, "no rule is on and the ratio is below 1, yet the start does not decide"),
            (Math.Abs(kept.Count - N * ratio) <= 5 * sigma + 1, $"kept {kept.Count} of {N} at ratio {ratio:N3}"),
            (kept.All(policy.HeadKeeps), "a trace kept at its start would be dropped by its id at its end"),
            (kept.All(id => id.Value.Version == 4 && (id.Value.Variant & 0b1100) == 0b1000), "a kept id is not a version 4 GUID"),
            (kept.Distinct().Count() == kept.Count, "two kept traces got the same id"),
        ]);
    }

    [TraceProperty(AtMost = 50)]
    public Property Tail_rules_keep_every_error_trace_and_sampling_never_splits_a_trace(byte[] plan, byte share)
    {
        var ratio = share % 5 / 4.0;   // 0, 0.25, 0.5, 0.75, 1
        var memory = new InMemoryTraceExporter();
        var expected = new Dictionary<Guid, (bool Error, int Spans, int Late, bool Scored)>();
        using (var client = new PandaProbeClient(new PandaProbeOptions
        {
            Enabled = true, RegisterProcessExitHandler = false, EnvironmentVariables = new Dictionary<string, string?>(),
            Exporters = { memory }, Sampling = { Ratio = ratio, KeepErrors = true },
        }))
        {
            foreach (var b in plan.Take(30))
            {
                var trace = client.StartTrace($"t{b}");
                var (spans, late, error) = (b % 4, b / 4 % 3, b % 7 == 0);
                for (var i = 0; i < spans; i++)
                {
                    using var s = trace.Span($"s{i}", makeCurrent: false);
                    if (error && i == 0) s.SetError("failed");
                }
                var open = Enumerable.Range(0, late).Select(i => trace.Span($"late{i}", makeCurrent: false)).ToList();
                if (error && spans == 0) trace.SetError("failed");
                trace.End();
                open.ForEach(s => s.End());
                var scored = b % 2 == 0;
                if (scored) client.Score(trace.TraceId, "q", 0.5);
                expected[trace.TraceId] = (error, spans, late, scored);
            }
            client.FlushAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        }
        var policy = new SamplingPolicy(ratio, true, null, null);
        var exported = memory.Traces.ToDictionary(t => t.Id.Value);
        var checks = new List<(bool, string)>();
        foreach (var (id, e) in expected)
        {
            var keep = e.Error || policy.HeadKeeps(new TraceId(id));
            var hasTrace = exported.TryGetValue(id, out var t);
            checks.Add((hasTrace == keep, $"trace {id} (error: {e.Error}) exported {hasTrace}, expected {keep}"));
            checks.Add((!hasTrace || t!.Spans.Count == e.Spans, $"trace {id} exported with {t?.Spans.Count} of {e.Spans} spans"));
            var late = memory.LateSpans.Count(s => s.Trace.Value == id);
            checks.Add((late == (keep ? e.Late : 0), $"trace {id}: {late} late spans exported, kept {keep}, made {e.Late}"));
            var scores = memory.Scores.Count(s => s.Trace.Value == id);
            checks.Add((scores == (keep && e.Scored ? 1 : 0), $"trace {id}: {scores} scores exported, kept {keep}"));
        }
        return Claim.All(checks);
    }
}
