namespace Rewind.Cli.CommandLine;

/// <summary>
/// QEMU's `-chardev BACKEND,id=ID,...` for the backends Rewind has: `null`, `file,path=P` (output only,
/// as QEMU's file backend without input-path), `stdio`, and `socket` (`host=H,port=P` or `path=P`, with
/// `server=on` and `wait=off` as QEMU spells them; a client without server=on). A virtconsole names one
/// with `chardev=ID`. Other backends (pty, pipe, …) and multiplexing (`mux=on`) are refused with one line.
/// </summary>
internal static class ChardevOptionParser
{
    private static readonly HashSet<string> Unsupported =
        ["pty", "pipe", "udp", "serial", "tty", "parallel", "parport", "vc", "ringbuf", "memory", "msmouse",
         "wctablet", "braille", "testdev", "spicevmc", "spiceport", "qemu-vdagent", "dbus", "console"];

    public static void Chardev(Options o, string value)
    {
        string origin = $"-chardev {value}";
        var props = VirtioOptionParser.Split(value, "backend");
        string backend = props[0].Value;
        if (Unsupported.Contains(backend))
            throw new UsageException($"{origin}: the {backend} chardev backend is not supported (Rewind has null, file, stdio and socket)");
        if (backend is not ("null" or "file" or "stdio" or "socket"))
            throw new UsageException($"{origin}: '{backend}' is not a valid chardev backend (Rewind has null, file, stdio and socket)");
        string? id = null, path = null, host = null, port = null, server = null, wait = null;
        foreach (var (k, v) in props.Skip(1))
        {
            switch (k)
            {
                case "id": id = v; break;
                case "path" when backend is "file" or "socket": path = v; break;
                case "host" when backend == "socket": host = v; break;
                case "port" when backend == "socket": port = v; break;
                case "server" when backend == "socket": server = v; break;
                case "wait" when backend == "socket": wait = v; break;
                case "nowait" when backend == "socket": wait = "off"; break;
                case "nodelay" or "ipv4" or "ipv6" when backend == "socket": break;
                case "telnet" or "websocket" or "tls-creds" or "reconnect" when backend == "socket":
                    if (v is "off" or "false" or "no" or "0") break;
                    throw new UsageException($"{origin}: {k}= is not supported (a socket chardev here is a raw byte stream)");
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
        SocketSpec? socket = null;
        if (backend == "socket")
        {
            if (path != null && (host != null || port != null)) throw new UsageException($"{origin}: path= and host=/port= cannot be used together");
            if (path == null && port == null) throw new UsageException($"{origin}: Parameter 'port' or 'path' is missing");
            string address = path != null ? $"unix:{path}" : $"tcp:{host ?? ""}:{port}";
            string flags = (server != null ? $",server={server}" : "") + (wait != null ? $",wait={wait}" : "");
            socket = SocketSpec.Parse("chardev", address + flags, clientAllowed: true);
            path = null;
        }
        o.Chardevs.Add(new ChardevOption(id, backend, path, origin, socket));
    }
}

/// <summary>One -chardev: its id, its backend (null, file, stdio, socket), the file's path or the socket, and the option as written.</summary>
public sealed record ChardevOption(string Id, string Backend, string? Path, string Origin, SocketSpec? Socket = null);
