namespace Rewind.Cli.CommandLine;

/// <summary>
/// QEMU's `-chardev BACKEND,id=ID,...` for the backends Rewind has: `null`, `file,path=P` (output only,
/// as QEMU's file backend without input-path) and `stdio`. A virtconsole names one with `chardev=ID`.
/// Other backends (socket, pty, pipe, …) and multiplexing (`mux=on`) are refused with one line.
/// </summary>
internal static class ChardevOptionParser
{
    private static readonly HashSet<string> Unsupported =
        ["socket", "pty", "pipe", "udp", "serial", "tty", "parallel", "parport", "vc", "ringbuf", "memory", "msmouse",
         "wctablet", "braille", "testdev", "spicevmc", "spiceport", "qemu-vdagent", "dbus", "console"];

    public static void Chardev(Options o, string value)
    {
        string origin = $"-chardev {value}";
        var props = VirtioOptionParser.Split(value, "backend");
        string backend = props[0].Value;
        if (Unsupported.Contains(backend))
            throw new UsageException($"{origin}: the {backend} chardev backend is not supported (Rewind has null, file and stdio)");
        if (backend is not ("null" or "file" or "stdio"))
            throw new UsageException($"{origin}: '{backend}' is not a valid chardev backend (Rewind has null, file and stdio)");
        string? id = null, path = null;
        foreach (var (k, v) in props.Skip(1))
        {
            switch (k)
            {
                case "id": id = v; break;
                case "path" when backend == "file": path = v; break;
                case "mux":
                    if (v is "on" or "true" or "yes")
                        throw new UsageException($"{origin}: mux=on is not supported (the console multiplexer is -nographic's, for the serial port and the monitor)");
                    break;
                // Terminal handling that changes nothing the guest sees.
                case "signal" when backend == "stdio": break;
                case "input-path" when backend == "file":
                    throw new UsageException($"{origin}: input-path= is not supported (a file chardev here takes output only; use stdio for input)");
                case "logfile" or "logappend":
                    throw new UsageException($"{origin}: {k}= is not supported");
                default: throw new UsageException($"{origin}: Invalid parameter '{k}'");
            }
        }
        if (string.IsNullOrEmpty(id)) throw new UsageException($"{origin}: Parameter 'id' is missing");
        if (backend == "file" && string.IsNullOrEmpty(path)) throw new UsageException($"{origin}: Parameter 'path' is missing");
        if (o.Chardevs.Any(c => c.Id == id)) throw new UsageException($"{origin}: Duplicate ID '{id}' for chardev");
        o.Chardevs.Add(new ChardevOption(id, backend, path, origin));
    }
}

/// <summary>One -chardev: its id, its backend (null, file, stdio), the file's path, and the option as written.</summary>
public sealed record ChardevOption(string Id, string Backend, string? Path, string Origin);
