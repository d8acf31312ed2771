using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PandaProbe.Extensions.AI.Internal;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// The parts form of the gen_ai conventions (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>,
/// <c>gen_ai.system_instructions</c>, as tags or on the details event) is recorded byte for byte as the JsonNode
/// conversion recorded it (<see cref="LegacyPartsForm"/>): the span's input and output, the input and output of the
/// trace the activity opened (the last user / assistant message), a tool loop's final answer and the first user text
/// that names a loop's trace, and whether reading the activity failed. Every value is compared on the wire, as
/// exported. A broad set of hand-written inputs (every part type, odd shapes, malformed and unusual JSON) and a seeded
/// random set of generated parts-form messages are run through both.
/// </summary>
public class GenAiPartsFormCharacterizationTests
{
    const string In = "gen_ai.input.messages";
    const string Out = "gen_ai.output.messages";
    const string Instructions = "gen_ai.system_instructions";
    const string DetailsEvent = "gen_ai.client.inference.operation.details";

    /// <summary>One activity's tags and events.</summary>
    public sealed record Case(string Name, Action<Activity> Emit);

    /// <summary>What one implementation recorded for a case, as exported.</summary>
    sealed record Observed(string? Threw, string SpanInput, string SpanOutput, string TraceInput, string TraceOutput, string LoopAnswer, string? FirstText);

    static Case Tags(string name, object? input, object? output = null, object? instructions = null) => new(name, a =>
    {
        if (input is not null) a.SetTag(In, input);
        if (output is not null) a.SetTag(Out, output);
        if (instructions is not null) a.SetTag(Instructions, instructions);
    });

    static Case Details(string name, object? input, object? output = null, object? instructions = null) => new(name, a =>
    {
        var tags = new ActivityTagsCollection();
        if (input is not null) tags[In] = input;
        if (output is not null) tags[Out] = output;
        if (instructions is not null) tags[Instructions] = instructions;
        a.AddEvent(new ActivityEvent(DetailsEvent, tags: tags));
    });

    static string Nested(int depth, string inner)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++) sb.Append("{\"k\":");
        sb.Append(inner);
        for (var i = 0; i < depth; i++) sb.Append('}');
        return sb.ToString();
    }

    /// <summary>A message list whose only part is an unknown part holding an object nested <paramref name="depth"/> deep (the whole list is depth + 4 deep).</summary>
    static string DeepPart(int depth) => "[{\"role\":\"user\",\"parts\":[{\"type\":\"x\",\"v\":" + Nested(depth, "1") + "}]}]";

    static string Base64Of(int bytes) => Convert.ToBase64String(Enumerable.Range(0, bytes).Select(i => (byte)i).ToArray());

    /// <summary>The hand-written inputs: every part type, every shape the conversion distinguishes, and odd JSON.</summary>
    public static IEnumerable<Case> FixedCases()
    {
        const string user = """[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]""";
        const string assistant = """[{"role":"assistant","parts":[{"type":"text","content":"Hello!"}],"finish_reason":"stop"}]""";
        yield return Tags("plain chat", user, assistant);
        yield return Tags("instructions as parts", user, assistant, """[{"type":"text","content":"Be brief."}]""");
        yield return Tags("instructions as several parts", user, assistant, """[{"type":"text","content":"Be "},"skip",{"type":"text","content":"brief."},{"type":"text"},{"content":42},{"content":{"a":"é<"}},{"content":null}]""");
        yield return Tags("instructions as plain text", user, assistant, "You are helpful.");
        yield return Tags("instructions as a JSON string", user, assistant, "\"Be \\u0062rief\"");
        yield return Tags("instructions as a number", user, assistant, " 42.50e1 ");
        yield return Tags("instructions as true", user, assistant, "true");
        yield return Tags("instructions as null", user, assistant, "null");
        yield return Tags("instructions as an object", user, assistant, """{"type":"text","content":"x"}""");
        yield return Tags("instructions empty", user, assistant, "");
        yield return Tags("instructions empty list", user, assistant, "[]");
        yield return Tags("instructions empty text", user, assistant, """[{"type":"text","content":""}]""");
        yield return Tags("instructions malformed", user, assistant, """[{"type":"text","content":"x"}""");
        yield return Tags("instructions as one string in a list", user, assistant, new[] { """[{"type":"text","content":"Be brief."}]""" });
        yield return Tags("instructions as several strings", user, assistant, new[] { "a", "b" });
        yield return Tags("instructions as an int", user, assistant, 7);
        yield return Tags("instructions without messages", null, assistant, """[{"type":"text","content":"Be brief."}]""");
        yield return Tags("no messages at all", null, null);
        yield return Tags("empty list", "[]", "[]");
        yield return Tags("empty string", "", "");
        yield return Tags("whitespace", "   ", " \n ");
        yield return Tags("not a list: object", """{"role":"user","parts":[]}""", """{"messages":[]}""");
        yield return Tags("not a list: string", "\"hi\"", "42");
        yield return Tags("not a list: null", "null", "true");
        yield return Tags("malformed", """[{"role":"user","parts":[{"type":"text","content":"Hi"}]""", """[{"role":"assistant",}]""");
        yield return Tags("trailing comma", """[{"role":"user","parts":[]},]""");
        yield return Tags("comment", """[/* c */{"role":"user","parts":[]}]""");
        yield return Tags("trailing garbage", """[{"role":"user","parts":[]}] x""");
        yield return Tags("leading and trailing whitespace", "\r\n\t " + user + " \n");
        yield return Tags("non-breaking space first", "\u00a0" + user);
        yield return Tags("byte order mark first", "\ufeff" + user);
        yield return Tags("list of strings", new[] { "a", "b" }, new[] { user });
        yield return Tags("messages as an int", 5, 6.5);
        yield return Tags("non-object messages", """[1,"x",null,true,[],{"role":"user","parts":[{"type":"text","content":"Hi"}]}]""");
        yield return Tags("missing role", """[{"parts":[{"type":"text","content":"Hi"}]}]""");
        yield return Tags("null role", """[{"role":null,"parts":[{"type":"text","content":"Hi"}]}]""");
        yield return Tags("empty role", """[{"role":"","parts":[{"type":"text","content":"Hi"}]}]""");
        yield return Tags("numeric role", """[{"role":12.0,"parts":[{"type":"text","content":"Hi"}]}]""");
        yield return Tags("object role", """[{"role":{"a":[1,"é<>&'"],"b":{}},"parts":[]}]""");
        yield return Tags("array role", """[{"role":[],"parts":[]},{"role":[1,[2]],"parts":[]}]""");
        yield return Tags("capitalised role", """[{"role":"User","parts":[{"type":"text","content":"Hi"}]}]""");
        yield return Tags("escaped role", """[{"role":"us\u0065r","parts":[{"type":"text","content":"Hi"}]},{"role":"\u0061ssistant","parts":[{"type":"text","content":"Yo"}]}]""");
        yield return Tags("escaped keys", """[{"ro\u006ce":"assistant","p\u0061rts":[{"typ\u0065":"t\u0065xt","cont\u0065nt":"Hi"}],"n\u0061me":"bob"}]""");
        yield return Tags("role after parts", """[{"parts":[{"content":"Hi","type":"text"}],"role":"user","name":"ann"}]""");
        yield return Tags("names", """[{"role":"user","name":"ann","parts":[{"type":"text","content":"Hi"}]},{"role":"user","name":"","parts":[]},{"role":"user","name":null,"parts":[]},{"role":"user","name":7,"parts":[]},{"role":"user","name":{"x":1},"parts":[]}]""");
        yield return Tags("missing parts", """[{"role":"user"},{"role":"assistant","parts":null},{"role":"tool","parts":{"type":"text"}},{"role":"user","parts":"Hi"}]""");
        yield return Tags("empty parts", """[{"role":"user","parts":[]}]""");
        yield return Tags("non-object parts", """[{"role":"user","parts":["Hi",1,null,[{"type":"text","content":"x"}]]}]""");
        yield return Tags("non-object parts with text", """[{"role":"user","parts":["Hi",{"type":"text","content":"x"}]}]""");
        yield return Tags("several texts", """[{"role":"user","parts":[{"type":"text","content":"Hello, "},{"type":"text","content":"world"},{"type":"text","content":"!"}]}]""");
        yield return Tags("text variants", """[{"role":"user","parts":[{"type":"text"},{"type":"text","content":null},{"type":"text","content":3},{"type":"text","content":{"a":"<b>"}},{"type":"text","content":["x",1]},{"type":"text","content":false}]}]""");
        yield return Tags("unicode text", """[{"role":"user","parts":[{"type":"text","content":"héllo wörld 日本語 😀👍🏽 \u2028\u2029 \u0000\u001f <b>&amp;</b> 'q' \"dq\" \\ / + ` \ud83d\ude00 \u00e9"}]}]""");
        yield return Tags("escape styles", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"\\u00E9\\u00e9\\/\\b\\f\\n\\r\\t\\\"\\\\\\uD83D\\uDE00\"}]}]");
        yield return Tags("reasoning only", """[{"role":"assistant","parts":[{"type":"reasoning","content":"hmm"}]}]""");
        yield return Tags("reasoning and text", """[{"role":"assistant","parts":[{"type":"reasoning","content":"hmm"},{"type":"text","content":"Yes"}]}]""");
        yield return Tags("tool call", """[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Oslo","n":1.50e2,"é":"<>&'+"}}]}]""");
        yield return Tags("tool call with text", """[{"role":"assistant","parts":[{"type":"text","content":"Let me check."},{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Oslo"}},{"type":"tool_call","id":"call_2","name":"get_time","arguments":{}}]}]""");
        yield return Tags("tool call argument shapes", """[{"role":"assistant","parts":[{"type":"tool_call","id":"a","name":"f","arguments":"{\"city\":\"Oslo\"}"},{"type":"tool_call","id":null,"name":null,"arguments":null},{"type":"tool_call"},{"type":"tool_call","id":5,"name":{"n":1},"arguments":[1,"two",{"three":3}]},{"type":"tool_call","arguments":12.5e-3},{"type":"tool_call","arguments":true},{"type":"tool_call","arguments":"héllo 😀"}]}]""");
        yield return Tags("tool call and unknown part", """[{"role":"assistant","parts":[{"type":"tool_call","id":"a","name":"f","arguments":{}},{"type":"server_tool_call","id":"s"}]}]""");
        yield return Tags("tool responses", """[{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny"},{"type":"tool_call_response","id":"call_2","response":{"temp":21.0,"unit":"°C","html":"<b>"}},{"type":"tool_call_response","response":7},{"type":"tool_call_response","id":null,"response":null},{"type":"tool_call_response","id":3},{"type":"tool_call_response","id":"x","response":["a",true]}]}]""");
        yield return Tags("tool response with a name", """[{"role":"tool","name":"ignored","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny"}]}]""");
        yield return Tags("tool responses with a non-object part", """[{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny"},"x"]}]""");
        yield return Tags("tool responses mixed with text", """[{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny"},{"type":"text","content":"and"}]}]""");
        yield return Tags("tool responses under any role", """[{"role":"user","parts":[{"type":"tool_call_response","id":"c","response":"r"}]}]""");
        yield return Tags("blob parts", $$"""[{"role":"user","parts":[{"type":"blob","mime_type":"image/png","content":"{{Base64Of(100)}}"},{"type":"blob","media_type":"image/jpeg","content":"{{Base64Of(101)}}"},{"type":"blob","content":"{{Base64Of(102)}}"},{"type":"blob","mime_type":null,"media_type":"a/b","content":"QUJD\nREVG\r\n R0g= "},{"type":"blob","content":""},{"type":"blob","content":"="},{"type":"blob","content":"A"},{"type":"blob","content":"AB=="},{"type":"blob","content":"\u0041\u0042\u0043\u0044"},{"type":"blob","content":"QU\u00a0JD"},{"type":"blob","content":"QU\u2003JD"}]}]""");
        yield return Tags("blob part shapes", """[{"role":"user","parts":[{"type":"blob","mime_type":"image/png"},{"type":"blob","content":null},{"type":"blob","content":5},{"type":"blob","content":{"a":1}},{"type":"blob","content":[1]},{"type":"blob","mime_type":7,"content":"AAAA"},{"type":"blob","mime_type":{"m":"t"},"content":false}]}]""");
        yield return Tags("uri parts", """[{"role":"user","parts":[{"type":"uri","mime_type":"image/png","uri":"https://example.com/a.png?x=1&y=<2>"},{"type":"uri","uri":null},{"type":"uri"},{"type":"uri","uri":42},{"type":"uri","uri":{"u":"v"}},{"type":"uri","modality":"image","uri":"https://x/y"}]}]""");
        yield return Tags("file parts", """[{"role":"user","parts":[{"type":"file","mime_type":"application/pdf","file_id":"file-123"},{"type":"file","file_id":null},{"type":"file","file_id":9},{"type":"file","uri":"gs://b/o","file_id":"f"},{"type":"file","content":"AAAA","uri":"u"},{"type":"file"},{"type":"file","modality":"image"}]}]""");
        yield return Tags("binary parts with text", """[{"role":"user","parts":[{"type":"text","content":"What is this?"},{"type":"blob","mime_type":"image/png","content":"AAAA"},{"type":"text","content":" And this?"},{"type":"uri","uri":"https://x"}]}]""");
        yield return Tags("unknown parts", """[{"role":"assistant","parts":[{"type":"image","content":"caption"},{"type":null,"content":"x"},{"content":"no type"},{"type":5},{"type":"TEXT","content":"upper"},{"type":"server_tool_call_response","id":"s","response":{"a":[1,2,{"b":null}]}},{"type":"generic","value":-0.0,"big":1E400,"deep":{"a":{"b":{"c":["é","\ud83d\ude00"]}}}}]}]""");
        yield return Tags("escaped types", """[{"role":"assistant","parts":[{"type":"te\u0078t","content":"a"},{"type":"tool\u005fcall","id":"x","name":"n","arguments":{}},{"type":"\u0062lob","content":"AAAA"}]}]""");
        yield return Tags("tool round trip", """
            [{"role":"user","parts":[{"type":"text","content":"Weather in Oslo?"}]},
             {"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Oslo"}}]},
             {"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny"}]},
             {"role":"assistant","parts":[{"type":"text","content":"It is sunny."}]}]
            """, """[{"role":"assistant","parts":[{"type":"text","content":"It is sunny."}],"finish_reason":"stop"}]""", """[{"type":"text","content":"Be brief."}]""");
        yield return Tags("no user message", """[{"role":"system","parts":[{"type":"text","content":"S"}]},{"role":"assistant","parts":[{"type":"text","content":"A"}]}]""", """[{"role":"user","parts":[{"type":"text","content":"odd"}]}]""");
        yield return Tags("several users", """[{"role":"user","parts":[{"type":"text","content":"first    one\n\twith  spaces"}]},{"role":"user","parts":[{"type":"text","content":"second"},{"type":"uri","uri":"u"}]}]""");
        yield return Tags("first user text parts", """[{"role":"user","parts":[{"type":"image","text":"caption text","content":"ignored"},{"type":"x","text":null,"content":"from content"},{"type":"x","text":5,"content":"not used"},{"type":"text","content":"  "},{"type":"blob","content":"AAAA"},"str"]}]""");
        yield return Tags("long first user text", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"" + new string('a', 78) + "\\ud83d\\ude00 tail\"}]}]");
        yield return Tags("whitespace-only user text", """[{"role":"user","parts":[{"type":"text","content":" \n "}]}]""");
        yield return Tags("duplicate key in a message", """[{"role":"user","role":"assistant","parts":[]}]""");
        yield return Tags("duplicate key in a part", """[{"role":"user","parts":[{"type":"text","content":"a","content":"b"}]}]""");
        yield return Tags("duplicate unknown key in a part", """[{"role":"user","parts":[{"type":"x","v":1,"v":2}]}]""");
        yield return Tags("duplicate key nested in a part", """[{"role":"user","parts":[{"type":"x","v":{"a":1,"a":2}},{"type":"tool_call","arguments":{"a":1,"a":2}}]}]""");
        yield return Tags("duplicate key in a non-object part list", """[{"role":"user","parts":{"a":1,"a":2}}]""");
        yield return Tags("duplicate escaped key", """[{"role":"user","r\u006fle":"x","parts":[]}]""");
        yield return Tags("duplicate key in instructions", user, null, """[{"type":"text","content":"a","content":"b"}]""");
        yield return Tags("duplicate key in a non-list", """{"a":1,"a":2}""", null, """[{"type":"text","content":"a"}]""");
        yield return Tags("lone surrogate in text", """[{"role":"user","parts":[{"type":"text","content":"x\ud800y"}]}]""");
        yield return Tags("lone low surrogate in role", """[{"role":"\udc00","parts":[]}]""");
        yield return Tags("lone surrogate in a type", """[{"role":"user","parts":[{"type":"\ud800","content":"x"}]}]""");
        yield return Tags("lone surrogate in an unknown part", """[{"role":"user","parts":[{"type":"x","v":"\ud800"}]}]""");
        yield return Tags("lone surrogate in arguments", """[{"role":"assistant","parts":[{"type":"tool_call","id":"a","name":"f","arguments":{"v":"\ud800"}}]}]""");
        yield return Tags("lone surrogate in a key", """[{"role":"user","parts":[{"type":"x","\ud800":1}]}]""");
        yield return Tags("lone surrogate in a key of a text part", """[{"role":"user","parts":[{"type":"text","\udbff":1,"content":"x"}]}]""");
        yield return Tags("lone surrogate in a first key of a text part", """[{"role":"user","parts":[{"\udbff":1,"type":"text","content":"x"}]}]""");
        yield return Tags("lone surrogate in an unread value", """[{"role":"user","extra":"\ud800","parts":{"p":"\ud800"}}]""");
        yield return Tags("lone surrogate in a skipped part", """[{"role":"assistant","parts":[{"type":"reasoning","content":"\ud800"},{"type":"text","content":"x"}]}]""");
        yield return Tags("lone surrogate in a skipped message", """["\ud800",{"role":"user","parts":[]}]""");
        yield return Tags("lone surrogate in base64", """[{"role":"user","parts":[{"type":"blob","content":"AA\udbffAA"}]}]""");
        yield return Tags("lone surrogate in instructions", user, null, """[{"type":"text","content":"\ud800"}]""");
        yield return Tags("escaped backslash before u", """[{"role":"user","parts":[{"type":"text","content":"C:\\ud800\\users"}]}]""");
        yield return Tags("invalid UTF-16 in messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"x\ud800y\"}]}]");
        yield return Tags("invalid UTF-16 in instructions", user, null, "[\"\udc00\"]");
        yield return Tags("invalid UTF-16 in instructions without messages", null, null, "[\"\udc00\"]");
        yield return Tags("invalid UTF-16 in instructions with a non-list", "{}", null, "[\"\udc00\"]");
        yield return Tags("deep part, 59", DeepPart(59));
        yield return Tags("deep part, 60", DeepPart(60));
        yield return Tags("deep part, 61", DeepPart(61));
        yield return Tags("deep arguments", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"arguments\":" + Nested(59, "1") + "}]}]");
        yield return Tags("deep text", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":" + Nested(59, "1") + "}]}]");
        yield return Tags("too deep", DeepPart(62));
        yield return Tags("deep instructions", user, null, "[{\"content\":" + Nested(62, "1") + "}]");
        yield return Tags("too deep instructions", user, null, "[{\"content\":" + Nested(63, "1") + "}]");
        yield return Tags("large text", """[{"role":"assistant","parts":[{"type":"text","content":"x"},{"type":"text","content":"y"}]}]""",
            "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"" + new string('é', 700_000) + "\"}]}]");
        yield return Tags("larger than a span", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"" + new string('a', (4 << 20) + 10) + "\"}]}]");
        yield return Tags("large blob", "[{\"role\":\"user\",\"parts\":[{\"type\":\"blob\",\"mime_type\":\"image/png\",\"content\":\"" + Base64Of(3_000_000) + "\"}]}]");
        yield return Tags("large unknown part", "[{\"role\":\"user\",\"parts\":[{\"type\":\"x\",\"v\":\"" + new string('<', 1_200_000) + "\"}]}]");
        yield return Details("details event", user, assistant, """[{"type":"text","content":"Be brief."}]""");
        yield return Details("details event, instructions as text", user, assistant, "Be brief.");
        yield return Details("details event, instructions as a JSON string", user, assistant, "\"Be brief.\"");
        yield return Details("details event, instructions as a number", user, assistant, 42);
        yield return Details("details event, instructions as an object", user, assistant, """ {"content":"x"}""");
        yield return Details("details event, instructions malformed", user, assistant, "[{\"content\":");
        yield return Details("details event, instructions empty", user, assistant, "");
        yield return Details("details event, instructions as strings", user, assistant, new[] { "a" });
        yield return Details("details event, malformed", "[{", "{\"role\":");
        yield return Details("details event, not lists", "\"x\"", "  {\"a\":1}");
        yield return Details("details event, empty", "", "   ");
        yield return Details("details event, string arrays", new[] { user }, new[] { "a", "b" });
        yield return Details("details event, non-breaking space", "\u00a0" + user, "\u00a0[]");
        yield return Details("details event, duplicates", """[{"role":"user","role":"x"}]""", assistant);
        yield return Details("details event, lone surrogate", """[{"role":"\ud800"}]""", assistant);
        yield return Details("details event, invalid UTF-16 instructions", user, null, "[\"\ud800\"]");
        yield return Details("details event, invalid UTF-16 instructions as text", user, null, "x\ud800");
        yield return Details("details event, too deep", DeepPart(62), DeepPart(61));
        yield return new("tags win over the details event", a =>
        {
            a.SetTag(In, user);
            a.AddEvent(new ActivityEvent(DetailsEvent, tags: new ActivityTagsCollection { [In] = assistant, [Out] = assistant, [Instructions] = "x" }));
        });
        yield return new("a non-list tag falls back to the details event", a =>
        {
            a.SetTag(In, "{}");
            a.SetTag(Out, "[");
            a.SetTag(Instructions, """[{"type":"text","content":"from the tag"}]""");
            a.AddEvent(new ActivityEvent(DetailsEvent, tags: new ActivityTagsCollection { [In] = user, [Out] = assistant, [Instructions] = "from the event" }));
        });
        yield return new("the first details event", a =>
        {
            a.AddEvent(new ActivityEvent(DetailsEvent, tags: new ActivityTagsCollection { [Out] = assistant }));
            a.AddEvent(new ActivityEvent(DetailsEvent, tags: new ActivityTagsCollection { [In] = user, [Out] = user }));
        });
    }

    public static TheoryData<int> Seeds() => new() { 1, 2, 3, 4 };

    [Fact]
    public Task Hand_written_parts_form_inputs_are_recorded_as_the_JsonNode_conversion_recorded_them() =>
        AssertSameAsLegacyAsync(FixedCases().ToList());

    [Theory]
    [MemberData(nameof(Seeds))]
    public Task Random_parts_form_messages_are_recorded_as_the_JsonNode_conversion_recorded_them(int seed)
    {
        var random = new Random(seed);
        var cases = new List<Case>();
        for (var i = 0; i < 150; i++) cases.Add(new RandomPartsForm(random).Case($"seed {seed} #{i}"));
        return AssertSameAsLegacyAsync(cases);
    }

    /// <summary>
    /// The comparisons above would hold as well if everything went to the tree: the inputs of every part type (and the
    /// escaped, odd and empty ones the streaming conversion reads itself) are streamed into a captured payload; a list
    /// too deep to record goes to the tree, which recorded it as the unserializable marker.
    /// </summary>
    [Fact]
    public void The_parts_form_is_streamed_into_a_payload_and_only_odd_inputs_go_to_the_tree()
    {
        var cases = FixedCases().ToDictionary(c => c.Name);
        object? Read(string name, Func<Activity, object?> read)
        {
            var activity = new Activity("chat gpt-4o");
            cases[name].Emit(activity);
            return read(activity);
        }
        string[] streamed =
        [
            "plain chat", "instructions as parts", "instructions as several parts", "instructions as plain text", "instructions as a number",
            "instructions malformed", "empty list", "non-object messages", "object role", "escaped keys", "names", "missing parts",
            "several texts", "text variants", "unicode text", "reasoning and text", "tool call argument shapes", "tool responses",
            "tool responses mixed with text", "blob parts", "blob part shapes", "uri parts", "file parts", "unknown parts", "escaped types",
            "tool round trip", "duplicate key nested in a part", "escaped backslash before u", "deep part, 59", "large blob", "details event",
            "details event, instructions as text", "details event, instructions as a JSON string",
        ];
        foreach (var name in streamed)
        {
            Assert.True(Read(name, GenAiGenerations.Input) is Payload, $"{name}: the input was not streamed");
            Assert.True(Read(name, GenAiGenerations.Output) is Payload or null, $"{name}: the output was not streamed");
        }
        Assert.IsType<JsonObject>(Read("deep part, 60", GenAiGenerations.Input));
        Assert.Null(Read("not a list: object", GenAiGenerations.Input));
    }

    static async Task AssertSameAsLegacyAsync(IReadOnlyList<Case> cases)
    {
        const int batch = 40;
        for (var start = 0; start < cases.Count; start += batch)
        {
            var slice = cases.Skip(start).Take(batch).ToList();
            var (current, currentExporter) = Clients.InMemory();
            var (legacy, legacyExporter) = Clients.InMemory();
            var firstTexts = new Dictionary<string, (string? Current, string? Legacy, string? CurrentThrew, string? LegacyThrew)>();
            for (var i = 0; i < slice.Count; i++)
            {
                var name = $"case {start + i}";
                var activity = new Activity("chat gpt-4o");
                activity.SetTag("gen_ai.operation.name", "chat");
                slice[i].Emit(activity);
                var (currentText, currentThrew) = RecordCurrent(current, name, activity);
                var (legacyText, legacyThrew) = RecordLegacy(legacy, name, activity);
                firstTexts[name] = (currentText, legacyText, currentThrew, legacyThrew);
            }
            var recorded = Observe(await ExportedAsync(current, currentExporter), firstTexts, current: true);
            var expected = Observe(await ExportedAsync(legacy, legacyExporter), firstTexts, current: false);
            for (var i = 0; i < slice.Count; i++)
            {
                var name = $"case {start + i}";
                Assert.True(expected.ContainsKey(name) && recorded.ContainsKey(name), $"{slice[i].Name}: not exported");
                var (want, got) = (expected[name], recorded[name]);
                Compare(slice[i].Name, "whether reading failed", want.Threw, got.Threw);
                Compare(slice[i].Name, "span input", want.SpanInput, got.SpanInput);
                Compare(slice[i].Name, "span output", want.SpanOutput, got.SpanOutput);
                Compare(slice[i].Name, "trace input", want.TraceInput, got.TraceInput);
                Compare(slice[i].Name, "trace output", want.TraceOutput, got.TraceOutput);
                Compare(slice[i].Name, "loop answer", want.LoopAnswer, got.LoopAnswer);
                Compare(slice[i].Name, "first user text", want.FirstText, got.FirstText);
            }
            await current.DisposeAsync();
            await legacy.DisposeAsync();
        }
    }

    /// <summary>The exported traces as parsed wire bodies (deeper than the default 64 levels: the deep cases nest under the trace).</summary>
    static async Task<IReadOnlyList<JsonElement>> ExportedAsync(PandaProbeClient client, PandaProbe.Exporters.InMemoryTraceExporter exporter)
    {
        var result = await client.FlushAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.Completed, "flush did not complete");
        return exporter.Traces.Select(t => JsonDocument.Parse(t.ToJson(), new JsonDocumentOptions { MaxDepth = 256 }).RootElement.Clone()).ToList();
    }

    static void Compare(string name, string what, string? expected, string? actual)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal)) return;
        static string Cut(string? s) => s is null ? "<null>" : s.Length > 600 ? s[..600] + $"… ({s.Length} chars)" : s;
        var at = 0;
        if (expected is not null && actual is not null)
            while (at < expected.Length && at < actual.Length && expected[at] == actual[at]) at++;
        Assert.Fail($"{name}: the {what} differs (first difference at {at}).\nexpected: {Cut(expected)}\nactual:   {Cut(actual)}");
    }

    /// <summary>The current code: the real <see cref="ActivityRecorder"/>, and the loop's readings of what it wrote.</summary>
    static (string? FirstText, string? Threw) RecordCurrent(PandaProbeClient client, string name, Activity activity)
    {
        var trace = client.StartTrace(name);
        var span = trace.Span("llm", SpanType.Llm);
        string? threw = null, first = null;
        object? input = null, output = null;
        try
        {
            var written = ActivityRecorder.Record(activity, span, SpanType.Llm, trace, filledInside: false);
            (input, output) = (written.Input, written.Output);
        }
        catch (Exception e) { threw = e.GetType().Name; }
        using (var loop = trace.Span("loop", SpanType.Chain))
        {
            if (LoopNotes.FinalAnswer(output) is { } answer) loop.SetOutput(answer);
            // As GenAiActivityIngestion.RecordLoop names a loop's trace after its request.
            first = input switch
            {
                JsonObject form => ChatTelemetry.FirstText(form, "user", 80),
                Payload form => ChatTelemetry.FirstText(form, "user", 80),
                _ => null,
            };
        }
        span.End();
        trace.End();
        return (first, threw);
    }

    /// <summary>The JsonNode conversion, written as <c>ActivityRecorder</c> and the loop wrote it.</summary>
    static (string? FirstText, string? Threw) RecordLegacy(PandaProbeClient client, string name, Activity activity)
    {
        var trace = client.StartTrace(name);
        var span = trace.Span("llm", SpanType.Llm);
        string? threw = null, first = null;
        JsonObject? input = null, output = null;
        try
        {
            input = LegacyPartsForm.Input(activity);
            output = LegacyPartsForm.Output(activity);
        }
        catch (Exception e)
        {
            threw = e.GetType().Name;
            input = output = null;
        }
        if (input is not null)
        {
            span.SetInput(input);
            trace.SetInput(LegacyPartsForm.LastWithRole(input, "user") ?? input);
        }
        if (output is not null)
        {
            span.SetOutput(output);
            trace.SetOutput(LegacyPartsForm.LastWithRole(output, "assistant") ?? output);
        }
        using (var loop = trace.Span("loop", SpanType.Chain))
        {
            if (output is not null) loop.SetOutput(LegacyPartsForm.LastWithRole(output, "assistant") ?? output);
            first = input is null ? null : LegacyPartsForm.FirstText(input, "user", 80);
        }
        span.End();
        trace.End();
        return (first, threw);
    }

    static Dictionary<string, Observed> Observe(IReadOnlyList<JsonElement> traces,
        Dictionary<string, (string? Current, string? Legacy, string? CurrentThrew, string? LegacyThrew)> firstTexts, bool current)
    {
        static string Raw(JsonElement e, string property) => e.TryGetProperty(property, out var v) ? v.GetRawText() : "<absent>";
        var observed = new Dictionary<string, Observed>();
        foreach (var trace in traces)
        {
            var name = trace.GetProperty("name").GetString()!;
            var llm = Clients.SpanNamed(trace, "llm");
            var loop = Clients.SpanNamed(trace, "loop");
            var (currentText, legacyText, currentThrew, legacyThrew) = firstTexts[name];
            observed[name] = new Observed(current ? currentThrew : legacyThrew, Raw(llm, "input"), Raw(llm, "output"),
                Raw(trace, "input"), Raw(trace, "output"), Raw(loop, "output"), current ? currentText : legacyText);
        }
        return observed;
    }

    /// <summary>
    /// Generated parts-form messages: every part type with random fields (present, missing, null, of another JSON
    /// type), random roles, names and key orders, unicode and escapes, written with a random escaping and layout, as
    /// tags or on the details event, with random instructions; now and then an odd document (not a list, malformed,
    /// a duplicate key, a lone surrogate escape).
    /// </summary>
    sealed class RandomPartsForm(Random random)
    {
        static readonly string[] Words =
        [
            "", "Hi", "Hello, world!", "héllo wörld", "日本語のテキスト", "emoji 😀👍🏽", "<b>&amp;</b> 'q' \"dq\"", "line\nbreak\ttab\r",
            "\u0001ctrl\u001f\u0000", "back\\slash /slash", "+plus `tick` =eq", "\u2028\u2029", "  spaced  out  ", "\u00a0nbsp", "ünïcödé ß",
            "Ω≈ç√∫", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\ufeffbom", "\ufffd", "call_1", "get_weather", "{\"city\":\"Oslo\"}", "[1,2]", "null", "true", "42",
        ];

        static readonly string[] Roles = ["user", "user", "user", "assistant", "assistant", "system", "tool", "developer", "User", "ASSISTANT", ""];
        static readonly string[] Types = ["text", "tool_call", "tool_call_response", "reasoning", "blob", "file", "uri", "image", "server_tool_call", "generic", "Text", ""];
        static readonly string[] Keys = ["type", "content", "id", "name", "arguments", "response", "mime_type", "media_type", "uri", "file_id", "modality", "text", "extra", "é", "a b", "<k>"];

        double escapeChance;
        bool indent;
        bool oddEscapes;

        public Case Case(string name)
        {
            escapeChance = random.Next(4) switch { 0 => 0, 1 => 0.05, 2 => 0.5, _ => 1 };
            indent = random.Next(4) == 0;
            oddEscapes = random.Next(30) == 0;
            var input = Document(out _);
            var output = random.Next(6) == 0 ? null : Document(out _);
            object? instructions = random.Next(3) switch
            {
                0 => null,
                1 => Emit(InstructionParts()),
                _ => random.Next(8) switch
                {
                    0 => Word(),
                    1 => Emit(Word()),
                    2 => random.Next(100),
                    3 => new[] { Emit(InstructionParts()) },
                    4 => Emit(new Obj { ("content", Word()) }),
                    5 => "",
                    6 => Emit(InstructionParts())[..^1],
                    _ => Emit(InstructionParts()),
                },
            };
            object? AsTag(string? json) => json is null ? null : random.Next(20) == 0 ? new[] { json } : json;
            return random.Next(4) == 0
                ? Details(name, AsTag(input), AsTag(output), instructions)
                : Tags(name, AsTag(input), AsTag(output), instructions);
        }

        string Document(out bool odd)
        {
            odd = random.Next(25) == 0;
            if (odd)
            {
                return random.Next(7) switch
                {
                    0 => Emit(Message()),
                    1 => Emit(Word()),
                    2 => "",
                    3 => Emit(Messages())[..^1],
                    4 => DuplicateKey(Emit(Messages())),
                    5 => Emit(new List<object?> { new Obj { ("role", "user"), ("parts", new List<object?> { new Obj { ("type", "text"), ("content", new Raw("\"a\\udc00b\"")) } }) } }),
                    _ => "null",
                };
            }
            return Emit(Messages());
        }

        /// <summary>The first <c>"role"</c> key written twice.</summary>
        static string DuplicateKey(string json)
        {
            var at = json.IndexOf("\"role\":", StringComparison.Ordinal);
            return at < 0 ? json : json.Insert(at, "\"role\":\"x\",");
        }

        List<object?> Messages()
        {
            var list = new List<object?>();
            var count = random.Next(6);
            for (var i = 0; i < count; i++)
                list.Add(random.Next(25) == 0 ? Scalar() : Message());
            return list;
        }

        Obj Message()
        {
            var message = new Obj();
            var role = random.Next(12) switch
            {
                0 => (object?)null,
                1 => random.Next(3) == 0 ? Scalar() : new Raw("null"),
                _ => Roles[random.Next(Roles.Length)],
            };
            if (role is not null) message.Add(("role", role is Raw { Json: "null" } ? null : role));
            if (random.Next(5) == 0) message.Add(("name", random.Next(3) == 0 ? Scalar() : Word()));
            var kind = random.Next(10);
            object? parts = kind switch
            {
                0 => null,
                1 => Scalar(),
                _ => Parts(),
            };
            if (kind != 0) message.Add(("parts", parts));
            if (random.Next(4) == 0) message.Add(("finish_reason", "stop"));
            Shuffle(message);
            return message;
        }

        List<object?> Parts()
        {
            var parts = new List<object?>();
            var count = random.Next(5);
            var allResponses = random.Next(5) == 0;
            for (var i = 0; i < count; i++)
                parts.Add(allResponses ? Part("tool_call_response") : random.Next(30) == 0 ? Scalar() : Part(Types[random.Next(Types.Length)]));
            return parts;
        }

        Obj Part(string type)
        {
            var part = new Obj();
            switch (random.Next(20))
            {
                case 0: break;                                   // no type
                case 1: part.Add(("type", null)); break;
                case 2: part.Add(("type", Scalar())); break;
                default: part.Add(("type", type)); break;
            }
            void Maybe(string key, Func<object?> value, int chance = 2)
            {
                if (random.Next(chance) == 0) return;
                part.Add((key, random.Next(8) == 0 ? null : random.Next(8) == 0 ? Any(2) : value()));
            }
            switch (type)
            {
                case "text" or "reasoning" or "Text":
                    Maybe("content", Word, 6);
                    break;
                case "tool_call" or "server_tool_call":
                    Maybe("id", Word, 5);
                    Maybe("name", Word, 5);
                    Maybe("arguments", () => random.Next(3) == 0 ? Emit(Arguments()) : Arguments(), 5);
                    break;
                case "tool_call_response":
                    Maybe("id", Word, 5);
                    Maybe("response", () => random.Next(2) == 0 ? Word() : Any(3), 5);
                    break;
                case "blob" or "file" or "uri" or "image":
                    Maybe("mime_type", () => random.Next(2) == 0 ? "image/png" : Word(), 3);
                    Maybe("media_type", () => "application/pdf", 3);
                    Maybe("content", Base64, 2);
                    Maybe("uri", () => "https://example.com/f?a=1&b=<2>", 3);
                    Maybe("file_id", () => "file-" + random.Next(1000), 3);
                    Maybe("modality", () => "image", 3);
                    break;
                default:
                    for (var i = random.Next(4); i > 0; i--) part.Add((Keys[random.Next(Keys.Length)] + i, Any(3)));
                    break;
            }
            if (random.Next(6) == 0) part.Add(("extra", Any(2)));
            Shuffle(part);
            return part;
        }

        Obj Arguments()
        {
            var arguments = new Obj();
            for (var i = random.Next(4); i > 0; i--) arguments.Add((Keys[random.Next(Keys.Length)] + i, Any(3)));
            return arguments;
        }

        List<object?> InstructionParts()
        {
            var list = new List<object?>();
            for (var i = random.Next(4); i >= 0; i--)
                list.Add(random.Next(10) switch
                {
                    0 => Scalar(),
                    1 => new Obj { ("type", "text") },
                    2 => new Obj { ("type", "text"), ("content", Any(2)) },
                    _ => new Obj { ("type", "text"), ("content", Word()) },
                });
            return list;
        }

        string Base64()
        {
            var bytes = new byte[random.Next(40)];
            random.NextBytes(bytes);
            var text = Convert.ToBase64String(bytes);
            if (random.Next(4) == 0 && text.Length > 4) text = text.Insert(random.Next(text.Length), random.Next(2) == 0 ? "\n" : " ");
            if (random.Next(6) == 0 && text.Length > 0) text = text[..random.Next(text.Length)];
            return text;
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
            3 => (long)random.Next(-1000, 1000),
            4 => new Raw(random.Next(4) switch { 0 => "1.50e3", 1 => "-0.0", 2 => "1E400", _ => "3.14159265358979323846" }),
            _ => Word(),
        };

        object? Any(int depth) => depth <= 0 ? Scalar() : random.Next(4) switch
        {
            0 => Arguments(),
            1 => Enumerable.Range(0, random.Next(4)).Select(_ => Any(depth - 1)).ToList(),
            _ => Scalar(),
        };

        void Shuffle(Obj obj)
        {
            if (random.Next(3) != 0) return;
            for (var i = obj.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (obj[i], obj[j]) = (obj[j], obj[i]);
            }
        }

        string Emit(object? value) =>
            new RandomJsonText(random) { EscapeChance = escapeChance, Indent = indent ? "  " : null, OddEscapes = oddEscapes }.Emit(value);
    }
}
