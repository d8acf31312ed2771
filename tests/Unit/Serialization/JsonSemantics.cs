using System.Text.Json;
using System.Text.Json.Nodes;
using PandaProbe.Model;
using PandaProbe.Serialization;

namespace PandaProbe.Unit.Serialization;

/// <summary>
/// Compares JSON documents by meaning: object key order is ignored, numbers compare by value (<c>0.0</c> = <c>0</c>),
/// and timestamp fields compare by instant (<c>…T10:00:00.000Z</c> = <c>…T10:00:00+00:00</c>).
/// </summary>
static class JsonSemantics
{
    static readonly HashSet<string> TimestampKeys = ["started_at", "ended_at", "completion_start_time", "at"];

    /// <summary>A copy of the node with every object property whose value is <c>null</c> removed (recursively).</summary>
    public static JsonNode? WithoutNulls(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Where(p => p.Value is not null)
            .Select(p => KeyValuePair.Create(p.Key, WithoutNulls(p.Value)))),
        JsonArray a => new JsonArray(a.Select(WithoutNulls).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    /// <summary>Null when equal, otherwise the path of the first difference and why.</summary>
    public static string? Difference(JsonNode? expected, JsonNode? actual, string path = "$", string? key = null)
    {
        switch (expected, actual)
        {
            case (null, null): return null;
            case (null, _) or (_, null): return $"{path}: expected {expected?.ToJsonString() ?? "null"}, got {actual?.ToJsonString() ?? "null"}";
            case (JsonObject e, JsonObject a):
                foreach (var k in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!e.ContainsKey(k)) return $"{path}.{k}: unexpected key";
                    if (!a.ContainsKey(k)) return $"{path}.{k}: missing key";
                    if (Difference(e[k], a[k], $"{path}.{k}", k) is { } d) return d;
                }
                return null;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count) return $"{path}: expected {e.Count} items, got {a.Count}";
                for (var i = 0; i < e.Count; i++)
                    if (Difference(e[i], a[i], $"{path}[{i}]") is { } d) return d;
                return null;
            case (JsonValue e, JsonValue a):
                var ek = e.GetValueKind();
                var ak = a.GetValueKind();
                if (ek == JsonValueKind.Number && ak == JsonValueKind.Number)
                    return e.GetValue<decimal>() == a.GetValue<decimal>() ? null : $"{path}: {e} != {a}";
                if (ek == JsonValueKind.String && ak == JsonValueKind.String && key is not null && TimestampKeys.Contains(key)
                    && WireReader.TryParseTimestamp(e.GetValue<string>(), out var et) && WireReader.TryParseTimestamp(a.GetValue<string>(), out var at))
                    return et == at ? null : $"{path}: instant {e} != {a}";
                return JsonNode.DeepEquals(e, a) ? null : $"{path}: {e.ToJsonString()} != {a.ToJsonString()}";
            default:
                return $"{path}: {expected.GetValueKind()} != {actual.GetValueKind()}";
        }
    }

    /// <summary><c>true</c> when two payloads hold the same JSON value.</summary>
    public static bool SameValue(Payload a, Payload b) =>
        JsonNode.DeepEquals(JsonNode.Parse(a.ToJson()), JsonNode.Parse(b.ToJson()));
}
