using Rewind.Board.Devices;
using Rewind.Core.Bus;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Devices.Block;
using Rewind.Devices.Net;
using Rewind.Devices.Rng;
using Rewind.Devices.Serial;
using Rewind.Devices.Virtio;

namespace Rewind.Board;

/// <summary>
/// A virt board's virtio-mmio slots (eight on RISC-V, 32 on Arm; see <see cref="VirtioLayout"/>): which
/// device takes which slot, as QEMU decides it, and the transports built for them. QEMU creates the slots
/// first to last and each new bus is prepended, so an unpinned `-device` takes the free slot with the
/// highest address (the first one goes to 0x10008000 on RISC-V, 0x0a003e00 on Arm);
/// `bus=virtio-mmio-bus.N` pins slot N.
/// </summary>
public static class VirtioSlots
{
    /// <summary>The device of each slot (null: empty), or a one-line error.</summary>
    public static VirtioDeviceSpec?[] Place(IReadOnlyList<VirtioDeviceSpec> devices, VirtioLayout layout)
    {
        var slots = new VirtioDeviceSpec?[layout.Count];
        foreach (var d in devices)
        {
            if (d.Slot is int pinned)
            {
                if (pinned < 0 || pinned >= slots.Length)
                    throw new BoardConfigException($"{d.Origin}: bus virtio-mmio-bus.{pinned} not found (the virt machine has virtio-mmio-bus.0 to .{slots.Length - 1})");
                if (slots[pinned] != null)
                    throw new BoardConfigException($"{d.Origin}: bus virtio-mmio-bus.{pinned} is already in use");
                slots[pinned] = d;
                continue;
            }
            int free = Array.FindLastIndex(slots, s => s == null);
            if (free < 0) throw new BoardConfigException($"{d.Origin}: all {slots.Length} virtio-mmio buses are in use");
            slots[free] = d;
        }
        return slots;
    }

    /// <summary>What a recording's header keeps of the virtio configuration, or null when there are no devices.</summary>
    public static string? Describe(BoardOptions options)
    {
        if (options.VirtioDevices.Count == 0) return null;
        var slots = Place(options.VirtioDevices, VirtioLayout.For(options.Arch));
        var parts = new List<string> { options.VirtioLegacy ? "legacy" : "modern" };
        for (int i = 0; i < slots.Length; i++)
            if (slots[i] is VirtioDeviceSpec d) parts.Add($"{i}:{d.Describe()}");
        return string.Join("; ", parts);
    }

    /// <summary>
    /// Maps a transport (or an empty slot) at each of the layout's addresses, slot N's interrupt on line
    /// FirstIrq + N of <paramref name="interrupts"/>; <see cref="Register"/> adds their timing and state.
    /// </summary>
    internal static List<VirtioMmioTransport> Build(BoardOptions options, VirtioLayout layout, Machine machine, SystemBus bus, IIrqSink interrupts, IInputBoundary input)
    {
        var slots = Place(options.VirtioDevices, layout);
        var memory = new GuestMemory(bus.Ram);
        var transports = new List<VirtioMmioTransport>();
        for (int i = 0; i < slots.Length; i++)
        {
            ulong address = layout.Address(i);
            IMmioDevice window;
            if (slots[i] is VirtioDeviceSpec spec)
            {
                var device = CreateDevice(spec, options, input, i);
                var transport = new VirtioMmioTransport(layout.NodeName(i), device, memory,
                    new IrqLine(interrupts, layout.FirstIrq + i), machine, options.VirtioLegacy);
                transports.Add(transport);
                if (device is VirtioNet net) net.Transport = transport;
                if (device is VirtioConsole console) console.Transport = transport;
                window = transport;
            }
            else
            {
                window = new VirtioMmioPlaceholder(i, options.VirtioLegacy ? VirtioMmioPlaceholder.LegacyVersion : VirtioMmioPlaceholder.ModernVersion, layout.NodeName(i));
            }
            bus.Map(address, layout.Stride, window);
        }
        return transports;
    }

    /// <summary>Each device's deadlines and its state, saved as `virtioN` for slot N.</summary>
    internal static void Register(Machine machine, IEnumerable<VirtioMmioTransport> transports, VirtioLayout layout)
    {
        foreach (var t in transports)
        {
            machine.AddTimed(t);
            machine.AddState($"virtio{Slot(t, layout)}", t);
        }
    }

    /// <summary>The slot of a transport <see cref="Build"/> made, from its name (its node name, which holds its address).</summary>
    public static int Slot(VirtioMmioTransport transport, VirtioLayout layout) =>
        layout.SlotAt(Convert.ToUInt64(transport.Name[(transport.Name.IndexOf('@') + 1)..], 16));

    private static IVirtioDevice CreateDevice(VirtioDeviceSpec spec, BoardOptions options, IInputBoundary input, int slot)
    {
        switch (spec)
        {
            case BlockDeviceSpec blk:
                {
                    bool writeThrough = options.DiskWriteThrough && !blk.Snapshot && !blk.ReadOnly;
                    IBlockImage image;
                    try
                    {
                        image = blk.Format switch
                        {
                            "raw" => RawFileImage.Open(blk.Path, writable: writeThrough),
                            "qcow2" => Qcow2Image.Open(blk.Path, writable: writeThrough),
                            _ => throw new BoardConfigException($"{blk.Origin}: format '{blk.Format}' is not supported (raw and qcow2 are)"),
                        };
                    }
                    catch (BlockImageException e)
                    {
                        throw new BoardConfigException($"could not open disk image {e.Message}");
                    }
                    return new VirtioBlock(new BlockDisk(image, blk.ReadOnly, writeThrough), blk.Serial, input, slot);
                }
            case RngDeviceSpec rng:
                if (rng.EntropyFile is string path && input is LiveInput live)
                    live.EntropySource = HostEntropyFile.Open(path).Fill;
                return new VirtioRng(input);
            case NetDeviceSpec nic:
                {
                    var net = new VirtioNet(nic.Mac, options.NetPeers.GetValueOrDefault(nic.Netdev));
                    input.Attach(InputChannels.Net(nic.Index), net);
                    return net;
                }
            case SerialDeviceSpec serial:
                {
                    var ports = new List<VirtioConsolePort>();
                    foreach (var p in serial.Ports)
                    {
                        // A chardev the front end gave no output to (-chardev null) is still connected: it discards.
                        IConsoleOutput? output = p.Chardev == null ? null
                            : options.ConsoleOutputs.GetValueOrDefault(p.Chardev) ?? DiscardingConsoleOutput.Instance;
                        var port = new VirtioConsolePort(p.Nr, p.IsConsole, p.Name, output);
                        input.Attach(InputChannels.VirtConsole(p.Index), port);
                        ports.Add(port);
                    }
                    return new VirtioConsole(ports);
                }
            default:
                throw new BoardConfigException($"{spec.Origin}: not a device the virt board has");
        }
    }
}
