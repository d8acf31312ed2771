using System.Text;
using System.Text.Json;
using FsCheck.Xunit;
using PandaProbe.Model;
using PandaProbe.Serialization;

namespace PandaProbe.Properties;

/// <summary>
/// A value the SDK serialized keeps its UTF-8 (issue 22: the caller's thread never converts it to text). That payload
/// must be the payload its text gives: equal both ways, the same hash and length, and the same bytes on the wire.
/// </summary>
public class PayloadFormProperties
{
    static string Wire(Payload p)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) WireJson.WritePayloadValue(w, p);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Property(MaxTest = 400)]
    public bool A_captured_value_is_the_payload_of_its_text(string[] texts, int number, bool flag)
    {
        var value = new { texts, number, flag, nested = new { first = texts?.FirstOrDefault(), list = new[] { number, -number } } };
        Assert.True(PayloadCapture.TryCapture(value, out var captured));
        Assert.NotNull(captured.Utf8);
        var text = Payload.Json(Encoding.UTF8.GetString(captured.Utf8!));
        return captured.Equals(text) && text.Equals(captured) && captured.GetHashCode() == text.GetHashCode()
            && captured.Length == text.Value.Length && Wire(captured) == Wire(text) && !captured.IsText;
    }

    [Property(MaxTest = 200)]
    public bool Payloads_of_different_values_differ(int a, int b) =>
        a == b || !PayloadCapture.Capture(new { a }).Equals(PayloadCapture.Capture(new { a = b }));
}
