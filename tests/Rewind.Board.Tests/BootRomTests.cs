using Rewind.Board.Devices;

namespace Rewind.Board.Tests;

public class BootRomTests
{
    [Fact]
    public void BootRom_ResetVector_MatchesQemuVirtWords()
    {
        var rom = BootRom.Create(0x80000000, 0x87e00000, 0x80200000);
        uint[] expected = [0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067];
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], (uint)rom.Read((ulong)(4 * i), 4));
        Assert.Equal(0x80000000UL, rom.Read(24, 8));
        Assert.Equal(0x87e00000UL, rom.Read(32, 8));
    }

    [Fact]
    public void BootRom_FwDynamicInfo_FollowsTheResetVector()
    {
        var rom = BootRom.Create(0x80000000, 0x87e00000, 0x80200000);
        Assert.Equal(0x4942534fUL, rom.Read(40, 8));
        Assert.Equal(2UL, rom.Read(48, 8));
        Assert.Equal(0x80200000UL, rom.Read(56, 8));
        Assert.Equal(1UL, rom.Read(64, 8));
        Assert.Equal(0UL, rom.Read(72, 8));
        Assert.Equal(0UL, rom.Read(80, 8));
        Assert.Equal(0UL, rom.Read(0xeff8, 8));
    }

    [Fact]
    public void BootRom_GuestWrites_AreIgnoredButPatchesApply()
    {
        var rom = BootRom.Create(0x80000000, 0x87e00000, 0);
        rom.Write(0, 4, 0);
        Assert.Equal(0x00000297UL, rom.Read(0, 4));
        Assert.True(rom.TryPatch(0x1000, 0x73));
        Assert.Equal(0x00000273UL, rom.Read(0, 4));
        Assert.False(rom.TryPatch(0x10000, 0));
    }

    [Fact]
    public void BootRom_SaveLoad_RestoresPatchesAndOriginal()
    {
        var rom = BootRom.Create(0x80000000, 0x87e00000, 0);
        var clean = State.Save(rom);
        Assert.Single(clean);
        rom.TryPatch(0x1004, 0xaa);
        var patched = State.Save(rom);

        var copy = BootRom.Create(0x80000000, 0x87e00000, 0);
        State.Load(copy, patched);
        Assert.Equal(0xaaUL, copy.Read(4, 1));
        State.Load(copy, clean);
        Assert.Equal(0x13UL, copy.Read(4, 1));
    }

    [Theory]
    [InlineData(128UL << 20, 0x87e00000UL)]
    [InlineData(256UL << 20, 0x8fe00000UL)]
    [InlineData(2048UL << 20, 0xbfe00000UL)] // capped at 3 GiB
    public void FdtPlacement_MatchesQemu(ulong ramSize, ulong expected) =>
        Assert.Equal(expected, FdtPlacement.Compute(0x80000000, ramSize));

    [Fact]
    public void RiscvEncoder_EncodesKnownInstructions()
    {
        Assert.Equal(0x00000297u, RiscvEncoder.Auipc(RiscvEncoder.T0, 0));
        Assert.Equal(0x00028067u, RiscvEncoder.Jalr(0, RiscvEncoder.T0, 0));
        Assert.Equal(0xfff28293u, RiscvEncoder.Addi(RiscvEncoder.T0, RiscvEncoder.T0, -1));
    }
}
