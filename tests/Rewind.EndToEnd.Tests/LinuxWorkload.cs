using System.Diagnostics;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The Linux 6.1 kernel and initramfs that scripts/build-linux.sh builds into its cache outside the
/// clone, found through the script's --print-path (so the tests and the script agree on the inputs'
/// hash). A missing build is a failure that says how to make it, never a skip.
/// </summary>
internal sealed record LinuxWorkload(string Directory)
{
    public string Image => Path.Combine(Directory, "Image");
    public string Initramfs => Path.Combine(Directory, "initramfs.cpio.gz");
    public string Vmlinux => Path.Combine(Directory, "vmlinux");
    /// <summary>The initramfs's static init on its own, for disk images (`root=/dev/vda`).</summary>
    public string Init => Path.Combine(Directory, "init");

    /// <summary>
    /// The aarch64 build booted as qemu-system-aarch64 users boot it: no firmware (PSCI answered on HVC),
    /// `-M virt -cpu cortex-a57 -smp CPUS -kernel Image -initrd initramfs.cpio.gz -append APPEND -nographic`.
    /// </summary>
    public string[] Aarch64Machine(int cpus, string append, params string[] extra) =>
        Aarch64Machine("virt", cpus, append, extra);

    /// <summary>The same with a board option string, e.g. "virt,gic-version=3".</summary>
    public string[] Aarch64Machine(string board, int cpus, string append, params string[] extra) =>
        ["-arch", "aarch64", "-M", board, "-cpu", "cortex-a57", "-smp", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
         "-kernel", Image, "-initrd", Initramfs, "-append", append, "-nographic", .. extra];

    private static readonly Lazy<LinuxWorkload> Built = new(() => Locate(cache: null), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<LinuxWorkload> BuiltAarch64 = new(() => Locate(cache: null, "aarch64"), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The built workload; throws, failing the test, when scripts/build-linux.sh has not built it.</summary>
    public static LinuxWorkload Require() => Built.Value;

    /// <summary>The aarch64 build (`scripts/build-linux.sh --arch aarch64`), required the same way.</summary>
    public static LinuxWorkload RequireAarch64() => BuiltAarch64.Value;

    /// <summary>Asks the script where its current inputs' build lives (in <paramref name="cache"/> if given).</summary>
    internal static LinuxWorkload Locate(string? cache, string arch = "riscv64")
    {
        string[] args = arch == "riscv64" ? ["scripts/build-linux.sh", "--print-path"] : ["scripts/build-linux.sh", "--print-path", "--arch", arch];
        string build = arch == "riscv64" ? "scripts/build-linux.sh" : $"scripts/build-linux.sh --arch {arch}";
        var psi = new ProcessStartInfo("bash", args)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (cache != null) psi.Environment["REWIND_CACHE"] = cache;
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        string dir = stdout.Trim();
        if (p.ExitCode == 0 && dir.Length > 0) return new LinuxWorkload(dir);
        if (p.ExitCode == 1 && dir.Length > 0)
            throw new InvalidOperationException($"the Linux workload is not built ({dir} is missing): run {build}");
        throw new InvalidOperationException($"scripts/build-linux.sh --print-path failed (exit {p.ExitCode}): {stderr.Trim()}");
    }
}
