using System.Text.Json;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Serialization;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Serialization;

/// <summary>
/// What the platform's PostgreSQL <c>jsonb</c> cannot store is sent in a stated form: U+0000 as U+2400, a lone
/// surrogate as U+FFFD, in texts, in JSON values (raw characters and escapes) and in keys; whole surrogate pairs and an
/// escaped backslash followed by <c>u0000</c> (which is text) are kept.
/// </summary>
public class StorableTextTests
{
    // Attribute strings cannot hold lone surrogates (they are stored as UTF-8), so {XXXX} stands for U+XXXX.
    static string Chars(string s) => System.Text.RegularExpressions.Regex.Replace(s, "{([0-9A-F]{4})}",
        m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a{0000}b", "a{2400}b")]
    [InlineData("hi {D800} there", "hi {FFFD} there")]
    [InlineData("{DC00}", "{FFFD}")]
    [InlineData("pair {D83D}{DE00} kept", "pair {D83D}{DE00} kept")]
    [InlineData("end {D83D}", "end {FFFD}")]
    [InlineData("{DE00}{D83D}", "{FFFD}{FFFD}")]
    public void Texts_become_storable(string input, string expected) => Assert.Equal(Chars(expected), JsonText.Storable(Chars(input)));

    [Fact]
    public void A_storable_text_is_returned_as_is()
    {
        var text = "nothing to do here, ünïcödé included";
        Assert.Same(text, JsonText.Storable(text));
    }

    [Theory]
    [InlineData("""{"a":"x\u0000y"}""", """{"a":"x\u2400y"}""")]
    [InlineData("""{"a":"\ud800"}""", """{"a":"\ufffd"}""")]
    [InlineData("""{"a":"\udc00\ud800"}""", """{"a":"\ufffd\ufffd"}""")]
    [InlineData("""{"a":"\ud83d\ude00"}""", """{"a":"\ud83d\ude00"}""")]
    [InlineData("""{"a":"\\u0000 is text"}""", """{"a":"\\u0000 is text"}""")]
    [InlineData("""{"a":"\\\u0000"}""", """{"a":"\\\u2400"}""")]
    [InlineData("""{"\u0000key":1}""", """{"\u2400key":1}""")]
    public void Json_escapes_become_storable(string input, string expected)
    {
        var output = JsonText.StorableJson(input);
        Assert.Equal(expected, output);
        using var _ = JsonDocument.Parse(output);   // still JSON
    }

    [Fact]
    public async Task A_trace_with_NUL_and_lone_surrogates_reaches_the_wire_in_the_stated_form()
    {
        var memory = new InMemoryTraceExporter();
        await using (var client = TestClient.Create(memory))
        {
            using var trace = client.StartTrace("n\0ame", input: "in\0put \ud800",
                metadata: new Dictionary<string, object?> { ["k\0"] = new { v = "x\0" } });
            using var span = trace.Span("s");
            span.SetTokenUsage(1, 2, new Dictionary<string, long> { ["x\0"] = 3 });
        }
        var body = WireJson.Trace(Assert.Single(memory.Traces));

        Assert.DoesNotContain("\\u0000", body);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        Assert.Equal("in\u2400put \ufffd", root.GetProperty("input").GetString());
        Assert.Equal("x\u2400", root.GetProperty("metadata").GetProperty("k\u2400").GetProperty("v").GetString());
        Assert.Equal(3, root.GetProperty("spans")[0].GetProperty("token_usage").GetProperty("x\u2400").GetInt32());
    }
}

/// <summary>Capturing a value never blocks, never throws, and costs at most the byte budget.</summary>
public class HardenedCaptureTests
{
    [Fact]
    public void An_unfinished_task_is_a_marker_and_a_finished_one_gives_its_result()
    {
        var never = new TaskCompletionSource<int>();
        Assert.Equal("\"[Task: WaitingForActivation]\"", PayloadCapture.Capture(never.Task).Value);
        Assert.Equal("42", PayloadCapture.Capture(Task.FromResult(42)).Value);
        Assert.Equal("""{"t":"[ValueTask: not completed]"}""", PayloadCapture.Capture(new { t = new ValueTask<int>(never.Task) }).Value);
    }

    [Fact]
    public void Delegates_and_streams_are_markers_inside_a_value()
    {
        var json = PayloadCapture.Capture(new { f = (Func<int>)(() => 1), s = new MemoryStream(), n = 1 }).Value;
        Assert.Equal("""{"f":"[delegate: Func`1]","s":"[stream: MemoryStream]","n":1}""", json);
    }

    [Fact]
    public void A_value_over_the_budget_keeps_the_start_of_its_json_and_a_marker()
    {
        var wide = Enumerable.Range(0, 200_000).ToDictionary(i => $"key-{i}", i => i);
        var payload = PayloadCapture.Capture(wide);

        Assert.True(payload.IsText);
        Assert.StartsWith("""{"key-0":0,"key-1":1""", payload.Value);
        Assert.EndsWith(Limits.TruncationMarker, payload.Value);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(payload.Value) <= Limits.MaxValueBytes);
    }

    [Theory]
    [InlineData('a', 1_000_000)]        // 3 bytes per character asked for before writing: 3 MB of room for 1 MB
    [InlineData('é', 500_000)]          // two UTF-8 bytes each: 1,000,000 bytes written
    [InlineData('"', 170_000)]          // escaped: 340,000 bytes written, six times the characters asked for
    public void A_large_string_inside_an_object_is_kept_whole_when_its_json_fits_the_budget(char c, int length)
    {
        var text = new string(c, length);
        var payload = PayloadCapture.Capture(new { messages = new[] { new { role = "user", content = text } } });

        Assert.False(payload.IsText);
        using var json = System.Text.Json.JsonDocument.Parse(payload.Value);
        Assert.Equal(text, json.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Fact]
    public void A_text_over_the_budget_is_cut_with_a_marker()
    {
        var payload = PayloadCapture.Capture(new string('x', 10_000_000));
        Assert.Equal(Limits.MaxValueBytes, payload.Value.Length);
        Assert.EndsWith(Limits.TruncationMarker, payload.Value);
    }

    sealed class BadMessage : Exception { public override string Message => throw new InvalidOperationException(); }

    [Fact]
    public async Task Hostile_enumerations_and_messages_never_reach_the_caller()
    {
        var memory = new InMemoryTraceExporter();
        await using (var client = TestClient.Create(memory))
        {
            using var trace = client.StartTrace("t", tags: Tags());
            using var span = trace.Span("s");
            span.SetTokenUsage(1, 2, new ThrowingDictionary<long>());
            span.SetCost(0.1, new ThrowingDictionary<double>());
            span.RegisterParams(new ThrowingDictionary<object?>());
            trace.RegisterParams(new ThrowingDictionary<object?>());
            Assert.False(span.Fail(new BadMessage()));
        }
        var exported = Assert.Single(memory.Traces);
        Assert.Equal(new[] { "first" }, exported.Tags.ToArray());
        Assert.Contains("could not be read", (exported.Spans[0].Error?.Message ?? ""));

        static IEnumerable<string> Tags()
        {
            yield return "first";
            throw new InvalidOperationException("tags");
        }
    }

    [Fact]
    public async Task A_client_after_shutdown_starts_traces_that_say_they_are_not_recording()
    {
        var client = TestClient.Create(new InMemoryTraceExporter());
        await client.ShutdownAsync();
        using var trace = client.StartTrace("late");
        Assert.False(trace.IsRecording);
        await client.DisposeAsync();
    }

    sealed class ThrowingDictionary<T> : IReadOnlyDictionary<string, T>
    {
        public T this[string key] => throw new InvalidOperationException();
        public IEnumerable<string> Keys => throw new InvalidOperationException();
        public IEnumerable<T> Values => throw new InvalidOperationException();
        public int Count => throw new InvalidOperationException();
        public bool ContainsKey(string key) => throw new InvalidOperationException();
        public bool TryGetValue(string key, out T value) => throw new InvalidOperationException();
        public IEnumerator<KeyValuePair<string, T>> GetEnumerator() => throw new InvalidOperationException();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
