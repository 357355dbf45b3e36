using System.Globalization;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// How much each fuzzing area tries. CI runs the default (scale 1: a few hundred inputs per area,
/// seconds each); REWIND_FUZZ_SCALE=N multiplies the input counts and time limits for a longer run,
/// REWIND_FUZZ_SEED=S replays another sequence (a failure message names the seed and input to rerun).
/// </summary>
public static class FuzzBudget
{
    /// <summary>The base seed in CI: fixed, so every run tries the same inputs.</summary>
    public const ulong DefaultSeed = 0x5EED_2024_0011;

    public static int Scale { get; } = ReadInt("REWIND_FUZZ_SCALE", 1);

    public static ulong Seed { get; } = ReadSeed();

    /// <summary>Inputs for an area at the current scale.</summary>
    public static int Inputs(int atScaleOne) => checked(atScaleOne * Scale);

    /// <summary>Wall-clock limit for an area: the area stops early (counting what it tried) when it runs out.</summary>
    public static TimeSpan TimeLimit(double secondsAtScaleOne) => TimeSpan.FromSeconds(secondsAtScaleOne * Scale);

    /// <summary>
    /// Whether input <paramref name="index"/> is tried: up to <paramref name="inputs"/>, until the deadline,
    /// but at least <paramref name="minimum"/> however slow the machine is.
    /// </summary>
    public static bool More(int index, int inputs, DateTime deadline, int minimum) =>
        index < inputs && (index < minimum || DateTime.UtcNow < deadline);

    /// <summary>
    /// The random source of input <paramref name="index"/> of <paramref name="area"/>: derived from the seed
    /// alone (splitmix64), so one input can be regenerated without running those before it.
    /// </summary>
    public static Random For(string area, ulong seed, int index)
    {
        ulong h = seed;
        foreach (char c in area) h = Mix(h ^ c);
        h = Mix(h ^ (ulong)index);
        return new Random((int)(h ^ (h >> 32)));
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    private static int ReadInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : fallback;

    private static ulong ReadSeed()
    {
        string? s = Environment.GetEnvironmentVariable("REWIND_FUZZ_SEED");
        if (s == null) return DefaultSeed;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && ulong.TryParse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong hex)) return hex;
        return ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong dec) ? dec : DefaultSeed;
    }
}
