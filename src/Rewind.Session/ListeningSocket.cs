using System.Net;
using System.Net.Sockets;

namespace Rewind.Session;

/// <summary>
/// Opens the listening socket of a GDB or QMP server, exclusively: a TCP port or Unix socket that
/// another process listens on is refused with <see cref="SocketError.AddressAlreadyInUse"/>, as in QEMU.
/// A Unix socket file nobody answers on (left by a run that died) is replaced.
/// </summary>
public static class ListeningSocket
{
    // SOL_SOCKET and SO_REUSEADDR as Linux numbers them.
    private const int LinuxSolSocket = 1;
    private const int LinuxSoReuseAddr = 2;

    /// <summary>Binds <paramref name="endPoint"/> and listens.</summary>
    /// <exception cref="SocketException">The address is in use, not available, or not permitted.</exception>
    public static Socket Open(EndPoint endPoint, int backlog)
    {
        string? unixPath = UnixPath(endPoint);
        if (unixPath != null) RemoveIfStale(unixPath);
        var socket = unixPath != null
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (unixPath == null) AllowRebindAfterTimeWait(socket);
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// SO_REUSEADDR alone, as QEMU sets it: a port whose last connection is in TIME_WAIT can be bound
    /// again, one that a process listens on cannot. .NET's <see cref="SocketOptionName.ReuseAddress"/>
    /// must not be used: on Linux it also sets SO_REUSEPORT, which lets two processes listen on the
    /// same port and share its connections.
    /// </summary>
    private static void AllowRebindAfterTimeWait(Socket socket)
    {
        if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(LinuxSolSocket, LinuxSoReuseAddr, BitConverter.GetBytes(1));
        else if (OperatingSystem.IsWindows()) socket.ExclusiveAddressUse = true;
    }

    /// <summary>The socket file of a Unix endpoint, or null for an IP one.</summary>
    public static string? UnixPath(EndPoint endPoint) => (endPoint as UnixDomainSocketEndPoint)?.ToString();

    /// <summary>True for an IP endpoint on a loopback address (or a Unix socket): only this host can connect.</summary>
    public static bool IsLocalOnly(EndPoint endPoint) => endPoint is not IPEndPoint ip || IPAddress.IsLoopback(ip.Address);

    /// <summary>Deletes a socket file left behind if connecting to it is refused; one that answers is left alone.</summary>
    public static void RemoveIfStale(string path)
    {
        if (!File.Exists(path)) return;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return; // someone listens: Bind reports the address in use
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
        }
        catch (SocketException)
        {
            return; // not a socket we may touch (no permission, not a socket): Bind reports it
        }
        RemoveFile(path);
    }

    /// <summary>Removes a server's socket file on exit; a file that is already gone is fine.</summary>
    public static void RemoveFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A socket error in the words of the C library, lower case, for a one-line message.</summary>
    public static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "cannot assign requested address",
        SocketError.AccessDenied => "permission denied",
        _ => e.Message,
    };
}
