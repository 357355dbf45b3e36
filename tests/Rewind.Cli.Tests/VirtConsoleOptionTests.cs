using Rewind.Board;
using Rewind.Cli.CommandLine;

namespace Rewind.Cli.Tests;

/// <summary>-device virtio-serial-device, -device virtconsole and -chardev, as QEMU spells them.</summary>
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

    [Theory]
    [InlineData("-device virtconsole", "No 'virtio-serial-bus' bus found for device 'virtconsole'")]
    [InlineData("-device virtio-serial-device -device virtconsole,chardev=nope", "can't find value 'nope'")]
    [InlineData("-chardev null,id=c -device virtio-serial-device -device virtconsole,chardev=c -device virtconsole,chardev=c", "can't take value 'c', it's in use")]
    [InlineData("-device virtio-serial-device -device virtconsole,bus=other.0", "Bus 'other.0' not found")]
    [InlineData("-device virtio-serial-device -device virtconsole,nr=31", "nr=31: a port number from 0 to 30")]
    [InlineData("-device virtio-serial-device -device virtconsole,nr=2 -device virtconsole,nr=2", "nr=2: the port number is in use")]
    [InlineData("-device virtio-serial-device -device virtconsole,speed=9", "virtconsole has no property 'speed'")]
    [InlineData("-device virtio-serial-device,max_ports=4", "virtio-serial-device has no property 'max_ports'")]
    [InlineData("-device virtio-serial-device -device virtserialport", "virtserialport is not supported")]
    [InlineData("-device virtio-serial-pci", "has no PCI bus; use virtio-serial-device")]
    [InlineData("-chardev socket,id=s,port=4000,server=on", "the socket chardev backend is not supported")]
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

    [Fact]
    public void NinthVirtconsole_IsRefused()
    {
        string args = "-device virtio-serial-device" + string.Concat(Enumerable.Repeat(" -device virtconsole", 9));
        var e = Assert.Throws<UsageException>(() => Parse(args));
        Assert.Contains("at most 8 virtconsoles", e.Message);
    }
}
