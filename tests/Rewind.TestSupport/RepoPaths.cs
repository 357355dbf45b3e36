namespace Rewind.TestSupport;

/// <summary>Paths in the repository the tests run from.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding Rewind.slnx, found by walking up from the test binaries.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The `./rewind` launcher script at the root.</summary>
    public static string Launcher => Path.Combine(Root, "rewind");

    /// <summary>A committed guest program: guests/bin/NAME.elf.</summary>
    public static string Guest(string name) => Path.Combine(Root, "guests", "bin", name + ".elf");

    /// <summary>A committed AArch64 guest program: guests/aarch64/bin/NAME.elf.</summary>
    public static string Aarch64Guest(string name) => Path.Combine(Root, "guests", "aarch64", "bin", name + ".elf");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rewind.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no Rewind.slnx above {AppContext.BaseDirectory}");
    }
}
