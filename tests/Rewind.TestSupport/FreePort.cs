using System.Net;
using System.Net.Sockets;

namespace Rewind.TestSupport;

/// <summary>
/// A free TCP port for a server a test starts. Taken below Linux's ephemeral range (32768-60999), so
/// that no client connection (gdb's, the tests' own) can be holding it by the time the server binds
/// it: servers bind exclusively, and a port picked by binding port 0 could be handed out again at once.
/// </summary>
public static class FreePort
{
    private const int First = 20_000, End = 32_000;

    public static int Get()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = Random.Shared.Next(First, End);
            try
            {
                var l = new TcpListener(IPAddress.Loopback, port);
                l.Start();
                l.Stop();
                return port;
            }
            catch (SocketException) when (attempt < 100)
            {
                // Taken: try another.
            }
        }
    }
}
