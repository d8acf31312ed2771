using System.Runtime.CompilerServices;
using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Decorators;

/// <summary>
/// <see cref="PandaProbeProxy"/>: each call of a decorated interface is a span of the ambient trace (or of a trace of its
/// own), with the arguments by name as input and the result, awaited or streamed, as output; exceptions are recorded
/// and propagate unchanged.
/// </summary>
public class PandaProbeProxyTests
{
    public sealed record Hit(string Id, double Score);

    public interface ISearch
    {
        int Add(int left, int right);
        void Touch(string key);
        Task<IReadOnlyList<Hit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default);
        Task WarmAsync(string index);
        ValueTask<string> EchoAsync(string text);
        ValueTask PingAsync();
        IAsyncEnumerable<string> StreamAsync(string prefix, int count, CancellationToken cancellationToken = default);
        string Fail(string why);
        Task<string> FailLaterAsync(string why);
        Task FailAllAsync();
        Task<int> CancelledAsync(CancellationToken cancellationToken);
        IAsyncEnumerable<int> BrokenStreamAsync();
        int Count { get; }
    }

    public sealed class Search(ISearch? inner = null) : ISearch
    {
        public int Add(int left, int right) => left + right;
        public void Touch(string key) { }

        public async Task<IReadOnlyList<Hit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (inner is not null) await inner.WarmAsync("docs");   // a decorated call made by the implementation
            return Enumerable.Range(1, top).Select(i => new Hit($"{query}-{i}", 1.0 / i)).ToArray();
        }

        public async Task WarmAsync(string index) => await Task.Delay(1);

        public async ValueTask<string> EchoAsync(string text)
        {
            await Task.Yield();
            return text;
        }

        public ValueTask PingAsync() => default;

        public async IAsyncEnumerable<string> StreamAsync(string prefix, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Yield();
                if (inner is not null && i == 0) _ = inner.Add(i, i);   // nests under the enumeration's span
                yield return $"{prefix}{i}";
            }
        }

        public string Fail(string why) => throw new InvalidOperationException(why);

        public async Task<string> FailLaterAsync(string why)
        {
            await Task.Yield();
            throw new InvalidOperationException(why);
        }

        public Task FailAllAsync() => Task.WhenAll(
            Task.Run(() => throw new InvalidOperationException("first")),
            Task.Run(async () => { await Task.Delay(20); throw new ArgumentException("second"); }));

        public async Task<int> CancelledAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 1;
        }

        public async IAsyncEnumerable<int> BrokenStreamAsync()
        {
            yield return 1;
            await Task.Yield();
            throw new FormatException("bad row");
        }

        public int Count => 3;
    }

    static async Task<TraceRecord> Single(RecordingExporter exporter, PandaProbeClient client)
    {
        Assert.True((await client.FlushAsync(TimeSpan.FromSeconds(10))).Completed);
        return Assert.Single(exporter.Traces);
    }

    static Span Named(TraceRecord t, string name) => t.Spans.Single(s => s.Name == name);

    static JsonElement Json(Payload? payload) => JsonDocument.Parse(payload?.ToJson() ?? "null").RootElement.Clone();

    [Fact]
    public async Task A_call_is_a_child_span_of_the_current_span_with_its_arguments_by_name_and_its_result()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var search = PandaProbeProxy.Create<ISearch>(new Search());
        using (var trace = client.StartTrace("answer"))
        using (trace.Span("plan", SpanType.Agent))
        {
            Assert.Equal(5, search.Add(2, 3));
            search.Touch("k");
            using (trace.Span("after")) { }   // the call's span did not stay current
        }
        var t = await Single(exporter, client);

        Assert.Equal(4, t.Spans.Count);
        var plan = Named(t, "plan");
        var add = Named(t, "Add");
        Assert.Equal(plan.Id, add.Parent);
        Assert.Equal(SpanType.Other, add.Kind);
        Assert.Equal(SpanStatus.Ok, add.Status);
        Assert.Equal(2, Json(add.Input).GetProperty("left").GetInt32());
        Assert.Equal(3, Json(add.Input).GetProperty("right").GetInt32());
        Assert.Equal("5", add.Output?.Value);
        var touch = Named(t, "Touch");
        Assert.Equal("k", Json(touch.Input).GetProperty("key").GetString());
        Assert.Null(touch.Output);   // void has no output
        Assert.Equal(plan.Id, Named(t, "after").Parent);
    }

    [Fact]
    public async Task Task_results_are_awaited_and_the_span_has_ended_when_the_caller_resumes()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var search = PandaProbeProxy.Create<ISearch>(new Search());
        using var cts = new CancellationTokenSource();
        using (var trace = client.StartTrace("answer"))
        {
            var hits = await search.SearchAsync("panda", top: 2, cts.Token);
            Assert.Equal(2, hits.Count);
            await search.WarmAsync("docs");
            Assert.Equal("hello", await search.EchoAsync("hello"));
            await search.PingAsync();
            Assert.Null(Probe.CurrentSpan);   // no decorated span is left current in the caller's flow
        }
        var t = await Single(exporter, client);

        Assert.Equal(4, t.Spans.Count);
        Assert.All(t.Spans, s => Assert.False(s.IsOpen));
        var searchSpan = Named(t, "SearchAsync");
        var input = Json(searchSpan.Input);
        Assert.Equal("panda", input.GetProperty("query").GetString());
        Assert.Equal(2, input.GetProperty("top").GetInt32());
        Assert.False(input.TryGetProperty("cancellationToken", out _));   // tokens are never captured
        var output = Json(searchSpan.Output);
        Assert.Equal(2, output.GetArrayLength());
        Assert.Equal("panda-1", output[0].GetProperty("Id").GetString());
        Assert.Null(Named(t, "WarmAsync").Output);
        Assert.Equal("hello", Named(t, "EchoAsync").Output?.Value);
        Assert.Null(Named(t, "PingAsync").Output);
    }

    [Fact]
    public async Task Decorated_calls_made_by_a_decorated_implementation_nest_under_its_span()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var inner = PandaProbeProxy.Create<ISearch>(new Search());
        var outer = PandaProbeProxy.Create<ISearch>(new Search(inner));
        using (var trace = client.StartTrace("answer"))
        using (trace.Span("root"))
            await outer.SearchAsync("q", 1);
        var t = await Single(exporter, client);

        Assert.Equal(3, t.Spans.Count);
        Assert.Equal(Named(t, "root").Id, Named(t, "SearchAsync").Parent);
        Assert.Equal(Named(t, "SearchAsync").Id, Named(t, "WarmAsync").Parent);
    }

    [Fact]
    public async Task Calls_running_at_the_same_time_are_siblings_not_parent_and_child()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var search = PandaProbeProxy.Create<ISearch>(new Search());
        using (var trace = client.StartTrace("fan-out"))
        using (trace.Span("root"))
        {
            var first = search.WarmAsync("a");     // still running when the second call starts
            var second = search.EchoAsync("b").AsTask();
            await Task.WhenAll(first, second);
        }
        var t = await Single(exporter, client);

        var root = Named(t, "root").Id;
        Assert.Equal(root, Named(t, "WarmAsync").Parent);
        Assert.Equal(root, Named(t, "EchoAsync").Parent);
    }

    [Fact]
    public async Task With_no_trace_open_a_call_is_a_trace_of_its_own_named_after_the_method()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var search = PandaProbeProxy.Create<ISearch>(new Search(), client);

        Assert.Equal("x", await search.EchoAsync("x"));
        Assert.Equal(7, search.Add(3, 4));
        Assert.True((await client.FlushAsync(TimeSpan.FromSeconds(10))).Completed);

        Assert.Equal(new[] { "Add", "EchoAsync" }, exporter.Traces.Select(t => t.Name).Order().ToArray());
        var echo = exporter.Traces.Single(t => t.Name == "EchoAsync");
        var span = Assert.Single(echo.Spans);
        Assert.Equal("EchoAsync", span.Name);
        Assert.Equal("x", Json(echo.Input).GetProperty("text").GetString());
        Assert.Equal("x", echo.Output?.Value);
        Assert.Equal(TraceStatus.Completed, echo.Status);
    }

    [Fact]
    public async Task A_stream_is_one_span_per_enumeration_collecting_its_items()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var inner = PandaProbeProxy.Create<ISearch>(new Search());
        var search = PandaProbeProxy.Create<ISearch>(new Search(inner));
        var seen = new List<string>();
        using (var trace = client.StartTrace("stream"))
        using (trace.Span("root"))
        {
            await foreach (var item in search.StreamAsync("p", 3))
            {
                seen.Add(item);
                using (trace.Span($"consume-{item}")) { }   // the consumer's body is not under the stream's span
            }
            await foreach (var item in search.StreamAsync("q", 5))
                if (item == "q1") break;                     // left early: the span ends when the enumerator is disposed
        }
        var t = await Single(exporter, client);

        Assert.Equal(new[] { "p0", "p1", "p2" }, seen);
        var streams = t.Spans.Where(s => s.Name == "StreamAsync").OrderBy(s => s.StartedAt).ToArray();
        Assert.Equal(2, streams.Length);
        var root = Named(t, "root").Id;
        Assert.All(streams, s => Assert.Equal(root, s.Parent));
        Assert.Equal(new[] { "p0", "p1", "p2" }, Json(streams[0].Output).EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal("p", Json(streams[0].Input).GetProperty("prefix").GetString());
        Assert.False(streams[0].Metadata.ContainsKey("incomplete"));
        var partial = streams.Single(s => Json(s.Input).GetProperty("prefix").GetString() == "q");
        Assert.Equal(new[] { "q0", "q1" }, Json(partial.Output).EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal("true", partial.Metadata.Find("incomplete").Map(p => p.Value).IfNone(""));
        Assert.All(t.Spans.Where(s => s.Name.StartsWith("consume-", StringComparison.Ordinal)), s => Assert.Equal(root, s.Parent));
        var adds = t.Spans.Where(s => s.Name == "Add").ToArray();   // the source's decorated calls nest under its span
        Assert.Equal(2, adds.Length);
        Assert.All(adds, a => Assert.Contains(streams, s => s.Id == a.Parent));
    }

    [Fact]
    public async Task Exceptions_are_recorded_and_propagate_unchanged()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var search = PandaProbeProxy.Create<ISearch>(new Search());
        using (var trace = client.StartTrace("failing"))
        {
            var sync = Assert.Throws<InvalidOperationException>(() => search.Fail("boom"));
            Assert.Equal("boom", sync.Message);
            Assert.Contains(nameof(Search.Fail), sync.StackTrace);   // thrown by the implementation, not wrapped

            var later = await Assert.ThrowsAsync<InvalidOperationException>(() => search.FailLaterAsync("later"));
            Assert.Equal("later", later.Message);

            var all = search.FailAllAsync();
            await Assert.ThrowsAsync<InvalidOperationException>(() => all);
            Assert.Equal(2, all.Exception!.InnerExceptions.Count);   // every exception of the task is kept

            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
            var cancelled = search.CancelledAsync(cts.Token);
            var oce = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.True(cancelled.IsCanceled);
            Assert.Equal(cts.Token, oce.CancellationToken);

            var rows = new List<int>();
            await Assert.ThrowsAsync<FormatException>(async () =>
            {
                await foreach (var row in search.BrokenStreamAsync()) rows.Add(row);
            });
            Assert.Equal(new[] { 1 }, rows);
        }
        var t = await Single(exporter, client);

        Assert.Equal(5, t.Spans.Count);
        Assert.All(t.Spans, s => Assert.Equal(SpanStatus.Error, s.Status));
        Assert.Equal("boom", Named(t, "Fail").Error?.Message);
        Assert.Equal(typeof(InvalidOperationException).FullName, Named(t, "Fail").Error?.Type);
        Assert.Equal("later", Named(t, "FailLaterAsync").Error?.Message);
        Assert.Equal("first", Named(t, "FailAllAsync").Error?.Message);
        Assert.Equal("bad row", Named(t, "BrokenStreamAsync").Error?.Message);
        Assert.Equal("[1]", Named(t, "BrokenStreamAsync").Output?.ToJson());
    }

    [Fact]
    public async Task A_failing_call_fails_its_own_trace_too()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var search = PandaProbeProxy.Create<ISearch>(new Search(), client);
        await Assert.ThrowsAsync<InvalidOperationException>(() => search.FailLaterAsync("no"));
        var t = await Single(exporter, client);

        Assert.Equal("FailLaterAsync", t.Name);
        Assert.Equal(TraceStatus.Error, t.Status);
        Assert.Equal(SpanStatus.Error, Assert.Single(t.Spans).Status);
    }

    [PandaProbeSpan(Kind = SpanType.Retriever, CaptureOutput = false)]
    public interface IAttributed
    {
        Task<string> LookupAsync(string query);

        [PandaProbeSpan(Kind = SpanType.Tool, Name = "fetch-page", CaptureInput = false, CaptureOutput = true)]
        string Fetch(string url);

        [PandaProbeSpan(CaptureInput = false)]
        string Secret(string password);
    }

    sealed class Attributed : IAttributed
    {
        public Task<string> LookupAsync(string query) => Task.FromResult("found " + query);
        public string Fetch(string url) => "<html/>";
        public string Secret(string password) => "ok";
    }

    [Fact]
    public async Task The_attribute_sets_kind_name_and_capture_with_the_interfaces_as_defaults()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var proxy = PandaProbeProxy.Create<IAttributed>(new Attributed());
        using (var trace = client.StartTrace("attributes"))
        {
            await proxy.LookupAsync("q");
            proxy.Fetch("https://example.com");
            proxy.Secret("hunter2");
        }
        var t = await Single(exporter, client);

        var lookup = Named(t, "LookupAsync");        // the interface's defaults
        Assert.Equal(SpanType.Retriever, lookup.Kind);
        Assert.Equal("q", Json(lookup.Input).GetProperty("query").GetString());
        Assert.Null(lookup.Output);
        var fetch = Named(t, "fetch-page");          // the method's attribute wins
        Assert.Equal(SpanType.Tool, fetch.Kind);
        Assert.Null(fetch.Input);
        Assert.Equal("<html/>", fetch.Output?.Value);
        var secret = Named(t, "Secret");             // unset properties keep the interface's values
        Assert.Equal(SpanType.Retriever, secret.Kind);
        Assert.Null(secret.Input);
        Assert.Null(secret.Output);
        Assert.DoesNotContain("hunter2", t.ToJson());
    }

    public interface IResource : IDisposable, IAsyncDisposable
    {
        string Name { get; }
        int Read();
    }

    sealed class Resource : IResource
    {
        public int Disposed, DisposedAsync;
        public string Name => "r";
        public int Read() => 42;
        public void Dispose() => Disposed++;
        public ValueTask DisposeAsync() { DisposedAsync++; return default; }
    }

    [Fact]
    public async Task Accessors_and_disposal_are_forwarded_without_a_span()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var resource = new Resource();
        var proxy = PandaProbeProxy.Create<IResource>(resource);
        using (var trace = client.StartTrace("resource"))
        {
            Assert.Equal("r", proxy.Name);
            Assert.Equal(42, proxy.Read());
            proxy.Dispose();
            await proxy.DisposeAsync();
        }
        var t = await Single(exporter, client);

        Assert.Equal("Read", Assert.Single(t.Spans).Name);
        Assert.Equal((1, 1), (resource.Disposed, resource.DisposedAsync));
    }

    [Fact]
    public async Task Lazy_sequences_are_not_enumerated_to_be_recorded()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var enumerations = 0;
        IEnumerable<int> Lazy() { enumerations++; yield return 1; }
        var proxy = PandaProbeProxy.Create<ISequences>(new Sequences());
        using (var trace = client.StartTrace("lazy"))
        {
            Assert.Equal(1, proxy.Sum(Lazy()));
            Assert.Equal(new[] { 1, 2 }, proxy.Materialized([1, 2]));
        }
        var t = await Single(exporter, client);

        Assert.Equal(1, enumerations);   // only the implementation enumerated it
        Assert.Contains("not enumerated", Json(Named(t, "Sum").Input).GetProperty("values").GetString());
        Assert.Equal("[1,2]", Json(Named(t, "Materialized").Output).GetRawText());
    }

    public interface ISequences
    {
        int Sum(IEnumerable<int> values);
        IReadOnlyList<int> Materialized(IReadOnlyList<int> values);
    }

    sealed class Sequences : ISequences
    {
        public int Sum(IEnumerable<int> values) => values.Sum();
        public IReadOnlyList<int> Materialized(IReadOnlyList<int> values) => values.ToList();
    }

    [Fact]
    public async Task With_tracing_disabled_and_no_trace_calls_go_straight_through()
    {
        var proxy = PandaProbeProxy.Create<ISearch>(new Search(), PandaProbeClient.Disabled);
        Assert.Equal(3, proxy.Add(1, 2));
        Assert.Equal(2, (await proxy.SearchAsync("q", 2)).Count);
        Assert.Throws<InvalidOperationException>(() => proxy.Fail("still thrown"));
    }

    [Fact]
    public void Only_interfaces_can_be_decorated()
    {
        Assert.Throws<ArgumentException>(() => PandaProbeProxy.Create(new Search()));
        Assert.Throws<ArgumentNullException>(() => PandaProbeProxy.Create<ISearch>(null!));
    }
}
