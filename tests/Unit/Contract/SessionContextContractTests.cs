using System.Text.Json;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Contract;

/// <summary>
/// Port of the Python SDK's <c>test_session_context.py</c> (CONTRACT §4, §1.7): the same twelve behaviours for the
/// ambient session id and the ambient user id. Python's "set/reset via token" is the disposable scope here; the
/// decorator and LangGraph/LangChain/DeepAgents handler smoke tests become the delegate forms (<see cref="Probe.Trace(string, Action{TraceContext})"/>,
/// <see cref="PandaProbeClient.TraceAsync(string, Func{TraceContext, Task})"/>) and flow tests (<see cref="Task.Run(Action)"/>).
/// In the Probe collection because one behaviour goes through the static default client.
/// </summary>
[Collection(ProbeCollection.Name)]
public class SessionContextContractTests
{
    public const string Session = "session";
    public const string User = "user";

    static string? Current(string kind) => kind == Session ? Probe.CurrentSessionId : Probe.CurrentUserId;

    static void Set(string kind, string? value)
    {
#pragma warning disable CS0618 // the unscoped setters are obsolete; this checks they still work
        if (kind == Session) Probe.SetSession(value);
        else Probe.SetUser(value);
#pragma warning restore CS0618
    }

    static IDisposable Scope(string kind, string value) => kind == Session ? Probe.Session(value) : Probe.User(value);

    static TraceContext Start(PandaProbeClient client, string kind, string? explicitValue = null) =>
        kind == Session ? client.StartTrace("t", sessionId: explicitValue) : client.StartTrace("t", userId: explicitValue);

    static string? Of(TraceRecord trace, string kind) => kind == Session ? trace.SessionId : trace.UserId;

    static string? OnWire(TraceRecord trace, string kind) =>
        JsonDocument.Parse(trace.ToJson()).RootElement.TryGetProperty(kind == Session ? "session_id" : "user_id", out var v)
            ? v.GetString() : null;

    [Theory, InlineData(Session), InlineData(User)]
    public void The_ambient_value_is_null_by_default(string kind) => Assert.Null(Current(kind));

    [Theory, InlineData(Session), InlineData(User)]
    public void A_scope_sets_the_value_and_disposing_it_restores_the_previous_one(string kind)
    {
        var scope = Scope(kind, "abc");
        Assert.Equal("abc", Current(kind));
        scope.Dispose();
        Assert.Null(Current(kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public void Nested_scopes_restore_the_outer_value_when_disposed(string kind)
    {
        using (Scope(kind, "outer"))
        {
            using (Scope(kind, "inner"))
                Assert.Equal("inner", Current(kind));
            Assert.Equal("outer", Current(kind));
        }
        Assert.Null(Current(kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public void Set_changes_the_ambient_value_until_changed_again(string kind)
    {
        Set(kind, "one");
        Assert.Equal("one", Current(kind));
        Set(kind, "two");
        Assert.Equal("two", Current(kind));
        Set(kind, null);
        Assert.Null(Current(kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public void A_scope_restores_the_value_on_exit_even_after_a_Set_inside_it(string kind)
    {
        Set(kind, "before");
        using (Scope(kind, "scoped"))
        {
            Set(kind, "changed-inside");
            Assert.Equal("changed-inside", Current(kind));
        }
        Assert.Equal("before", Current(kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public void Disposing_a_scope_twice_restores_only_once(string kind)
    {
        using var outer = Scope(kind, "outer");
        var inner = Scope(kind, "inner");
        inner.Dispose();
        using (Scope(kind, "later"))
        {
            inner.Dispose();
            Assert.Equal("later", Current(kind));
        }
        Assert.Equal("outer", Current(kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public async Task A_trace_created_under_an_ambient_value_inherits_it(string kind)
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (Scope(kind, "ambient-1"))
        using (Start(client, kind)) { }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var trace = Assert.Single(exporter.Traces);
        Assert.Equal("ambient-1", Of(trace, kind));
        Assert.Equal("ambient-1", OnWire(trace, kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public async Task An_explicit_argument_overrides_the_ambient_value(string kind)
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (Scope(kind, "ambient"))
        using (Start(client, kind, "explicit")) { }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("explicit", OnWire(Assert.Single(exporter.Traces), kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public async Task The_static_delegate_form_picks_up_the_ambient_value(string kind)
    {
        var exporter = new InMemoryTraceExporter();
        await using (var probe = ProbeScope.Install(exporter))
        {
            using (Scope(kind, "via-probe"))
                Probe.Trace("delegate", t => t.SetOutput("done"));
            await Probe.FlushAsync(TimeSpan.FromSeconds(10));
        }
        Assert.Equal("via-probe", Of(Assert.Single(exporter.Traces), kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public async Task The_async_delegate_form_keeps_the_ambient_value_across_awaits(string kind)
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (Scope(kind, "async-value"))
        {
            await client.TraceAsync("async", async t =>
            {
                await Task.Yield();
                Assert.Equal("async-value", Current(kind));
                using (Start(client, kind)) { } // a trace started after an await inside the flow
            });
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, exporter.Traces.Count);
        Assert.All(exporter.Traces, t => Assert.Equal("async-value", Of(t, kind)));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public async Task The_value_is_read_when_the_trace_starts(string kind)
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (Scope(kind, "at-start"))
        {
            using var trace = Start(client, kind);
            Set(kind, "changed-later");
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("at-start", Of(Assert.Single(exporter.Traces), kind));
    }

    [Theory, InlineData(Session), InlineData(User)]
    public async Task The_value_flows_into_Task_Run_and_a_change_inside_does_not_leak_back(string kind)
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (Scope(kind, "parent-flow"))
        {
            await Task.Run(() =>
            {
                using (Start(client, kind)) { }
                Set(kind, "child-flow");
            });
            Assert.Equal("parent-flow", Current(kind));
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("parent-flow", Of(Assert.Single(exporter.Traces), kind));
    }
}
