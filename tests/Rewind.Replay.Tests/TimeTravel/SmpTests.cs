using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Replay.Recording;
using Rewind.Replay.Tests.Recording;
using Rewind.Replay.TimeTravel;
using Rewind.Riscv;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>Several harts on one instruction count: turns, determinism, and images taken mid-turn.</summary>
public class SmpTests
{
    private static VirtBoard Board(int harts, string guest = "smp") =>
        VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest(guest), IcountShift = 3, Smp = harts });

    [Fact]
    public void The_hart_whose_turn_it_is_depends_on_the_count_alone_and_step_lookups_agree_with_it()
    {
        var m = Board(3).Machine;
        ulong q = Machine.Quantum;
        Assert.Equal(0, m.HartAt(0));
        Assert.Equal(1, m.HartAt(q));
        Assert.Equal(2, m.HartAt(3 * q - 1));
        Assert.Equal(0, m.HartAt(3 * q));
        // Brute force over a few rounds, from counts on and around turn boundaries.
        ulong[] probes = [0, 1, q - 1, q, q + 1, 2 * q, 3 * q - 1, 3 * q, 5 * q + 7, 7 * q - 1];
        foreach (ulong at in probes)
            for (int h = 0; h < 3; h++)
            {
                ulong next = at;
                while (m.HartAt(next) != h) next++;
                Assert.Equal(next, m.NextStepOf(h, at));
                ulong? previous = null;
                for (ulong c = at; c > 0; c--)
                    if (m.HartAt(c - 1) == h) { previous = c - 1; break; }
                Assert.Equal(previous, m.PreviousStepOf(h, at));
            }
    }

    [Fact]
    public void Two_runs_of_a_two_hart_machine_agree_instruction_for_instruction_and_every_hart_did_work()
    {
        var a = Board(2).Machine;
        var b = Board(2).Machine;
        foreach (ulong at in new ulong[] { 10_001, 150_000, 700_003 })
        {
            a.Run(at);
            b.Run(at);
            Assert.Equal(at, a.Icount);
            Assert.Equal(MachineDigest.Compute(a), MachineDigest.Compute(b));
            // Stopped, every hart holds the machine's count.
            Assert.All(a.Cpus, h => Assert.Equal(at, h.Icount));
        }
        Assert.NotEqual(a.Cpus[0].Pc, a.Cpus[1].Pc);
        var stop = a.Run(ulong.MaxValue);
        Assert.Equal(StopKind.Exited, stop.Kind);
        Assert.Equal(0, stop.ExitCode);
    }

    [Fact]
    public void An_image_taken_mid_turn_restores_a_two_hart_machine_that_then_runs_identically()
    {
        var a = Board(2).Machine;
        ulong mid = Machine.Quantum * 9 + 123; // hart 1's turn
        a.Run(mid);
        Assert.Equal(1, a.HartAt(mid));
        byte[] image = MachineImage.Save(a);
        a.Run(mid + 3 * Machine.Quantum + 5);
        byte[] later = MachineDigest.Compute(a);

        var b = Board(2).Machine;
        b.Run(777); // somewhere else first: the image replaces it all
        MachineImage.Load(b, image);
        Assert.Equal(mid, b.Icount);
        b.Run(mid + 3 * Machine.Quantum + 5);
        Assert.Equal(later, MachineDigest.Compute(b));
    }

    [Fact]
    public void A_reservation_ends_with_its_harts_turn_so_the_state_at_a_turn_boundary_is_the_same_whoever_ran_last()
    {
        // Both harts loop on `lr.d a0, (t0)`: each holds a reservation all through its own turn.
        string raw = Path.Combine(Path.GetTempPath(), $"rewind-lr-loop-{Guid.NewGuid():N}.bin");
        uint[] program = [Asm.Auipc(Asm.T0, 0), Asm.Addi(Asm.T0, Asm.T0, 256), Asm.LrD(Asm.A0, Asm.T0), Asm.Jal(0, -4)];
        File.WriteAllBytes(raw, program.SelectMany(BitConverter.GetBytes).ToArray());
        try
        {
            var m = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = raw, IcountShift = 3, Smp = 2 }).Machine;
            ulong q = Machine.Quantum;
            m.Run(q - 10);
            Assert.True(((Hart)m.Cpus[0]).HoldsReservation);
            m.Run(q);                                // hart 0's turn ends here
            Assert.False(((Hart)m.Cpus[0]).HoldsReservation);
            Assert.False(((Hart)m.Cpus[1]).HoldsReservation);
            m.Run(q + 50);
            Assert.True(((Hart)m.Cpus[1]).HoldsReservation);
            m.Run(2 * q);
            Assert.False(((Hart)m.Cpus[1]).HoldsReservation);
        }
        finally
        {
            File.Delete(raw);
        }
    }

    [Fact]
    public void An_image_of_one_hart_count_is_refused_by_a_machine_with_another()
    {
        byte[] image = MachineImage.Save(Board(2).Machine);
        Assert.Throws<InvalidDataException>(() => MachineImage.Load(Board(1).Machine, image));
    }
}
