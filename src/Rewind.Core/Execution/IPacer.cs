namespace Rewind.Core.Execution;

/// <summary>
/// Decides how far an idle machine's clock may jump. Live runs keep virtual time from running ahead of
/// the wall clock while idle (QEMU's sleep=on), so a guest waiting a second waits a second; replays and
/// batch runs jump straight to the next event. Whatever it decides reaches the guest only as an
/// instruction count, and in a recording the inputs that ended the wait carry that count.
/// </summary>
public interface IPacer
{
    /// <summary>Wait until virtual time may reach <paramref name="target"/> or host input arrives; return the count reached.</summary>
    ulong IdleUntil(ulong now, ulong target, Machine machine);
}

/// <summary>No pacing: idle time passes instantly.</summary>
public sealed class InstantPacer : IPacer
{
    public static readonly InstantPacer Instance = new();
    public ulong IdleUntil(ulong now, ulong target, Machine machine) => target;
}
