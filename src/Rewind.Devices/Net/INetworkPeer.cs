namespace Rewind.Devices.Net;

/// <summary>
/// Where a network device's transmitted frames go: the host side of a netdev (a socket the command line
/// opened), or nowhere in a replay, where the peer is not running and the guest's frames are dropped.
/// Frames going out are output, not input: they never change the machine, so they are not recorded.
/// </summary>
public interface INetworkPeer
{
    /// <summary>Sends one Ethernet frame (without any virtio header). Must not block the run loop.</summary>
    void Transmit(ReadOnlySpan<byte> frame);
}

/// <summary>A peer that drops every frame: a replay's, or a netdev nobody is connected to.</summary>
public sealed class DroppingPeer : INetworkPeer
{
    public static readonly DroppingPeer Instance = new();

    public void Transmit(ReadOnlySpan<byte> frame) { }
}
