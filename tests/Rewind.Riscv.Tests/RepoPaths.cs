namespace Rewind.Riscv.Tests;

internal static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding Rewind.slnx, found by walking up from the test binaries.</summary>
    public static string Root => LazyRoot.Value;

    public static string Guest(string name) => Path.Combine(Root, "guests", "bin", name + ".elf");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rewind.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no Rewind.slnx above {AppContext.BaseDirectory}");
    }
}
