using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Rewind.EndToEnd.Tests;

/// <summary>A recording of Linux booting, running `uname` and `ls` and powering off: console lines all along.</summary>
public sealed class LinuxRecording : IDisposable
{
    private readonly TempDir _dir = new();

    public LinuxRecording()
    {
        var linux = LinuxWorkload.Require();
        Vmlinux = linux.Vmlinux;
        File = _dir.File("linux.rr");
        Args = ["-M", "virt", "-bios", "default", "-kernel", linux.Image, "-initrd", linux.Initramfs,
                "-append", "console=ttyS0 -- uname; ls; poweroff", "-nographic"];
        var r = RewindProcess.Run([.. Args, "-icount", $"shift=3,rr=record,rrfile={File}"], null, TimeSpan.FromMinutes(10));
        if (r.ExitCode != 0 || !r.Stdout.Contains("reboot: Power down", StringComparison.Ordinal))
            throw new InvalidOperationException($"recording Linux failed: {r}");
    }

    public string File { get; }
    public string Vmlinux { get; }
    public string[] Args { get; }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// The timeline page in a real browser (Debian's chromium driven by Playwright) on a Linux replay that
/// the real gdb-multiarch is attached to: events drawn, a click moves GDB's machine, GDB's moves move the page.
/// </summary>
public class TimelinePageTests(LinuxRecording recording) : IClassFixture<LinuxRecording>
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    /// <summary>Debian's chromium as the machine doc prescribes: headless, no sandbox (root), nothing fetched.</summary>
    internal static async Task<IBrowserContext> LaunchChromium(IPlaywright playwright, string profile) =>
        await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            ChromiumSandbox = false,
            ViewportSize = new ViewportSize { Width = 1280, Height = 760 },
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        });

    [Fact]
    public async Task Clicking_the_page_moves_the_replay_GDB_is_attached_to_and_GDB_moves_move_the_page()
    {
        using var dir = new TempDir();
        string rr = dir.File("linux.rr");
        File.Copy(recording.File, rr);
        int gdbPort = FreePort.Get(), webPort = FreePort.Get();
        using var replay = new RewindRun([.. recording.Args, "-icount", $"shift=3,rr=replay,rrfile={rr}", "-gdb", $"tcp::{gdbPort}", "-S",
                                          "-timeline", webPort.ToString(CultureInfo.InvariantCulture)]);
        replay.WaitListening(gdbPort);
        replay.WaitListening(webPort);
        using var gdb = new GdbConsole(recording.Vmlinux, gdbPort);
        string start = gdb.Run("rewind when");
        Assert.Matches(@"instruction 0 of \d+", start);
        ulong end = ulong.Parse(Regex.Match(start, @"instruction 0 of (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        string pcAtStart = gdb.Run("p/x $pc");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromium(playwright, dir.File("chromium-profile"));
        var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
        var watch = Stopwatch.StartNew();
        await page.GotoAsync($"http://127.0.0.1:{webPort}/");
        // Drawn: Linux's console lines (one by one or counted per bucket) and the replay's first snapshot.
        await page.WaitForSelectorAsync("g[data-lane=output] .mark, g[data-lane=output] .bar");
        double firstPaintMs = watch.Elapsed.TotalMilliseconds;
        await page.WaitForSelectorAsync("g[data-lane=snapshot] .mark", new() { State = WaitForSelectorState.Attached });
        var outputLabel = await page.TextContentAsync("g[data-lane=output] .lane-label") ?? "";
        Assert.Matches(@"console output \((\d{2,})\)", outputLabel);
        // The console list follows the chart's first paint.
        await page.WaitForSelectorAsync("#console li", new() { State = WaitForSelectorState.Attached });
        Assert.Contains("Linux version", await page.InnerTextAsync("#console"));
        Assert.Equal("0", await page.GetAttributeAsync("#position", "data-icount"));

        // A click in the middle of the chart: the replay goes there, and GDB, asked, is there too.
        var box = (await page.Locator("#chart").BoundingBoxAsync())!;
        double x = Math.Round(box.Width * 0.55);
        double target = await page.EvaluateAsync<double>($"rewindTimeline.icAt({x.ToString(CultureInfo.InvariantCulture)})");
        double perPixel = await page.EvaluateAsync<double>("rewindTimeline.icAt(500) - rewindTimeline.icAt(499)");
        await page.Mouse.ClickAsync((float)(box.X + x), box.Y + 10);
        // The page marks the body while its seek is under way; the position it then shows is where the seek went.
        await page.WaitForFunctionAsync("() => !document.body.dataset.seeking && document.getElementById('position').dataset.icount !== '0'",
            null, new() { Timeout = 180_000 });
        ulong clicked = ulong.Parse((await page.GetAttributeAsync("#position", "data-icount"))!, CultureInfo.InvariantCulture);
        // The browser rounds the pointer to whole pixels: the count is the one under the pixel clicked.
        Assert.InRange((double)clicked, target - 2 * perPixel, target + 2 * perPixel);
        Assert.InRange(clicked, end / 4, end);
        string when = gdb.Run("rewind when");
        Assert.Contains($"instruction {clicked} of {end}", when);
        string pcThere = gdb.Run("p/x $pc");
        Assert.NotEqual(pcAtStart, pcThere);

        // GDB's moves show on the page: a goto, a breakpoint hit, a reverse step, a bookmark.
        Assert.Contains("rewind: at instruction 1000000", gdb.Run("rewind goto 1000000"));
        await WaitForPosition(page, 1_000_000);
        gdb.Run("break _printk");
        string hit = gdb.Run("continue", Slow);
        Assert.Contains("_printk", hit);
        ulong hitAt = Count(gdb.Run("rewind when"));
        await WaitForPosition(page, hitAt);
        var hitMark = await page.WaitForSelectorAsync($"g[data-lane=hit] .mark[data-icount='{hitAt}']", new() { State = WaitForSelectorState.Attached });
        Assert.Contains("breakpoint hit", await hitMark!.GetAttributeAsync("data-text"));
        gdb.Run("delete");
        gdb.Run("reverse-stepi", Slow);
        ulong back = Count(gdb.Run("rewind when"));
        Assert.True(back < hitAt);
        await WaitForPosition(page, back);
        gdb.Run("rewind bookmark before-printk");
        await page.WaitForSelectorAsync("g[data-lane=bookmark] .mark[data-text='before-printk']", new() { State = WaitForSelectorState.Attached });

        // A click on a console line goes to the count at which Linux wrote it.
        var line = page.Locator("#console li", new() { HasText = "Linux version" }).First;
        ulong lineAt = ulong.Parse((await line.GetAttributeAsync("data-icount"))!, CultureInfo.InvariantCulture);
        await line.ClickAsync();
        await WaitForPosition(page, lineAt);
        Assert.Contains($"instruction {lineAt} of {end}", gdb.Run("rewind when"));

        string png = dir.File("timeline.png");
        await page.ScreenshotAsync(new() { Path = png, FullPage = true });
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        // REWIND_SCREENSHOTS=docs keeps the picture (docs/timeline.png is made this way).
        if (Environment.GetEnvironmentVariable("REWIND_SCREENSHOTS") is { Length: > 0 } keep)
            File.Copy(png, Path.Combine(RepoPaths.Root, keep, "timeline.png"), overwrite: true);
        Console.WriteLine($"timeline page, Linux recording of {end} instructions: first paint {firstPaintMs:F0} ms (loaded machine)");
        Assert.DoesNotContain("   at ", replay.Stderr);
    }

    private static ulong Count(string rewindWhen) =>
        ulong.Parse(Regex.Match(rewindWhen, @"instruction (\d+) of").Groups[1].Value, CultureInfo.InvariantCulture);

    private static async Task WaitForPosition(IPage page, ulong icount) =>
        await page.WaitForSelectorAsync($"#position[data-icount='{icount}']", new() { State = WaitForSelectorState.Attached, Timeout = 180_000 });
}
