using System.Text.Json;
using System.Text.Json.Nodes;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Serialization;
using Xunit;

namespace PandaProbe.Unit.Serialization;

public class PayloadCaptureTests
{
    public enum Color { Red, DarkBlue }

    public sealed record Order(string Id, int Qty, Color Color, decimal Price, List<string> Items);

    public sealed class Node
    {
        public string Name { get; set; } = "";
        public Node? Next { get; set; }
        public List<Node> Children { get; } = [];
    }

    public sealed class Throwing
    {
        public string Ok => "fine";
        public string Broken => throw new InvalidOperationException("getter failed");
    }

    public sealed class WithDelegate
    {
        public Func<int> Callback { get; } = () => 1;
    }

    static JsonNode? Json(Payload p) => JsonNode.Parse(p.ToJson());

    [Fact]
    public void Null_and_strings_take_the_fast_path()
    {
        Assert.Same(Payload.Null, PayloadCapture.Capture(null));
        Assert.Equal(Payload.Text("héllo \"x\""), PayloadCapture.Capture("héllo \"x\""));
        Assert.Equal(Payload.Text(""), PayloadCapture.Capture(""));
        var existing = Payload.Json("[1]");
        Assert.Same(existing, PayloadCapture.Capture(existing));
    }

    [Theory]
    [InlineData(true, "true")]
    [InlineData(false, "false")]
    [InlineData(42, "42")]
    [InlineData(-7L, "-7")]
    [InlineData((byte)255, "255")]
    [InlineData(ulong.MaxValue, "18446744073709551615")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e300, "1E+300")]
    [InlineData(2.5f, "2.5")]
    [InlineData(0.1f, "0.1")]
    public void Primitives_become_json_literals(object value, string expected)
    {
        var payload = PayloadCapture.Capture(value);
        Assert.False(payload.IsText);
        Assert.Equal(expected, payload.Value);
        Assert.NotNull(JsonNode.Parse(payload.Value));
    }

    [Fact]
    public void Decimals_keep_their_digits_in_the_invariant_culture()
    {
        var saved = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("fr-FR");
            Assert.Equal("3.50", PayloadCapture.Capture(3.50m).Value);
            Assert.Equal("1.25", PayloadCapture.Capture(1.25).Value);
        }
        finally { Thread.CurrentThread.CurrentCulture = saved; }
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Non_finite_numbers_become_named_strings(double value, string expected)
    {
        Assert.True(PayloadCapture.TryCapture(value, out var payload));
        Assert.Equal(Payload.Text(expected), payload);
        Assert.Equal(Payload.Text(expected), PayloadCapture.Capture((float)value));
    }

    [Fact]
    public void Non_finite_numbers_inside_objects_become_named_strings()
    {
        var payload = PayloadCapture.Capture(new { score = double.NaN, max = double.PositiveInfinity });
        Assert.Equal("""{"score":"NaN","max":"Infinity"}""", payload.Value);
    }

    [Fact]
    public void Dates_guids_and_enums_become_json_strings()
    {
        var t = new DateTimeOffset(2026, 2, 23, 10, 0, 0, 420, TimeSpan.Zero);
        Assert.Equal(Payload.Text("2026-02-23T10:00:00.4200000+00:00"), PayloadCapture.Capture(t));
        Assert.Equal(Payload.Text("2026-02-23T10:00:00.4200000Z"), PayloadCapture.Capture(t.UtcDateTime));
        var g = Guid.Parse("A1B2C3D4-0001-4000-8000-000000000001");
        Assert.Equal(Payload.Text("a1b2c3d4-0001-4000-8000-000000000001"), PayloadCapture.Capture(g));
        Assert.Equal(Payload.Text("DarkBlue"), PayloadCapture.Capture(Color.DarkBlue));
    }

    [Fact]
    public void Json_values_are_kept_as_raw_text()
    {
        using var doc = JsonDocument.Parse("""{"a":[1,2]}""");
        Assert.Equal(Payload.Json("""{"a":[1,2]}"""), PayloadCapture.Capture(doc));
        Assert.Equal(Payload.Json("[1,2]"), PayloadCapture.Capture(doc.RootElement.GetProperty("a")));
        var node = new JsonObject { ["k"] = "é" };
        Assert.Equal(Payload.Json("""{"k":"é"}"""), PayloadCapture.Capture(node));
    }

    [Fact]
    public void Anonymous_objects_and_records_are_serialized_with_enums_as_strings()
    {
        Assert.Equal("""{"query":"gare","top_k":3,"nested":{"ok":true}}""",
            PayloadCapture.Capture(new { query = "gare", top_k = 3, nested = new { ok = true } }).Value);
        Assert.Equal("""{"Id":"o-1","Qty":2,"Color":"Red","Price":9.90,"Items":["a","b"]}""",
            PayloadCapture.Capture(new Order("o-1", 2, Color.Red, 9.90m, ["a", "b"])).Value);
    }

    [Fact]
    public void Dictionaries_with_string_and_non_string_keys_are_serialized()
    {
        Assert.Equal("""{"a":1,"b":null}""", PayloadCapture.Capture(new Dictionary<string, object?> { ["a"] = 1, ["b"] = null }).Value);
        Assert.Equal("""{"1":"one","2":"two"}""", PayloadCapture.Capture(new Dictionary<int, string> { [1] = "one", [2] = "two" }).Value);
        Assert.Equal("""{"00000000-0000-0000-0000-000000000000":true}""", PayloadCapture.Capture(new Dictionary<Guid, bool> { [Guid.Empty] = true }).Value);
    }

    [Fact]
    public void Value_tuples_keep_their_items()
    {
        Assert.Equal("""{"Item1":1,"Item2":"x"}""", PayloadCapture.Capture((a: 1, b: "x")).Value);
        Assert.Equal("""[{"Item1":"k","Item2":2}]""", PayloadCapture.Capture(LanguageExt.Prelude.Map(("k", 2))).Value);
    }

    [Fact]
    public void Non_ascii_text_is_not_escaped()
    {
        Assert.Equal("""{"msg":"Où est la gare ? 日本 <b>"}""", PayloadCapture.Capture(new { msg = "Où est la gare ? 日本 <b>" }).Value);
    }

    [Fact]
    public void Cycles_are_cut_instead_of_failing()
    {
        var a = new Node { Name = "a" };
        var b = new Node { Name = "b", Next = a };
        a.Next = b;
        a.Children.Add(a);
        Assert.True(PayloadCapture.TryCapture(a, out var payload));
        Assert.Equal("""{"Name":"a","Next":{"Name":"b","Next":null,"Children":[]},"Children":[null]}""", payload.Value);
    }

    [Fact]
    public void Graphs_deeper_than_the_limit_become_the_unserializable_marker()
    {
        var root = new Node { Name = "0" };
        var current = root;
        for (var i = 1; i < 200; i++) { current.Next = new Node { Name = i.ToString() }; current = current.Next; }
        Assert.False(PayloadCapture.TryCapture(root, out var payload));
        Assert.Equal(Payload.Unserializable(typeof(Node).FullName!), payload);
    }

    [Fact]
    public void Types_and_throwing_getters_become_the_unserializable_marker()
    {
        object[] values = [typeof(string), new Throwing(), new IntPtr(3)];
        foreach (var value in values)
        {
            Assert.False(PayloadCapture.TryCapture(value, out var payload), value.GetType().Name);
            Assert.True(payload.IsText);
            Assert.Equal($"<unserializable {value.GetType().FullName}>", payload.Value);
            Assert.Equal(payload, PayloadCapture.Capture(value));
        }
    }

    [Fact]
    public void Delegates_and_streams_are_kept_as_markers_and_the_rest_of_the_value_is_kept()
    {
        Assert.Equal("\"[delegate: Action]\"", PayloadCapture.Capture(new Action(() => { })).Value);
        Assert.Equal("\"[stream: MemoryStream]\"", PayloadCapture.Capture(new MemoryStream()).Value);
        Assert.True(PayloadCapture.TryCapture(new WithDelegate(), out var payload));
        Assert.Contains("[delegate:", payload.Value);
    }

    [Fact]
    public void The_payload_is_a_snapshot_that_later_mutation_cannot_change()
    {
        var list = new List<int> { 1, 2 };
        var dict = new Dictionary<string, object?> { ["k"] = "v" };
        var node = new JsonObject { ["n"] = 1 };
        var order = new Order("o", 1, Color.Red, 1m, ["x"]);
        var captured = new[] { PayloadCapture.Capture(list), PayloadCapture.Capture(dict), PayloadCapture.Capture(node), PayloadCapture.Capture(order) };
        list.Add(3);
        dict["k"] = "changed";
        node["n"] = 2;
        order.Items.Add("y");
        Assert.Equal("[1,2]", captured[0].Value);
        Assert.Equal("""{"k":"v"}""", captured[1].Value);
        Assert.Equal("""{"n":1}""", captured[2].Value);
        Assert.Equal("""["x"]""", Json(captured[3])!["Items"]!.ToJsonString());
    }

    [Fact]
    public void Capture_map_counts_failures_and_skips_null_keys()
    {
        var entries = new List<KeyValuePair<string, object?>>
        {
            new("a", 1), new(null!, "skipped"), new("f", typeof(string)), new("s", "text"), new("a", 2),
        };
        var map = PayloadCapture.CaptureMap(entries, out var failures);
        Assert.Equal(1, failures);
        Assert.Equal(["a", "f", "s"], map.Keys.ToArray());
        Assert.Equal(Payload.Json("2"), map.Find("a"));
        Assert.Equal(Payload.Text("text"), map.Find("s"));
        Assert.True(PayloadCapture.CaptureMap(null, out var none).IsEmpty);
        Assert.Equal(0, none);
    }

    [Fact]
    public void A_captured_payload_round_trips_through_the_wire_body()
    {
        var payload = PayloadCapture.Capture(new { items = new[] { 1.5, double.NaN }, when = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var trace = WireSamples.Minimal() with { Input = payload };
        var body = JsonDocument.Parse(WireJson.Trace(trace)).RootElement.GetProperty("input");
        Assert.Equal("""{"items":[1.5,"NaN"],"when":"2026-01-01T00:00:00Z"}""", body.GetRawText());
    }
}
