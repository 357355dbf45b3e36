namespace Rewind.Session;

/// <summary>
/// Run control as the monitors see it (QEMU's runstate): stop, continue, quit, reset, and a way to do
/// work on the machine while it is stopped. Implemented by the program that owns the machine.
/// </summary>
public interface IVmControl
{
    /// <summary>QEMU's RunState name: "running", "paused", "debug", "prelaunch", "shutdown".</summary>
    string Status { get; }

    bool Running { get; }

    /// <summary>Stops the machine (status "paused"); nothing happens if it is already stopped.</summary>
    void Stop();

    /// <summary>Lets the machine run; null on success, otherwise why it cannot.</summary>
    string? Continue();

    /// <summary>Ends the program (exit status 0) after announcing SHUTDOWN.</summary>
    void Quit(string reason = "host-qmp-quit");

    /// <summary>Resets the machine; null on success, otherwise why it cannot.</summary>
    string? Reset();

    /// <summary>
    /// Runs <paramref name="work"/> with the machine stopped and no one else driving it. Afterwards
    /// the machine runs again if it ran before, unless <paramref name="stayStopped"/>.
    /// </summary>
    T WithMachineStopped<T>(Func<T> work, bool stayStopped = false);

    /// <summary>Raises <see cref="Event"/> for an event of the monitors' own (REWIND_PROGRESS); a control without listeners ignores it.</summary>
    void Announce(string name, IReadOnlyDictionary<string, object>? data)
    {
    }

    /// <summary>Raised for QMP events (STOP, RESUME, SHUTDOWN, RESET) with their data, if any.</summary>
    event Action<string, IReadOnlyDictionary<string, object>?>? Event;
}
