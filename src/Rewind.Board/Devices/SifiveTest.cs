using Rewind.Core.Bus;
using Rewind.Core.Execution;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Board.Devices;

/// <summary>
/// SiFive's test finisher. The device only records the guest's request and ends the slice: exiting
/// or resetting is the run loop's business, so the same request can be honoured identically in replay.
/// </summary>
public sealed class SifiveTest(IRunControl run) : IMmioDevice, IStateful, IPowerControl
{
    public const ushort FinisherFail = 0x3333;
    public const ushort FinisherPass = 0x5555;
    public const ushort FinisherReset = 0x7777;

    public string Name => "sifive_test";

    public PowerRequest PowerRequest { get; private set; }

    /// <summary>Raised when the guest writes a recognised command.</summary>
    public event Action<PowerRequest>? PowerRequested;

    /// <summary>The run loop calls this once it has acted on the request.</summary>
    public void ClearRequest() => PowerRequest = PowerRequest.None;

    /// <summary>A request from outside the guest, handled like one the guest wrote.</summary>
    public void Request(PowerRequest request)
    {
        PowerRequest = request;
        PowerRequested?.Invoke(request);
        run.EndSlice();
    }

    public ulong Read(ulong offset, int size) => 0;

    public void Write(ulong offset, int size, ulong value)
    {
        if (offset != 0) return;
        int code = (int)((value >> 16) & 0xffff);
        PowerRequest request = (ushort)value switch
        {
            FinisherPass => new PowerRequest(PowerAction.PowerOff, 0),
            FinisherReset => new PowerRequest(PowerAction.Reset, 0),
            FinisherFail => new PowerRequest(PowerAction.ExitWithCode, code),
            _ => PowerRequest.None,
        };
        if (request.Action == PowerAction.None) return;
        Request(request);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write((byte)PowerRequest.Action);
        writer.Write(PowerRequest.Code);
    }

    public void LoadState(BinaryReader reader)
    {
        var action = (PowerAction)reader.ReadByte();
        PowerRequest = new PowerRequest(action, reader.ReadInt32());
    }
}
