using System.Net;
using System.Net.Sockets;

namespace Rewind.TestSupport;

/// <summary>A free TCP port: bind port 0, note what the OS chose, let it go.</summary>
public static class FreePort
{
    public static int Get()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
