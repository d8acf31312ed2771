using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using PandaProbe.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace PandaProbe.Cli.Tests.View;

/// <summary>A fact that runs only when <c>VIEWER_PERF=1</c> (a measurement, not a timed assertion).</summary>
public sealed class PerfFactAttribute : FactAttribute
{
    /// <summary>Skips unless the variable is set.</summary>
    public PerfFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("VIEWER_PERF") != "1") Skip = "a measurement: set VIEWER_PERF=1 to run it";
    }
}

/// <summary>
/// Measures <c>view</c> on 10,000 small traces plus one trace of 5,000 spans: the report's generation time, and in
/// headless Chromium the time until the list is rendered and until a click on the big trace has drawn its waterfall.
/// Prints the figures; asserts only that the pages work.
/// </summary>
public class ViewerPerformance(ITestOutputHelper output)
{
    static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static void WriteTrace(Utf8JsonWriter w, int index, int spans, string name)
    {
        var start = Epoch.AddSeconds(index);
        w.WriteStartObject();
        w.WriteString("trace_id", Guid.NewGuid().ToString());
        w.WriteString("name", name);
        w.WriteString("status", index % 17 == 0 ? "ERROR" : "COMPLETED");
        w.WriteString("started_at", WireJson.Timestamp(start));
        w.WriteString("ended_at", WireJson.Timestamp(start.AddMilliseconds(spans * 2 + 10)));
        w.WriteString("session_id", $"session-{index % 50}");
        w.WriteString("user_id", $"user-{index % 20}");
        w.WriteStartArray("spans");
        var ids = new string[spans];
        for (var j = 0; j < spans; j++)
        {
            ids[j] = Guid.NewGuid().ToString();
            w.WriteStartObject();
            w.WriteString("span_id", ids[j]);
            if (j > 0) w.WriteString("parent_span_id", ids[(j - 1) / 4]);
            w.WriteString("name", $"step-{j}");
            var llm = j % 3 == 1;
            w.WriteString("kind", llm ? "LLM" : j % 3 == 2 ? "TOOL" : "AGENT");
            w.WriteString("status", j % 97 == 5 ? "ERROR" : "OK");
            w.WriteString("started_at", WireJson.Timestamp(start.AddMilliseconds(j * 2)));
            w.WriteString("ended_at", WireJson.Timestamp(start.AddMilliseconds(j * 2 + 5)));
            if (llm)
            {
                w.WriteString("model", index % 2 == 0 ? "gpt-4o-mini" : "claude-sonnet");
                w.WritePropertyName("input");
                w.WriteRawValue("""{"messages":[{"role":"user","content":"What is the weather like today?"}]}""");
                w.WriteStartObject("token_usage");
                w.WriteNumber("prompt_tokens", 100);
                w.WriteNumber("completion_tokens", 20);
                w.WriteEndObject();
                w.WriteStartObject("cost");
                w.WriteNumber("total", 0.0004);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    [PerfFact]
    public async Task Measure_10000_traces_and_one_of_5000_spans()
    {
        var dir = Directory.CreateTempSubdirectory("pp-view-perf-");
        try
        {
            var file = Path.Combine(dir.FullName, "many.jsonl");
            await using (var stream = File.Create(file))
            {
                for (var i = 0; i < 10_001; i++)
                {
                    using (var w = new Utf8JsonWriter(stream))
                        WriteTrace(w, i, i == 5000 ? 5000 : 3, i == 5000 ? "the-big-trace" : $"trace-{i}");
                    stream.WriteByte((byte)'\n');
                }
            }
            output.WriteLine($"input: {new FileInfo(file).Length / 1024 / 1024.0:F1} MB, 10,001 traces (one of 5,000 spans)");

            var report = Path.Combine(dir.FullName, "report.html");
            var clock = Stopwatch.StartNew();
            var code = await Program.RunAsync(["view", file, "-o", report], new CliIO(new StringWriter(), new StringWriter(), Plain: true));
            clock.Stop();
            Assert.Equal(0, code);
            output.WriteLine($"view (read + write report, in-process, warm JIT not guaranteed): {clock.ElapsedMilliseconds} ms; report {new FileInfo(report).Length / 1024 / 1024.0:F1} MB");

            var (playwright, browser) = await ViewerBrowserTests.LaunchAsync();
            using var _ = playwright;
            await using var __ = browser;
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 820 } });
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            clock.Restart();
            await page.GotoAsync(new Uri(report).AbsoluteUri);
            await page.WaitForSelectorAsync("body[data-ready=true]");
            clock.Stop();
            var load = await page.EvaluateAsync<double>("performance.now()");
            output.WriteLine($"browser: list rendered {clock.ElapsedMilliseconds} ms after navigation started (page clock at ready: {load:F0} ms); rows in DOM: {await page.Locator("tr.trace-row").CountAsync()}");
            Assert.Equal("10001", await page.InnerTextAsync("#trace-count"));
            output.WriteLine("browser timings: " + await page.EvaluateAsync<string>("""
                () => {
                  const n = performance.getEntriesByType('navigation')[0];
                  const t0 = performance.now();
                  JSON.parse(document.getElementById('pandaprobe-data').textContent);
                  const parse = performance.now() - t0;
                  return `responseEnd ${n.responseEnd.toFixed(0)} ms, domInteractive ${n.domInteractive.toFixed(0)} ms, ` +
                    `script done ${document.body.dataset.readyAt} ms, JSON.parse alone ${parse.toFixed(0)} ms`;
                }
                """));

            clock.Restart();
            await page.FillAsync("#filter-text", "big-trace");
            await page.WaitForFunctionAsync("document.getElementById('trace-count').textContent === '1'");
            clock.Stop();
            output.WriteLine($"browser: filter typed to list narrowed (incl. 120 ms debounce): {clock.ElapsedMilliseconds} ms");

            var click = await page.EvaluateAsync<double>("""
                () => new Promise(resolve => {
                  const t0 = performance.now();
                  document.querySelector('tr.trace-row').click();
                  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
                })
                """);
            output.WriteLine($"browser: click on the 5,000-span trace to waterfall painted: {click:F0} ms; span rows in DOM: {await page.Locator(".span-row").CountAsync()}");

            var span = await page.EvaluateAsync<double>("""
                () => new Promise(resolve => {
                  const t0 = performance.now();
                  document.querySelectorAll('.span-row')[1].click();
                  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
                })
                """);
            output.WriteLine($"browser: click on a span to detail painted: {span:F0} ms");
            Assert.Empty(errors);
        }
        finally { dir.Delete(recursive: true); }
    }
}
