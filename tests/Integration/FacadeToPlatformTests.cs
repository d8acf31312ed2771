using PandaProbe.Pipeline;
using PandaProbe.Model;
using PandaProbe.Http;
using PandaProbe.Exporters;
using PandaProbe.Integration.Support;
using PandaProbe.Model.Delivery;
using PandaProbe.Model.Settings;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>End to end: the public API, configured like a user would, delivering to the fake platform.</summary>
public sealed class FacadeToPlatformTests : PlatformTest
{


    private PandaProbeClient Client(Action<PandaProbeOptions>? configure = null)
    {
        var options = new PandaProbeOptions
        {
            RegisterProcessExitHandler = false,
            EnvironmentVariables = new Dictionary<string, string?>
            {
                [SettingNames.ApiKey] = "sk_pp_facade",
                [SettingNames.ProjectName] = "facade project",
                [SettingNames.Endpoint] = platform.BaseUrl + "/",
                [SettingNames.Environment] = "ci",
                [SettingNames.Release] = "1.2.3",
            },
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            MaxBackoff = TimeSpan.FromMilliseconds(5),
            RequestTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return new PandaProbeClient(options);
    }

    [Fact]
    public async Task A_trace_and_its_score_arrive_from_the_public_api()
    {
        await using var client = Client();
        Guid traceId;
        using (var trace = client.StartTrace("chat-turn", input: new { messages = new[] { new { role = "user", content = "hi" } } }))
        {
            traceId = trace.TraceId;
            using (var span = trace.Span("answer", SpanType.Llm)) span.SetOutput("hello");
        }
        client.Score(traceId, "helpful", true, "thumbs up");

        var flushed = await client.FlushAsync(TimeSpan.FromSeconds(15));

        Assert.Empty(platform.Problems);
        var body = Assert.Single(platform.Accepted, r => r.IsTrace).Json;
        Assert.Equal(traceId.ToString(), body.GetProperty("trace_id").GetString());
        Assert.Equal("ci", body.GetProperty("environment").GetString());
        Assert.Equal("1.2.3", body.GetProperty("release").GetString());
        Assert.Equal("answer", Assert.Single(body.GetProperty("spans").EnumerateArray()).GetProperty("name").GetString());
        var score = Assert.Single(platform.Accepted, r => r.IsScore);
        Assert.Equal("facade project", score.Headers["X-Project-Name"]);
        Assert.Equal("PROGRAMMATIC", score.Json.GetProperty("source").GetString());
        Assert.Equal(2, client.Health.Exported);
        Assert.Equal(2, flushed.Health.Exported);
        Assert.Equal(0, flushed.Health.Failed);
        Assert.True(flushed.Health.SendsToPlatform);
        Assert.Empty(flushed.Health.DeliveryFailures);
        Assert.Equal(0, flushed.Health.Failed);
    }

    [Fact]
    public async Task A_rejected_key_reaches_the_error_callbacks_and_the_health_counters()
    {
        platform.Script = _ => Reply.Status(401, "{\"detail\":\"Invalid API key\"}");
        var fromOptions = new List<Exception>();
        var fromClient = new List<Exception>();
        await using var client = Client(o => o.OnError = e => { lock (fromOptions) fromOptions.Add(e); });
        client.OnError(e => { lock (fromClient) fromClient.Add(e); });

        using (client.StartTrace("denied")) { }
        var flushed = await client.FlushAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, flushed.Health.DeliveryFailuresFor(DropReason.Unauthorized));

        Assert.Single(platform.Requests);
        lock (fromOptions) Assert.Equal(DropReason.Unauthorized, Assert.IsType<PandaProbeDeliveryException>(Assert.Single(fromOptions)).Reason);
        lock (fromClient) Assert.Single(fromClient);
        Assert.Equal(1, client.Health.DeliveryFailuresFor(DropReason.Unauthorized));
        Assert.Equal(1, client.Health.Failed);
    }

    [Fact]
    public async Task Shutdown_drains_what_is_queued_and_a_second_shutdown_is_harmless()
    {
        var client = Client(o => o.FlushInterval = TimeSpan.FromMinutes(5));
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
            using (var trace = client.StartTrace($"queued-{i}")) ids.Add(trace.TraceId);

        await client.ShutdownAsync(TimeSpan.FromSeconds(15));
        await client.ShutdownAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(3, platform.Requests.Count);
        Assert.Equal(ids.Select(id => id.ToString()).Order(),
            platform.Accepted.Select(r => r.Json.GetProperty("trace_id").GetString()).Order());
    }

    [Fact]
    public async Task Options_win_over_the_environment_on_the_wire()
    {
        await using var client = Client(o => { o.ApiKey = "sk_pp_from_code"; o.ProjectName = "code project"; o.Environment = "staging"; });
        using (client.StartTrace("precedence")) { }

        await client.FlushAsync(TimeSpan.FromSeconds(15));

        var request = Assert.Single(platform.Accepted);
        Assert.Equal("sk_pp_from_code", request.Headers["X-API-Key"]);
        Assert.Equal("code project", request.Headers["X-Project-Name"]);
        Assert.Equal("staging", request.Json.GetProperty("environment").GetString());
        Assert.Equal("1.2.3", request.Json.GetProperty("release").GetString()); // not overridden: the environment's value
    }

    [Fact]
    public async Task With_flush_on_dispose_the_trace_is_at_the_platform_before_dispose_async_returns()
    {
        await using var client = Client(o => { o.FlushOnDispose = true; o.FlushInterval = TimeSpan.FromHours(1); });
        Guid id;
        await using (var trace = client.StartTrace("lambda-handler"))
        {
            id = trace.TraceId;
            using var span = trace.Span("work", SpanType.Tool);
        }
        var body = Assert.Single(platform.Accepted, r => r.IsTrace).Json;   // no FlushAsync: DisposeAsync waited
        Assert.Equal(id.ToString(), body.GetProperty("trace_id").GetString());
    }

    [Fact]
    public async Task A_redacted_client_sends_no_secret_to_the_platform()
    {
        await using var client = Client(o => o.ContentMode = PandaProbe.Model.ContentMode.Redacted);
        using (var trace = client.StartTrace("support", input: "mail ana@example.com", metadata: new Dictionary<string, object?> { ["api_key"] = "k-123" }))
        using (var span = trace.Span("lookup", SpanType.Tool))
        {
            span.SetInput(new { card = "4111 1111 1111 1111", auth = "Bearer abcdefghijklmnopqrstuv" });
            span.SetError("no account for ana@example.com");
        }
        await client.FlushAsync(TimeSpan.FromSeconds(15));
        var body = Assert.Single(platform.Accepted, r => r.IsTrace).Json.GetRawText();
        foreach (var secret in new[] { "ana@example.com", "k-123", "4111 1111 1111 1111", "abcdefghijklmnopqrstuv" })
            Assert.DoesNotContain(secret, body);
        Assert.Contains("[REDACTED:email]", body);
        Assert.Contains("[REDACTED:card]", body);
    }
}
