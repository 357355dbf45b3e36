using System.Buffers.Binary;
using System.Net.Sockets;

namespace Rewind.EndToEnd.Tests;

/// <summary>QEMU's stream netdev framing, as a test peer speaks it: each Ethernet frame after its length as a 4-byte big-endian number.</summary>
internal static class StreamFraming
{
    public static void Write(Socket s, byte[] frame)
    {
        var wire = new byte[4 + frame.Length];
        BinaryPrimitives.WriteUInt32BigEndian(wire, (uint)frame.Length);
        frame.CopyTo(wire, 4);
        s.Send(wire);
    }

    /// <summary>The next frame, or null when the other side has closed the connection.</summary>
    public static byte[]? Read(Socket s)
    {
        var header = new byte[4];
        if (!ReadExactly(s, header)) return null;
        var frame = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        return ReadExactly(s, frame) ? frame : null;
    }

    private static bool ReadExactly(Socket s, byte[] buffer)
    {
        for (int done = 0; done < buffer.Length;)
        {
            int n = s.Receive(buffer, done, buffer.Length - done, SocketFlags.None);
            if (n == 0) return false;
            done += n;
        }
        return true;
    }
}
