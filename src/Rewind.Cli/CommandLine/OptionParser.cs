using System.Globalization;
using Rewind.Session;

namespace Rewind.Cli.CommandLine;

/// <summary>
/// Parses QEMU's option syntax (single or double dash, `-opt value`, `key=value,...` suboptions) for
/// the options Rewind supports. Anything else is an error naming the option or value.
/// </summary>
public static class OptionParser
{
    private static readonly HashSet<string> Flags =
        ["nographic", "no-reboot", "s", "S", "h", "help", "version", "no-shutdown", "snapshot"];

    private static readonly HashSet<string> WithValue =
        ["M", "machine", "m", "smp", "bios", "kernel", "append", "initrd", "display", "serial", "monitor", "icount",
         "gdb", "qmp", "timeline", "cpu", "arch", "semihosting-config", "drive", "device", "object", "global",
         "netdev", "nic", "net", "chardev"];

    /// <summary>QEMU's -cpu names for the aarch64 virt board, and the core each one is.</summary>
    public static readonly IReadOnlyDictionary<string, Arm64.ArmCpuModel> ArmCpus = new Dictionary<string, Arm64.ArmCpuModel>(StringComparer.Ordinal)
    {
        ["cortex-a53"] = Arm64.ArmCpuModel.CortexA53,
        ["cortex-a57"] = Arm64.ArmCpuModel.CortexA57,
        ["cortex-a72"] = Arm64.ArmCpuModel.CortexA72,
        ["max"] = Arm64.ArmCpuModel.Max,
    };

    public static Options Parse(IReadOnlyList<string> args)
    {
        var o = new Options();
        for (int i = 0; i < args.Count; i++)
        {
            string raw = args[i];
            if (!raw.StartsWith('-') || raw == "-" || raw == "--")
                throw new UsageException($"{raw}: unexpected argument (options start with '-')");
            string name = raw.TrimStart('-');
            if (Flags.Contains(name))
            {
                ApplyFlag(o, name);
                continue;
            }
            if (!WithValue.Contains(name)) throw new UsageException($"-{name}: invalid option");
            if (i + 1 >= args.Count) throw new UsageException($"-{name}: requires an argument");
            ApplyValue(o, name, args[++i]);
        }
        CheckArchitecture(o);
        if (o.Monitor == "stdio" && o.Serial is "stdio" or "mon:stdio")
            throw new UsageException("cannot use stdio by multiple character devices (-monitor stdio and -serial " + o.Serial + ")");
        // As QEMU: stdio serves one character device; -nographic's console already takes it.
        var stdioChardevs = o.Chardevs.Where(c => c.Backend == "stdio").ToList();
        if (stdioChardevs.Count > 1 || (stdioChardevs.Count == 1 && (o.EffectiveSerial is "stdio" or "mon:stdio" || o.EffectiveMonitor == "stdio")))
            throw new UsageException($"{stdioChardevs[^1].Origin}: cannot use stdio by multiple character devices (the serial console or the monitor has it; add -serial null or -serial file:PATH, and -monitor none)");
        if (o.Timeline != null && o.RecordReplay != RunMode.Replay)
            throw new UsageException("-timeline: the timeline page moves a replay; use it with -icount rr=replay (for a recording alone: rewind timeline FILE.rr)");
        o.VirtioDevices = VirtioOptionParser.Resolve(o);
        return o;
    }

    private static void ApplyFlag(Options o, string name)
    {
        switch (name)
        {
            case "nographic": o.NoGraphic = true; break;
            case "no-reboot": o.NoReboot = true; break;
            case "no-shutdown": o.NoShutdown = true; break;
            case "s": o.Gdb = "tcp::1234"; break;
            case "S": o.StartPaused = true; break;
            case "h": case "help": o.Help = true; break;
            case "version": o.Version = true; break;
            case "snapshot": o.Snapshot = true; break;
        }
    }

    private static void ApplyValue(Options o, string name, string value)
    {
        switch (name)
        {
            case "M": case "machine": ParseMachine(o, value); break;
            case "m": o.RamSize = ParseMemory(value); break;
            case "smp": o.Smp = ParseSmp(value); break;
            case "bios": o.Bios = value; break;
            case "kernel": o.Kernel = value; break;
            case "append": o.Append = value; break;
            case "initrd": o.Initrd = value; break;
            case "display":
                if (value.Split(',')[0] != "none") throw new UsageException($"-display {value}: only 'none' is supported (Rewind has no graphical display)");
                o.Display = "none";
                break;
            case "serial":
                o.Serial = ValidateSerial(value);
                o.SerialSocket = value.StartsWith("tcp:", StringComparison.Ordinal) || value.StartsWith("unix:", StringComparison.Ordinal)
                    ? SocketSpec.Parse("serial", value, clientAllowed: true) : null;
                break;
            case "monitor":
                if (value is not ("none" or "stdio")) throw new UsageException($"-monitor {value}: supported values are none and stdio");
                o.Monitor = value;
                break;
            case "icount": ParseIcount(o, value); break;
            case "gdb": o.Gdb = value; break;
            case "qmp":
                o.QmpSocket = SocketSpec.Parse("qmp", value);
                o.Qmp = value;
                break;
            case "timeline": o.Timeline = ParsePort("timeline", value); break;
            case "drive": VirtioOptionParser.Drive(o, value); break;
            case "device": VirtioOptionParser.Device(o, value); break;
            case "object": VirtioOptionParser.Object(o, value); break;
            case "global": VirtioOptionParser.Global(o, value); break;
            case "netdev": NetOptionParser.Netdev(o, value); break;
            case "chardev": ChardevOptionParser.Chardev(o, value); break;
            case "nic": NetOptionParser.Nic(o, value); break;
            case "net": throw new UsageException($"-net {value}: the legacy -net option is not supported; use -netdev with -device virtio-net-device, or -nic");
            case "cpu": o.Cpu = value; break;
            case "arch":
                o.Arch = value switch
                {
                    "riscv64" => Board.GuestArch.Riscv64,
                    "aarch64" => Board.GuestArch.Aarch64,
                    _ => throw new UsageException($"-arch {value}: supported architectures are riscv64 and aarch64"),
                };
                break;
            case "semihosting-config": ParseSemihosting(o, value); break;
        }
    }

    /// <summary>What depends on the architecture, which -arch may give after the options it affects.</summary>
    private static void CheckArchitecture(Options o)
    {
        if (o.Arch == Board.GuestArch.Aarch64)
        {
            if (o.Cpu != null)
            {
                if (!ArmCpus.TryGetValue(o.Cpu, out var model))
                    throw new UsageException($"-cpu {o.Cpu}: unsupported CPU model (valid: {string.Join(", ", ArmCpus.Keys)})");
                o.ArmCpu = model;
            }
            int maxCpus = Board.Arm.ArmVirtBoard.MaxCpusFor(o.GicVersion);
            if (o.Smp > maxCpus)
                throw new UsageException($"-smp {o.Smp}: the aarch64 virt machine with GICv{o.GicVersion} supports at most {maxCpus} CPUs ({Board.Arm.ArmVirtBoard.CpuLimitReason(o.GicVersion)})");
            return;
        }
        if (o.Cpu != null && o.Cpu is not ("rv64" or "max" or "any"))
            throw new UsageException($"-cpu {o.Cpu}: unsupported CPU model (valid: rv64, max)");
        if (o.Semihosting) throw new UsageException("-semihosting-config enable=on: semihosting is supported on aarch64 only (-arch aarch64)");
        if (o.GicVersion != 2) throw new UsageException("-machine gic-version: an Arm board property (use -arch aarch64)");
    }

    private static void ParseSemihosting(Options o, string value)
    {
        foreach (var part in value.Split(','))
        {
            int eq = part.IndexOf('=');
            string key = eq < 0 ? part : part[..eq], val = eq < 0 ? "" : part[(eq + 1)..];
            switch (key)
            {
                case "enable":
                    o.Semihosting = val switch
                    {
                        "on" => true,
                        "off" => false,
                        _ => throw new UsageException($"-semihosting-config enable={val}: must be on or off"),
                    };
                    break;
                case "target":
                    if (val is not ("native" or "auto"))
                        throw new UsageException($"-semihosting-config target={val}: only native (or auto) is supported; calls are answered by Rewind, not GDB");
                    break;
                default:
                    throw new UsageException($"-semihosting-config: unknown parameter '{key}' (supported: enable, target)");
            }
        }
    }

    private static void ParseMachine(Options o, string value)
    {
        var parts = value.Split(',');
        foreach (var p in parts)
        {
            if (p.StartsWith("type=", StringComparison.Ordinal)) o.Machine = p[5..];
            else if (p.StartsWith("dumpdtb=", StringComparison.Ordinal))
            {
                o.DumpDtb = p[8..];
                if (o.DumpDtb.Length == 0) throw new UsageException($"-machine {value}: dumpdtb needs a file name");
            }
            else if (p.StartsWith("gic-version=", StringComparison.Ordinal))
            {
                o.GicVersion = p[12..] switch
                {
                    "2" => 2,
                    "3" => 3,
                    _ => throw new UsageException($"-machine {value}: unsupported gic-version '{p[12..]}' (valid: 2, 3)"),
                };
            }
            else if (p is "secure=off" or "virtualization=off" or "its=off") { }
            // The GICv3's ITS (QEMU's default with gic-version=3) is not modelled: no LPIs or MSIs.
            else if (p.StartsWith("its=", StringComparison.Ordinal))
                throw new UsageException($"-machine {value}: only its=off is supported (the GICv3 ITS is not modelled)");
            else if (p.StartsWith("secure=", StringComparison.Ordinal) || p.StartsWith("virtualization=", StringComparison.Ordinal))
                throw new UsageException($"-machine {value}: only {p.Split('=')[0]}=off is supported (EL3 and EL2 are not modelled)");
            else if (p.Contains('=')) throw new UsageException($"-machine {value}: unknown property '{p.Split('=')[0]}'");
            else o.Machine = p;
        }
        if (o.Machine == "help") throw new UsageException("Supported machines are: virt  QEMU's virt board (RISC-V, or Arm with -arch aarch64)");
        if (o.Machine != "virt") throw new UsageException($"-machine {o.Machine}: unsupported machine type (use virt)");
    }

    /// <summary>The most RAM -m accepts: what fits below 4 GiB after the DRAM base, less a page-aligned margin.</summary>
    public const ulong MaxRamSize = 2047UL * 1024 * 1024;

    public static ulong ParseMemory(string value)
    {
        string v = value.StartsWith("size=", StringComparison.Ordinal) ? value[5..] : value;
        v = v.Split(',')[0];
        ulong mult = 1024 * 1024;
        if (v.Length > 0 && char.IsLetter(v[^1]))
        {
            mult = char.ToUpperInvariant(v[^1]) switch
            {
                'K' => 1024UL,
                'M' => 1024UL * 1024,
                'G' => 1024UL * 1024 * 1024,
                _ => throw new UsageException($"-m {value}: invalid size suffix"),
            };
            v = v[..^1];
        }
        if (v.Length == 0 || !v.All(char.IsAsciiDigit))
            throw new UsageException($"-m {value}: invalid RAM size");
        // Compared before multiplying: a huge count must not wrap around to a small (or zero) size.
        if (!ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n > MaxRamSize / mult)
            throw new UsageException($"-m {value}: RAM size too large (the virt machine here takes at most 2047 MiB)");
        if (n == 0) throw new UsageException($"-m {value}: RAM size must not be 0");
        ulong bytes = n * mult;
        if (bytes % 4096 != 0)
            throw new UsageException($"-m {value}: RAM size must be a multiple of 4 KiB");
        return bytes;
    }

    private static readonly string[] SmpTopology = ["sockets", "dies", "clusters", "cores", "threads"];

    /// <summary>
    /// QEMU's -smp: [cpus=]N[,maxcpus=M][,sockets=S][,dies=D][,clusters=C][,cores=K][,threads=T]. Without
    /// a count, the topology's product is it, as in QEMU; the topology itself does not change the board.
    /// </summary>
    private static int ParseSmp(string value)
    {
        int? cpus = null, maxcpus = null;
        long product = 1;
        bool topology = false;
        string[] parts = value.Split(',');
        for (int k = 0; k < parts.Length; k++)
        {
            string part = parts[k];
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? (k == 0 ? "cpus" : part) : part[..eq];
            string number = eq < 0 ? part : part[(eq + 1)..];
            if (key != "cpus" && key != "maxcpus" && !SmpTopology.Contains(key))
                throw new UsageException($"-smp {value}: invalid parameter '{key}'");
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                throw new UsageException($"-smp {value}: invalid number of CPUs");
            if (key == "cpus") cpus = n;
            else if (key == "maxcpus") maxcpus = n;
            else
            {
                topology = true;
                product *= n;
            }
        }
        int count = cpus ?? (int)Math.Min(product, int.MaxValue);
        if (topology && cpus != null && product < count)
            throw new UsageException($"-smp {value}: the topology holds {product} CPUs, fewer than {count}");
        if (maxcpus != null && maxcpus < count)
            throw new UsageException($"-smp {value}: maxcpus must be equal to or greater than the number of CPUs");
        if (count > Rewind.Board.VirtBoard.MaxHarts)
            throw new UsageException($"-smp {count}: the virt machine supports at most {Rewind.Board.VirtBoard.MaxHarts} CPUs");
        return count;
    }

    /// <summary>A TCP port, 0 (any free one) to 65535.</summary>
    public static int ParsePort(string option, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw new UsageException($"-{option} {value}: a port number from 0 to 65535");
        return port;
    }

    private static string ValidateSerial(string value)
    {
        if (value is "stdio" or "null" or "mon:stdio" or "none") return value;
        if (value.StartsWith("file:", StringComparison.Ordinal) && value.Length > 5) return value;
        if (value.StartsWith("tcp:", StringComparison.Ordinal) || value.StartsWith("unix:", StringComparison.Ordinal)) return value;
        if (value.StartsWith("telnet:", StringComparison.Ordinal) || value.StartsWith("telnets:", StringComparison.Ordinal) || value.StartsWith("websocket:", StringComparison.Ordinal))
            throw new UsageException($"-serial {value}: the telnet and websocket protocols are not supported; use tcp:{value[(value.IndexOf(':') + 1)..]} (a raw byte stream: nc or socat connect to it)");
        throw new UsageException($"-serial {value}: supported backends are stdio, mon:stdio, null, file:PATH, tcp:[HOST]:PORT[,server=on[,wait=off]] and unix:PATH[,server=on[,wait=off]]");
    }

    private static void ParseIcount(Options o, string value)
    {
        o.IcountGiven = true;
        foreach (var part in value.Split(','))
        {
            string key = part, val = "";
            int eq = part.IndexOf('=');
            if (eq >= 0)
            {
                key = part[..eq];
                val = part[(eq + 1)..];
            }
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                key = "shift";
                val = part;
            }
            switch (key)
            {
                case "shift":
                    if (val == "auto") throw new UsageException("-icount shift=auto: not supported, Rewind's time is always a function of the instruction count; give a number 0..10");
                    if (!int.TryParse(val, NumberStyles.None, CultureInfo.InvariantCulture, out int s) || s > 10)
                        throw new UsageException($"-icount shift={val}: shift must be a number from 0 to 10");
                    o.IcountShift = s;
                    break;
                case "rr":
                    o.RecordReplay = val switch
                    {
                        "record" => RunMode.Record,
                        "replay" => RunMode.Replay,
                        "off" => RunMode.None,
                        _ => throw new UsageException($"-icount rr={val}: must be record, replay or off"),
                    };
                    break;
                case "rrfile": o.RecordFile = val; break;
                case "rrsnapshot": o.RecordSnapshot = val; break;
                case "sleep":
                    o.IcountSleep = val switch
                    {
                        "on" => true,
                        "off" => false,
                        _ => throw new UsageException($"-icount sleep={val}: must be on or off"),
                    };
                    break;
                case "align": break;
                default: throw new UsageException($"-icount: unknown parameter '{key}'");
            }
        }
        if (o.RecordReplay != RunMode.None && string.IsNullOrEmpty(o.RecordFile))
            throw new UsageException("-icount rr=record|replay needs rrfile=FILE");
        if (o.RecordSnapshot != null && (o.RecordReplay == RunMode.None || o.RecordSnapshot.Length == 0))
            throw new UsageException("-icount rrsnapshot=NAME needs a name and rr=record or rr=replay");
    }
}
