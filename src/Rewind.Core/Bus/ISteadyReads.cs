namespace Rewind.Core.Bus;

/// <summary>
/// A device some of whose registers can be polled without effect. A CPU that proves a loop only reads
/// such registers (and RAM) may skip whole iterations of it, so a register answers true only if reading
/// it now changes nothing in the device, and its value can change only through a write, an input or a
/// timed event (each of which ends the CPU's slice), never with the passing of the count alone.
/// </summary>
public interface ISteadyReads
{
    bool IsSteadyRead(ulong offset, int size);
}
