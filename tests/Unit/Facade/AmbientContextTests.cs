using System.Runtime.CompilerServices;
using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Facade;

/// <summary>
/// The ambient context is per async flow: a new span's parent is the innermost open span of the same trace in the
/// same flow, whatever other flows do at the same time (CONTRACT §1.5: the Python SDK shares one mutable span stack
/// between asyncio tasks and mis-parents concurrent siblings; we must not).
/// </summary>
public class AmbientContextTests
{
    static Span Named(TraceRecord t, string name) => t.Spans.Single(s => s.Name == name);

    static SpanId? ParentOf(TraceRecord t, string name) => Named(t, name).Parent;

    static async Task<TraceRecord> Single(RecordingExporter exporter, PandaProbeClient client)
    {
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.Completed);
        return Assert.Single(exporter.Traces);
    }

    /// <summary>A gate that opens once <paramref name="count"/> flows have arrived, so they are all open at once.</summary>
    sealed class Rendezvous(int count)
    {
        readonly TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int arrived;

        public Task ArriveAndWait()
        {
            if (Interlocked.Increment(ref arrived) == count) all.TrySetResult();
            return all.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task Siblings_started_in_parallel_with_WhenAll_all_get_the_enclosing_span_as_parent()
    {
        const int n = 8;
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("fan-out"))
        using (trace.Span("parent"))
        {
            var gate = new Rendezvous(n);
            await Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
            {
                await Task.Yield();
                using var child = trace.Span($"child-{i}");
                await gate.ArriveAndWait(); // every sibling is open now
                using (trace.Span($"grandchild-{i}")) { }
            }));
            Assert.Equal("parent", Probe.CurrentSpan?.Name);
        }
        var t = await Single(exporter, client);
        Assert.Equal(1 + 2 * n, t.Spans.Count);
        var parent = Named(t, "parent").Id;
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(parent, ParentOf(t, $"child-{i}"));
            Assert.Equal(Named(t, $"child-{i}").Id, ParentOf(t, $"grandchild-{i}"));
        }
    }

    [Fact]
    public async Task Parallel_ForEachAsync_bodies_are_parented_to_the_span_open_where_the_loop_started()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var items = Enumerable.Range(0, 12).ToArray();
        using (var trace = client.StartTrace("parallel"))
        using (trace.Span("loop"))
        {
            await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            {
                using var item = trace.Span($"item-{i}");
                await Task.Yield();
                using (trace.Span($"step-{i}")) { }
            });
        }
        var t = await Single(exporter, client);
        var loop = Named(t, "loop").Id;
        foreach (var i in items)
        {
            Assert.Equal(loop, ParentOf(t, $"item-{i}"));
            Assert.Equal(Named(t, $"item-{i}").Id, ParentOf(t, $"step-{i}"));
        }
    }

    [Fact]
    public async Task Task_Run_inherits_the_current_span()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        using (var outer = trace.Span("outer"))
        {
            await Task.Run(() =>
            {
                Assert.Same(outer, Probe.CurrentSpan);
                Assert.Same(trace, Probe.CurrentTrace);
                using (trace.Span("in-task")) { }
            });
            Assert.Same(outer, Probe.CurrentSpan);
        }
        var t = await Single(exporter, client);
        Assert.Equal(Named(t, "outer").Id, ParentOf(t, "in-task"));
    }

    static async IAsyncEnumerable<int> Produce(TraceContext trace, int count, [EnumeratorCancellation] CancellationToken ct = default)
    {
        for (var i = 0; i < count; i++)
        {
            using (var produce = trace.Span($"produce-{i}"))
            {
                await Task.Yield();
                using (trace.Span($"fetch-{i}")) { await Task.Yield(); }
            }
            yield return i;
        }
    }

    [Fact]
    public async Task Spans_inside_an_async_iterator_nest_under_the_consumer_span_and_each_other()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("stream"))
        using (var consume = trace.Span("consume"))
        {
            await foreach (var i in Produce(trace, 3))
            {
                Assert.Same(consume, Probe.CurrentSpan); // the iterator's spans never leak into the consumer
                using (trace.Span($"handle-{i}")) { }
            }
        }
        var t = await Single(exporter, client);
        var consumeId = Named(t, "consume").Id;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(consumeId, ParentOf(t, $"produce-{i}"));
            Assert.Equal(Named(t, $"produce-{i}").Id, ParentOf(t, $"fetch-{i}"));
            Assert.Equal(consumeId, ParentOf(t, $"handle-{i}"));
        }
    }

    static async IAsyncEnumerable<int> ProduceAcrossYield(TraceContext trace)
    {
        using var batch = trace.Span("batch");
        yield return 0;
        // After a yield the iterator runs in the consumer's context (an async iterator keeps no AsyncLocal state of its
        // own), so "batch" is no longer ambient here: name it as the parent explicitly.
        using (trace.Span("ambient-after-yield")) { }
        using (trace.Span("explicit-after-yield", parent: batch)) { }
        yield return 1;
    }

    [Fact]
    public async Task A_span_held_open_across_yield_return_is_a_parent_only_when_named_explicitly()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("stream"))
        using (trace.Span("consume"))
        {
            await foreach (var _ in ProduceAcrossYield(trace)) { }
            Assert.Equal("consume", Probe.CurrentSpan?.Name);
        }
        var t = await Single(exporter, client);
        Assert.Equal(Named(t, "consume").Id, ParentOf(t, "batch"));
        Assert.Equal(Named(t, "consume").Id, ParentOf(t, "ambient-after-yield"));
        Assert.Equal(Named(t, "batch").Id, ParentOf(t, "explicit-after-yield"));
    }

    [Fact]
    public async Task Ending_a_span_in_one_flow_never_disturbs_another_flow()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var aEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var trace = client.StartTrace("t"))
        {
            var flowA = Task.Run(async () =>
            {
                await bOpen.Task.WaitAsync(TimeSpan.FromSeconds(30));
                using (trace.Span("a")) { }
                Assert.Null(Probe.CurrentSpan);
                aEnded.SetResult();
            });
            var flowB = Task.Run(async () =>
            {
                using var b = trace.Span("b");
                bOpen.SetResult();
                await aEnded.Task.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Same(b, Probe.CurrentSpan);
                using (trace.Span("b-child")) { }
            });
            await Task.WhenAll(flowA, flowB);
        }
        var t = await Single(exporter, client);
        Assert.Null(ParentOf(t, "a"));
        Assert.Null(ParentOf(t, "b"));
        Assert.Equal(Named(t, "b").Id, ParentOf(t, "b-child"));
    }

    [Fact]
    public async Task Out_of_order_disposal_is_harmless_and_later_spans_get_the_right_parent()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        {
            var a = trace.Span("a");
            var b = trace.Span("b");
            a.Dispose();                     // the outer span ends first
            Assert.Same(b, Probe.CurrentSpan);
            using (trace.Span("c")) { }      // still under b
            b.Dispose();
            Assert.Null(Probe.CurrentSpan);  // the ended a is skipped, not resurrected
            using (trace.Span("d")) { }      // top level
            Assert.Same(trace, Probe.CurrentTrace);
        }
        var t = await Single(exporter, client);
        Assert.Equal(Named(t, "a").Id, ParentOf(t, "b"));
        Assert.Equal(Named(t, "b").Id, ParentOf(t, "c"));
        Assert.Null(ParentOf(t, "d"));
        Assert.Equal(new[] { "a", "c", "b", "d" }, t.Spans.Select(s => s.Name).ToArray());
    }

    static async Task<SpanContext> OpenInsideAsyncHelper(TraceContext trace)
    {
        await Task.Yield();
#pragma warning disable CS0618 // the unscoped setter is obsolete; this checks it still works
        Probe.SetSession("set-inside-helper");
#pragma warning restore CS0618
        return trace.Span("helper");
    }

    [Fact]
    public async Task A_value_set_inside_an_awaited_async_helper_does_not_leak_to_the_caller()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        using (var outer = trace.Span("outer"))
        {
            var helper = await OpenInsideAsyncHelper(trace);
            Assert.Same(outer, Probe.CurrentSpan);
            Assert.Null(Probe.CurrentSessionId);
            using (trace.Span("after")) { }
            helper.Dispose();
        }
        var t = await Single(exporter, client);
        Assert.Equal(Named(t, "outer").Id, ParentOf(t, "helper"));
        Assert.Equal(Named(t, "outer").Id, ParentOf(t, "after"));
    }

    [Fact]
    public async Task Session_and_user_scopes_restore_on_dispose_nest_and_stay_in_their_flow()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (Probe.Session("s-outer"))
        using (Probe.User("u-outer"))
        {
            using (Probe.Session("s-inner"))
            {
                Assert.Equal("s-inner", Probe.CurrentSessionId);
                Assert.Equal("u-outer", Probe.CurrentUserId);
                using (client.StartTrace("inner")) { }
            }
            Assert.Equal("s-outer", Probe.CurrentSessionId);
            await Task.WhenAll(
                Task.Run(() => { using (Probe.Session("s-task-1")) using (client.StartTrace("task-1")) { } }),
                Task.Run(() => { using (Probe.User("u-task-2")) using (client.StartTrace("task-2")) { } }));
            Assert.Equal("s-outer", Probe.CurrentSessionId);
            Assert.Equal("u-outer", Probe.CurrentUserId);
            using (client.StartTrace("explicit", sessionId: "s-explicit", userId: "u-explicit")) { }
        }
        Assert.Null(Probe.CurrentSessionId);
        Assert.Null(Probe.CurrentUserId);
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var byName = exporter.Traces.ToDictionary(t => t.Name);
        Assert.Equal(("s-inner", "u-outer"), Ids(byName["inner"]));
        Assert.Equal(("s-task-1", "u-outer"), Ids(byName["task-1"]));
        Assert.Equal(("s-outer", "u-task-2"), Ids(byName["task-2"]));
        Assert.Equal(("s-explicit", "u-explicit"), Ids(byName["explicit"]));

        static (string?, string?) Ids(TraceRecord t) => (t.SessionId, t.UserId);
    }

    [Fact]
    public async Task A_trace_started_inside_another_is_separate_names_its_parent_and_the_outer_becomes_current_again()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        Guid outerId, innerId;
        using (var outer = client.StartTrace("outer"))
        {
            outerId = outer.TraceId;
            using var step = outer.Span("step");
            using (var inner = client.StartTrace("inner"))
            {
                innerId = inner.TraceId;
                Assert.Same(inner, Probe.CurrentTrace);
                Assert.Same(outer, inner.Parent);
                using (inner.Span("inner-span")) { } // never parented to the outer trace's span
            }
            Assert.Same(outer, Probe.CurrentTrace);
            Assert.Same(step, Probe.CurrentSpan);
            using (outer.Span("after")) { }
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var traces = exporter.Traces.ToDictionary(t => t.Id.Value);
        Assert.Equal(2, traces.Count);
        var innerTrace = traces[innerId];
        var outerTrace = traces[outerId];
        Assert.Null(ParentOf(innerTrace, "inner-span"));
        Assert.Equal(Named(outerTrace, "step").Id, ParentOf(outerTrace, "after"));
        Assert.DoesNotContain(outerTrace.Spans, s => s.Name == "inner-span");

        var innerJson = JsonDocument.Parse(innerTrace.ToJson()).RootElement;
        Assert.Equal(outerId.ToString("D"), innerJson.GetProperty("metadata").GetProperty("parent_trace_id").GetString());
        var outerJson = JsonDocument.Parse(outerTrace.ToJson()).RootElement;
        Assert.False(outerJson.TryGetProperty("metadata", out _));
    }

    [Fact]
    public async Task A_span_started_with_makeCurrent_false_does_not_become_the_parent()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        using (var outer = trace.Span("outer"))
        {
            using var background = trace.Span("background", makeCurrent: false);
            Assert.Same(outer, Probe.CurrentSpan);
            using (trace.Span("next")) { }
        }
        var t = await Single(exporter, client);
        Assert.Equal(Named(t, "outer").Id, ParentOf(t, "background"));
        Assert.Equal(Named(t, "outer").Id, ParentOf(t, "next"));
    }

    [Fact]
    public async Task Work_handed_to_a_task_that_outlives_its_parent_span_is_kept_under_it_and_counted_as_a_late_child()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        Task background;
        using (var trace = client.StartTrace("t"))
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (var handOff = trace.Span("hand-off"))
            {
                background = Task.Run(async () =>
                {
                    await started.Task;   // the parent has ended by now
                    using var late = trace.Span("late-work", SpanType.Tool, parent: handOff);
                    Assert.True(handOff.IsEnded);
                    Assert.Equal(handOff.SpanId, late.ParentId);
                    Assert.False(late.IsEnded);
                });
            }
            started.SetResult();
            await background;
        }
        var t = await Single(exporter, client);
        Assert.Equal(Named(t, "hand-off").Id, ParentOf(t, "late-work"));
        Assert.True(Named(t, "late-work").StartedAt >= Named(t, "hand-off").EndedAt);
        Assert.Equal(1, client.Health.LateChildSpans);
        Assert.Empty(client.Health.Rejections);
    }

    [Fact]
    public async Task An_explicit_parent_wins_over_the_ambient_one()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        using (var a = trace.Span("a"))
        using (trace.Span("b"))
        {
            using (var c = trace.Span("c", parent: a))
            {
                Assert.Equal(a.SpanId, c.ParentId);
                using (trace.Span("d")) { } // c is current, so it parents d
            }
        }
        var t = await Single(exporter, client);
        Assert.Equal(Named(t, "a").Id, ParentOf(t, "c"));
        Assert.Equal(Named(t, "c").Id, ParentOf(t, "d"));
    }

    [Fact]
    public async Task A_parent_from_another_trace_is_ignored_and_the_ambient_parent_is_used()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        Guid secondId;
        using (var first = client.StartTrace("first"))
        using (var foreign = first.Span("foreign"))
        {
            using var second = client.StartTrace("second");
            secondId = second.TraceId;
            using var local = second.Span("local");
            using (var s = second.Span("child", parent: foreign))
                Assert.Equal(local.SpanId, s.ParentId);
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var t = exporter.Traces.Single(x => x.Id.Value == secondId);
        Assert.Equal(Named(t, "local").Id, ParentOf(t, "child"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference TraceAndSpanThatEnded(PandaProbeClient client)
    {
        var trace = client.StartTrace("done");
        var span = trace.Span("inner");
        span.Dispose();
        trace.Dispose();
        Assert.Null(Probe.CurrentTrace);   // ended scopes are skipped at once, before anything else is pushed
        return new WeakReference(trace);
    }

    [Fact]
    public async Task Ended_scopes_leave_the_ambient_stack_when_the_flow_pushes_again()
    {
        // Scopes are popped lazily (no AsyncLocal write on end); the next push must drop them so a long-lived flow
        // that traces in a loop does not keep every ended trace reachable.
        await using var client = TestClient.Create(new RecordingExporter());
        await Task.Run(() =>
        {
            var ended = TraceAndSpanThatEnded(client);
            using var next = client.StartTrace("next");
            Assert.Null(next.Parent);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.False(ended.IsAlive);
        });
    }
}
