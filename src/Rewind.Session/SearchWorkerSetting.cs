namespace Rewind.Session;

/// <summary>
/// How many host threads a long reverse search uses: REWIND_SEARCH_WORKERS, or one per host core.
/// A host setting like the number of cores: it changes how fast a search ends, never what it finds.
/// </summary>
public static class SearchWorkerSetting
{
    public const string EnvironmentVariable = "REWIND_SEARCH_WORKERS";
    public const int Max = 256;

    /// <exception cref="SessionException">The variable is set to something other than a count from 1 to <see cref="Max"/>.</exception>
    public static int FromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(text)) return Environment.ProcessorCount;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= Max)
            return n;
        throw new SessionException($"{EnvironmentVariable}={text}: expected a thread count from 1 to {Max}");
    }
}
