using System.Security.Cryptography;
using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Replay.TimeTravel;
using Rewind.Riscv;
using Xunit.Abstractions;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// Random RV64GC code in the RAM of a real virt board (devices mapped, registers pointing at RAM and
/// at every device, the trap vector inside the code so faults keep running it), executed for a bounded
/// count: the host sees no exception, and three runs from the same state end in the same machine
/// state: two fresh ones, and one saved halfway (MachineImage) and continued in another machine.
/// A difference is counted as a wrong acceptance (the machine is not deterministic).
/// </summary>
[Collection(FuzzAreas.Name)]
public sealed class GuestCodeFuzzTests(ITestOutputHelper output)
{
    private const string Area = "guest-code";
    private const ulong CodeBase = 0x8000_0000;
    private const int CodeBytes = 8192;
    private const ulong RamSize = 16 * 1024 * 1024;

    private sealed class Collect : ISerialBackend
    {
        public readonly MemoryStream Bytes = new();
        public void Write(byte b) => Bytes.WriteByte(b);
    }

    private static readonly uint[] Opcodes =
        [0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33, 0x37, 0x3b, 0x43, 0x47, 0x4b, 0x4f, 0x53, 0x63, 0x67, 0x6f, 0x73];

    private static readonly ushort[] Csrs =
    [
        Csr.Fflags, Csr.Frm, Csr.Fcsr, Csr.Cycle, Csr.Time, Csr.Instret, Csr.Sstatus, Csr.Sie, Csr.Stvec, Csr.Scounteren,
        Csr.Senvcfg, Csr.Sscratch, Csr.Sepc, Csr.Scause, Csr.Stval, Csr.Sip, Csr.Stimecmp, Csr.Satp, Csr.Mhartid,
        Csr.Mstatus, Csr.Misa, Csr.Medeleg, Csr.Mideleg, Csr.Mie, Csr.Mtvec, Csr.Mcounteren, Csr.Menvcfg, Csr.Mcountinhibit,
        Csr.Mscratch, Csr.Mepc, Csr.Mcause, Csr.Mtval, Csr.Mip, Csr.Pmpcfg0, Csr.Pmpaddr0, Csr.Pmpaddr0 + 1, Csr.Mseccfg,
        Csr.Mcycle, Csr.Minstret, Csr.Tselect, Csr.Tdata1, Csr.Dcsr, 0x7c0, 0xfff,
    ];

    private static readonly uint[] SystemWords =
        [0x30200073 /* mret */, 0x10200073 /* sret */, 0x10500073 /* wfi */, 0x12000073 /* sfence.vma */,
         0x00000073 /* ecall */, 0x00100073 /* ebreak */, 0x0000100f /* fence.i */, 0x0ff0000f /* fence */];

    /// <summary>Addresses the registers start with: RAM, code, every device, the boot ROM, nothing.</summary>
    private static readonly ulong[] Pointers =
        [CodeBase, CodeBase + CodeBytes, CodeBase + RamSize - 8, 0x1000_0000, 0x0200_0000, 0x0200_4000, 0x0200_bff8,
         0x0c00_0000, 0x0c20_0000, 0x0010_0000, 0x0010_1000, 0x1000_1000, 0x1000, 0, 0xffff_ffff_ffff_fff8, 0x8000_0000_0000_0000];

    [Fact]
    public void Random_instructions_raise_no_host_exception_and_run_deterministically()
    {
        var tally = new FuzzTally(Area, output);
        int inputs = FuzzBudget.Inputs(150);
        var deadline = DateTime.UtcNow + FuzzBudget.TimeLimit(12);
        for (int i = 0; FuzzBudget.More(i, inputs, deadline, minimum: 5); i++)
        {
            var (outcome, detail) = Try(FuzzBudget.Seed, i);
            tally.Note(i, outcome, detail);
        }
        tally.Finish(minimumInputs: 5);
    }

    internal static (Outcome, string) Try(ulong seed, int index)
    {
        var rng = FuzzBudget.For(Area, seed, index);
        byte[] code = GenerateCode(rng);
        var regs = new ulong[32];
        for (int x = 1; x < 32; x++) regs[x] = rng.Next(3) == 0 ? (ulong)rng.NextInt64() : Mutator.Pick(rng, Pointers) + (ulong)rng.Next(64) * 8;
        ulong trapVector = (CodeBase + (ulong)rng.Next(CodeBytes / 4) * 4) | (uint)rng.Next(2);
        int smp = rng.Next(4) == 0 ? 2 : 1;
        ulong steps = 5_000 + (ulong)rng.Next(10_000);
        ulong half = (ulong)rng.Next(1, (int)steps);

        var r = Bounded.Run(() =>
        {
            var a = Run(code, regs, trapVector, smp, steps, saveAt: null);
            var b = Run(code, regs, trapVector, smp, steps, saveAt: null);
            var c = Run(code, regs, trapVector, smp, steps, saveAt: half);
            return (a, b, c);
        });
        string what = $"smp {smp}, {steps} steps, save at {half}";
        if (!r.Finished) return (Outcome.Hang, $"did not finish ({what})");
        if (r.Error is { } e) return (Outcome.Crash, $"{what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        var (ra, rb, rc) = r.Value;
        if (ra != rb) return (Outcome.WrongAcceptance, $"two runs differ ({what}): {ra} / {rb}");
        if (ra.State != rc.State) return (Outcome.WrongAcceptance, $"the run saved and restored halfway differs ({what}): {ra} / {rc}");
        return (Outcome.Accepted, ra.ToString());
    }

    internal readonly record struct Ending(StopKind Stop, ulong Icount, string State, string Console);

    private static Ending Run(byte[] code, ulong[] regs, ulong trapVector, int smp, ulong steps, ulong? saveAt)
    {
        var (board, serial) = Build(code, regs, trapVector, smp);
        var machine = board.Machine;
        var stop = RunTo(machine, saveAt ?? steps);
        if (saveAt != null && stop.Kind == StopKind.Reached)
        {
            byte[] image = MachineImage.Save(machine);
            (board, serial) = Build([], new ulong[32], 0, smp);
            machine = board.Machine;
            MachineImage.Load(machine, image);
            stop = RunTo(machine, steps);
        }
        string state = Convert.ToHexString(SHA256.HashData(MachineImage.Save(machine)));
        return new Ending(stop.Kind, machine.Icount, state, saveAt == null ? Encoding.Latin1.GetString(serial.Bytes.ToArray()) : "");
    }

    private static MachineStop RunTo(Machine machine, ulong limit)
    {
        MachineStop stop;
        do stop = machine.Run(limit);
        while (stop.Kind == StopKind.Reached && machine.Icount < limit);
        return stop;
    }

    private static (VirtBoard, Collect) Build(byte[] code, ulong[] regs, ulong trapVector, int smp)
    {
        var serial = new Collect();
        // hello.elf only satisfies the board (a kernel or firmware is required); the random code replaces it.
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("hello"), RamSize = RamSize, Smp = smp, IcountShift = 0, Serial = serial });
        board.Bus.WriteBytes(CodeBase, code);
        foreach (var hart in board.Harts)
        {
            hart.Pc = CodeBase;
            for (int r = 1; r < 32; r++) hart.SetX(r, regs[r]);
            hart.TryWriteCsr(Csr.Mtvec, trapVector);
            hart.TryWriteCsr(Csr.Stvec, trapVector + 64);
            hart.TryWriteCsr(Csr.Mstatus, Mstatus.Fs); // the FPU on, so float instructions run
            hart.TryWriteCsr(Csr.Pmpaddr0, ulong.MaxValue);
            hart.TryWriteCsr(Csr.Pmpcfg0, 0x1f);
        }
        return (board, serial);
    }

    private static byte[] GenerateCode(Random rng)
    {
        var code = new byte[CodeBytes];
        int at = 0;
        while (at < CodeBytes)
        {
            int kind = rng.Next(10);
            if (kind < 2 && at + 2 <= CodeBytes)
            {
                // A compressed instruction (low bits not 11).
                ushort half = (ushort)rng.Next(0x10000);
                if ((half & 3) == 3) half ^= (ushort)(1 + rng.Next(3));
                BitConverter.TryWriteBytes(code.AsSpan(at), half);
                at += 2;
                continue;
            }
            if (at + 4 > CodeBytes) break;
            uint word = kind switch
            {
                2 => (uint)rng.NextInt64(),
                3 => Mutator.Pick(rng, SystemWords),
                4 => 0x73u | (uint)rng.Next(1, 8) << 12 | (uint)Mutator.Pick(rng, Csrs) << 20 | (uint)rng.Next(32) << 7 | (uint)rng.Next(32) << 15,
                _ => (uint)rng.NextInt64() & ~0x7fu | Mutator.Pick(rng, Opcodes),
            };
            BitConverter.TryWriteBytes(code.AsSpan(at), word);
            at += 4;
        }
        return code;
    }
}
