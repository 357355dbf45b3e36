using Rewind.Board;
using Rewind.Board.Arm;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;
using Rewind.TestSupport;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>
/// A machine image of the aarch64 virt board with a GICv3, taken while its timer interrupt comes and
/// goes through the ICC_* registers, restores a fresh board that then runs identically (section
/// gicv3 and the CPUs' state carry the distributor, redistributor and CPU interface).
/// </summary>
public sealed class ArmGicV3ImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-gicv3-image").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// At 0x40: GICD_CTLR = EnableGrp1, wake redistributor 0, PPIs in group 1 with PPI 27 (the virtual
    /// timer) enabled, ICC_PMR_EL1 = 0xf0, ICC_IGRPEN1_EL1 = 1, VBAR_EL1 = vectors (image offset 0x800),
    /// x20 = 0, the virtual timer 1000 ticks on, IRQs unmasked, then WFI forever. Assembled with
    /// aarch64-linux-gnu-as.
    /// </summary>
    private static readonly uint[] Code =
    [
        0xd2a10001, 0x52800042, 0xb9000022, 0xd2a10143, 0xb900147f, 0x91404064, 0x12800002, 0xb9008082,
        0x52a10002, 0xb9010082, 0xd2801e02, 0xd5184602, 0xd2800022, 0xd518cce2, 0x10003c45, 0xd518c005,
        0xd2800014, 0xd2807d02, 0xd51be302, 0xd2800022, 0xd51be322, 0xd50342ff, 0xd503207f, 0x17ffffff,
    ];

    /// <summary>The IRQ vector (offset 0x280): acknowledge (ICC_IAR1_EL1), count in x20, rearm the timer, end (ICC_EOIR1_EL1), return.</summary>
    private static readonly uint[] Handler = [0xd538cc06, 0x91000694, 0xd2807d02, 0xd51be302, 0xd518cc26, 0xd69f03e0];

    private ArmVirtBoard Boot()
    {
        byte[] image = Arm64Image.Build(Code, 0xa98);
        Arm64Image.Put(image, 0xa80, Handler);
        string path = Arm64Image.Save(_dir, image);
        return ArmVirtBoard.Create(new BoardOptions
        {
            Arch = GuestArch.Aarch64,
            Bios = "none",
            RamSize = 128UL << 20,
            Kernel = path,
            GicVersion = 3,
            IcountShift = 3,
        });
    }

    [Fact]
    public void An_image_taken_between_timer_interrupts_restores_a_board_that_runs_identically()
    {
        var a = Boot();
        a.Machine.Run(20_000);
        ulong ticksAtImage = a.Cpu.GetX(20);
        Assert.True(ticksAtImage > 0, "no timer interrupt was taken through the GICv3");
        byte[] image = MachineImage.Save(a.Machine);
        a.Machine.Run(60_000);
        ulong ticksLater = a.Cpu.GetX(20);
        Assert.True(ticksLater > ticksAtImage, "the timer interrupt stopped coming");
        byte[] digestLater = MachineDigest.Compute(a.Machine);

        var b = Boot();
        MachineImage.Load(b.Machine, image);
        Assert.Equal(ticksAtImage, b.Cpu.GetX(20));
        b.Machine.Run(60_000);
        Assert.Equal(ticksLater, b.Cpu.GetX(20));
        Assert.Equal(digestLater, MachineDigest.Compute(b.Machine));
    }
}
