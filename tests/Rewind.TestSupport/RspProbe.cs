using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rewind.TestSupport;

/// <summary>A bare GDB remote-protocol client: enough to prove that a server answers, and which one.</summary>
public static class RspProbe
{
    /// <summary>Sends <c>?</c> and returns what came back: the acknowledgement and the whole stop reply packet.</summary>
    public static string AskStopReason(EndPoint endPoint, int timeoutMilliseconds = 30_000)
    {
        using var client = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        client.ReceiveTimeout = timeoutMilliseconds;
        client.Connect(endPoint);
        client.Send("$?#3f"u8);
        var reply = new StringBuilder();
        var buffer = new byte[256];
        // A packet ends two checksum digits after its '#'.
        while (!reply.ToString().Contains('#') || reply.ToString().IndexOf('#') + 3 > reply.Length)
        {
            int n = client.Receive(buffer);
            if (n == 0) break;
            reply.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return reply.ToString();
    }
}
