using PandaProbe.Messages;
using System.Text.Json.Nodes;
using PandaProbe.Model;
using Xunit;

namespace PandaProbe.Unit.Contract;

/// <summary>
/// The reader-based fast path of <see cref="MessagesFormat.Validate"/> for recorded values: it may only ever answer
/// "conforms" when the full validation (through a JSON document) finds nothing, and every doubtful case must fall
/// through to the full validation, whose problems are then reported.
/// </summary>
public class MessagesFormatFastPathTests
{
    [Theory]
    [InlineData("""null""")]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"extra":{"a":[1,2,{"b":null}]}}""")]
    [InlineData("""{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]}]}""")]
    [InlineData("""{"messages":[{"content":[{"type":"text","text":"x"},"plain"],"role":"user"}]}""")]
    [InlineData("""{"mess\u0061ges":[{"r\u006fle":"user","content":"escaped names"}]}""")]
    public void Conforming_recorded_values_are_decided_by_the_fast_path(string json)
    {
        Assert.True(MessagesFormat.ConformsFast(json));
        Assert.Empty(MessagesFormat.Validate(Payload.Json(json), "x"));
    }

    [Theory]
    [InlineData("""[{"role":"user","content":"hi"}]""")]
    [InlineData("""{"prompt":"hi"}""")]
    [InlineData("""{"messages":"hi"}""")]
    [InlineData("""{"messages":[{"role":"user"}]}""")]
    [InlineData("""{"messages":[{"role":7,"content":"x"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":[3]}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":{"text":"x"}}]}""")]
    [InlineData("""{"messages":["not an object"]}""")]
    public void Non_conforming_values_get_the_full_validation_and_its_problems(string json)
    {
        Assert.False(MessagesFormat.ConformsFast(json));
        var problems = MessagesFormat.Validate(Payload.Json(json), "x");
        Assert.NotEmpty(problems);
        Assert.Equal(MessagesFormat.Validate(JsonNode.Parse(json), "x"), problems);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"messages":"b"}""")]
    [InlineData("""{"messages":"b","messages":[{"role":"user","content":"a"}]}""")]
    [InlineData("""{"messages":[{"role":"user","role":5,"content":"a"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"a","content":7}]}""")]
    public void Repeated_keys_are_left_to_the_full_validation(string json)
    {
        Assert.False(MessagesFormat.ConformsFast(json));
        var full = MessagesFormat.Validate(Payload.Json(json), "x");
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(MessagesFormat.Validate(doc.RootElement, "x"), full);
    }

    [Fact]
    public void A_value_nested_deeper_than_the_reader_allows_is_left_to_the_full_validation()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100));
        var json = $$"""{"messages":[{"role":"user","content":"x","extra":{{deep}}}]}""";
        Assert.False(MessagesFormat.ConformsFast(json));
        Assert.Empty(MessagesFormat.Validate(Payload.Json(json), "x"));
    }

    [Fact]
    public void A_large_value_is_decided_through_a_rented_buffer()
    {
        var content = new string('x', 5_000);
        var json = $$"""{"messages":[{"role":"user","content":"{{content}}"}]}""";
        Assert.True(MessagesFormat.ConformsFast(json));
        Assert.False(MessagesFormat.ConformsFast(json.Replace("\"role\"", "\"rolex\"", StringComparison.Ordinal)));
    }
}
