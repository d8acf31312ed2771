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

    /// <summary>The client's default: Full mode, every rule configured, the secrets pass on.</summary>
    static Redactor Secrets(bool on = true) =>
        new(ContentMode.Full, Redactor.DefaultKeyNames, emails: true, cards: true, apiKeys: true, [new Regex("EMP-[0-9]+")], t => t + "!", secrets: on);

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

    [Theory]
    [InlineData("key sk-proj-abcdefghijklmnop1234 used", "key [REDACTED:key] used")]
    [InlineData("Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "Authorization: Bearer [REDACTED:key]")]
    [InlineData("authorization: bearer abcdefghijklmnopqrstuvwxyz", "authorization: bearer [REDACTED:key]")]
    [InlineData("Server=db;User Id=app;Password=hunter2!;Encrypt=true", "Server=db;User Id=app;Password=[REDACTED];Encrypt=true")]
    [InlineData("Host=db;PWD = s3cr3t", "Host=db;PWD = [REDACTED]")]
    [InlineData("Password=\"p;w\"\"d\";Database=app", "Password=\"[REDACTED]\";Database=app")]   // quoted, a doubled quote inside
    [InlineData("pwd='x y';", "pwd='[REDACTED]';")]
    [InlineData("export DB_PASSWORD=s3cr3t\nnext line", "export DB_PASSWORD=[REDACTED]\nnext line")]   // up to the end of the line
    [InlineData("postgres://app:s3cr3t@db.internal:5432/orders", "postgres://app:[REDACTED]@db.internal:5432/orders")]
    [InlineData("redis://:p@ss@cache:6379 and more", "redis://:[REDACTED]@cache:6379 and more")]   // empty user, an '@' in the password
    [InlineData("mail ana@example.com, card 4111 1111 1111 1111, EMP-42", "mail ana@example.com, card 4111 1111 1111 1111, EMP-42")]
    [InlineData("see https://example.com:8443/docs?q=a@b or https://ana@example.com", "see https://example.com:8443/docs?q=a@b or https://ana@example.com")]
    [InlineData("the Password field, Password=;", "the Password field, Password=;")]
    [InlineData("if (pwd == expected) return;", "if (pwd == expected) return;")]                      // a comparison in code
    [InlineData("newPassword=x; oldpwd=y", "newPassword=x; oldpwd=y")]                                // not a password's name
    public void Full_mode_masks_secrets_and_only_secrets(string text, string expected) =>
        Assert.Equal(expected, Secrets().Text(text));

    [Fact]
    public void Full_mode_masks_secrets_inside_json_and_leaves_key_names_and_emails()
    {
        var json = """{"db":"Server=x;Password=abc","url":"amqp:\/\/bot:pw@mq","password":"plain","email":"a@b.io","n":4111111111111111}""";
        Assert.Equal("""{"db":"Server=x;Password=[REDACTED]","url":"amqp://bot:[REDACTED]@mq","password":"plain","email":"a@b.io","n":4111111111111111}""",
            Secrets().Value(Payload.Json(json)).Value);
        var utf8 = Payload.Utf8Json("""{"auth":"Bearer abcdefghijklmnopqrstuvwxyz"}"""u8.ToArray());
        Assert.Equal("""{"auth":"Bearer [REDACTED:key]"}""", Secrets().Value(utf8).Value);
    }

    [Fact]
    public void A_text_or_a_value_without_a_trigger_is_returned_as_the_same_instance()
    {
        var redactor = Secrets();
        var plain = "What is the capital of France? Answer in one word, e-mail ana@example.com.";
        Assert.Same(plain, redactor.Text(plain));
        var near = "The risk-free rate in Asia, see https://example.com/rates";   // triggers, but no secret
        Assert.Same(near, redactor.Text(near));
        var json = Payload.Json("""{"messages":[{"role":"user","content":"What is 2 + 2?"}],"n":42}""");
        Assert.Same(json, redactor.Value(json));
        var utf8 = Payload.Utf8Json("""{"content":"nothing secret here"}"""u8.ToArray());
        Assert.Same(utf8, redactor.Value(utf8));
        var span = Span() with { Input = Payload.Text(plain), Output = json, Metadata = Map(("password_hint", Payload.Text("blue"))) };
        var trace = Trace() with { Input = Payload.Text(near), Spans = Seq1(span), Error = ErrorInfo.Of("timed out") };
        Assert.Same(trace, redactor.Apply(trace));
        Assert.False(redactor.IsNone);
    }

    [Fact]
    public void Masking_twice_changes_nothing_more()
    {
        var text = "Password=\"a\"; Pwd=b; postgres://u:c@h; sk-proj-abcdefghijklmnop1234";
        var once = Secrets().Text(text);
        Assert.Equal("Password=\"[REDACTED]\"; Pwd=[REDACTED]; postgres://u:[REDACTED]@h; [REDACTED:key]", once);
        Assert.Same(once, Secrets().Text(once));
    }

    [Fact]
    public void Every_place_a_value_can_sit_has_its_secrets_masked_in_full_mode()
    {
        var span = Span() with
        {
            Input = Payload.Text("use sk-proj-abcdefghijklmnop1234"),
            Output = Payload.Json("""{"conn":"Host=h;Password=p"}"""),
            Metadata = Map(("dsn", Payload.Text("mysql://root:toor@db/app")), ("who", Payload.Text("ana@example.com"))),
            Params = Map(("header", Payload.Text("Bearer abcdefghijklmnopqrstuvwxyz"))),
            ModelParameters = Map(("conn", Payload.Text("Pwd=x"))),
            Error = new ErrorInfo("login failed for postgres://app:pw@db", "IOException", Map(("conn", Payload.Text("Password=y")))),
            Logs = Seq1(new LogEntry(DateTimeOffset.UnixEpoch, Payload.Text("Password=z"))),
            Tokens = TokenUsage.Of(10, 5),
            Model = "gpt-4o",
        };
        var trace = Trace() with { Output = Payload.Text("AKIAABCDEFGHIJKLMNOP"), Spans = Seq1(span) };
        var redacted = Secrets().Apply(trace);
        var s = redacted.Spans.Head;
        Assert.Equal("[REDACTED:key]", redacted.Output!.Value);
        Assert.Equal("use [REDACTED:key]", s.Input!.Value);
        Assert.Equal("""{"conn":"Host=h;Password=[REDACTED]"}""", s.Output!.Value);
        Assert.Equal("mysql://root:[REDACTED]@db/app", s.Metadata["dsn"].Value);
        Assert.Equal("ana@example.com", s.Metadata["who"].Value);
        Assert.Equal("Bearer [REDACTED:key]", s.Params["header"].Value);
        Assert.Equal("Pwd=[REDACTED]", s.ModelParameters!.Value["conn"].Value);
        Assert.Equal("login failed for postgres://app:[REDACTED]@db", s.Error!.Message);
        Assert.Equal("Password=[REDACTED]", s.Error!.Data["conn"].Value);
        Assert.Equal("Password=[REDACTED]", s.Logs.Head.Data.Value);
        Assert.Equal((span.Id, span.Name, span.Model, span.Tokens), (s.Id, s.Name, s.Model, s.Tokens));
        var score = new Score(trace.Id, "quality", "1", ScoreDataType.Numeric, "used Pwd=x", Map(("conn", Payload.Text("Password=q"))));
        var scored = Secrets().Apply(score);
        Assert.Equal(("used Pwd=[REDACTED]", "Password=[REDACTED]", "1"), (scored.Reason, scored.Metadata["conn"].Value, scored.Value));
    }

    [Fact]
    public void With_the_secrets_pass_off_full_mode_changes_nothing()
    {
        var redactor = Secrets(on: false);
        Assert.True(redactor.IsNone);
        var trace = Trace() with { Input = Payload.Text("Password=p; sk-proj-abcdefghijklmnop1234") };
        Assert.Same(trace, redactor.Apply(trace));
    }

    [Fact]
    public void In_redacted_mode_key_shapes_stay_masked_while_either_switch_is_on()
    {
        static string Mask(bool apiKeys, bool secrets) =>
            new Redactor(ContentMode.Redacted, [], emails: false, cards: false, apiKeys, [], null, secrets).Text("k sk-proj-abcdefghijklmnop1234 Pwd=x");
        Assert.Equal("k [REDACTED:key] Pwd=[REDACTED]", Mask(apiKeys: false, secrets: true));
        Assert.Equal("k [REDACTED:key] Pwd=x", Mask(apiKeys: true, secrets: false));
        Assert.Equal("k sk-proj-abcdefghijklmnop1234 Pwd=x", Mask(apiKeys: false, secrets: false));
    }

    [Fact]
    public void In_redacted_mode_a_url_password_is_masked_before_the_email_pattern_sees_it()
    {
        Assert.Equal("postgres://app:[REDACTED]@db.example.com/x and [REDACTED:email]",
            Rules().Text("postgres://app:s3cr3t@db.example.com/x and ana@example.com"));
    }

    static TraceRecord Trace() => new() { Id = TraceId.New(), Name = "t", StartedAt = DateTimeOffset.UnixEpoch };

    static Span Span() => new() { Id = SpanId.New(), Trace = default, Name = "s", StartedAt = DateTimeOffset.UnixEpoch, Kind = SpanType.Llm };
}
