using System.Text.Json;

namespace PandaProbe.Unit.Serialization;

/// <summary>
/// A small checker for the subset of JSON Schema that the platform's OpenAPI document uses for ingestion bodies:
/// <c>$ref</c>, <c>anyOf</c>, <c>type</c> (incl. <c>null</c>), <c>required</c>, <c>properties</c>,
/// <c>additionalProperties</c> (schema form), <c>items</c>, <c>minLength</c>/<c>maxLength</c>, <c>maxItems</c>,
/// <c>enum</c>, and the <c>uuid</c>/<c>date-time</c> formats. Returns every violation found.
/// </summary>
sealed class OpenApiChecker(JsonElement document)
{
    public static OpenApiChecker Load(string path) => new(JsonDocument.Parse(File.ReadAllText(path)).RootElement);

    public JsonElement Schema(string name) => document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    public IReadOnlyList<string> Check(string schemaName, JsonElement value)
    {
        var errors = new List<string>();
        Validate(Schema(schemaName), value, "$", errors);
        return errors;
    }

    void Validate(JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var r))
        {
            var name = r.GetString()!.Split('/').Last();
            Validate(Schema(name), value, path, errors);
            return;
        }
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            var options = anyOf.EnumerateArray().Select(o => { var e = new List<string>(); Validate(o, value, path, e); return e; }).ToList();
            if (options.All(e => e.Count > 0)) errors.Add($"{path}: matches no anyOf branch ({string.Join("; ", options.SelectMany(e => e))})");
            return;
        }
        if (schema.TryGetProperty("type", out var type) && !HasType(type.GetString()!, value))
        {
            errors.Add($"{path}: expected {type.GetString()}, got {value.ValueKind}");
            return;
        }
        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
            errors.Add($"{path}: {value} is not one of {allowed}");
        if (value.ValueKind == JsonValueKind.String)
        {
            var s = value.GetString()!;
            if (schema.TryGetProperty("minLength", out var min) && s.Length < min.GetInt32()) errors.Add($"{path}: shorter than {min}");
            if (schema.TryGetProperty("maxLength", out var max) && s.Length > max.GetInt32()) errors.Add($"{path}: longer than {max}");
            if (schema.TryGetProperty("format", out var format))
            {
                if (format.GetString() == "uuid" && !Guid.TryParse(s, out _)) errors.Add($"{path}: '{s}' is not a uuid");
                if (format.GetString() == "date-time" && !DateTimeOffset.TryParse(s, out _)) errors.Add($"{path}: '{s}' is not a date-time");
            }
        }
        if (value.ValueKind == JsonValueKind.Array)
        {
            if (schema.TryGetProperty("maxItems", out var maxItems) && value.GetArrayLength() > maxItems.GetInt32())
                errors.Add($"{path}: more than {maxItems} items");
            if (schema.TryGetProperty("items", out var items))
            {
                var i = 0;
                foreach (var item in value.EnumerateArray()) Validate(items, item, $"{path}[{i++}]", errors);
            }
        }
        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required))
                foreach (var name in required.EnumerateArray().Select(n => n.GetString()!))
                    if (!value.TryGetProperty(name, out _)) errors.Add($"{path}.{name}: required");
            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            foreach (var property in value.EnumerateObject())
            {
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var ps))
                {
                    // No ingestion field of the platform takes null except through an explicit anyOf branch.
                    Validate(ps, property.Value, $"{path}.{property.Name}", errors);
                }
                else if (schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.Object)
                    Validate(additional, property.Value, $"{path}.{property.Name}", errors);
            }
        }
    }

    static bool HasType(string type, JsonElement value) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };
}
