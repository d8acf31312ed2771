using System.Collections;
using System.Text.Json;
using PandaProbe.Exporters;
using PandaProbe.Properties.Checks;
using PandaProbe.Properties.Generators;
using PandaProbe.Serialization;

namespace PandaProbe.Properties.Capture;

/// <summary>
/// Capture never throws and never blocks: whatever a plan picks from a pool of hostile values (cycles, NaN and
/// infinities, a 10 MB string, a dictionary of 200,000 entries, lone surrogates, NUL, deep nesting, throwing getters,
/// enumerators and messages, unfinished tasks and value tasks, streams, delegates) and whichever recording call it
/// hands them to, every call returns, nothing reaches the caller, the trace is exported, and its platform body is
/// valid JSON the platform can store: no NUL, no lone surrogate, no value above the byte budget.
/// </summary>
public class HostileValueProperties
{
    sealed class Node { public Node? Next { get; set; } public string Name { get; set; } = "n"; }

    sealed class ThrowingGetter { public int Fine => 1; public int Broken => throw new InvalidOperationException("getter"); }

    sealed class BadMessage : Exception { public override string Message => throw new InvalidOperationException("message"); }

    sealed class ThrowingStream : MemoryStream
    {
        public override long Length => throw new NotSupportedException("length");
        public override long Position { get => throw new NotSupportedException("position"); set { } }
    }

    /// <summary>An enumeration that yields two items, then throws.</summary>
    sealed class Exploding<T>(T first, T second) : IEnumerable<T>
    {
        public IEnumerator<T> GetEnumerator()
        {
            yield return first;
            yield return second;
            throw new InvalidOperationException("enumerator");
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A dictionary whose enumeration and value reads throw.</summary>
    sealed class ExplodingDictionary<TValue>(TValue value) : IReadOnlyDictionary<string, TValue>
    {
        readonly Exploding<KeyValuePair<string, TValue>> entries = new(new("a", value), new("b\0", value));
        public TValue this[string key] => throw new InvalidOperationException("indexer");
        public IEnumerable<string> Keys => entries.Select(e => e.Key);
        public IEnumerable<TValue> Values => entries.Select(e => e.Value);
        public int Count => 3;
        public bool ContainsKey(string key) => throw new InvalidOperationException("contains");
        public bool TryGetValue(string key, out TValue v) => throw new InvalidOperationException("try-get");
        public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator() => entries.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    static readonly string Huge = new('x', 10_000_000);
    static readonly Dictionary<string, int> Wide = Enumerable.Range(0, 200_000).ToDictionary(i => $"key-{i}", i => i);
    static readonly TaskCompletionSource<int> Never = new();

    static object? Deep(int depth)
    {
        object? v = "bottom";
        for (var i = 0; i < depth; i++) v = new object?[] { v };
        return v;
    }

    /// <summary>One hostile value, picked by the plan.</summary>
    static object? Hostile(PlanReader r)
    {
        switch (r.Next(18))
        {
            case 0: { var n = new Node(); n.Next = n; return n; }
            case 1: return new { x = double.NaN, y = double.PositiveInfinity, z = float.NegativeInfinity };
            case 2: return Huge;
            case 3: return new { text = Huge };
            case 4: return Wide;
            case 5: return "lone \ud800 high and \udc00 low";
            case 6: return new { s = "nul \0 inside", pair = "ok \ud83d\ude00" };
            case 7: return Deep(200);
            case 8: return new ThrowingGetter();
            case 9: return new Exploding<int>(1, 2);
            case 10: return Never.Task;
            case 11: return new { pending = Never.Task, done = Task.FromResult(42), vt = new ValueTask<int>(Never.Task) };
            case 12: return new ValueTask<int>(Never.Task);
            case 13: return new ThrowingStream();
            case 14: return new { stream = new MemoryStream([1, 2, 3]) };
            case 15: return new { f = (Func<int>)(() => 1), a = (Action)(() => { }) };
            case 16: return JsonDocument.Parse("{\"a\":\"x\\u0000y\",\"b\":\"\\ud800\",\"c\":\"\\\\u0000 stays text\"}").RootElement;
            default: return new Dictionary<string, object?> { ["k\0ey"] = "v\0", ["lone"] = "\udfff" };
        }
    }

    /// <summary>Every string in the JSON (property names included) is storable: no NUL, no lone surrogate.</summary>
    static IEnumerable<string> Problems(JsonElement e, string path)
    {
        static string? Bad(string s, string where)
        {
            for (var i = 0; i < s.Length; i++)
            {
                if (s[i] == '\0') return $"{where} holds NUL";
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
                if (char.IsSurrogate(s[i])) return $"{where} holds a lone surrogate";
            }
            return null;
        }
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                string text;
                try { text = e.GetString()!; }
                catch (InvalidOperationException) { text = "\ud800"; }   // an escaped lone surrogate: reported below
                if (Bad(text, path) is { } bad) yield return bad;
                if (text.Length > Limits.MaxValueBytes + 64) yield return $"{path} is over the byte budget";
                break;
            case JsonValueKind.Object:
                foreach (var prop in e.EnumerateObject())
                {
                    if (Bad(prop.Name, path + ".<name>") is { } badName) yield return badName;
                    foreach (var q in Problems(prop.Value, path + "." + prop.Name)) yield return q;
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                    foreach (var q in Problems(item, $"{path}[{i++}]")) yield return q;
                break;
        }
    }

    static Property Check(byte[] plan)
    {
        var r = new PlanReader(plan);
        var memory = new InMemoryTraceExporter();
        var thrown = new List<string>();
        void Call(string what, Action action)
        {
            try { action(); }
            catch (Exception ex) { thrown.Add($"{what} threw {ex.GetType().Name}: {ex.Message}"); }
        }

        var work = Task.Run(() =>
        {
            using var client = new PandaProbeClient(new PandaProbeOptions
            {
                Enabled = true, RegisterProcessExitHandler = false,
                EnvironmentVariables = new Dictionary<string, string?>(),
                Exporters = { memory },
            });
            TraceContext? trace = null;
            Call("StartTrace", () => trace = client.StartTrace("hostile\0", input: Hostile(r),
                tags: r.Next(2) == 0 ? new Exploding<string>("t1", "t\0") : ["ok"],
                metadata: new Dictionary<string, object?> { ["m"] = Hostile(r) }));
            using (trace)
            {
                var span = trace!.Span("call", SpanType.Llm, model: "m\0");
                Call("Span.SetInput", () => span.SetInput(Hostile(r)));
                Call("Span.SetOutput", () => span.SetOutput(Hostile(r)));
                Call("Span.SetMetadata", () => span.SetMetadata(r.Next(2) == 0
                    ? new ExplodingDictionary<object?>(Hostile(r))
                    : new Dictionary<string, object?> { ["h"] = Hostile(r) }));
                Call("Span.SetTokenUsage", () => span.SetTokenUsage(3, 4, new ExplodingDictionary<long>(5)));
                Call("Span.SetCost", () => span.SetCost(0.5, new ExplodingDictionary<double>(0.1)));
                Call("Span.RegisterParams", () => span.RegisterParams(new ExplodingDictionary<object?>(Hostile(r))));
                Call("Trace.RegisterParams", () => trace.RegisterParams(new ExplodingDictionary<object?>(Hostile(r))));
                Call("Span.Log", () => span.Log(Hostile(r)));
                Call("Span.SetError", () => span.SetError("bad \0 \ud800", new Dictionary<string, object?> { ["e"] = Hostile(r) }));
                Call("Span.Fail", () => span.Fail(new BadMessage()));
                Call("Span.Dispose", span.Dispose);
                Call("Trace.SetOutput", () => trace.SetOutput(Hostile(r)));
                Call("Trace.Fail", () => trace.Fail(new BadMessage()));
            }
            client.FlushAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        });
        // Not a speed check: a bound on a hang, so a capture that blocks fails the property instead of the run.
        var returned = work.Wait(TimeSpan.FromSeconds(60));
        var traces = memory.Traces;
        var problems = new List<string>();
        if (traces.Count == 1)
        {
            try
            {
                var body = WireJson.TraceUtf8(traces[0]);
                var text = System.Text.Encoding.UTF8.GetString(body);
                // An escape is a backslash preceded by an even number of backslashes (\\u0000 is text, not NUL).
                if (System.Text.RegularExpressions.Regex.IsMatch(text, @"(?<!\\)(\\\\)*\\u0000"))
                    problems.Add("the body holds a \\u0000 escape");
                using var doc = JsonDocument.Parse(body);
                problems.AddRange(Problems(doc.RootElement, "$").Take(5));
            }
            catch (Exception ex) { problems.Add($"the body could not be written or parsed: {ex.Message}"); }
        }
        return Claim.All(
        [
            (returned, "a recording call blocked"),
            (thrown.Count == 0, "an exception reached the caller: " + string.Join("; ", thrown)),
            (traces.Count == 1, $"the trace was not exported ({traces.Count} traces)"),
            (problems.Count == 0, "the platform body is not storable: " + string.Join("; ", problems)),
        ]);
    }

    [TraceProperty(AtMost = 60)]
    public Property Capture_of_hostile_values_never_throws_never_blocks_and_always_leaves_a_storable_body(byte[] plan) =>
        Check(plan);

    [Fact]
    public void The_hostile_pool_can_fail_a_body_that_keeps_NUL()
    {
        // The check is live: a body with a raw NUL escape, or a lone surrogate, is reported.
        using var doc = JsonDocument.Parse("{\"a\":\"x\\u0000\",\"b\":\"\\ud800\"}");
        Assert.Equal(2, Problems(doc.RootElement, "$").Count());
    }
}
