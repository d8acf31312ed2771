using Microsoft.Playwright;
using Xunit;

namespace PandaProbe.Cli.Tests.View;

/// <summary>
/// The report in headless Chromium (the system's, not Playwright's download): list, waterfall, detail pane, filter.
/// Set <c>UPDATE_VIEWER_SCREENSHOT=1</c> to rewrite <c>docs/viewer.png</c> (the README's screenshot).
/// </summary>
public class ViewerBrowserTests
{
    /// <summary>
    /// The Chromium to drive: <c>CHROMIUM_PATH</c>, else Debian's <c>/usr/bin/chromium</c>, installed with apt-get when
    /// it is missing (once per test run, so that <c>dotnet test</c> passes on a fresh machine by itself).
    /// </summary>
    internal static string ChromiumPath()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } given)
        {
            if (!File.Exists(given)) Assert.Fail($"CHROMIUM_PATH names {given}, which does not exist.");
            return given;
        }
        const string Debian = "/usr/bin/chromium";
        if (!File.Exists(Debian) && Installed.Value is { } failure)
            Assert.Fail($"Chromium was not found at {Debian} and could not be installed ({failure}): run apt-get install -y chromium, or set CHROMIUM_PATH.");
        return Debian;
    }

    /// <summary>Installs Debian's chromium (after an apt-get update when the first try fails); null on success, else why not.</summary>
    static readonly Lazy<string?> Installed = new(() =>
        Run("apt-get", "install -y chromium") is null ? null : Run("apt-get", "update") ?? Run("apt-get", "install -y chromium"));

    /// <summary>Runs a command for at most ten minutes; null when it succeeded, else what went wrong.</summary>
    static string? Run(string command, string arguments)
    {
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var process = System.Diagnostics.Process.Start(start)!;
            _ = process.StandardOutput.ReadToEndAsync();   // drained, so the process never blocks on a full pipe
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                return $"{command} {arguments} did not finish in ten minutes";
            }
            return process.ExitCode == 0 ? null : $"{command} {arguments} exited with {process.ExitCode}: {error.Result.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"{command} could not run: {e.Message}";
        }
    }

    internal static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(), Headless = true, Args = ["--no-sandbox"],
        });
        return (playwright, browser);
    }

    static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PandaProbe.sln"))) return dir.FullName;
        return null;
    }

    [Fact]
    public async Task A_span_whose_parent_is_not_in_its_trace_is_marked_as_an_orphan()
    {
        var dir = Directory.CreateTempSubdirectory("pp-view-orphan-");
        try
        {
            // A trace with a span under a parent it does not hold (the parent was never recorded), beside a span
            // under the span standing for a continued trace, which is no orphan.
            var trace = Model.TraceId.New();
            var continuation = Model.SpanId.New();
            var at = DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
            Model.Span Span(string name, Model.SpanId? parent) => new()
            {
                Id = Model.SpanId.New(), Trace = trace, Parent = parent, Name = name, StartedAt = at, EndedAt = at.AddSeconds(1),
                Status = Model.SpanStatus.Ok,
            };
            var record = new Model.TraceRecord
            {
                Id = trace, Name = "with-orphan", StartedAt = at, EndedAt = at.AddSeconds(2), Status = Model.TraceStatus.Completed,
                ContinuationSpan = continuation,
                Spans = LanguageExt.Prelude.Seq(Span("lost-child", Model.SpanId.New()), Span("top-level", continuation)),
            };
            var file = Path.Combine(dir.FullName, "traces.jsonl");
            await File.WriteAllTextAsync(file, Serialization.WireJson.Trace(record) + "\n");
            var report = Path.Combine(dir.FullName, "report.html");
            Assert.Equal(0, await Program.RunAsync(["view", file, "-o", report], new CliIO(new StringWriter(), new StringWriter(), Plain: true)));

            var (playwright, browser) = await LaunchAsync();
            using var _ = playwright;
            await using var __ = browser;
            var page = await browser.NewPageAsync();
            await page.GotoAsync(new Uri(report).AbsoluteUri);
            await page.WaitForSelectorAsync("body[data-ready=true]");
            await page.Locator("tr.trace-row", new PageLocatorOptions { HasText = "with-orphan" }).ClickAsync();

            var orphans = page.Locator(".span-row .orphan");
            Assert.Equal(1, await orphans.CountAsync());
            Assert.Contains("lost-child", await page.Locator(".span-row", new PageLocatorOptions { Has = page.Locator(".orphan") }).InnerTextAsync());
            await page.Locator(".span-row", new PageLocatorOptions { HasText = "lost-child" }).ClickAsync();
            Assert.Contains("(not in this trace)", await page.InnerTextAsync("#detail"));
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public async Task The_report_lists_traces_shows_the_waterfall_and_span_details_and_filters()
    {
        var dir = Directory.CreateTempSubdirectory("pp-view-browser-");
        try
        {
            var file = await SampleTraces.WriteAsync(dir.FullName);
            var report = Path.Combine(dir.FullName, "report.html");
            var code = await Program.RunAsync(["view", file, "-o", report], new CliIO(new StringWriter(), new StringWriter(), Plain: true));
            Assert.Equal(0, code);

            var (playwright, browser) = await LaunchAsync();
            using var _ = playwright;
            await using var __ = browser;
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 820 } });
            var errors = new List<string>();
            page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add(message.Text); };
            page.PageError += (_, error) => { lock (errors) errors.Add(error); };
            page.RequestFailed += (_, request) => { lock (errors) errors.Add("request: " + request.Url); };

            await page.GotoAsync(new Uri(report).AbsoluteUri);
            await page.WaitForSelectorAsync("body[data-ready=true]");
            Assert.Equal("3", await page.InnerTextAsync("#trace-count"));
            Assert.Equal(3, await page.Locator("tr.trace-row").CountAsync());
            Assert.Contains(SampleTraces.Model, await page.InnerTextAsync("#totals"));

            await page.Locator("tr.trace-row", new PageLocatorOptions { HasText = "support-chat" }).ClickAsync();
            Assert.Equal(3, await page.Locator(".span-row").CountAsync());
            var failed = page.Locator(".span-row.error");
            Assert.Equal(1, await failed.CountAsync());
            Assert.Contains("track-parcel", await failed.InnerTextAsync());
            Assert.Contains(SampleTraces.UserMessage, await page.InnerTextAsync("#detail"));   // the trace's input, as messages

            await page.Locator(".span-row", new PageLocatorOptions { HasText = "answer" }).ClickAsync();
            var detail = page.Locator("#detail");
            Assert.Equal(SampleTraces.Model, await detail.Locator("dd.model").InnerTextAsync());
            Assert.Contains(SampleTraces.UserMessage, await detail.Locator(".message.role-user .message-content").InnerTextAsync());
            Assert.Equal(3, await detail.Locator(".message").CountAsync());   // system + user in, assistant out
            var tokens = await detail.Locator("dl.tokens").InnerTextAsync();
            Assert.Contains("cached_tokens", tokens);
            Assert.Contains("120", tokens);
            Assert.Contains("input", await detail.Locator("dl.cost").InnerTextAsync());
            Assert.Equal(1, await detail.Locator("dd.ttft").CountAsync());
            Assert.Contains("temperature", await detail.InnerTextAsync());

            var shot = Path.Combine(AppContext.BaseDirectory, "TestResults", "report.png");
            Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
            if (Environment.GetEnvironmentVariable("UPDATE_VIEWER_SCREENSHOT") == "1" && RepositoryRoot() is { } root)
                File.Copy(shot, Path.Combine(root, "docs", "viewer.png"), overwrite: true);

            await failed.ClickAsync();
            Assert.Contains("boom", await page.InnerTextAsync("#detail .error-box"));

            await page.FillAsync("#filter-text", "billing");
            await page.WaitForFunctionAsync("document.getElementById('trace-count').textContent === '1'");
            Assert.Contains("billing-question", await page.Locator("tr.trace-row").InnerTextAsync());

            await page.FillAsync("#filter-text", "");
            await page.SelectOptionAsync("#filter-status", "error");
            await page.WaitForFunctionAsync("document.getElementById('trace-count').textContent === '1'");
            Assert.Contains("support-chat", await page.Locator("tr.trace-row").InnerTextAsync());

            await page.SelectOptionAsync("#filter-status", "all");
            await page.SelectOptionAsync("#filter-session", "session-b");
            Assert.Equal("2", await page.InnerTextAsync("#trace-count"));

            await page.ClickAsync("th[data-sort=name]");
            Assert.Equal(["billing-question", "nightly-batch"], await page.Locator("tr.trace-row td.name").AllInnerTextsAsync());

            Assert.Empty(errors);
        }
        finally { dir.Delete(recursive: true); }
    }
}
