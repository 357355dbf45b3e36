using Rewind.Board.Arm;

namespace Rewind.Board.Tests.Arm;

/// <summary>The arm virt flash as U-Boot's CFI driver sees it: commands at bank-width (32-bit) addresses, two x16 devices.</summary>
public class CfiFlashTests
{
    private static readonly byte[] Firmware = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];

    private static CfiFlash Bank() => new("pflash0", 0, Firmware);

    /// <summary>A command as the 32-bit bus carries it: the same byte to both x16 devices.</summary>
    private static void Command(CfiFlash flash, ulong wordIndex, byte command) =>
        flash.Write(wordIndex * CfiFlash.BankWidth, 4, (ulong)command << 16 | command);

    [Fact]
    public void Array_mode_reads_the_firmware_and_zeros_past_it()
    {
        var flash = Bank();
        Assert.Equal(0x0807_0605_0403_0201UL, flash.Read(0, 8));
        Assert.Equal(0x0605UL, flash.Read(4, 2));
        Assert.Equal(0UL, flash.Read(0x100_0000, 4));
    }

    [Fact]
    public void Cfi_query_answers_qry_and_qemus_geometry_on_both_devices()
    {
        var flash = Bank();
        Command(flash, 0x55, 0x98);
        Assert.Equal(CfiFlash.Mode.Query, flash.CurrentMode);
        Assert.Equal(0x0051_0051UL, flash.Read(0x10 * 4, 4)); // 'Q'
        Assert.Equal(0x0052_0052UL, flash.Read(0x11 * 4, 4)); // 'R'
        Assert.Equal(0x0059_0059UL, flash.Read(0x12 * 4, 4)); // 'Y'
        Assert.Equal(0x0019_0019UL, flash.Read(0x27 * 4, 4)); // 2^25 bytes per device: 64 MiB for the bank
        Assert.Equal(0x007f_007fUL, flash.Read(0x2d * 4, 4)); // 128 blocks
        Assert.Equal(0x0002_0002UL, flash.Read(0x30 * 4, 4)); // of 128 KiB per device
        Command(flash, 0, 0xff);
        Assert.Equal(0x0403_0201UL, flash.Read(0, 4));
    }

    [Fact]
    public void Read_identifier_gives_intels_manufacturer_and_device_codes()
    {
        var flash = Bank();
        Command(flash, 0, 0x90);
        Assert.Equal(0x0089_0089UL, flash.Read(0, 4));
        Assert.Equal(0x0018_0018UL, flash.Read(4, 4));
    }

    [Fact]
    public void Programming_fails_in_the_status_register_and_leaves_the_contents()
    {
        var flash = Bank();
        Command(flash, 0, 0x40);
        flash.Write(0, 4, 0);
        Assert.Equal(0x0090_0090UL, flash.Read(0, 4)); // ready, program error
        Command(flash, 0, 0x50);                        // clear status, back to the array
        Assert.Equal(0x0403_0201UL, flash.Read(0, 4));
        Command(flash, 0, 0x70);
        Assert.Equal(0x0080_0080UL, flash.Read(0, 4));
    }

    [Fact]
    public void Command_state_survives_save_and_load()
    {
        var flash = Bank();
        Command(flash, 0x55, 0x98);
        var ms = new MemoryStream();
        flash.SaveState(new BinaryWriter(ms));
        var other = Bank();
        ms.Position = 0;
        other.LoadState(new BinaryReader(ms));
        Assert.Equal(0x0051_0051UL, other.Read(0x10 * 4, 4));
    }

    [Fact]
    public void A_corrupt_mode_in_a_snapshot_is_refused()
    {
        var ms = new MemoryStream([0x42, 0x80, 0x00]);
        Assert.Throws<InvalidDataException>(() => Bank().LoadState(new BinaryReader(ms)));
    }
}
