using System.Globalization;

namespace Rewind.Cli.CommandLine;

/// <summary>
/// QEMU 7.2's stream netdevs: `-netdev socket,id=ID,listen=[HOST]:PORT|connect=HOST:PORT`,
/// `-netdev stream,id=ID[,server=on|off],addr.type=inet,addr.host=H,addr.port=P` (or addr.type=unix,
/// addr.path=P), and `-nic socket|stream,...[,model=virtio-net-device][,mac=M]`, which is a netdev and
/// a NIC in one. Both kinds carry Ethernet frames over one stream connection, each frame after its
/// length as a 4-byte big-endian number.
/// </summary>
internal static class NetOptionParser
{
    public static void Netdev(Options o, string value) => o.Netdevs.Add(ParseNetdev(value, $"-netdev {value}", null));

    /// <summary>-nic TYPE,...: the netdev with a generated id, and a virtio-net-device on it.</summary>
    public static void Nic(Options o, string value)
    {
        var props = VirtioOptionParser.Split(value, "type");
        if (props[0].Value == "none") return;
        string origin = $"-nic {value}";
        string? mac = null;
        var rest = new List<string> { props[0].Value };
        foreach (var (k, v) in props.Skip(1))
        {
            switch (k)
            {
                case "model":
                    // The virt board here has no PCI bus: QEMU's default NIC (virtio-net-pci) becomes the virtio-mmio one.
                    if (v is not ("virtio-net-device" or "virtio" or "virtio-net-pci"))
                        throw new UsageException($"{origin}: model={v} is not a NIC the virt machine here has (it has virtio-net-device)");
                    break;
                case "mac": mac = v; break;
                case "id": throw new UsageException($"{origin}: -nic takes no id (use -netdev and -device)");
                default: rest.Add($"{k}={v.Replace(",", ",,", StringComparison.Ordinal)}"); break;
            }
        }
        string id = $"__nic{o.Netdevs.Count}";
        o.Netdevs.Add(ParseNetdev(string.Join(',', rest), origin, id));
        var device = new DeviceOption(origin, "virtio-net-device");
        device.Values["netdev"] = id;
        if (mac != null) device.Values["mac"] = mac;
        o.VirtioOrder.Add(device);
    }

    private static NetdevOption ParseNetdev(string value, string origin, string? givenId)
    {
        var props = VirtioOptionParser.Split(value, "type");
        string type = props[0].Value;
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in props.Skip(1))
            if (!keys.TryAdd(k, v)) throw new UsageException($"{origin}: parameter '{k}' given twice");
        string id = givenId ?? keys.GetValueOrDefault("id") ?? throw new UsageException($"{origin}: Parameter 'id' is missing");
        keys.Remove("id");
        return type switch
        {
            "socket" => Socket(origin, id, keys),
            "stream" => Stream(origin, id, keys),
            "user" or "tap" or "bridge" or "l2tpv3" or "vde" or "dgram" or "hubport" or "vhost-user" or "vhost-vdpa" =>
                throw new UsageException($"{origin}: the {type} netdev is not supported (Rewind has socket and stream, whose traffic it can record)"),
            _ => throw new UsageException($"{origin}: Parameter 'type' expects a netdev backend type (Rewind has socket and stream)"),
        };
    }

    private static NetdevOption Socket(string origin, string id, Dictionary<string, string> keys)
    {
        foreach (string k in keys.Keys)
        {
            if (k is "mcast" or "udp" or "localaddr" or "fd")
                throw new UsageException($"{origin}: {k}= is not supported (Rewind's socket netdev has listen= and connect=)");
            if (k is not ("listen" or "connect")) throw new UsageException($"{origin}: Invalid parameter '{k}'");
        }
        bool listen = keys.TryGetValue("listen", out var listenAt);
        bool connect = keys.TryGetValue("connect", out var connectTo);
        if (listen == connect)
            throw new UsageException($"{origin}: exactly one of listen= and connect= is needed");
        var (host, port) = HostPort(origin, listen ? listenAt! : connectTo!, hostOptional: listen);
        return new NetdevOption(id, origin, listen, host, port, null);
    }

    private static NetdevOption Stream(string origin, string id, Dictionary<string, string> keys)
    {
        bool server = false;
        string? type = null, host = null, portText = null, path = null;
        foreach (var (k, v) in keys)
        {
            switch (k)
            {
                case "server": server = OnOff(origin, k, v); break;
                case "addr.type": type = v; break;
                case "addr.host": host = v; break;
                case "addr.port": portText = v; break;
                case "addr.path": path = v; break;
                case "addr.str": break;
                // Name lookup and socket tuning that change nothing the guest sees.
                case "numeric" or "keep-alive" or "addr.numeric" or "addr.keep-alive" or "addr.ipv4" or "addr.ipv6" or "abstract" or "addr.abstract" or "tight" or "addr.tight":
                    break;
                case "addr.to" or "to" or "mptcp" or "addr.mptcp":
                    throw new UsageException($"{origin}: {k}= is not supported");
                case "reconnect" or "reconnect-ms":
                    throw new UsageException($"{origin}: {k}= is not supported (QEMU 7.2 has no reconnect either)");
                default: throw new UsageException($"{origin}: Invalid parameter '{k}'");
            }
        }
        switch (type)
        {
            case null: throw new UsageException($"{origin}: Parameter 'addr.type' is missing");
            case "inet":
                if (host == null) throw new UsageException($"{origin}: Parameter 'addr.host' is missing");
                if (portText == null) throw new UsageException($"{origin}: Parameter 'addr.port' is missing");
                return new NetdevOption(id, origin, server, host.Length == 0 ? null : host, Port(origin, portText), null);
            case "unix":
                if (string.IsNullOrEmpty(path)) throw new UsageException($"{origin}: Parameter 'addr.path' is missing");
                return new NetdevOption(id, origin, server, null, 0, path);
            case "fd": throw new UsageException($"{origin}: addr.type=fd is not supported (use inet or unix)");
            default: throw new UsageException($"{origin}: addr.type={type}: must be inet or unix");
        }
    }

    /// <summary>`HOST:PORT`, `[IPV6]:PORT`, or `:PORT` where the host may be left out (listening on every address, as QEMU).</summary>
    private static (string? Host, int Port) HostPort(string origin, string text, bool hostOptional)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0) throw new UsageException($"{origin}: '{text}' is not HOST:PORT");
        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (host.Length == 0 && !hostOptional) throw new UsageException($"{origin}: '{text}' has no host");
        return (host.Length == 0 ? null : host, Port(origin, text[(colon + 1)..]));
    }

    private static int Port(string origin, string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is 0 or > 65535)
            throw new UsageException($"{origin}: invalid port '{text}' (1 to 65535)");
        return port;
    }

    private static bool OnOff(string origin, string key, string v) => v switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new UsageException($"{origin}: {key}={v}: must be on or off"),
    };
}

/// <summary>
/// One stream netdev: a listening (server) or connecting end, at a TCP host and port or a Unix socket
/// path. <see cref="Host"/> null on a listening end means every address, as QEMU binds `listen=:PORT`.
/// </summary>
public sealed record NetdevOption(string Id, string Origin, bool Server, string? Host, int Port, string? UnixPath)
{
    public string Address => UnixPath ?? $"{Host ?? "0.0.0.0"}:{Port}";
}
