using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using PandaProbe.Serialization;
using Xunit;

namespace PandaProbe.Properties.Wire;

/// <summary>Capture is total: whatever the value, the payload is valid JSON once written.</summary>
public class PayloadCaptureProperties
{
    [TraceProperty]
    public bool Captured_values_are_always_valid_json(double[] doubles, string[] strings, decimal money)
    {
        var dict = (strings ?? []).Where(s => s is not null).Distinct().ToDictionary(s => s, s => (object?)s.Length);
        object[] values = [doubles, strings!, money, dict, new { doubles, strings, money }, doubles.Length > 0 ? doubles[0] : 0d];
        return values.All(v =>
        {
            var ok = PayloadCapture.TryCapture(v, out var payload);
            using var doc = JsonDocument.Parse(payload.ToJson());
            return ok;
        });
    }
}
