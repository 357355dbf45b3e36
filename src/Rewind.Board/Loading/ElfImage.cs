using System.Buffers.Binary;
using System.Text;

namespace Rewind.Board.Loading;

/// <summary>One PT_LOAD segment: FileBytes go at PhysicalAddress, the rest up to MemorySize is zeroed.</summary>
public sealed record ElfSegment(ulong PhysicalAddress, ulong VirtualAddress, byte[] FileBytes, ulong MemorySize, uint Flags);

public sealed record ElfSymbol(string Name, ulong Value, ulong Size, byte Info, ushort SectionIndex)
{
    public const byte TypeFunc = 2, TypeObject = 1;
    public byte Type => (byte)(Info & 0xf);
    public byte Binding => (byte)(Info >> 4);
}

/// <summary>An ELF64 little-endian RISC-V executable: entry point, loadable segments and symbols.</summary>
public sealed class ElfImage
{
    public const ushort MachineRiscv = 243;
    public const ushort MachineAarch64 = 183;
    private const uint PtLoad = 1, ShtSymtab = 2;

    private ElfImage(ulong entry, IReadOnlyList<ElfSegment> segments, IReadOnlyList<ElfSymbol> symbols)
    {
        Entry = entry;
        Segments = segments;
        Symbols = symbols;
    }

    public ulong Entry { get; }
    public IReadOnlyList<ElfSegment> Segments { get; }
    public IReadOnlyList<ElfSymbol> Symbols { get; }

    public ElfSymbol? FindSymbol(string name) => Symbols.FirstOrDefault(s => s.Name == name);

    /// <summary>True if the bytes start with the ELF magic, whatever else they hold.</summary>
    public static bool HasElfMagic(ReadOnlySpan<byte> file) =>
        file.Length >= 4 && file[0] == 0x7f && file[1] == (byte)'E' && file[2] == (byte)'L' && file[3] == (byte)'F';

    public static ElfImage Load(byte[] file, ushort expectedMachine = MachineRiscv)
    {
        if (!HasElfMagic(file)) throw new ImageFormatException("not an ELF file (bad magic)");
        if (file.Length < 64) throw new ImageFormatException("ELF header truncated");
        if (file[4] != 2) throw new ImageFormatException($"ELF class {file[4]} is not ELF64");
        if (file[5] != 1) throw new ImageFormatException("ELF file is not little-endian");
        var s = file.AsSpan();
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(s[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(s[18..]);
        if (machine != expectedMachine)
            throw new ImageFormatException(expectedMachine == MachineAarch64 ? $"ELF machine {machine} is not AArch64 (183)" : $"ELF machine {machine} is not RISC-V (243)");
        if (type != 2 && type != 3) throw new ImageFormatException($"ELF type {type} is not an executable");
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(s[24..]);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(s[32..]);
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(s[40..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[54..]);
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(s[56..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[58..]);
        ushort shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[60..]);

        var segments = new List<ElfSegment>();
        if (phnum > 0)
        {
            if (phentsize < 56) throw new ImageFormatException($"ELF program header size {phentsize} is too small");
            for (int i = 0; i < phnum; i++)
            {
                var ph = Slice(file, phoff + (ulong)i * phentsize, 56, "program header");
                if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != PtLoad) continue;
                uint flags = BinaryPrimitives.ReadUInt32LittleEndian(ph[4..]);
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
                ulong vaddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]);
                ulong paddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
                ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
                ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
                if (filesz > memsz) throw new ImageFormatException($"ELF segment {i} has file size 0x{filesz:x} above its memory size 0x{memsz:x}");
                if (memsz == 0) continue;
                var bytes = Slice(file, offset, filesz, $"segment {i}").ToArray();
                segments.Add(new ElfSegment(paddr, vaddr, bytes, memsz, flags));
            }
        }
        if (segments.Count == 0) throw new ImageFormatException("ELF file has no loadable segments");

        var symbols = shnum > 0 && shoff != 0 ? ReadSymbols(file, shoff, shentsize, shnum) : [];
        return new ElfImage(entry, segments, symbols);
    }

    private static List<ElfSymbol> ReadSymbols(byte[] file, ulong shoff, ushort shentsize, ushort shnum)
    {
        if (shentsize < 64) throw new ImageFormatException($"ELF section header size {shentsize} is too small");
        var symbols = new List<ElfSymbol>();
        for (int i = 0; i < shnum; i++)
        {
            var sh = Slice(file, shoff + (ulong)i * shentsize, 64, "section header");
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtSymtab) continue;
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(sh[32..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]);
            ulong entsize = BinaryPrimitives.ReadUInt64LittleEndian(sh[56..]);
            if (entsize < 24) throw new ImageFormatException($"ELF symbol entry size {entsize} is too small");
            if (link >= shnum) throw new ImageFormatException("ELF symbol table links to a missing string table");
            var strSh = Slice(file, shoff + link * (ulong)shentsize, 64, "section header");
            var strtab = Slice(file, BinaryPrimitives.ReadUInt64LittleEndian(strSh[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(strSh[32..]), "string table");
            var table = Slice(file, offset, size, "symbol table");
            for (ulong at = entsize; at + 24 <= size; at += entsize) // entry 0 is the null symbol
            {
                var sym = table[(int)at..];
                uint nameOff = BinaryPrimitives.ReadUInt32LittleEndian(sym);
                string name = nameOff < strtab.Length ? CString(strtab[(int)nameOff..]) : "";
                symbols.Add(new ElfSymbol(name,
                    BinaryPrimitives.ReadUInt64LittleEndian(sym[8..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(sym[16..]),
                    sym[4],
                    BinaryPrimitives.ReadUInt16LittleEndian(sym[6..])));
            }
        }
        return symbols;
    }

    private static ReadOnlySpan<byte> Slice(byte[] file, ulong offset, ulong length, string what)
    {
        if (offset > (ulong)file.Length || length > (ulong)file.Length - offset)
            throw new ImageFormatException($"ELF {what} at 0x{offset:x} (0x{length:x} bytes) lies outside the {file.Length}-byte file");
        return file.AsSpan((int)offset, (int)length);
    }

    private static string CString(ReadOnlySpan<byte> s)
    {
        int end = s.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? s : s[..end]);
    }
}
