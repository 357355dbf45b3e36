using Rewind.Board.Devices;
using Rewind.Board.DeviceTree;
using Rewind.Board.Loading;
using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Core.Memory;
using Rewind.Core.Time;
using Rewind.Riscv;
using Rewind.Riscv.Debug;

namespace Rewind.Board;

/// <summary>
/// QEMU's riscv64 `virt` machine: builds RAM, devices and harts, loads firmware and kernel the way
/// QEMU does, and wires everything into one <see cref="Execution.Machine"/>.
/// </summary>
public sealed class VirtBoard : IBoard
{
    /// <summary>Where Debian keeps the OpenSBI build that QEMU's -bios default uses.</summary>
    public static readonly string[] DefaultBiosPaths =
    [
        "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
        "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin",
        "/usr/lib/riscv64-linux-gnu/opensbi/generic/opensbi-riscv64-generic-fw_dynamic.bin",
    ];

    /// <summary>As QEMU 7.2's virt machine (VIRT_CPUS_MAX); the PLIC's window holds their 1024 contexts.</summary>
    public const int MaxHarts = 512;

    private VirtBoard(BoardOptions options)
    {
        Options = options;
        Ram = new PhysicalMemory(VirtMemoryMap.DramBase, options.RamSize);
        Bus = new SystemBus(Ram);
        Clock = new VirtualClock(options.IcountShift);
        Input = options.Input ?? new LiveInput();
        Machine = new Machine(Bus, Clock, Input);
        Harts = new Hart[options.Smp];
        CodeCache = new CodeCache(Ram);
        if (options.Jit)
        {
            bool native = Rewind.Riscv.Jit.JitSettings.NativeFromEnvironment();
            CodeCache.EnableCompiler(Rewind.Riscv.Jit.JitSettings.ThresholdFromEnvironment(native),
                Rewind.Riscv.Jit.JitSettings.BackgroundFromEnvironment(), native);
        }
        for (int h = 0; h < Harts.Length; h++) Harts[h] = new Hart(h, Bus, CodeCache);
        Machine.SetCpus([.. Harts]);
        IInterruptTarget[] targets = [.. Harts];

        Clint = new Clint(targets, Machine);
        Plic = new Plic(targets, Machine);
        Uart = new Uart16550(options.Serial, new IrqLine(Plic, VirtMemoryMap.Uart0Irq), Machine);
        Rtc = new GoldfishRtc(Input, new IrqLine(Plic, VirtMemoryMap.RtcIrq), Machine);
        Finisher = new SifiveTest(Machine);
        foreach (var h in Harts) h.Timebase = Clint;
        Input.Attach(InputChannel.Serial0, Uart);
        DebuggerWrites = new DebuggerWrites(Harts);
        Input.Attach(InputChannel.DebuggerWrite, DebuggerWrites);
        Input.Attach(InputChannel.Power, new ExternalPower(Machine));

        Bus.Map(VirtMemoryMap.TestBase, VirtMemoryMap.TestSize, Finisher);
        Bus.Map(VirtMemoryMap.RtcBase, VirtMemoryMap.RtcSize, Rtc);
        Bus.Map(VirtMemoryMap.ClintBase, VirtMemoryMap.ClintSize, Clint);
        Bus.Map(VirtMemoryMap.PlicBase, VirtMemoryMap.PlicSize, Plic);
        Bus.Map(VirtMemoryMap.Uart0Base, VirtMemoryMap.Uart0Size, Uart);
        Virtio = VirtioSlots.Build(options, VirtioLayout.Riscv, Machine, Bus, Plic, Input);

        Machine.Power = Finisher;
        Machine.AddTimed(Clint);
        foreach (var h in Harts) Machine.AddTimed(new SstcTimer(h, Clint, Machine));
        Machine.AddTimed(Uart);
        Machine.AddTimed(Rtc);
        foreach (var h in Harts) Machine.AddState($"hart{h.HartId}", h);
        Machine.AddState("clint", Clint);
        Machine.AddState("plic", Plic);
        Machine.AddState("uart0", Uart);
        Machine.AddState("rtc", Rtc);
        Machine.AddState("test", Finisher);
        VirtioSlots.Register(Machine, Virtio, VirtioLayout.Riscv);
        Machine.OnReset = () =>
        {
            // As QEMU's system_reset: harts restart at the reset vector; RAM keeps its contents.
            foreach (var h in Harts) h.Reset(VirtMemoryMap.BootRomBase);
            Uart.Reset();
            // Devices start over too: a rebooted kernel finds them unconfigured, not mid-request.
            foreach (var t in Virtio) t.SystemReset();
        };
    }

    public BoardOptions Options { get; }
    public PhysicalMemory Ram { get; }
    /// <summary>Decoded instructions by physical page, shared by all the harts.</summary>
    public CodeCache CodeCache { get; }
    public SystemBus Bus { get; }
    public VirtualClock Clock { get; }
    public IInputBoundary Input { get; }
    public Machine Machine { get; }
    /// <summary>Hart 0, the one a single-hart machine has.</summary>
    public Hart Hart => Harts[0];
    public Hart[] Harts { get; }
    /// <summary>Where a debugger's memory and register writes enter the machine (through the input boundary).</summary>
    public DebuggerWrites DebuggerWrites { get; }
    public Clint Clint { get; }
    public Plic Plic { get; }
    public Uart16550 Uart { get; }
    public GoldfishRtc Rtc { get; }
    public SifiveTest Finisher { get; }
    /// <summary>The virtio-mmio slots that hold a device, in slot order.</summary>
    public IReadOnlyList<Rewind.Devices.Virtio.VirtioMmioTransport> Virtio { get; }
    public BootRom? Rom { get; private set; }
    public List<LoadedFile> Files { get; } = [];
    public ulong FdtAddress { get; private set; }
    /// <summary>Symbols of the kernel ELF (or firmware if no kernel), for debugging tools.</summary>
    public ElfImage? SymbolSource { get; private set; }

    /// <summary>Builds the board, loads images and places the reset vector. Errors are one-line messages.</summary>
    public static VirtBoard Create(BoardOptions options)
    {
        if (options.Smp < 1 || options.Smp > MaxHarts)
            throw new BoardConfigException($"-smp {options.Smp}: the virt board has 1 to {MaxHarts} harts");
        var board = new VirtBoard(options);
        board.Load();
        return board;
    }

    public static string? FindDefaultBios() => DefaultBiosPaths.FirstOrDefault(File.Exists);

    /// <summary>The firmware file a -bios value names, or null for none.</summary>
    public static string? ResolveBios(string bios) => bios switch
    {
        "none" => null,
        "default" => FindDefaultBios()
            ?? throw new BoardConfigException("-bios default: OpenSBI not found (install Debian's opensbi package or pass -bios FILE or -bios none)"),
        _ => bios,
    };

    /// <summary>The files a board built from <paramref name="options"/> will load, by role, checked to exist.</summary>
    public static IReadOnlyList<(string Role, string Path)> ImagesFor(BoardOptions options)
    {
        var list = new List<(string, string)>();
        if (ResolveBios(options.Bios) is string bios) list.Add(("bios", bios));
        if (options.Kernel != null) list.Add(("kernel", options.Kernel));
        if (options.Initrd != null) list.Add(("initrd", options.Initrd));
        foreach (var (role, path) in list)
            if (!File.Exists(path)) throw new BoardConfigException($"could not load {role} '{path}': no such file");
        return list;
    }

    private byte[] ReadImage(string role, string path)
    {
        if (!File.Exists(path)) throw new BoardConfigException($"could not load {role} '{path}': no such file");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BoardConfigException($"could not load {role} '{path}': {e.Message}");
        }
        Files.Add(new LoadedFile(role, path, bytes));
        return bytes;
    }

    /// <summary>A firmware or kernel file, parsed but not yet written to memory.</summary>
    private sealed record PendingImage(string Role, ElfImage? Elf, RawImage? Raw, List<RomRegion> Regions)
    {
        public ulong Entry => Elf?.Entry ?? Raw!.Entry;
        public ulong High => Regions.Count == 0 ? (Raw?.LoadAddress ?? 0) : Regions.Max(r => r.End);
    }

    private PendingImage ParseImage(string role, string path, ulong rawAddress)
    {
        byte[] bytes = ReadImage(role, path);
        string name = $"{role} '{path}'";
        try
        {
            if (ElfImage.HasElfMagic(bytes))
            {
                var elf = ElfImage.Load(bytes);
                if (role == "kernel" || SymbolSource == null) SymbolSource = elf;
                return new PendingImage(role, elf, null, [.. RomRegions.Of(name, elf)]);
            }
            var raw = new RawImage(bytes, rawAddress);
            return new PendingImage(role, null, raw, [.. RomRegions.Of(name, raw)]);
        }
        catch (ImageFormatException e)
        {
            throw new BoardConfigException($"could not load {role}: {e.Message}");
        }
    }

    /// <summary>
    /// The RAM disk goes where QEMU 7.2 puts it: past the kernel's entry by half the RAM, at most
    /// 128 MiB, far enough for the kernel to unpack below it. It is loaded as it is (raw).
    /// </summary>
    private PendingImage LoadInitrd(string path, ulong kernelEntry)
    {
        ulong start = kernelEntry + Math.Min(Options.RamSize / 2, 128UL * 1024 * 1024);
        byte[] bytes = ReadImage("initrd", path);
        ulong ramEnd = VirtMemoryMap.DramBase + Options.RamSize;
        if (start >= ramEnd || (ulong)bytes.Length > ramEnd - start)
            throw new BoardConfigException($"could not load ramdisk '{path}': {bytes.Length} bytes do not fit in RAM at 0x{start:x} (-m {Options.RamSize >> 20}M)");
        var raw = new RawImage(bytes, start);
        return new PendingImage("initrd", null, raw, [.. RomRegions.Of($"initrd '{path}'", raw)]);
    }

    private void WriteImage(PendingImage image)
    {
        try
        {
            if (image.Elf != null) ImageLoader.LoadInto(Bus, image.Elf);
            else ImageLoader.LoadInto(Bus, image.Raw!);
        }
        catch (ImageLoadException e)
        {
            throw new BoardConfigException($"could not load {image.Role}: {e.Message}");
        }
    }

    private void Load()
    {
        string? biosPath = ResolveBios(Options.Bios);
        ulong dram = VirtMemoryMap.DramBase;
        ulong start = dram;
        ulong kernelEntry = 0;
        var images = new List<PendingImage>();
        if (biosPath != null)
        {
            var fw = ParseImage("bios", biosPath, dram);
            images.Add(fw);
            start = fw.Entry;
        }
        if (Options.Kernel != null)
        {
            ulong kernelAt = biosPath == null ? dram : ImageLoader.KernelStartAfter(images[0].High);
            var k = ParseImage("kernel", Options.Kernel, kernelAt);
            images.Add(k);
            kernelEntry = k.Entry;
            if (biosPath == null) start = k.Entry;
        }
        else if (biosPath == null)
        {
            throw new BoardConfigException("no firmware and no kernel: give -kernel FILE or -bios FILE");
        }
        (ulong, ulong)? initrd = null;
        if (Options.Initrd != null)
        {
            if (Options.Kernel == null) throw new BoardConfigException("-initrd only allowed with -kernel option");
            var disk = LoadInitrd(Options.Initrd, kernelEntry);
            images.Add(disk);
            initrd = (disk.Raw!.LoadAddress, disk.Raw.End);
        }

        var config = new VirtConfig(Options.RamSize, Options.Smp, Options.Append) { Initrd = initrd };
        byte[] fdt = VirtDeviceTree.Build(config);
        if (Options.RamSize < FdtPlacement.QemuTreeBufferSize)
            throw new BoardConfigException($"-m {Options.RamSize / 1024}K: too little RAM for the device tree (at least 1 MiB)");
        FdtAddress = FdtPlacement.Compute(dram, Options.RamSize);
        // As in QEMU, the tree's region is its whole 1 MiB buffer, not just the packed blob.
        var regions = images.SelectMany(i => i.Regions).Append(new RomRegion("device tree", FdtAddress, FdtAddress + FdtPlacement.QemuTreeBufferSize)).ToList();
        RomRegions.CheckNoOverlap(regions);

        foreach (var image in images) WriteImage(image);
        Bus.WriteBytes(FdtAddress, fdt);

        Rom = BootRom.Create(start, FdtAddress, kernelEntry);
        Bus.Map(VirtMemoryMap.BootRomBase, VirtMemoryMap.BootRomSize, Rom);
        Machine.AddState("rom", Rom);
        foreach (var h in Harts) h.Reset(VirtMemoryMap.BootRomBase);
    }
}

/// <summary>A configuration or image problem, reported as one line.</summary>
public sealed class BoardConfigException(string message) : Exception(message);
