using System.Diagnostics;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// ext4 disk images made and read with Debian's e2fsprogs, as a user would: `mke2fs -t ext4 -d DIR`
/// fills the image from a directory, `debugfs -R "cat PATH"` reads a file back without mounting.
/// </summary>
internal static class Ext4Image
{
    /// <summary>
    /// A raw ext4 image of <paramref name="megabytes"/> MiB at <paramref name="image"/> holding the Linux
    /// workload's init as /sbin/init (where the kernel looks first on a disk root) and the mount points it uses.
    /// </summary>
    public static void CreateLinuxRoot(string image, string init, int megabytes = 16, string? script = null)
    {
        string root = image + ".root";
        foreach (var dir in new[] { "sbin", "dev", "proc", "sys", "tmp", "mnt" })
            Directory.CreateDirectory(Path.Combine(root, dir));
        File.Copy(init, Path.Combine(root, "sbin", "init"), overwrite: true); // keeps its mode (0755)
        // init's `run /script` runs it: the kernel hands init no more than 32 words of its command line.
        if (script != null) File.WriteAllText(Path.Combine(root, "script"), script);
        Tool("mke2fs", "-q", "-F", "-t", "ext4", "-E", "root_owner=0:0", "-d", root, image, $"{megabytes}M");
        Directory.Delete(root, recursive: true);
    }

    /// <summary>The contents of <paramref name="path"/> inside the image.</summary>
    public static string ReadFile(string image, string path) => Tool("debugfs", "-R", $"cat {path}", image);

    private static string Tool(string name, params string[] args)
    {
        var psi = new ProcessStartInfo(name)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{name} is missing ({e.Message}): run scripts/install-deps.sh (e2fsprogs)");
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{name} {string.Join(' ', args)} failed (exit {p.ExitCode}): {stderr}");
            return stdout.Result;
        }
    }
}
