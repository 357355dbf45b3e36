namespace Rewind.Core.Cpu;

/// <summary>
/// A CPU's registers as the front ends see them, numbered as in the CPU's GDB target description, so
/// the GDB stub, the monitors and the debugger-write log need no knowledge of any architecture.
/// </summary>
public interface IRegisterFile
{
    /// <summary>GDB's number of the program counter (the register a 'c ADDR' packet sets).</summary>
    int PcRegister { get; }

    /// <summary>How many registers, from number 0, a 'g' packet carries.</summary>
    int GPacketCount { get; }

    /// <summary>A target description document (target.xml and what it includes), or null.</summary>
    string? Feature(string annex);

    /// <summary>Hex of the register's target-endian bytes, or "" if the register does not exist.</summary>
    string ReadHex(int regno);

    /// <summary>Sets a register from its target-endian bytes; false if it does not exist or refuses the value.</summary>
    bool Write(int regno, ReadOnlySpan<byte> value);

    /// <summary>HMP's `info registers` text for this CPU.</summary>
    string Describe();
}
