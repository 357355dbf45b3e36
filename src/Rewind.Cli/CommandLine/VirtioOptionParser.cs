using Rewind.Board;

namespace Rewind.Cli.CommandLine;

/// <summary>
/// QEMU's options for virtio devices: `-drive`, `-device virtio-blk-device|virtio-rng-device`,
/// `-object rng-random|rng-builtin`, `-global virtio-mmio.force-legacy=` and `-snapshot`. They are
/// collected in command-line order and resolved at the end into the board's device list, because a
/// `-device` may name a drive or object given after it.
/// </summary>
internal static class VirtioOptionParser
{
    /// <summary>The block interfaces QEMU knows; the virt machine here has only virtio and none.</summary>
    private static readonly HashSet<string> OtherInterfaces = ["ide", "scsi", "floppy", "pflash", "mtd", "sd", "xen"];

    private static readonly HashSet<string> DriveKeys =
        ["file", "format", "if", "id", "readonly", "snapshot", "media", "cache", "aio", "discard", "index", "serial"];

    /// <summary>Splits QEMU suboptions: `a=b,c=d`, with ",," standing for a comma inside a value.</summary>
    public static List<(string Key, string Value)> Split(string text, string? implicitKey)
    {
        var items = new List<string>();
        var cur = new System.Text.StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == ',')
            {
                if (i + 1 < text.Length && text[i + 1] == ',')
                {
                    cur.Append(',');
                    i++;
                    continue;
                }
                items.Add(cur.ToString());
                cur.Clear();
                continue;
            }
            cur.Append(text[i]);
        }
        items.Add(cur.ToString());
        var result = new List<(string, string)>();
        for (int i = 0; i < items.Count; i++)
        {
            string item = items[i];
            int eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0) result.Add(i == 0 && implicitKey != null ? (implicitKey, item) : (item, "on"));
            else result.Add((item[..eq], item[(eq + 1)..]));
        }
        return result;
    }

    public static void Drive(Options o, string value)
    {
        var drive = new DriveOption(value);
        foreach (var (k, v) in Split(value, null))
        {
            if (!DriveKeys.Contains(k)) throw new UsageException($"-drive {value}: Invalid parameter '{k}'");
            drive.Values[k] = v;
        }
        string iface = drive.Get("if") ?? "none";
        if (OtherInterfaces.Contains(iface))
            throw new UsageException($"-drive {value}: the virt machine has no {iface} bus; use if=virtio, or if=none with -device virtio-blk-device,drive=ID");
        if (iface is not ("none" or "virtio"))
            throw new UsageException($"-drive {value}: unsupported bus type '{iface}'");
        if (string.IsNullOrEmpty(drive.Get("file"))) throw new UsageException($"-drive {value}: a file= is needed (Rewind has no empty drives)");
        if (drive.Get("media") is string media && media != "disk") throw new UsageException($"-drive {value}: media={media} is not supported (disk is)");
        OnOff(value, "readonly", drive.Get("readonly"));
        OnOff(value, "snapshot", drive.Get("snapshot"));
        if (drive.Get("id") is string id && o.Drives.Any(d => d.Get("id") == id))
            throw new UsageException($"-drive {value}: Duplicate ID '{id}' for drive");
        o.Drives.Add(drive);
        if (iface == "virtio") o.VirtioOrder.Add(drive);
    }

    public static void Device(Options o, string value)
    {
        var props = Split(value, "driver");
        string driver = props[0].Value;
        if (driver is not ("virtio-blk-device" or "virtio-rng-device" or "virtio-net-device" or "virtio-serial-device" or "virtconsole" or "virtserialport"))
        {
            if (driver.EndsWith("-pci", StringComparison.Ordinal) && driver.StartsWith("virtio-", StringComparison.Ordinal))
                throw new UsageException($"-device {value}: the virt machine here has no PCI bus; use {driver[..^4]}-device");
            throw new UsageException($"-device {value}: '{driver}' is not a valid device model name (Rewind has virtio-blk-device, virtio-rng-device, virtio-net-device, virtio-serial-device, virtconsole and virtserialport)");
        }
        var device = new DeviceOption(value, driver);
        foreach (var (k, v) in props.Skip(1))
        {
            bool known = k is "bus" or "id" || driver switch
            {
                "virtio-blk-device" => k is "drive" or "serial",
                "virtio-net-device" => k is "netdev" or "mac",
                "virtio-serial-device" => false,
                "virtconsole" or "virtserialport" => k is "chardev" or "name" or "nr",
                _ => k == "rng",
            };
            if (!known) throw new UsageException($"-device {value}: {driver} has no property '{k}'");
            device.Values[k] = v;
        }
        o.VirtioOrder.Add(device);
    }

    public static void Object(Options o, string value)
    {
        var props = Split(value, "qom-type");
        string type = props[0].Value;
        if (type is not ("rng-random" or "rng-builtin"))
            throw new UsageException($"-object {value}: invalid object type '{type}' (Rewind has rng-random and rng-builtin)");
        string? id = null, file = type == "rng-random" ? "/dev/urandom" : null;
        foreach (var (k, v) in props.Skip(1))
        {
            if (k == "id") id = v;
            else if (k == "filename" && type == "rng-random") file = v;
            else throw new UsageException($"-object {value}: {type} has no property '{k}'");
        }
        if (string.IsNullOrEmpty(id)) throw new UsageException($"-object {value}: Parameter 'id' is missing");
        if (!o.RngObjects.TryAdd(id, file)) throw new UsageException($"-object {value}: attempt to add duplicate property '{id}'");
    }

    public static void Global(Options o, string value)
    {
        int eq = value.IndexOf('=', StringComparison.Ordinal);
        string key = eq < 0 ? value : value[..eq];
        string v = eq < 0 ? "" : value[(eq + 1)..];
        if (key != "virtio-mmio.force-legacy")
            throw new UsageException($"-global {value}: only virtio-mmio.force-legacy is supported");
        o.VirtioLegacy = OnOff(value, "force-legacy", v) ?? true;
    }

    private static bool? OnOff(string option, string key, string? v) => v switch
    {
        null => null,
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new UsageException($"{option}: {key}={v}: must be on or off"),
    };

    /// <summary>The board's virtio devices, in the order the options gave them; every name resolved, every image found.</summary>
    public static List<VirtioDeviceSpec> Resolve(Options o)
    {
        var specs = new List<VirtioDeviceSpec>();
        var used = new HashSet<DriveOption>();
        var usedNetdevs = new HashSet<string>(StringComparer.Ordinal);
        var netdevIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in o.Netdevs)
            if (!netdevIds.Add(n.Id)) throw new UsageException($"{n.Origin}: Duplicate ID '{n.Id}' for netdev");
        var serialBuses = new List<SerialBus>();
        var usedChardevs = new HashSet<string>(StringComparer.Ordinal);
        var formats = new Dictionary<DriveOption, string>();
        foreach (var drive in o.Drives) formats[drive] = CheckImage(o, drive);
        foreach (var item in o.VirtioOrder)
        {
            switch (item)
            {
                case DriveOption drive:
                    specs.Add(Block(o, drive, formats[drive], $"-drive {drive.Text}", null, ""));
                    used.Add(drive);
                    break;
                case DeviceOption { Driver: "virtio-blk-device" } dev:
                    {
                        string origin = $"-device {dev.Text}";
                        if (!dev.Values.TryGetValue("drive", out var name)) throw new UsageException($"{origin}: drive property not set");
                        var drive = o.Drives.FirstOrDefault(d => d.Get("id") == name && d.Get("if") is null or "none")
                            ?? throw new UsageException($"{origin}: Property 'virtio-blk-device.drive' can't find value '{name}'");
                        if (!used.Add(drive)) throw new UsageException($"{origin}: drive '{name}' is already in use by another device");
                        specs.Add(Block(o, drive, formats[drive], origin, Bus(o, dev, origin), dev.Values.GetValueOrDefault("serial") ?? drive.Get("serial") ?? ""));
                        break;
                    }
                case DeviceOption { Driver: "virtio-net-device" } dev:
                    specs.Add(Net(o, dev, specs.Count(s => s is NetDeviceSpec), usedNetdevs));
                    break;
                case DeviceOption { Driver: "virtio-serial-device" } dev:
                    {
                        string origin = $"-device {dev.Text}";
                        serialBuses.Add(new SerialBus(specs.Count, dev.Values.GetValueOrDefault("id"), serialBuses.Count));
                        specs.Add(new SerialDeviceSpec { Slot = Bus(o, dev, origin), Origin = origin });
                        break;
                    }
                case DeviceOption { Driver: "virtconsole" or "virtserialport" } dev:
                    SerialPort(o, dev, serialBuses, usedChardevs);
                    break;
                case DeviceOption dev:
                    {
                        string origin = $"-device {dev.Text}";
                        string? file = null;
                        if (dev.Values.TryGetValue("rng", out var rng) && !o.RngObjects.TryGetValue(rng, out file))
                            throw new UsageException($"{origin}: Property 'virtio-rng-device.rng' can't find value '{rng}'");
                        specs.Add(new RngDeviceSpec { EntropyFile = file, Slot = Bus(o, dev, origin), Origin = origin });
                        break;
                    }
            }
        }
        foreach (var bus in serialBuses)
            specs[bus.SpecIndex] = ((SerialDeviceSpec)specs[bus.SpecIndex]) with { Ports = bus.Ports };
        return specs;
    }

    /// <summary>A virtio-serial-device being resolved: where its spec is, its id, and the ports on it so far.</summary>
    private sealed record SerialBus(int SpecIndex, string? Id, int Number)
    {
        public List<ConsolePortSpec> Ports { get; } = [];
        /// <summary>QEMU's name for the device's bus: ID.0, or virtio-serial-bus.N without an id.</summary>
        public string Name => Id != null ? $"{Id}.0" : $"virtio-serial-bus.{Number}";
    }

    /// <summary>
    /// -device virtconsole or virtserialport: on the bus= named, or the first virtio-serial-device given
    /// before it (as QEMU takes the first bus of the kind). As in QEMU, port 0 is kept for a console (older
    /// drivers know only port 0, as their console): a bus's first console without nr= takes it, every
    /// other port the lowest free number from 1, and a virtserialport may not have nr=0.
    /// </summary>
    private static void SerialPort(Options o, DeviceOption dev, List<SerialBus> buses, HashSet<string> usedChardevs)
    {
        string origin = $"-device {dev.Text}";
        bool console = dev.Driver == "virtconsole";
        SerialBus bus;
        if (dev.Values.TryGetValue("bus", out var busName))
            bus = buses.FirstOrDefault(b => b.Name == busName)
                ?? throw new UsageException($"{origin}: Bus '{busName}' not found (a virtio-serial-device's bus is ID.0, or virtio-serial-bus.N without an id)");
        else bus = buses.FirstOrDefault()
            ?? throw new UsageException($"{origin}: No 'virtio-serial-bus' bus found for device '{dev.Driver}' (add -device virtio-serial-device before it)");
        int index = buses.Sum(b => b.Ports.Count);
        if (index >= Rewind.Core.Input.InputChannels.MaxVirtConsoles)
            throw new UsageException($"{origin}: at most {Rewind.Core.Input.InputChannels.MaxVirtConsoles} virtconsoles and virtserialports are supported");
        uint nr;
        if (dev.Values.TryGetValue("nr", out var nrText))
        {
            if (!uint.TryParse(nrText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out nr) || nr >= Rewind.Devices.Serial.VirtioConsole.MaxPorts)
                throw new UsageException($"{origin}: nr={nrText}: a port number from 0 to {Rewind.Devices.Serial.VirtioConsole.MaxPorts - 1}");
            if (nr == 0 && !console)
                throw new UsageException($"{origin}: Port number 0 on virtio-serial devices reserved for virtconsole devices for backward compatibility.");
            if (bus.Ports.Any(p => p.Nr == nr)) throw new UsageException($"{origin}: nr={nr}: the port number is in use on {bus.Name}");
        }
        else
        {
            nr = console && !bus.Ports.Any(p => p.Nr == 0) ? 0u : 1u;
            while (bus.Ports.Any(p => p.Nr == nr)) nr++;
            if (nr >= Rewind.Devices.Serial.VirtioConsole.MaxPorts)
                throw new UsageException($"{origin}: {bus.Name} has no free port (at most {Rewind.Devices.Serial.VirtioConsole.MaxPorts})");
        }
        string? chardev = dev.Values.GetValueOrDefault("chardev");
        if (chardev != null)
        {
            if (!o.Chardevs.Any(c => c.Id == chardev))
                throw new UsageException($"{origin}: Property '{dev.Driver}.chardev' can't find value '{chardev}'");
            if (!usedChardevs.Add(chardev))
                throw new UsageException($"{origin}: Property '{dev.Driver}.chardev' can't take value '{chardev}', it's in use");
        }
        string? name = dev.Values.GetValueOrDefault("name");
        if (name != null && buses.Any(b => b.Ports.Any(p => p.Name == name)))
            throw new UsageException($"{origin}: a port named '{name}' already exists");
        bus.Ports.Add(new ConsolePortSpec(nr, name, chardev, index, console));
    }

    private static NetDeviceSpec Net(Options o, DeviceOption dev, int index, HashSet<string> usedNetdevs)
    {
        string origin = dev.Text.StartsWith("-nic ", StringComparison.Ordinal) ? dev.Text : $"-device {dev.Text}";
        // A NIC without a netdev is allowed, as in QEMU: it has no peer, and what it sends is dropped.
        string netdev = dev.Values.GetValueOrDefault("netdev") ?? "";
        if (netdev.Length > 0)
        {
            if (!o.Netdevs.Any(n => n.Id == netdev))
                throw new UsageException($"{origin}: Property 'virtio-net-device.netdev' can't find value '{netdev}'");
            if (!usedNetdevs.Add(netdev))
                throw new UsageException($"{origin}: Property 'virtio-net-device.netdev' can't take value '{netdev}', it's in use");
        }
        byte[] mac = Rewind.Devices.Net.MacAddress.Default(index);
        if (dev.Values.TryGetValue("mac", out var text))
        {
            mac = Rewind.Devices.Net.MacAddress.Parse(text) ?? throw new UsageException($"{origin}: Property 'virtio-net-device.mac' doesn't take value '{text}'");
            if (Rewind.Devices.Net.MacAddress.IsMulticast(mac))
                throw new UsageException($"{origin}: mac={text} is a multicast address, which a NIC cannot have");
        }
        return new NetDeviceSpec(netdev, mac) { Index = index, Slot = Bus(o, dev, origin), Origin = origin };
    }

    private static int? Bus(Options o, DeviceOption dev, string origin)
    {
        if (!dev.Values.TryGetValue("bus", out var bus)) return null;
        const string prefix = "virtio-mmio-bus.";
        if (!bus.StartsWith(prefix, StringComparison.Ordinal) || !int.TryParse(bus[prefix.Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
            throw new UsageException($"{origin}: Bus '{bus}' not found (the virt machine has virtio-mmio-bus.0 to .{VirtioLayout.For(o.Arch).Count - 1})");
        return n;
    }

    private static BlockDeviceSpec Block(Options o, DriveOption drive, string format, string origin, int? slot, string serial) =>
        new(drive.Get("file")!, format)
        {
            ReadOnly = OnOff(drive.Text, "readonly", drive.Get("readonly")) ?? false,
            Snapshot = o.Snapshot || (OnOff(drive.Text, "snapshot", drive.Get("snapshot")) ?? false),
            Serial = serial,
            Slot = slot,
            Origin = origin,
        };

    /// <summary>
    /// The file exists and is in a format Rewind reads; returns the format. Without format=, the format is
    /// probed as QEMU does (the qcow2 magic, else raw with QEMU's warning), so a qcow2 image is never
    /// read as raw.
    /// </summary>
    private static string CheckImage(Options o, DriveOption drive)
    {
        string file = drive.Get("file")!;
        string origin = $"-drive {drive.Text}";
        if (Directory.Exists(file)) throw new UsageException($"{origin}: Could not open '{file}': Is a directory");
        if (!File.Exists(file)) throw new UsageException($"{origin}: Could not open '{file}': No such file or directory");
        string? format = drive.Get("format");
        if (format is null)
        {
            try
            {
                using var f = File.OpenRead(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"{origin}: Could not open '{file}': {(e is UnauthorizedAccessException ? "Permission denied" : e.Message)}");
            }
            if (Rewind.Devices.Block.Qcow2Image.HasMagic(file)) return "qcow2";
            o.Warnings.Add($"warning: Image format was not specified for '{file}' and probing guessed raw. Specify the 'raw' format explicitly to remove this warning (format=raw).");
            return "raw";
        }
        if (format is not ("raw" or "qcow2"))
            throw new UsageException($"{origin}: Unknown driver '{format}' (Rewind reads raw and qcow2 images)");
        return format;
    }
}

/// <summary>One -drive, its suboptions by key.</summary>
internal sealed class DriveOption(string text)
{
    public string Text { get; } = text;
    public Dictionary<string, string> Values { get; } = [];
    public string? Get(string key) => Values.GetValueOrDefault(key);
}

/// <summary>One -device, its driver and properties.</summary>
internal sealed class DeviceOption(string text, string driver)
{
    public string Text { get; } = text;
    public string Driver { get; } = driver;
    public Dictionary<string, string> Values { get; } = [];
}
