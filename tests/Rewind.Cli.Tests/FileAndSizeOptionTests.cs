using Rewind.Cli.CommandLine;
using Rewind.Cli.Host;

namespace Rewind.Cli.Tests;

/// <summary>-m sizes and file names that cannot work are usage errors of one line, never a crash.</summary>
public class FileAndSizeOptionTests
{
    [Theory]
    [InlineData("128", 128UL << 20)]
    [InlineData("1", 1UL << 20)]
    [InlineData("512K", 512UL << 10)]
    [InlineData("1G", 1UL << 30)]
    [InlineData("2047M", 2047UL << 20)]
    public void Memory_size_is_parsed(string value, ulong bytes)
    {
        Assert.Equal(bytes, OptionParser.ParseMemory(value));
    }

    [Theory]
    [InlineData("9223372036854775808")]
    [InlineData("99999999999999999999999")]
    [InlineData("18014398509481984")]
    [InlineData("2048")]
    [InlineData("4G")]
    public void Memory_size_too_large_says_so_instead_of_wrapping(string value)
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.ParseMemory(value));
        Assert.Equal($"-m {value}: RAM size too large (the virt machine here takes at most 2047 MiB)", e.Message);
    }

    [Theory]
    [InlineData("0", "must not be 0")]
    [InlineData("", "invalid RAM size")]
    [InlineData("-1", "invalid RAM size")]
    [InlineData("12X", "invalid size suffix")]
    [InlineData("1001K", "multiple of 4 KiB")]
    public void Absurd_memory_size_is_a_usage_error(string value, string reason)
    {
        Assert.Contains(reason, Assert.Throws<UsageException>(() => OptionParser.ParseMemory(value)).Message);
    }

    [Fact]
    public void Initrd_option_takes_a_file_name()
    {
        Assert.Equal("disk.cpio.gz", OptionParser.Parse(["-kernel", "Image", "-initrd", "disk.cpio.gz"]).Initrd);
        Assert.Null(OptionParser.Parse(["-kernel", "Image"]).Initrd);
        Assert.Equal("-initrd: requires an argument", Assert.Throws<UsageException>(() => OptionParser.Parse(["-initrd"])).Message);
    }

    [Fact]
    public void Dumpdtb_with_an_empty_file_name_is_a_usage_error()
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-M", "virt,dumpdtb="]));
        Assert.Equal("-machine virt,dumpdtb=: dumpdtb needs a file name", e.Message);
    }

    [Fact]
    public void File_error_reasons_are_the_c_librarys_words()
    {
        string dir = Path.GetTempPath();
        Assert.Equal("Is a directory", HostFileError.Reason(dir, new UnauthorizedAccessException("Access to the path is denied.")));
        Assert.Equal("No such file or directory", HostFileError.Reason("/nonexistent-dir/x", new DirectoryNotFoundException("Could not find a part of the path.")));
        Assert.Equal("Permission denied", HostFileError.Reason("/root-only", new UnauthorizedAccessException("denied")));
        Assert.Equal("No space left on device", HostFileError.Reason("/dev/full", new IOException("No space left on device : '/dev/full'")));
        Assert.Equal("empty file name", HostFileError.Reason("", new ArgumentException("empty")));
    }

    [Fact]
    public void Serial_write_failure_is_reported_once_and_output_stops()
    {
        using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);
        using var serial = new StreamSerial(full);
        var reasons = new List<string>();
        serial.WriteFailed += reasons.Add;
        foreach (byte b in "hello\nworld\n"u8.ToArray()) serial.Write(b);
        serial.Flush();
        Assert.Equal(["No space left on device"], reasons);
    }
}
