using Rewind.Core.State;

namespace Rewind.TestSupport;

/// <summary>
/// A stateful part whose version 2 added field <see cref="B"/> (reset value 7) after <see cref="A"/>:
/// the test double for named, versioned state sections (a device added later, a field added later).
/// </summary>
public sealed class VersionedPart(int stateVersion = 1, ulong a = 0) : IStateful
{
    public ulong A = a;
    public uint B = 7;
    public int StateVersion => stateVersion;
    public void SaveState(BinaryWriter writer) => SaveState(writer, stateVersion);
    public void LoadState(BinaryReader reader) => LoadState(reader, stateVersion);

    public void SaveState(BinaryWriter writer, int version)
    {
        writer.Write(A);
        if (version >= 2) writer.Write(B);
    }

    public void LoadState(BinaryReader reader, int version)
    {
        A = reader.ReadUInt64();
        B = version >= 2 ? reader.ReadUInt32() : 7;
    }
}
