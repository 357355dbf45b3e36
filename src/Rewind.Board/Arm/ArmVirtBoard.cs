using System.Buffers.Binary;
using Rewind.Arm64;
using Rewind.Board.Devices;
using Rewind.Board.Loading;
using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Core.Memory;
using Rewind.Core.Time;

namespace Rewind.Board.Arm;

/// <summary>
/// QEMU's arm `virt` machine as far as modelled here: 1 to 8 AArch64 CPUs (123 with a GICv3) at EL1 (taking turns in the
/// machine's fixed, instruction-counted order), RAM at 0x40000000, the GICv2 or GICv3, each CPU's generic timer, the PL011 and the PL031, the CFI flash, fw_cfg, the 32 virtio-mmio slots,
/// PSCI over HVC, semihosting, a generated device tree, and the ELF and arm64 Image loaders, wired into
/// one <see cref="Execution.Machine"/>.
/// </summary>
public sealed class ArmVirtBoard : IBoard
{
    /// <summary>As QEMU's virt with GICv2: one CPU interface per CPU, at most 8.</summary>
    public const int MaxCpus = GicV2.MaxCpus;

    /// <summary>
    /// With GICv3: as many CPUs as QEMU 7.2's first redistributor region holds (0xF60000 bytes from
    /// 0x080A0000, 128 KiB each: 123), with QEMU's affinities (<see cref="ArmAffinity"/>: clusters of
    /// 16). QEMU takes up to 512 by adding a second region above 4 GiB (highmem), not modelled here.
    /// </summary>
    public const int MaxCpusGicV3 = GicV3.MaxCpus;

    /// <summary>The CPUs the board takes with GIC version <paramref name="gicVersion"/>.</summary>
    public static int MaxCpusFor(int gicVersion) => gicVersion == 3 ? MaxCpusGicV3 : MaxCpus;

    /// <summary>Why <paramref name="gicVersion"/> limits the CPUs, for the one-line -smp errors.</summary>
    public static string CpuLimitReason(int gicVersion) => gicVersion == 3
        ? "the first redistributor region's; QEMU's second, above 4 GiB, is not modelled"
        : "as QEMU's";

    private ArmVirtBoard(BoardOptions options, byte[] firmware)
    {
        Options = options;
        Ram = new PhysicalMemory(ArmVirtMap.RamBase, options.RamSize);
        Bus = new SystemBus(Ram);
        Clock = new VirtualClock(options.IcountShift);
        Input = options.Input ?? new LiveInput();
        Machine = new Machine(Bus, Clock, Input);
        Cpus = new Arm64Cpu[options.Smp];
        // One decoded-code cache for all CPUs: a slot depends only on the bytes at its address, and a
        // store by any CPU, device or loader then forgets the slots every CPU would run.
        var code = CodeCache = new Arm64CodeCache(Ram);
        if (options.Jit)
            code.EnableCompiler(Rewind.Arm64.Jit.ArmJitSettings.ThresholdFromEnvironment(), Rewind.Riscv.Jit.JitSettings.BackgroundFromEnvironment(),
                Rewind.Riscv.Jit.JitSettings.NativeFromEnvironment());
        for (int i = 0; i < Cpus.Length; i++) Cpus[i] = new Arm64Cpu(i, Bus, Clock, options.ArmCpu, code);
        Machine.SetCpus([.. Cpus]);

        if (options.GicVersion == 3)
        {
            // The redistributors are addressed by frame; the CPU interface by each CPU's system registers.
            var gic3 = new GicV3([.. Cpus.Select(c => (Action<bool>)c.SetIrq)], [.. Cpus.Select(c => (Action<bool>)c.SetFiq)]);
            foreach (var c in Cpus) c.Gic = gic3;
            Bus.Map(ArmVirtMap.GicDistBase, GicV3.DistributorSize, gic3.Distributor);
            Bus.Map(ArmVirtMap.GicRedistBase, gic3.RedistributorsSize, gic3.Redistributors);
            Gic = gic3;
        }
        else
        {
            // A GIC register access reaches the bank of the CPU making it: the one whose turn it is.
            var gic2 = new GicV2([.. Cpus.Select(c => (Action<bool>)c.SetIrq)], () => Machine.CurrentHart);
            Bus.Map(ArmVirtMap.GicDistBase, GicV2.DistributorSize, gic2.Distributor);
            Bus.Map(ArmVirtMap.GicCpuBase, GicV2.CpuInterfaceSize, gic2.CpuInterface);
            Gic = gic2;
        }
        Uart = new Pl011(options.Serial, new IrqLine(Gic, ArmVirtMap.UartSpi));
        Rtc = new Pl031(Input, new IrqLine(Gic, ArmVirtMap.RtcSpi), Machine);
        Firmware = new ArmFirmware(options.Serial, Machine, Input, options.Semihosting) { Cpus = Cpus };
        Psci = new ArmPsci(Cpus, Firmware.Request);
        Firmware.PsciHandler = Psci;
        foreach (var c in Cpus) c.Firmware = Firmware;
        Timers = [.. Cpus.Select(c => new ArmGenericTimer(c, Gic, Machine))];
        DebuggerWrites = new DebuggerWrites(Cpus);

        Input.Attach(InputChannel.Serial0, new SerialInput(Uart, Firmware));
        Input.Attach(InputChannel.DebuggerWrite, DebuggerWrites);
        Input.Attach(InputChannel.Power, new ExternalPower(Machine));

        Flash0 = new CfiFlash("pflash0", ArmVirtMap.Flash0Base, firmware);
        Flash1 = new CfiFlash("pflash1", ArmVirtMap.Flash1Base, []);
        Bus.Map(ArmVirtMap.Flash0Base, CfiFlash.BankSize, Flash0);
        Bus.Map(ArmVirtMap.Flash1Base, CfiFlash.BankSize, Flash1);
        FwCfg = new FwCfg(Ram, options.Smp);
        Bus.Map(ArmVirtMap.FwCfgBase, FwCfg.Size, FwCfg);
        // The -device virtio devices, on the same transports as RISC-V's; slot N raises SPI 16 + N.
        Virtio = VirtioSlots.Build(options, VirtioLayout.Arm, Machine, Bus, Gic, Input);
        Bus.Map(ArmVirtMap.UartBase, ArmVirtMap.UartSize, Uart);
        Bus.Map(ArmVirtMap.RtcBase, ArmVirtMap.RtcSize, Rtc);

        Machine.Power = Firmware;
        foreach (var t in Timers) Machine.AddTimed(t);
        foreach (var c in Cpus) Machine.AddState($"cpu{c.Index}", c);
        // Each GIC under its own name: a GICv3 machine's state is never read as a GICv2's.
        Machine.AddState(Gic is GicV3 ? "gicv3" : "gic", Gic);
        Machine.AddState("pl011", Uart);
        Machine.AddState("pl031", Rtc);
        Machine.AddState("firmware", Firmware);
        Machine.AddState("psci", Psci);
        Machine.AddState("pflash0", Flash0);
        Machine.AddState("pflash1", Flash1);
        Machine.AddState("fw_cfg", FwCfg);
        VirtioSlots.Register(Machine, Virtio, VirtioLayout.Arm);
        Machine.OnReset = () =>
        {
            // As QEMU's system_reset: CPU 0 boots the kernel again, the others are off; RAM keeps its contents.
            Gic.Reset();
            Uart.Reset();
            Flash0.Reset();
            Flash1.Reset();
            FwCfg.Reset();
            foreach (var t in Virtio) t.SystemReset();
            BootCpu();
        };
    }

    public BoardOptions Options { get; }
    public PhysicalMemory Ram { get; }
    public SystemBus Bus { get; }
    public VirtualClock Clock { get; }
    public IInputBoundary Input { get; }
    public Machine Machine { get; }
    /// <summary>CPU 0, the boot CPU.</summary>
    public Arm64Cpu Cpu => Cpus[0];
    /// <summary>The CPUs, by index (MPIDR affinity <see cref="ArmAffinity.OfIndex"/>); all but CPU 0 start powered off, waiting for PSCI CPU_ON.</summary>
    public Arm64Cpu[] Cpus { get; }

    /// <summary>The decoded code and compiled regions the CPUs share.</summary>
    public Arm64CodeCache CodeCache { get; }
    /// <summary>The interrupt controller: a <see cref="GicV2"/>, or a <see cref="GicV3"/> with gic-version=3.</summary>
    public IArmGic Gic { get; }
    public ArmPsci Psci { get; }
    public Pl011 Uart { get; }
    public Pl031 Rtc { get; }
    public ArmFirmware Firmware { get; }
    /// <summary>Each CPU's generic timer outputs, by CPU index.</summary>
    public ArmGenericTimer[] Timers { get; }
    public DebuggerWrites DebuggerWrites { get; }
    public CfiFlash Flash0 { get; }
    public CfiFlash Flash1 { get; }
    public FwCfg FwCfg { get; }
    /// <summary>The virtio-mmio slots that hold a device, in slot order.</summary>
    public IReadOnlyList<Rewind.Devices.Virtio.VirtioMmioTransport> Virtio { get; }
    /// <summary>The firmware -bios names, in flash bank 0 (null for a -kernel boot).</summary>
    public string? FirmwarePath { get; private set; }
    /// <summary>Where the kernel starts, and the device tree's address (0 when there is none).</summary>
    public ulong Entry { get; private set; }
    public ulong FdtAddress { get; private set; }
    public ElfImage? SymbolSource { get; private set; }

    /// <summary>Builds the board and loads the kernel. Errors are one-line messages.</summary>
    public static ArmVirtBoard Create(BoardOptions options)
    {
        if (options.GicVersion is not (2 or 3))
            throw new BoardConfigException($"gic-version={options.GicVersion}: the aarch64 virt board has GIC version 2 or 3");
        int maxCpus = MaxCpusFor(options.GicVersion);
        if (options.Smp < 1 || options.Smp > maxCpus)
            throw new BoardConfigException($"-smp {options.Smp}: the aarch64 virt board with GICv{options.GicVersion} has 1 to {maxCpus} CPUs ({CpuLimitReason(options.GicVersion)})");
        var (role, path) = ImagesFor(options)[0];
        byte[] bytes = ReadImage(role, path);
        if (role == "bios")
        {
            if ((ulong)bytes.Length > CfiFlash.BankSize)
                throw new BoardConfigException($"could not load bios '{path}': {bytes.Length} bytes do not fit the 64 MiB flash");
            var firmwareBoard = new ArmVirtBoard(options, bytes) { FirmwarePath = path };
            firmwareBoard.LoadFirmware();
            return firmwareBoard;
        }
        var board = new ArmVirtBoard(options, []);
        board.Load(path, bytes);
        return board;
    }

    /// <summary>
    /// The file the board loads: -bios FILE (firmware in flash bank 0, as QEMU) or -kernel FILE. QEMU
    /// would hand a kernel given with -bios to the firmware through fw_cfg; that is not modelled.
    /// </summary>
    public static IReadOnlyList<(string Role, string Path)> ImagesFor(BoardOptions options)
    {
        (string Role, string Path) image;
        if (options.Bios is not ("none" or "default"))
        {
            if (options.Kernel != null)
                throw new BoardConfigException("-bios with -kernel: the aarch64 virt board does not pass a kernel to firmware; give one of them");
            image = ("bios", options.Bios);
        }
        else if (options.Kernel == null) throw new BoardConfigException("no kernel: give -kernel FILE or -bios FILE");
        else image = ("kernel", options.Kernel);
        List<(string Role, string Path)> list = [image];
        if (options.Initrd != null)
        {
            if (image.Role == "bios") throw new BoardConfigException("-initrd only allowed with -kernel option");
            list.Add(("initrd", options.Initrd));
        }
        foreach (var (role, file) in list)
            if (!File.Exists(file)) throw new BoardConfigException($"could not load {role} '{file}': no such file");
        return list;
    }

    private static byte[] ReadImage(string role, string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BoardConfigException($"could not load {role} '{path}': {e.Message}");
        }
    }

    /// <summary>A -bios boot: the CPU starts at the flash, and the device tree is at the start of RAM (as QEMU puts it).</summary>
    private void LoadFirmware()
    {
        byte[] fdt = ArmVirtDeviceTree.Build(Options.RamSize, Options.Append, Options.ArmCpu, Options.Smp, gicVersion: Options.GicVersion);
        FdtAddress = ArmVirtMap.RamBase;
        Bus.WriteBytes(FdtAddress, fdt);
        Entry = ArmVirtMap.Flash0Base;
        BootCpu();
    }

    private void Load(string path, byte[] bytes)
    {
        ulong ramEnd = ArmVirtMap.RamBase + Options.RamSize;
        ulong imageEnd;
        (ulong Start, ulong End)? initrd = null;
        byte[]? initrdBytes = null;
        try
        {
            if (ElfImage.HasElfMagic(bytes))
            {
                if (Options.Initrd != null) throw new BoardConfigException("-initrd: only with an arm64 Linux Image as -kernel (this kernel is an ELF file)");
                var elf = SymbolSource = ElfImage.Load(bytes, ElfImage.MachineAarch64);
                CheckInRam(RomRegions.Of($"kernel '{path}'", elf), ramEnd);
                var loaded = ImageLoader.LoadInto(Bus, elf);
                Entry = loaded.Entry;
                imageEnd = loaded.HighAddress;
                byte[] elfTree = ArmVirtDeviceTree.Build(Options.RamSize, Options.Append, Options.ArmCpu, Options.Smp, gicVersion: Options.GicVersion);
                // As QEMU for an ELF that is not Linux: the tree goes at the start of RAM if it fits
                // below the image, and no register points at it.
                if (loaded.LowAddress >= ArmVirtMap.RamBase + (ulong)elfTree.Length)
                {
                    FdtAddress = ArmVirtMap.RamBase;
                    Bus.WriteBytes(FdtAddress, elfTree);
                }
            }
            else
            {
                var image = ArmLinuxImage.Parse(bytes);
                var raw = new RawImage(bytes, ArmVirtMap.RamBase + image.LoadOffset);
                CheckInRam(RomRegions.Of($"kernel '{path}'", raw), ramEnd);
                ImageLoader.LoadInto(Bus, raw);
                Entry = raw.Entry;
                imageEnd = Math.Max(raw.End, raw.LoadAddress + image.ImageSize);
                // Where QEMU 7.2 puts the RAM disk (hw/arm/boot.c): half the RAM, at most 128 MiB, past the
                // start of RAM, or past the kernel if that is higher, page aligned; the tree after it.
                ulong at = ArmVirtMap.RamBase + Math.Min(Options.RamSize / 2, 128UL * 1024 * 1024);
                at = (Math.Max(at, imageEnd) + 0xfff) & ~0xfffUL;
                ulong treeAfter = at;
                if (Options.Initrd != null)
                {
                    initrdBytes = ReadImage("initrd", Options.Initrd);
                    if (at >= ramEnd || (ulong)initrdBytes.Length > ramEnd - at)
                        throw new BoardConfigException($"could not load ramdisk '{Options.Initrd}': {initrdBytes.Length} bytes do not fit in RAM at 0x{at:x} (-m {Options.RamSize >> 20}M)");
                    initrd = (at, at + (ulong)initrdBytes.Length);
                    treeAfter = at + (ulong)initrdBytes.Length;
                }
                // An arm64 kernel maps the 2 MiB around its tree early on, so QEMU aligns the tree to 2 MiB.
                const ulong twoMiB = 2 * 1024 * 1024;
                byte[] fdt = ArmVirtDeviceTree.Build(Options.RamSize, Options.Append, Options.ArmCpu, Options.Smp, initrd, Options.GicVersion);
                FdtAddress = (treeAfter + twoMiB - 1) & ~(twoMiB - 1);
                if (FdtAddress + (ulong)fdt.Length > ramEnd)
                    throw new BoardConfigException($"-m {Options.RamSize / (1024 * 1024)}M: no room for the device tree after the kernel");
                if (initrd is var (start, _)) Bus.WriteBytes(start, initrdBytes!);
                Bus.WriteBytes(FdtAddress, fdt);
            }
        }
        catch (ImageFormatException e)
        {
            throw new BoardConfigException($"could not load kernel: {e.Message}");
        }
        catch (ImageLoadException e)
        {
            throw new BoardConfigException($"could not load kernel: {e.Message}");
        }
        string cmdline = string.IsNullOrEmpty(Options.Append) ? path : $"{path} {Options.Append}";
        Firmware.CommandLine = cmdline;
        ulong heapBase = (imageEnd + 15) & ~15UL;
        Firmware.HeapInfo = (heapBase, ramEnd, ramEnd, 0);
        BootCpu();
    }

    private static void CheckInRam(IEnumerable<RomRegion> regions, ulong ramEnd)
    {
        foreach (var r in regions)
            if (r.Start < ArmVirtMap.RamBase || r.End > ramEnd)
                throw new BoardConfigException($"could not load {r}: outside RAM (0x{ArmVirtMap.RamBase:x}-0x{ramEnd:x}); give more -m or link the image into RAM");
    }

    private void BootCpu()
    {
        // A Linux Image finds its device tree in x0; a bare ELF or the firmware starts with every register zero.
        Cpu.PowerOn(Entry, SymbolSource == null && FirmwarePath == null ? FdtAddress : 0);
        Psci.ResetSecondaries();
    }

    /// <summary>Bytes typed on the serial console go to the PL011 and, with semihosting, to SYS_READC.</summary>
    private sealed class SerialInput(Pl011 uart, ArmFirmware firmware) : IInputSink
    {
        public void Receive(ReadOnlySpan<byte> data)
        {
            uart.Receive(data);
            firmware.Receive(data);
        }
    }
}
