using System.Globalization;

namespace Rewind.Cli.CommandLine;

/// <summary>
/// A socket in QEMU's character-device syntax, as -qmp and -serial take it:
/// <c>tcp:[HOST]:PORT,server=on,wait=off</c> or <c>unix:PATH,server=on,wait=off</c>
/// (also the older <c>,server,nowait</c> spelling). Without wait=off QEMU waits for a client. Without
/// server=on the socket connects to HOST:PORT (where the option allows a client).
/// </summary>
public sealed record SocketSpec(string? Host, int Port, string? UnixPath, bool Wait, bool Server = true)
{
    public bool IsUnix => UnixPath != null;

    public override string ToString() => IsUnix ? $"unix:{UnixPath}" : $"tcp:{Host}:{Port}";

    public static SocketSpec Parse(string option, string value, bool clientAllowed = false)
    {
        string[] parts = value.Split(',');
        string address = parts[0];
        bool? server = null, wait = null;
        foreach (string p in parts.Skip(1))
        {
            int eq = p.IndexOf('=');
            string key = eq < 0 ? p : p[..eq];
            string? val = eq < 0 ? null : p[(eq + 1)..];
            switch (key)
            {
                case "server": server = Bool(option, value, key, val); break;
                case "wait": wait = Bool(option, value, key, val); break;
                case "nowait" when val == null: wait = false; break;
                case "nodelay" or "ipv4" or "ipv6" or "id": break;
                default: throw new UsageException($"-{option} {value}: unsupported parameter '{key}'");
            }
        }
        if (address is "stdio" or "mon:stdio")
            throw new UsageException($"-{option} {value}: QMP on stdio is not supported; use tcp:HOST:PORT,server=on,wait=off or unix:PATH,server=on,wait=off");
        if (server != true && !clientAllowed)
            throw new UsageException($"-{option} {value}: only listening sockets are supported; add ',server=on,wait=off'");
        bool isServer = server == true;
        bool w = isServer && (wait ?? true);
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = address[5..];
            if (path.Length == 0) throw new UsageException($"-{option} {value}: missing socket path");
            return new SocketSpec(null, 0, path, w, isServer);
        }
        if (address.StartsWith("tcp:", StringComparison.Ordinal))
        {
            string hp = address[4..];
            int colon = hp.LastIndexOf(':');
            if (colon < 0) throw new UsageException($"-{option} {value}: expected tcp:HOST:PORT");
            string host = hp[..colon];
            if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
            if (!int.TryParse(hp[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
                throw new UsageException($"-{option} {value}: invalid port '{hp[(colon + 1)..]}'");
            if (!isServer && (host.Length == 0 || port == 0)) throw new UsageException($"-{option} {value}: a client socket needs a host and a port");
            return new SocketSpec(host.Length == 0 ? "127.0.0.1" : host, port, null, w, isServer);
        }
        throw new UsageException($"-{option} {value}: supported sockets are tcp:HOST:PORT and unix:PATH (with server=on)");
    }

    private static bool Bool(string option, string value, string key, string? val) => val switch
    {
        null or "on" or "yes" or "true" => true,
        "off" or "no" or "false" => false,
        _ => throw new UsageException($"-{option} {value}: '{key}' must be on or off"),
    };
}
