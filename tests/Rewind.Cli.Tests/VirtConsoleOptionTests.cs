using Rewind.Board;
using Rewind.Cli.CommandLine;

namespace Rewind.Cli.Tests;

/// <summary>-device virtio-serial-device, -device virtconsole, -device virtserialport and -chardev, as QEMU spells them.</summary>
public class VirtConsoleOptionTests
{
    private static Options Parse(string args) => OptionParser.Parse(args.Split(' '));

    [Fact]
    public void Virtconsole_OnTheSerialDevice_TakesPort0AndItsChardev()
    {
        var o = Parse("-display none -serial null -chardev stdio,id=c0 -device virtio-serial-device -device virtconsole,chardev=c0,name=org.x");
        var serial = Assert.IsType<SerialDeviceSpec>(Assert.Single(o.VirtioDevices));
        Assert.Equal([new ConsolePortSpec(0, "org.x", "c0", 0)], serial.Ports);
        Assert.Equal(new ChardevOption("c0", "stdio", null, "-chardev stdio,id=c0"), Assert.Single(o.Chardevs));
    }

    [Fact]
    public void SecondVirtconsole_TakesTheLowestFreePort_AndTheNextInputChannel()
    {
        var o = Parse("-chardev null,id=a -chardev file,id=b,path=/tmp/x -device virtio-serial-device,id=vs -device virtconsole,chardev=a -device virtconsole,chardev=b,bus=vs.0");
        var serial = Assert.IsType<SerialDeviceSpec>(Assert.Single(o.VirtioDevices));
        Assert.Equal([new ConsolePortSpec(0, null, "a", 0), new ConsolePortSpec(1, null, "b", 1)], serial.Ports);
        Assert.Equal("/tmp/x", o.Chardevs[1].Path);
    }

    [Fact]
    public void Virtconsole_WithoutChardev_HasNoHostSide()
    {
        var o = Parse("-device virtio-serial-device -device virtconsole,nr=3");
        Assert.Equal([new ConsolePortSpec(3, null, null, 0)], ((SerialDeviceSpec)o.VirtioDevices[0]).Ports);
    }

    [Fact]
    public void Virtserialport_IsAGenericNamedPort_OnTheNextInputChannel()
    {
        var o = Parse("-chardev null,id=a -chardev null,id=b -device virtio-serial-device -device virtconsole,chardev=a -device virtserialport,chardev=b,name=org.rewind.port");
        var serial = Assert.IsType<SerialDeviceSpec>(Assert.Single(o.VirtioDevices));
        Assert.Equal([new ConsolePortSpec(0, null, "a", 0), new ConsolePortSpec(1, "org.rewind.port", "b", 1, IsConsole: false)], serial.Ports);
        Assert.Equal("virtio-serial port0=console port1=serial(org.rewind.port)", serial.Describe());
    }

    /// <summary>As QEMU: port 0 is kept for a console, so a virtserialport takes the lowest free number from 1, and a later virtconsole still gets 0.</summary>
    [Fact]
    public void Virtserialport_LeavesPort0ForAConsole()
    {
        var o = Parse("-device virtio-serial-device -device virtserialport,name=x -device virtserialport,nr=2 -device virtserialport -device virtconsole");
        Assert.Equal([new ConsolePortSpec(1, "x", null, 0, false), new ConsolePortSpec(2, null, null, 1, false), new ConsolePortSpec(3, null, null, 2, false), new ConsolePortSpec(0, null, null, 3)],
            ((SerialDeviceSpec)o.VirtioDevices[0]).Ports);
    }

    [Theory]
    [InlineData("-device virtconsole", "No 'virtio-serial-bus' bus found for device 'virtconsole'")]
    [InlineData("-device virtio-serial-device -device virtconsole,chardev=nope", "can't find value 'nope'")]
    [InlineData("-chardev null,id=c -device virtio-serial-device -device virtconsole,chardev=c -device virtconsole,chardev=c", "can't take value 'c', it's in use")]
    [InlineData("-device virtio-serial-device -device virtconsole,bus=other.0", "Bus 'other.0' not found")]
    [InlineData("-device virtio-serial-device -device virtconsole,nr=31", "nr=31: a port number from 0 to 30")]
    [InlineData("-device virtio-serial-device -device virtconsole,nr=2 -device virtconsole,nr=2", "nr=2: the port number is in use")]
    [InlineData("-device virtio-serial-device -device virtconsole,speed=9", "virtconsole has no property 'speed'")]
    [InlineData("-device virtio-serial-device,max_ports=4", "virtio-serial-device has no property 'max_ports'")]
    [InlineData("-device virtserialport", "No 'virtio-serial-bus' bus found for device 'virtserialport'")]
    [InlineData("-device virtio-serial-device -device virtserialport,nr=0", "Port number 0 on virtio-serial devices reserved for virtconsole devices")]
    [InlineData("-device virtio-serial-device -device virtserialport,chardev=nope", "Property 'virtserialport.chardev' can't find value 'nope'")]
    [InlineData("-device virtio-serial-device -device virtserialport,name=a -device virtconsole,name=a", "a port named 'a' already exists")]
    [InlineData("-device virtio-serial-device -device virtserialport,speed=9", "virtserialport has no property 'speed'")]
    [InlineData("-device virtio-serial-pci", "has no PCI bus; use virtio-serial-device")]
    [InlineData("-chardev pty,id=s", "the pty chardev backend is not supported")]
    [InlineData("-chardev socket,id=s", "Parameter 'port' or 'path' is missing")]
    [InlineData("-chardev socket,id=s,path=/tmp/s,port=4000,server=on", "path= and host=/port= cannot be used together")]
    [InlineData("-chardev socket,id=s,port=4000,server=on,telnet=on", "telnet= is not supported")]
    [InlineData("-chardev socket,id=s,port=4000", "a client socket needs a host and a port")]
    [InlineData("-chardev stdio,id=s,mux=on", "mux=on is not supported")]
    [InlineData("-chardev file,id=f", "Parameter 'path' is missing")]
    [InlineData("-chardev null", "Parameter 'id' is missing")]
    [InlineData("-chardev null,id=a -chardev null,id=a", "Duplicate ID 'a' for chardev")]
    [InlineData("-chardev null,id=a,path=x", "Invalid parameter 'path'")]
    [InlineData("-nographic -chardev stdio,id=a", "cannot use stdio by multiple character devices")]
    [InlineData("-display none -chardev stdio,id=a", "cannot use stdio by multiple character devices")]
    [InlineData("-serial null -monitor stdio -chardev stdio,id=a", "cannot use stdio by multiple character devices")]
    public void BadConsoleOptions_GiveOneLineErrors(string args, string message)
    {
        var e = Assert.Throws<UsageException>(() => Parse(args));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("-chardev socket,id=s,port=4000,server=on,wait=off", "127.0.0.1", 4000, null, false, true)]
    [InlineData("-chardev socket,id=s,host=0.0.0.0,port=4001,server=on", "0.0.0.0", 4001, null, true, true)]
    [InlineData("-chardev socket,id=s,host=localhost,port=4002", "localhost", 4002, null, false, false)]
    [InlineData("-chardev socket,id=s,path=/tmp/c.sock,server=on,nowait", null, 0, "/tmp/c.sock", false, true)]
    public void SocketChardev_ListensOrConnects_AsQemuSpellsIt(string args, string? host, int port, string? path, bool wait, bool server)
    {
        var c = Assert.Single(Parse(args).Chardevs);
        Assert.Equal("socket", c.Backend);
        Assert.Equal(new SocketSpec(host, port, path, wait, server), c.Socket);
    }

    [Theory]
    [InlineData("tcp::4444,server,nowait", "127.0.0.1", 4444, null, false, true)]
    [InlineData("tcp:127.0.0.1:4445,server=on", "127.0.0.1", 4445, null, true, true)]
    [InlineData("tcp:10.0.0.2:23", "10.0.0.2", 23, null, false, false)]
    [InlineData("unix:/tmp/console.sock,server=on,wait=off", null, 0, "/tmp/console.sock", false, true)]
    public void SerialOnASocket_ListensOrConnects_AsQemuSpellsIt(string value, string? host, int port, string? path, bool wait, bool server)
    {
        var o = Parse("-display none -serial " + value);
        Assert.Equal(value, o.Serial);
        Assert.Equal(new SocketSpec(host, port, path, wait, server), o.SerialSocket);
    }

    [Theory]
    [InlineData("-serial telnet::4444,server,nowait", "the telnet and websocket protocols are not supported; use tcp::4444,server,nowait")]
    [InlineData("-serial tcp::4444", "a client socket needs a host and a port")]
    [InlineData("-serial tcp:host-without-port", "expected tcp:HOST:PORT")]
    [InlineData("-serial pty", "supported backends are stdio, mon:stdio, null, file:PATH, tcp:")]
    public void BadSerialSockets_GiveOneLineErrors(string args, string message)
    {
        var e = Assert.Throws<UsageException>(() => Parse(args));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void NinthVirtconsole_IsRefused()
    {
        string args = "-device virtio-serial-device" + string.Concat(Enumerable.Repeat(" -device virtconsole", 9));
        var e = Assert.Throws<UsageException>(() => Parse(args));
        Assert.Contains("at most 8 virtconsoles and virtserialports", e.Message);
    }
}
