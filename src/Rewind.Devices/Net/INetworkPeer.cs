namespace Rewind.Devices.Net;

/// <summary>
/// The host side of a network device: where its transmitted frames go (a socket the command line opened,
/// or nowhere in a replay, where the peer is not running and the guest's frames are dropped), and whom it
/// tells when it has let go of a received frame, so a host that reads frames only while the device has
/// room (QEMU's backpressure) may read the next. Frames going out are output, not input: they never change
/// the machine, so they are not recorded; nor is the room, which only paces the host's reading.
/// </summary>
public interface INetworkPeer
{
    /// <summary>Sends one Ethernet frame (without any virtio header). Must not block the run loop.</summary>
    void Transmit(ReadOnlySpan<byte> frame);

    /// <summary>
    /// The device no longer holds one of the frames the input boundary handed it: the driver took it into
    /// a receive buffer, or it was dropped. Called on the run loop's thread, once per frame; must not block.
    /// </summary>
    void FrameReleased() { }
}

/// <summary>A peer that drops every frame: a replay's, or a netdev nobody is connected to.</summary>
public sealed class DroppingPeer : INetworkPeer
{
    public static readonly DroppingPeer Instance = new();

    public void Transmit(ReadOnlySpan<byte> frame) { }
}
