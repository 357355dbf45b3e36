using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;

// bench/timeline.sh's browser: loads the timeline page at URL in Debian's headless chromium RUNS times (a
// fresh page each time) and prints, per load, the milliseconds from navigation to the first lane drawn
// (a mark or a bar in any lane) and to the whole first view (every lane and the console list filled).
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: TimelinePaint URL [RUNS]");
    return 2;
}
string url = args[0];
int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
using var playwright = await Playwright.CreateAsync();
string profile = Path.Combine(Path.GetTempPath(), "rewind-paint-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
{
    ExecutablePath = "/usr/bin/chromium",
    Headless = true,
    ChromiumSandbox = false,
    ViewportSize = new ViewportSize { Width = 1280, Height = 760 },
    Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"],
});
try
{
    for (int i = 0; i < runs; i++)
    {
        var page = await browser.NewPageAsync();
        var watch = Stopwatch.StartNew();
        await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Commit });
        await page.WaitForSelectorAsync("g.lane .mark, g.lane .bar", new() { State = WaitForSelectorState.Attached, Timeout = 600_000 });
        double first = watch.Elapsed.TotalMilliseconds;
        await page.WaitForFunctionAsync("() => window.rewindTimeline && window.rewindTimeline.loaded", null, new() { Timeout = 600_000 });
        double full = watch.Elapsed.TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load {i + 1}: first lane drawn {first:F0} ms, first view complete {full:F0} ms"));
        // Where the time went, as the browser saw it (ms from the navigation's start).
        string steps = await page.EvaluateAsync<string>(Breakdown);
        Console.WriteLine("  " + steps);
        await page.CloseAsync();
    }
}
finally
{
    try
    {
        Directory.Delete(profile, recursive: true);
    }
    catch (IOException)
    {
    }
}
return 0;

partial class Program
{
    private const string Breakdown = """
        () => {
          const n = performance.getEntriesByType("navigation")[0];
          const parts = [`html ${n.responseEnd.toFixed(0)}`, `dom ${n.domContentLoadedEventEnd.toFixed(0)}`];
          for (const p of performance.getEntriesByType("paint")) parts.push(`${p.name} ${p.startTime.toFixed(0)}`);
          for (const r of performance.getEntriesByType("resource"))
            parts.push(`${r.name.replace(/^.*\//, "").replace(/\?.*/, "")} ${r.startTime.toFixed(0)}-${r.responseEnd.toFixed(0)}`);
          for (const m of performance.getEntriesByType("mark")) parts.push(`${m.name} ${m.startTime.toFixed(0)}`);
          return parts.join(", ");
        }
        """;
}
