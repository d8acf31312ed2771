using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PandaProbe.Extensions.AI.Internal;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// The JSON-valued gen_ai tags other than messages (a model call's <c>gen_ai.tool.definitions</c> and
/// <c>gen_ai.response.finish_reasons</c>, a tool call's <c>gen_ai.tool.call.arguments</c> and
/// <c>gen_ai.tool.call.result</c>) are recorded byte for byte as they were when they were read into a JsonNode tree
/// (<see cref="LegacyActivityRecorder"/>): the whole span as exported (input, output, metadata, model, parameters,
/// usage, status, error), the input, output and status of the trace the activity opened, and whether recording threw.
/// Hand-written inputs (escaping, non-ASCII, layout, number forms, nesting, odd and malformed JSON, odd tag types) and
/// seeded random ones are run through both.
/// </summary>
public class GenAiJsonTagsCharacterizationTests
{
    const string Tools = "gen_ai.tool.definitions";
    const string Reasons = "gen_ai.response.finish_reasons";
    const string Arguments = "gen_ai.tool.call.arguments";
    const string Result = "gen_ai.tool.call.result";

    /// <summary>One activity: a model call (<c>chat</c>) or a tool call (<c>execute_tool</c>), and its tags and events.</summary>
    public sealed record Case(string Name, bool Tool, Action<Activity> Emit);

    /// <summary>What one implementation recorded for a case, as exported.</summary>
    sealed record Observed(string? Threw, string Span, string TraceInput, string TraceOutput, string TraceStatus);

    static Case Chat(string name, object? tools = null, object? reasons = null, Action<Activity>? more = null) => new(name, false, a =>
    {
        if (tools is not null) a.SetTag(Tools, tools);
        if (reasons is not null) a.SetTag(Reasons, reasons);
        more?.Invoke(a);
    });

    static Case ToolCall(string name, object? arguments, object? result = null) => new(name, true, a =>
    {
        a.SetTag("gen_ai.tool.call.id", "call_1");
        if (arguments is not null) a.SetTag(Arguments, arguments);
        if (result is not null) a.SetTag(Result, result);
    });

    static string Nested(int depth, string inner)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++) sb.Append("{\"k\":");
        sb.Append(inner);
        for (var i = 0; i < depth; i++) sb.Append('}');
        return sb.ToString();
    }

    static string Lists(int depth) => new string('[', depth) + "1" + new string(']', depth);

    static string ManyKeys(int count) =>
        "{" + string.Join(",", Enumerable.Range(0, count).Select(i => $"\"k{i}\":{i}")) + "}";

    /// <summary>The tool definitions Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> records (indented).</summary>
    const string MeaiTools = """
        [
          {
            "type": "function",
            "name": "get_weather",
            "description": "Gets the current weather in a city",
            "parameters": {
              "type": "object",
              "properties": {
                "city": {
                  "type": "string"
                }
              },
              "required": [
                "city"
              ]
            }
          }
        ]
        """;

    const string Escapes = "\"é ü 日本 😀 <b>&amp;</b> 'q' \\u00e9 \\u00E9 \\u003c\\u003E \\u0026 \\u0027 \\/ \\\" \\\\ \\n\\t\\r\\b\\f \\u0000 \\u001f \\u007f \\u2028\\u2029 \\ud83d\\ude00 \\uD83D\\uDE00 \\u0041 + ` \u00a0 \u200b \ufeff\"";

    const string Numbers = """{"one":1.0,"e":1e3,"E":1E+3,"minus":1e-3,"zero":-0,"zerof":-0.0,"small":0.000001,"big":123456789012345678901234567890,"huge":1E400,"frac":-12.50e-3,"int":42,"neg":-7}""";

    /// <summary>Values every one of the tags is tried with: JSON of every kind and layout, odd JSON, and text.</summary>
    static IEnumerable<(string Name, object Value)> Values()
    {
        yield return ("M.E.AI tools", MeaiTools);
        yield return ("compact", """[{"type":"function","name":"f","description":"d","parameters":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}]""");
        yield return ("escapes in a list", "[" + Escapes + "]");
        yield return ("escapes in an object", "{\"s\":" + Escapes + ",\"k\\u00e9y <&>\":1,\"\\u0061\":2}");
        yield return ("escapes alone", Escapes);
        yield return ("numbers", Numbers);
        yield return ("numbers in a list", "[1.0, 1e3, 1E400, -0, 0.1e-5, 123456789012345678901234567890]");
        yield return ("number", "1.0");
        yield return ("exponent", " 1e3 ");
        yield return ("big number", "123456789012345678901234567890");
        yield return ("true", "true");
        yield return ("false", "false");
        yield return ("null", "null");
        yield return ("null in white space", " \n null \t");
        yield return ("string", "\"sunny in Oslo, 21 °C\"");
        yield return ("string with escapes", "\"C:\\\\ud800\\\\users \\\"q\\\" <b>\"");
        yield return ("empty string JSON", "\"\"");
        yield return ("empty list", "[]");
        yield return ("empty object", "{}");
        yield return ("list of odd items", """[1,"x",true,false,null,[],{},[[]],{"a":{}}]""");
        yield return ("nested", "{\"a\":[{\"b\":{\"c\":[1,{\"d\":\"é\"}]}}],\"e\":{\"f\":{\"g\":{\"h\":{\"i\":null}}}}}");
        yield return ("nested list", "[{\"a\":[{\"b\":{\"c\":[1,{\"d\":\"é\"}]}}]}]");
        yield return ("indented with tabs and CRLF", "[\r\n\t{\r\n\t\t\"a\" :\t1 ,\r\n\t\t\"b\" : [ 1 , 2 ]\r\n\t}\r\n]\r\n");
        yield return ("leading and trailing white space", " \n\t {\"a\":1} \r\n ");
        yield return ("plain text", "Oslo");
        yield return ("text starting with t", "the weather is fine");
        yield return ("text starting with f", "false alarm");
        yield return ("text starting with n", "nothing");
        yield return ("text starting with a digit", "42 degrees");
        yield return ("text starting with a minus", "-5 outside");
        yield return ("text starting with a quote", "\"unterminated");
        yield return ("text starting with a brace", "{not json}");
        yield return ("text starting with a bracket", "[not json]");
        yield return ("text with a capital", "True");
        yield return ("text starting with punctuation", "<b>bold</b> & more");
        yield return ("text starting with a slash", "/* comment */ {}");
        yield return ("non-ASCII text", "Ünïcödé 日本語 😀");
        yield return ("empty", "");
        yield return ("white space", "  \n\t ");
        yield return ("non-breaking space first", "\u00a0{\"a\":1}");
        yield return ("byte order mark first", "\ufeff[{\"a\":1}]");
        yield return ("malformed object", "{\"a\":1");
        yield return ("malformed list", "[{\"a\":1}");
        yield return ("trailing comma", "[{\"a\":1},]");
        yield return ("trailing comma in an object", "{\"a\":1,}");
        yield return ("comment", "[/* c */{\"a\":1}]");
        yield return ("trailing garbage", "[{\"a\":1}] x");
        yield return ("two values", "{} {}");
        yield return ("single quotes", "[{'a':1}]");
        yield return ("unquoted key", "{a:1}");
        yield return ("NaN", "NaN");
        yield return ("leading zero", "[01]");
        yield return ("bad escape", "[\"\\x\"]");
        yield return ("raw control character", "[\"a\tb\"]");
        yield return ("duplicate key", "{\"a\":1,\"a\":2}");
        yield return ("duplicate key in a list", "[{\"a\":1,\"a\":2}]");
        yield return ("duplicate key nested", "[{\"p\":{\"q\":[{\"a\":1,\"b\":0,\"a\":2}]}}]");
        yield return ("duplicate escaped key", "[{\"a\":1,\"\\u0061\":2}]");
        yield return ("keys differing only in case", "{\"a\":1,\"A\":2}");
        yield return ("64 keys", ManyKeys(64));
        yield return ("65 keys", ManyKeys(65));
        yield return ("65 keys in a list", "[" + ManyKeys(65) + "]");
        yield return ("lone high surrogate escape", "[\"\\ud800\"]");
        yield return ("lone low surrogate escape", "{\"a\":\"x\\udc00y\"}");
        yield return ("lone surrogate escape in a key", "[{\"\\ud800\":1}]");
        yield return ("lone surrogate escape alone", "\"\\udbff\"");
        yield return ("high surrogate escape then a letter", "[\"\\ud800\\u0041\"]");
        yield return ("escaped backslash before u", "[\"C:\\\\ud800\"]");
        yield return ("invalid UTF-16 in JSON", "[\"\ud800\"]");
        yield return ("invalid UTF-16 in text", "Oslo \udc00");
        yield return ("invalid UTF-16 in a JSON string", "\"x\ud800\"");
        foreach (var depth in new[] { 58, 59, 60, 61, 62, 63, 64, 65 })
        {
            yield return ($"objects {depth} deep", Nested(depth, "1"));
            yield return ($"lists {depth} deep", Lists(depth));
            yield return ($"objects {depth} deep in a list", "[" + Nested(depth - 1, "1") + "]");
        }
        yield return ("large list", "[" + string.Join(",", Enumerable.Range(0, 60_000).Select(i => $"{{\"n\":{i},\"s\":\"<é{i}>\"}}")) + "]");
        yield return ("large string", "[\"" + new string('<', 1_200_000) + "\"]");
        yield return ("large string alone", "\"" + new string('é', 700_000) + "\"");
        yield return ("large text", new string('x', (1 << 20) + 100));
        yield return ("one string in an array tag", new[] { "[{\"a\":1}]" });
        yield return ("several strings in an array tag", new[] { "stop", "<é>" });
        yield return ("empty array tag", Array.Empty<string>());
        yield return ("an int tag", 5);
        yield return ("a double tag", 1.5);
        yield return ("a bool tag", true);
    }

    /// <summary>Finish reasons: the lists and texts the tree read, and the other places a reason is read from.</summary>
    static IEnumerable<Case> ReasonCases()
    {
        yield return Chat("reasons: one", reasons: "[\"stop\"]");
        yield return Chat("reasons: tool calls", reasons: "[\"tool_calls\"]");
        yield return Chat("reasons: length, content filter", reasons: "[\"length\",\"content_filter\"]");
        yield return Chat("reasons: several", reasons: "[\"stop\", \"length\" ,\"tool_calls\"]");
        yield return Chat("reasons: none", reasons: "[]");
        yield return Chat("reasons: null", reasons: "[null]");
        yield return Chat("reasons: nulls between", reasons: "[null,\"a\",null,\"b\",null]");
        yield return Chat("reasons: null then one", reasons: "[null,\"stop\"]");
        yield return Chat("reasons: empty string", reasons: "[\"\"]");
        yield return Chat("reasons: empty strings", reasons: "[\"\",\"\"]");
        yield return Chat("reasons: escapes", reasons: "[\"\\u0073top\",\"<é>&'\\\"\\\\\\n\\u0000\\ud83d\\ude00\"]");
        yield return Chat("reasons: escaped known", reasons: "[\"\\u0073\\u0074\\u006f\\u0070\"]");
        yield return Chat("reasons: non-ASCII", reasons: "[\"arrêt 停止 😀\"]");
        yield return Chat("reasons: case", reasons: "[\"STOP\",\"Stop\"]");
        yield return Chat("reasons: indented", reasons: "[\n  \"stop\",\n  \"length\"\n]\n");
        yield return Chat("reasons: trailing white space", reasons: "[\"stop\"]  \r\n");
        yield return Chat("reasons: leading white space", reasons: " [\"stop\"]");
        yield return Chat("reasons: number", reasons: "[1]");
        yield return Chat("reasons: numbers", reasons: "[1.0, 1e3, -0]");
        yield return Chat("reasons: number and string", reasons: "[\"stop\",2.50]");
        yield return Chat("reasons: bools", reasons: "[true,false]");
        yield return Chat("reasons: object", reasons: "[{\"a\":\"<é>\",\"b\":[1,2]}]");
        yield return Chat("reasons: list", reasons: "[[\"stop\"]]");
        yield return Chat("reasons: duplicate key inside", reasons: "[\"stop\",{\"a\":1,\"a\":2}]");
        yield return Chat("reasons: malformed", reasons: "[\"stop\"");
        yield return Chat("reasons: malformed string", reasons: "[\"stop]");
        yield return Chat("reasons: trailing comma", reasons: "[\"stop\",]");
        yield return Chat("reasons: comment", reasons: "[/*x*/\"stop\"]");
        yield return Chat("reasons: trailing garbage", reasons: "[\"stop\"] x");
        yield return Chat("reasons: two lists", reasons: "[\"a\"][\"b\"]");
        yield return Chat("reasons: bracket text", reasons: "[stop]");
        yield return Chat("reasons: lone surrogate escape", reasons: "[\"\\ud800\"]");
        yield return Chat("reasons: lone surrogate escape after one", reasons: "[\"stop\",\"x\\udc00\"]");
        yield return Chat("reasons: invalid UTF-16", reasons: "[\"\ud800\"]");
        yield return Chat("reasons: invalid UTF-16 text", reasons: "stop\ud800");
        yield return Chat("reasons: plain text", reasons: "stop");
        yield return Chat("reasons: empty text", reasons: "");
        yield return Chat("reasons: JSON string", reasons: "\"stop\"");
        yield return Chat("reasons: an object", reasons: "{\"a\":1}");
        yield return Chat("reasons: deep", reasons: Lists(70));
        yield return Chat("reasons: long", reasons: "[" + string.Join(",", Enumerable.Range(0, 200).Select(i => $"\"reason {i} <é>\"")) + "]");
        yield return Chat("reasons: long one", reasons: "[\"" + new string('é', 5000) + "\"]");
        yield return Chat("reasons: string array", reasons: new[] { "stop", "length" });
        yield return Chat("reasons: string array of one", reasons: new[] { "stop" });
        yield return Chat("reasons: empty string array", reasons: Array.Empty<string>());
        yield return Chat("reasons: string array holding JSON", reasons: new[] { "[\"stop\"]" });
        yield return Chat("reasons: an int", reasons: 3);
        yield return Chat("reasons: the singular tag", more: a => a.SetTag("gen_ai.response.finish_reason", "stop"));
        yield return Chat("reasons: the singular tag, empty", more: a => a.SetTag("gen_ai.response.finish_reason", ""));
        yield return Chat("reasons: choice events", more: a =>
        {
            a.AddEvent(new ActivityEvent("gen_ai.choice", tags: new ActivityTagsCollection { ["finish_reason"] = "stop" }));
            a.AddEvent(new ActivityEvent("gen_ai.choice", tags: new ActivityTagsCollection { ["finish_reason"] = "length" }));
        });
        yield return Chat("reasons: both tags", reasons: "[\"length\"]", more: a => a.SetTag("gen_ai.response.finish_reason", "stop"));
    }

    /// <summary>The hand-written inputs: each value as tool definitions, as finish reasons, as arguments and as a result; and realistic calls.</summary>
    public static IEnumerable<Case> FixedCases()
    {
        yield return Chat("M.E.AI chat", MeaiTools, "[\"tool_calls\"]", a =>
        {
            a.SetTag("gen_ai.request.model", "gpt-4o-mini");
            a.SetTag("gen_ai.response.model", "gpt-4o-mini-2024-07-18");
            a.SetTag("gen_ai.request.temperature", 0.2f);
            a.SetTag("gen_ai.response.id", "chatcmpl-1");
            a.SetTag("gen_ai.usage.input_tokens", 412);
            a.SetTag("gen_ai.usage.output_tokens", 38);
            a.SetTag("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"Weather in Oslo?"}]}]""");
            a.SetTag("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Oslo"}}],"finish_reason":"tool_call"}]""");
        });
        yield return new("M.E.AI tool call", true, a =>
        {
            a.SetTag("gen_ai.tool.type", "function");
            a.SetTag("gen_ai.tool.call.id", "call_7Hq2");
            a.SetTag("gen_ai.tool.name", "get_weather");
            a.SetTag("gen_ai.tool.description", "Gets the current weather in a city");
            a.SetTag(Arguments, "{\n  \"city\": \"Oslo\"\n}");
            a.SetTag(Result, "\"sunny in Oslo, 21 °C\"");
        });
        yield return new("failed tool call", true, a =>
        {
            a.SetTag(Arguments, "{\"city\":\"<Oslo>\"}");
            a.SetTag(Result, "{\"error\":\"é\"}");
            a.SetStatus(ActivityStatusCode.Error, "boom");
        });
        yield return Chat("no tools, no reasons");
        yield return ToolCall("no arguments, no result", null);
        foreach (var (name, value) in Values())
        {
            yield return Chat("tools: " + name, tools: value);
            yield return ToolCall("arguments: " + name, value);
            yield return ToolCall("result: " + name, "{}", value);
            yield return ToolCall("both: " + name, value, value);
            if (value is string text && text.StartsWith('[')) yield return Chat("reasons: " + name, reasons: value);
        }
        foreach (var c in ReasonCases()) yield return c;
        yield return Chat("tools and reasons odd together", "[{\"a\":1,\"a\":2}]", "[\"\\ud800\"]");
    }

    public static TheoryData<int> Seeds() => new() { 1, 2, 3, 4, 5, 6 };

    [Fact]
    public Task Hand_written_JSON_tags_are_recorded_as_the_JsonNode_reading_recorded_them() =>
        AssertSameAsLegacyAsync(FixedCases().ToList());

    [Theory]
    [MemberData(nameof(Seeds))]
    public Task Random_JSON_tags_are_recorded_as_the_JsonNode_reading_recorded_them(int seed)
    {
        var random = new Random(seed);
        var cases = new List<Case>();
        for (var i = 0; i < 200; i++) cases.Add(new RandomJson(random).Case($"seed {seed} #{i}"));
        return AssertSameAsLegacyAsync(cases);
    }

    /// <summary>
    /// The comparisons above would hold as well if everything went to the tree: the usual inputs (and the escaped,
    /// unusual and plain-text ones this reading handles itself) are read without it; only odd ones go to the tree.
    /// </summary>
    [Fact]
    public void The_JSON_tags_are_streamed_and_only_odd_inputs_go_to_the_tree()
    {
        static Activity With(string tag, object value)
        {
            var activity = new Activity("chat gpt-4o");
            activity.SetTag(tag, value);
            return activity;
        }
        foreach (var json in new[] { MeaiTools, "[" + Escapes + "]", "[" + Numbers + "]", "[]", "[{\"a\":[{\"b\":{}}]}]", "[" + Nested(59, "1") + "]" })
        {
            Assert.True(GenAiJsonTags.ToolDefinitions(With(Tools, json)) is Payload { IsText: false }, json);
            Assert.True(GenAiJsonTags.Value(With(Arguments, json), Arguments) is Payload { IsText: false }, json);
        }
        foreach (var json in new[] { "{\n  \"city\": \"Oslo\"\n}", "\"sunny\"", Escapes, Numbers, "1.0", "1e3", "true", "{}" })
            Assert.True(GenAiJsonTags.Value(With(Result, json), Result) is Payload { IsText: false }, json);
        foreach (var text in new[] { "Oslo", "the weather", "42 degrees", "[not json]", "", "null" })
            Assert.Equal(text, GenAiJsonTags.Value(With(Result, text), Result));
        foreach (var json in new[] { "{\"type\":\"function\"}", "\"x\"", "Oslo", "null", "[" })
            Assert.Null(GenAiJsonTags.ToolDefinitions(With(Tools, json)));

        // Odd inputs: the tree's nodes.
        foreach (var json in new[] { "[{\"a\":1,\"a\":2}]", "[\"\\ud800\"]", "[" + Nested(61, "1") + "]", "[" + ManyKeys(65) + "]" })
            Assert.IsType<System.Text.Json.Nodes.JsonArray>(GenAiJsonTags.ToolDefinitions(With(Tools, json)));

        Assert.Equal("tool_calls", GenAiJsonTags.FinishReason(With(Reasons, "[\"tool_calls\"]")));
        Assert.Equal(new[] { "stop", "<é>" }, Assert.IsType<string[]>(GenAiJsonTags.FinishReason(With(Reasons, "[\"stop\",null,\"<\\u00e9>\"]"))));
        Assert.Null(GenAiJsonTags.FinishReason(With(Reasons, "[null]")));
    }

    static async Task AssertSameAsLegacyAsync(IReadOnlyList<Case> cases)
    {
        const int batch = 40;
        for (var start = 0; start < cases.Count; start += batch)
        {
            var slice = cases.Skip(start).Take(batch).ToList();
            var (current, currentExporter) = Clients.InMemory();
            var (legacy, legacyExporter) = Clients.InMemory();
            var threw = new Dictionary<string, (string? Current, string? Legacy)>();
            for (var i = 0; i < slice.Count; i++)
            {
                var name = $"case {start + i}";
                var activity = new Activity(slice[i].Tool ? "execute_tool get_weather" : "chat gpt-4o");
                activity.SetTag("gen_ai.operation.name", slice[i].Tool ? "execute_tool" : "chat");
                slice[i].Emit(activity);
                var kind = slice[i].Tool ? SpanType.Tool : SpanType.Llm;
                var currentThrew = Record(current, name, kind, (span, trace) => ActivityRecorder.Record(activity, span, kind, trace, filledInside: false));
                var legacyThrew = Record(legacy, name, kind, (span, trace) => LegacyActivityRecorder.Record(activity, span, kind, trace, filledInside: false));
                threw[name] = (currentThrew, legacyThrew);
            }
            var recorded = Observe(await ExportedAsync(current, currentExporter), threw, current: true);
            var expected = Observe(await ExportedAsync(legacy, legacyExporter), threw, current: false);
            for (var i = 0; i < slice.Count; i++)
            {
                var name = $"case {start + i}";
                Assert.True(expected.ContainsKey(name) && recorded.ContainsKey(name), $"{slice[i].Name}: not exported");
                var (want, got) = (expected[name], recorded[name]);
                Compare(slice[i].Name, "whether recording threw", want.Threw, got.Threw);
                Compare(slice[i].Name, "span", want.Span, got.Span);
                Compare(slice[i].Name, "trace input", want.TraceInput, got.TraceInput);
                Compare(slice[i].Name, "trace output", want.TraceOutput, got.TraceOutput);
                Compare(slice[i].Name, "trace status", want.TraceStatus, got.TraceStatus);
            }
            await current.DisposeAsync();
            await legacy.DisposeAsync();
        }
    }

    /// <summary>Records one activity onto a span of a trace the activity opened (as the ingestion does); the exception's type when it threw.</summary>
    static string? Record(PandaProbeClient client, string name, SpanType kind, Action<SpanContext, TraceContext> record)
    {
        var trace = client.StartTrace(name);
        var span = trace.Span("call", kind);
        string? threw = null;
        try { record(span, trace); }
        catch (Exception e) { threw = e.GetType().Name; }
        span.End();
        trace.End();
        return threw;
    }

    /// <summary>The exported traces as parsed wire bodies (deeper than the default 64 levels: the deep cases nest under the trace).</summary>
    static async Task<IReadOnlyList<JsonElement>> ExportedAsync(PandaProbeClient client, PandaProbe.Exporters.InMemoryTraceExporter exporter)
    {
        var result = await client.FlushAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.Completed, "flush did not complete");
        return exporter.Traces.Select(t => JsonDocument.Parse(t.ToJson(), new JsonDocumentOptions { MaxDepth = 256 }).RootElement.Clone()).ToList();
    }

    static Dictionary<string, Observed> Observe(IReadOnlyList<JsonElement> traces, Dictionary<string, (string? Current, string? Legacy)> threw, bool current)
    {
        static string Raw(JsonElement e, string property) => e.TryGetProperty(property, out var v) ? v.GetRawText() : "<absent>";
        var observed = new Dictionary<string, Observed>();
        foreach (var trace in traces)
        {
            var name = trace.GetProperty("name").GetString()!;
            var span = Clients.SpanNamed(trace, "call");
            // The whole span as exported, but for its ids and times.
            var text = new StringBuilder();
            foreach (var property in span.EnumerateObject())
                if (property.Name is not ("span_id" or "parent_span_id" or "started_at" or "ended_at" or "completion_start_time"))
                    text.Append(property.Name).Append('=').Append(property.Value.GetRawText()).Append('\n');
            observed[name] = new Observed(current ? threw[name].Current : threw[name].Legacy, text.ToString(), Raw(trace, "input"),
                Raw(trace, "output"), Raw(trace, "status"));
        }
        return observed;
    }

    static void Compare(string name, string what, string? expected, string? actual)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal)) return;
        static string Cut(string? s) => s is null ? "<null>" : (s.Length > 600 ? s[..600] + $"… ({s.Length} chars)" : s).Replace('\n', '⏎');
        var at = 0;
        if (expected is not null && actual is not null)
            while (at < expected.Length && at < actual.Length && expected[at] == actual[at]) at++;
        static string Around(string? s, int at) =>
            s is null ? "<null>" : s.Substring(Math.Max(0, at - 80), Math.Min(s.Length, at + 80) - Math.Max(0, at - 80)).Replace('\n', '⏎');
        Assert.Fail($"{name}: the {what} differs (first difference at {at}).\nexpected: {Cut(expected)}\nactual:   {Cut(actual)}\n"
            + $"around it, expected: {Around(expected, at)}\nactual:   {Around(actual, at)}");
    }

    /// <summary>
    /// Generated JSON: objects with random keys (escaped, non-ASCII, now and then a duplicate), lists, strings with
    /// random escaping, numbers in every form, literals, written compactly or with random white space; now and then an
    /// odd text (malformed, a lone surrogate escape, too deep, plain text); as tool definitions and finish reasons of a
    /// model call, or the arguments and result of a tool call.
    /// </summary>
    sealed class RandomJson(Random random)
    {
        static readonly string[] Words =
        [
            "", "stop", "tool_calls", "length", "content_filter", "get_weather", "Oslo", "héllo wörld", "日本語", "emoji 😀👍🏽",
            "<b>&amp;</b> 'q' \"dq\"", "line\nbreak\ttab\r", "\u0001ctrl\u001f\u0000", "back\\slash /slash", "+plus `tick` =eq",
            "\u2028\u2029", "  spaced  ", "\u00a0nbsp", "\ufeffbom", "\ufffd", "Ω≈ç√∫", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u007fdel", "\u0085nel",
        ];

        static readonly string[] Keys =
        [
            "type", "name", "description", "parameters", "properties", "required", "city", "unit", "é", "a b", "<k>", "&", "'", "",
            "日本", "😀", "items", "enum", "default", "additionalProperties",
        ];

        static readonly string[] NumberForms =
        [
            "0", "1", "-1", "42", "1.0", "1.50", "-0", "-0.0", "1e3", "1E3", "1e+3", "1E-3", "1.5e10", "0.000001", "1E400", "-1E400",
            "123456789012345678901234567890", "3.14159265358979323846", "2.5E-308",
        ];

        double escapeChance;
        string? space;

        public Case Case(string name)
        {
            escapeChance = random.Next(4) switch { 0 => 0, 1 => 0.05, 2 => 0.5, _ => 1 };
            space = random.Next(3) switch { 0 => null, 1 => "  ", _ => random.Next(2) == 0 ? "\t" : " " };
            if (random.Next(2) == 0)
            {
                var arguments = random.Next(10) == 0 ? null : Document(() => Object(3));
                var result = random.Next(10) == 0 ? null : Document(() => Any(3));
                return ToolCall(name, Tagged(arguments), Tagged(result));
            }
            var tools = random.Next(8) == 0 ? null : Document(ToolList);
            var reasons = random.Next(6) switch
            {
                0 => null,
                1 => (object)Word(),
                2 => random.Next(3) == 0 ? Lists(random.Next(1, 70)) : Emit(Any(2)),
                _ => Document(ReasonList),
            };
            return Chat(name, Tagged(tools), reasons is string r ? Tagged(r) : reasons);
        }

        object? Tagged(string? json) => json is null ? null : random.Next(20) == 0 ? new[] { json } : json;

        /// <summary>A document, or now and then an odd text.</summary>
        string Document(Func<object?> make)
        {
            if (random.Next(12) != 0) return Emit(make());
            return random.Next(9) switch
            {
                0 => Emit(make())[..^1],
                1 => Emit(make()) + random.Next(3) switch { 0 => " x", 1 => ",", _ => "{}" },
                2 => Word(),
                3 => Emit(new List<object?> { Dup(), Dup() }),
                4 => Emit(new List<object?> { new Raw("\"a\\udc00b\""), make() }),
                5 => "[" + Nested(random.Next(55, 66), "1") + "]",
                6 => "null",
                7 => " " + Emit(make()) + "\n",
                _ => "",
            };
        }

        Obj Dup()
        {
            var key = Keys[random.Next(Keys.Length)];
            return new Obj { (key, Any(1)), ("other", 1L), (key, Any(1)) };
        }

        object? ToolList()
        {
            var list = new List<object?>();
            for (var i = random.Next(5); i > 0; i--)
                list.Add(random.Next(15) == 0 ? Any(2) : new Obj
                {
                    ("type", "function"),
                    ("name", Word()),
                    ("description", Word()),
                    ("parameters", Schema(random.Next(5))),
                });
            return random.Next(15) == 0 ? Any(2) : list;
        }

        Obj Schema(int depth)
        {
            var schema = new Obj { ("type", depth > 0 ? "object" : "string") };
            if (random.Next(3) == 0) schema.Add(("description", Word()));
            if (depth > 0)
            {
                var properties = new Obj();
                for (var i = random.Next(4); i > 0; i--) properties.Add((Keys[random.Next(Keys.Length)] + i, Schema(depth - 1)));
                schema.Add(("properties", properties));
                if (random.Next(2) == 0) schema.Add(("required", properties.Select(p => (object?)p.Key).ToList()));
            }
            if (random.Next(4) == 0) schema.Add(("default", Scalar()));
            return schema;
        }

        object? ReasonList()
        {
            var list = new List<object?>();
            for (var i = random.Next(5); i > 0; i--)
                list.Add(random.Next(12) switch
                {
                    0 => null,
                    1 => Scalar(),
                    _ => Word(),
                });
            return list;
        }

        string Word()
        {
            if (random.Next(4) > 0) return Words[random.Next(Words.Length)];
            var sb = new StringBuilder();
            for (var i = random.Next(12); i > 0; i--)
            {
                var c = random.Next(5) switch
                {
                    0 => random.Next(0x20, 0x7f),
                    1 => random.Next(0, 0x20),
                    2 => random.Next(0x80, 0x800),
                    3 => random.Next(0x800, 0xd800),
                    _ => random.Next(0x10000, 0x10ffff),
                };
                sb.Append(char.ConvertFromUtf32(c));
            }
            return sb.ToString();
        }

        object? Scalar() => random.Next(7) switch
        {
            0 => null,
            1 => true,
            2 => false,
            3 or 4 => new Raw(NumberForms[random.Next(NumberForms.Length)]),
            _ => Word(),
        };

        Obj Object(int depth)
        {
            var obj = new Obj();
            for (var i = random.Next(5); i > 0; i--) obj.Add((Keys[random.Next(Keys.Length)] + (random.Next(3) == 0 ? "" : i.ToString(CultureInfo.InvariantCulture)), Any(depth - 1)));
            if (random.Next(4) != 0)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                obj.RemoveAll(p => !seen.Add(p.Key));   // mostly distinct keys; sometimes a duplicate
            }
            return obj;
        }

        object? Any(int depth) => depth <= 0 ? Scalar() : random.Next(5) switch
        {
            0 => Object(depth),
            1 => Enumerable.Range(0, random.Next(4)).Select(_ => Any(depth - 1)).ToList(),
            _ => Scalar(),
        };

        string Emit(object? value) => new RandomJsonText(random) { EscapeChance = escapeChance, Indent = space, Varied = true }.Emit(value);
    }
}
