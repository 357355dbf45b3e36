using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Rewind.Fuzz.Tests;

/// <summary>What one input did.</summary>
public enum Outcome
{
    /// <summary>Accepted, and (where it can be checked) it did what the unmutated input does.</summary>
    Accepted,
    /// <summary>Refused with the clean, one-line error the quality bar asks for.</summary>
    CleanError,
    /// <summary>An exception nobody planned for, or a session or process that ended.</summary>
    Crash,
    /// <summary>No answer within the per-input time bound.</summary>
    Hang,
    /// <summary>Accepted, but it did not do what the unmutated input does (a replay that differs).</summary>
    WrongAcceptance,
}

/// <summary>
/// Counts the outcomes of one area's inputs and writes its report line (to the test output and to
/// fuzz-report.txt beside the test binaries); the test fails on any crash, hang or wrong acceptance,
/// naming the seed and the input index that reproduce the first ones.
/// </summary>
public sealed class FuzzTally(string area, ITestOutputHelper output)
{
    private const int MaxKept = 8;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _failures = [];
    private readonly int[] _counts = new int[5];

    public string Area => area;
    public int Inputs { get; private set; }
    public int Count(Outcome o) => _counts[(int)o];

    /// <summary>Where the report lines of every area go (appended by each run).</summary>
    public static string ReportPath => Path.Combine(AppContext.BaseDirectory, "fuzz-report.txt");

    public void Note(int index, Outcome outcome, string? detail = null)
    {
        Inputs++;
        _counts[(int)outcome]++;
        if (outcome is Outcome.Crash or Outcome.Hang or Outcome.WrongAcceptance && _failures.Count < MaxKept)
            _failures.Add($"{outcome} at input {index} (REWIND_FUZZ_SEED=0x{FuzzBudget.Seed:x}): {Shorten(detail ?? "")}");
    }

    private static string Shorten(string s) => s.Length > 600 ? s[..600] + "…" : s;

    public string Line() => string.Format(CultureInfo.InvariantCulture,
        "fuzz {0,-12} inputs {1,6}  accepted {2,6}  clean errors {3,6}  crashes {4}  hangs {5}  wrong acceptances {6}  ({7:F1} s, seed 0x{8:x}, scale {9})",
        area, Inputs, Count(Outcome.Accepted), Count(Outcome.CleanError), Count(Outcome.Crash), Count(Outcome.Hang),
        Count(Outcome.WrongAcceptance), _clock.Elapsed.TotalSeconds, FuzzBudget.Seed, FuzzBudget.Scale);

    /// <summary>Reports, then fails the test if anything went wrong or nothing was tried.</summary>
    public void Finish(int minimumInputs = 1)
    {
        string line = Line();
        output.WriteLine(line);
        foreach (var f in _failures) output.WriteLine("  " + f);
        lock (typeof(FuzzTally))
            File.AppendAllText(ReportPath, line + Environment.NewLine + string.Concat(_failures.Select(f => "  " + f + Environment.NewLine)));
        if (_failures.Count > 0)
        {
            var sb = new StringBuilder(line).Append('\n');
            foreach (var f in _failures) sb.Append("  ").Append(f).Append('\n');
            Assert.Fail(sb.ToString());
        }
        Assert.True(Inputs >= minimumInputs, $"only {Inputs} inputs tried in {area}: {line}");
    }
}
