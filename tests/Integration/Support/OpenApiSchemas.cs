using System.Globalization;
using System.Text.Json;

namespace PandaProbe.Integration.Support;

/// <summary>
/// A small JSON-Schema checker for the subset the platform's <c>openapi.json</c> uses ($ref, anyOf, type, enum,
/// properties, required, additionalProperties, items, min/maxItems, min/maxLength, format uuid/date-time).
/// Loaded from the shared folder; <see cref="Load"/> returns null when the file is absent.
/// </summary>
public sealed class OpenApiSchemas
{
    private readonly JsonElement schemas;

    private OpenApiSchemas(JsonDocument document) =>
        schemas = document.RootElement.GetProperty("components").GetProperty("schemas");

    /// <summary>The schemas of the shared <c>openapi.json</c>, or null when it is absent.</summary>
    public static OpenApiSchemas? Load()
    {
        var file = SharedFolder.File("pandaprobe-api", "openapi.json");
        if (file is null || !File.Exists(file)) return null;
        return new OpenApiSchemas(JsonDocument.Parse(File.ReadAllText(file)));
    }

    /// <summary>The problems of <paramref name="value"/> against the named schema (empty when valid).</summary>
    public IReadOnlyList<string> Validate(JsonElement value, string schemaName)
    {
        var errors = new List<string>();
        Check(value, schemas.GetProperty(schemaName), "$", errors);
        return errors;
    }

    private void Check(JsonElement value, JsonElement schema, string path, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            Check(value, schemas.GetProperty(name), path, errors);
            return;
        }
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            var ok = anyOf.EnumerateArray().Any(branch =>
            {
                var sub = new List<string>();
                Check(value, branch, path, sub);
                return sub.Count == 0;
            });
            if (!ok) errors.Add($"{path}: matches no alternative of anyOf");
            return;
        }
        if (schema.TryGetProperty("type", out var type) && !TypeMatches(value, type.GetString()!))
        {
            errors.Add($"{path}: expected {type.GetString()}, got {value.ValueKind}");
            return;
        }
        if (schema.TryGetProperty("enum", out var choices) &&
            !choices.EnumerateArray().Any(c => JsonElement.DeepEquals(c, value)))
            errors.Add($"{path}: {value.GetRawText()} is not one of {choices.GetRawText()}");

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                var length = text.EnumerateRunes().Count();
                if (schema.TryGetProperty("minLength", out var min) && length < min.GetInt32()) errors.Add($"{path}: shorter than {min}");
                if (schema.TryGetProperty("maxLength", out var max) && length > max.GetInt32()) errors.Add($"{path}: longer than {max}");
                if (schema.TryGetProperty("format", out var format))
                {
                    if (format.GetString() == "uuid" && !Guid.TryParse(text, out _)) errors.Add($"{path}: not a uuid");
                    if (format.GetString() == "date-time" && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                        errors.Add($"{path}: not a date-time");
                }
                break;
            case JsonValueKind.Array:
                var count = value.GetArrayLength();
                if (schema.TryGetProperty("maxItems", out var maxItems) && count > maxItems.GetInt32()) errors.Add($"{path}: more than {maxItems} items");
                if (schema.TryGetProperty("minItems", out var minItems) && count < minItems.GetInt32()) errors.Add($"{path}: fewer than {minItems} items");
                if (schema.TryGetProperty("items", out var items))
                {
                    var i = 0;
                    foreach (var item in value.EnumerateArray()) Check(item, items, $"{path}[{i++}]", errors);
                }
                break;
            case JsonValueKind.Object:
                var properties = schema.TryGetProperty("properties", out var p) ? p : default;
                if (schema.TryGetProperty("required", out var required))
                    foreach (var name in required.EnumerateArray())
                        if (!value.TryGetProperty(name.GetString()!, out _)) errors.Add($"{path}: missing required '{name.GetString()}'");
                foreach (var property in value.EnumerateObject())
                {
                    if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var sub))
                        Check(property.Value, sub, $"{path}.{property.Name}", errors);
                    else if (schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.Object)
                        Check(property.Value, extra, $"{path}.{property.Name}", errors);
                }
                break;
        }
    }

    private static bool TypeMatches(JsonElement value, string type) => type switch
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
