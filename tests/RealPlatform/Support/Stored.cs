using System.Diagnostics;
using System.Text.Json;

namespace PandaProbe.RealPlatform.Support;

/// <summary>
/// What PostgreSQL holds, read through psql.sh as JSON built by the database itself (<c>json_build_object</c>), so
/// values keep their types and no separator can split them. Times are read as microseconds since the Unix epoch
/// (<c>*_us</c>), the platform's precision, independent of the server's time zone.
/// </summary>
public static class Stored
{
    /// <summary>Microseconds since the Unix epoch, truncated as the SDK writes timestamps (<c>isoformat()</c>).</summary>
    public static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    static string Us(string column) => $"(extract(epoch from {column}) * 1000000)::bigint";

    /// <summary>Runs one statement whose single value is JSON; <c>null</c> when it returned no row (or SQL null).</summary>
    public static async Task<JsonElement?> JsonAsync(this PlatformStack stack, string sql)
    {
        var run = await Processes.BashAsync(stack.Folder, TimeSpan.FromMinutes(1), "psql.sh", "-qtAc", sql);
        if (run.ExitCode != 0) throw new InvalidOperationException($"psql.sh exited with {run.ExitCode} for `{sql}`:\n{run.StdErr}");
        var text = run.StdOut.Trim();
        if (text.Length == 0) return null;
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>The trace's row (with its project's name as <c>project</c>), or <c>null</c> while the worker has not stored it.</summary>
    public static Task<JsonElement?> TraceAsync(this PlatformStack stack, Guid traceId) => stack.JsonAsync(
        "select json_build_object('trace_id', t.trace_id, 'project', p.name, 'name', t.name, 'status', t.status, "
        + "'input', t.input, 'output', t.output, 'metadata', t.metadata, "
        + $"'started_us', {Us("t.started_at")}, 'ended_us', {Us("t.ended_at")}, "
        + "'session_id', t.session_id, 'user_id', t.user_id, 'tags', t.tags, 'environment', t.environment, 'release', t.release) "
        + $"from traces t join projects p on p.id = t.project_id where t.trace_id = '{traceId}'");

    /// <summary>The ids of every trace stored for a project.</summary>
    public static async Task<IReadOnlyList<string>> TraceIdsAsync(this PlatformStack stack, string project)
    {
        var rows = await stack.JsonAsync(
            "select coalesce(json_agg(t.trace_id order by t.trace_id), '[]'::json) from traces t "
            + $"join projects p on p.id = t.project_id where p.name = '{project}'");
        return rows is { } r ? r.EnumerateArray().Select(e => e.GetString()!).ToList() : [];
    }

    /// <summary>How many spans are stored for the trace.</summary>
    public static async Task<int> SpanCountAsync(this PlatformStack stack, Guid traceId) =>
        (await stack.JsonAsync($"select to_json(count(*)) from spans where trace_id = '{traceId}'"))?.GetInt32() ?? 0;

    /// <summary>The trace's spans (every column), by span id.</summary>
    public static async Task<IReadOnlyDictionary<Guid, JsonElement>> SpansAsync(this PlatformStack stack, Guid traceId)
    {
        var rows = await stack.JsonAsync(
            "select coalesce(json_agg(json_build_object('span_id', s.span_id, 'trace_id', s.trace_id, 'parent_span_id', s.parent_span_id, "
            + "'name', s.name, 'kind', s.kind, 'status', s.status, 'input', s.input, 'output', s.output, 'model', s.model, "
            + "'token_usage', s.token_usage, 'metadata', s.metadata, "
            + $"'started_us', {Us("s.started_at")}, 'ended_us', {Us("s.ended_at")}, 'error', s.error, "
            + $"'completion_start_us', {Us("s.completion_start_time")}, 'model_parameters', s.model_parameters, 'cost', s.cost) "
            + $"order by s.started_at, s.span_id), '[]'::json) from spans s where s.trace_id = '{traceId}'");
        return rows is { } r
            ? r.EnumerateArray().ToDictionary(e => Guid.Parse(e.GetProperty("span_id").GetString()!))
            : new Dictionary<Guid, JsonElement>();
    }

    /// <summary>The trace's scores (every column the SDK sends, and the platform's status).</summary>
    public static async Task<IReadOnlyList<JsonElement>> ScoresAsync(this PlatformStack stack, Guid traceId)
    {
        var rows = await stack.JsonAsync(
            "select coalesce(json_agg(json_build_object('name', name, 'data_type', data_type, 'value', value, 'source', source, "
            + "'status', status, 'reason', reason, 'metadata', metadata) order by name), '[]'::json) "
            + $"from trace_scores where trace_id = '{traceId}'");
        return rows is { } r ? r.EnumerateArray().ToList() : [];
    }

    /// <summary>
    /// A text stored in a JSON column, described by the database (length in UTF-8 bytes and in characters, SHA-256 of its
    /// UTF-8, first and last characters), so a megabyte is compared without printing it. <paramref name="expression"/>
    /// is a SQL expression yielding the text, over <paramref name="from"/>.
    /// </summary>
    public static Task<JsonElement?> TextFactsAsync(this PlatformStack stack, string expression, string from) => stack.JsonAsync(
        "select json_build_object('type', jsonb_typeof(v), 'bytes', octet_length(x), 'chars', length(x), "
        + "'sha256', encode(sha256(convert_to(x, 'UTF8')), 'hex'), 'head', left(x, 60), 'tail', right(x, 60)) "
        + $"from (select {expression} as v, ({expression}) #>> '{{}}' as x {from}) q");

    /// <summary>Reads <paramref name="read"/> until <paramref name="done"/> holds or <paramref name="bound"/> passes; the last value read.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value) || clock.Elapsed > bound) return value;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }
}
