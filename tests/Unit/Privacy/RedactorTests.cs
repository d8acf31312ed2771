using System.Text.RegularExpressions;
using PandaProbe.Model;
using PandaProbe.Redaction;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Privacy;

public class RedactorTests
{
    static Redactor Rules(ContentMode mode = ContentMode.Redacted, Func<string, string>? custom = null, params Regex[] extra) =>
        new(mode, Redactor.DefaultKeyNames, emails: true, cards: true, apiKeys: true, extra, custom);

    [Theory]
    [InlineData("mail ana.lopez+ai@example.co.uk now", "mail [REDACTED:email] now")]
    [InlineData("card 4111 1111 1111 1111 thanks", "card [REDACTED:card] thanks")]
    [InlineData("card 4111-1111-1111-1111", "card [REDACTED:card]")]
    [InlineData("order 4111 1111 1111 1112", "order 4111 1111 1111 1112")]            // fails the Luhn check: not a card
    [InlineData("key sk-proj-abcdefghijklmnop1234 used", "key [REDACTED:key] used")]
    [InlineData("AKIAABCDEFGHIJKLMNOP", "[REDACTED:key]")]
    [InlineData("Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "Authorization: Bearer [REDACTED:key]")]
    [InlineData("nothing to hide here", "nothing to hide here")]
    public void Texts_have_emails_cards_and_keys_masked(string text, string expected) =>
        Assert.Equal(expected, Rules().Text(text));

    [Fact]
    public void Json_values_are_rewritten_with_sensitive_keys_replaced_and_texts_masked()
    {
        var json = """{"user":{"email":"bob@example.com","api_key":"abc","nested":{"password":{"a":1}},"card":4111111111111111},"tokens":[3,"call me at x@y.io"],"ok":true,"max_tokens":50}""";
        var redacted = Rules().Value(Payload.Json(json)).Value;
        Assert.Equal("""{"user":{"email":"[REDACTED:email]","api_key":"[REDACTED]","nested":{"password":"[REDACTED]"},"card":"[REDACTED:card]"},"tokens":[3,"call me at [REDACTED:email]"],"ok":true,"max_tokens":50}""", redacted);
    }

    [Theory]
    [InlineData("""{"a":"x@y.io"}""", """{"a":"[REDACTED:email]"}""")]
    [InlineData("""{"a":"x\u0040y.io"}""", """{"a":"[REDACTED:email]"}""")]                       // escaped '@'
    [InlineData("""{"n":4111111111111111}""", """{"n":"[REDACTED:card]"}""")]
    [InlineData("""{"api\u005fkey":"v"}""", """{"api_key":"[REDACTED]"}""")]                      // escaped key name
    [InlineData("""{"a":[1,{"b":["sk-proj-abcdefghijklmnop1234"]}]}""", """{"a":[1,{"b":["[REDACTED:key]"]}]}""")]
    public void One_secret_anywhere_in_a_json_value_is_enough_for_the_rewrite(string json, string expected) =>
        Assert.Equal(expected, Rules().Value(Payload.Json(json)).Value);

    [Theory]
    [InlineData("""{"a":"EMP-123456"}""", """{"a":"[REDACTED]"}""")]
    [InlineData("""{"n":123456}""", """{"n":"[REDACTED]"}""")]                                     // a short number, an extra pattern
    public void Extra_patterns_reach_strings_and_numbers_inside_json(string json, string expected) =>
        Assert.Equal(expected, Rules(extra: new Regex("(EMP-)?[0-9]{6}")).Value(Payload.Json(json)).Value);

    [Fact]
    public void A_json_value_with_nothing_to_mask_is_passed_through_as_it_is()
    {
        var payload = Payload.Json("""{"messages":[{"role":"user","content":"What is 2 + 2?"}],"n":42,"ok":true}""");
        Assert.Same(payload, Rules().Value(payload));
        Assert.NotSame(payload, Rules(custom: t => t).Value(payload));   // a custom function is always run
    }

    [Theory]
    [InlineData("password", true)]
    [InlineData("DB_Password", true)]
    [InlineData("openai-api-key", true)]
    [InlineData("auth.token", true)]
    [InlineData("prompt_tokens", false)]
    [InlineData("max_tokens", false)]
    [InlineData("name", false)]
    public void Sensitive_keys_are_matched_without_case_or_separators_and_by_suffix(string key, bool sensitive)
    {
        var trace = Trace() with { Metadata = Map((key, Payload.Text("value"))) };
        Assert.Equal(sensitive ? "[REDACTED]" : "value", Rules().Apply(trace).Metadata[key].Value);
    }

    [Fact]
    public void Every_place_a_value_can_sit_is_redacted_and_identities_and_measures_are_kept()
    {
        var span = Span() with
        {
            Input = Payload.Text("from a@b.io"),
            Output = Payload.Json("""{"answer":"sk-ant-abcdefghijklmnopqrstu"}"""),
            Metadata = Map(("note", Payload.Text("c@d.io"))),
            Params = Map(("secret", Payload.Text("x"))),
            ModelParameters = Map(("apikey", Payload.Text("y"))),
            Error = new ErrorInfo("failed for e@f.io", "IOException", Map(("token", Payload.Text("z")))),
            Logs = Seq1(new LogEntry(DateTimeOffset.UnixEpoch, Payload.Text("g@h.io"))),
            Tokens = TokenUsage.Of(10, 5),
            Model = "gpt-4o",
        };
        var trace = Trace() with { Input = Payload.Text("i@j.io"), SessionId = "s-1", Spans = Seq1(span) };
        var redacted = Rules().Apply(trace);
        var s = redacted.Spans.Head;
        Assert.Equal("[REDACTED:email]", redacted.Input!.Value);
        Assert.Equal("from [REDACTED:email]", s.Input!.Value);
        Assert.Equal("""{"answer":"[REDACTED:key]"}""", s.Output!.Value);
        Assert.Equal("[REDACTED:email]", s.Metadata["note"].Value);
        Assert.Equal("[REDACTED]", s.Params["secret"].Value);
        Assert.Equal("[REDACTED]", s.ModelParameters!.Value["apikey"].Value);
        Assert.Equal("failed for [REDACTED:email]", s.Error!.Message);
        Assert.Equal("[REDACTED]", s.Error!.Data["token"].Value);
        Assert.Equal("[REDACTED:email]", s.Logs.Head.Data.Value);
        Assert.Equal((span.Id, span.Name, span.Model, span.Tokens), (s.Id, s.Name, s.Model, s.Tokens));
        Assert.Equal("s-1", redacted.SessionId);
    }

    [Fact]
    public void Metadata_only_leaves_out_every_input_output_and_log_line()
    {
        var span = Span() with { Input = Payload.Text("in"), Output = Payload.Text("out"), Logs = Seq1(new LogEntry(DateTimeOffset.UnixEpoch, Payload.Text("l"))) };
        var trace = Trace() with { Input = Payload.Text("in"), Output = Payload.Text("out"), Spans = Seq1(span) };
        var redacted = Rules(ContentMode.MetadataOnly).Apply(trace);
        Assert.True(redacted.Input is null && redacted.Output is null);
        Assert.True(redacted.Spans.Head.Input is null && redacted.Spans.Head.Output is null && redacted.Spans.Head.Logs.IsEmpty);
    }

    [Fact]
    public void Full_mode_changes_nothing()
    {
        var trace = Trace() with { Input = Payload.Text("a@b.io") };
        Assert.Same(trace, Rules(ContentMode.Full).Apply(trace));
    }

    [Fact]
    public void Extra_patterns_and_the_custom_function_apply_and_a_failing_function_masks_the_whole_value()
    {
        var employee = new Regex(@"EMP-\d{4}");
        Assert.Equal("id [REDACTED] ok!", Rules(custom: t => t + "!", extra: employee).Text("id EMP-1234 ok"));
        Assert.Equal("[REDACTED]", Rules(custom: _ => throw new InvalidOperationException("bug")).Text("anything"));
    }

    [Fact]
    public void A_value_whose_pattern_runs_out_of_time_is_masked_whole()
    {
        var slow = new Regex(@"^(a+)+$", RegexOptions.None, TimeSpan.FromMilliseconds(1));
        Assert.Equal("[REDACTED]", Rules(extra: slow).Text(new string('a', 40) + "!"));
    }

    [Fact]
    public void A_recorded_value_that_is_not_json_is_masked_whole()
    {
        Assert.Equal("[REDACTED]", Rules().Value(Payload.Json("{not json")).Value);
    }

    static Trace Trace() => new() { Id = TraceId.New(), Name = "t", StartedAt = DateTimeOffset.UnixEpoch };

    static Span Span() => new() { Id = SpanId.New(), Trace = default, Name = "s", StartedAt = DateTimeOffset.UnixEpoch, Kind = SpanKind.Llm };
}
