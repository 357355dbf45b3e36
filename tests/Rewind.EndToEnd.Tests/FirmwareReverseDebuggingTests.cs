using System.Globalization;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// gdb-multiarch running backwards through firmware it has no symbols for: a recorded U-Boot session on
/// OpenSBI (fw_jump + S-mode U-Boot), replayed under gdb with nothing but addresses, registers and x/i.
/// The SBI calls come from U-Boot's `sbi` command: U-Boot makes none while booting to the prompt, and its
/// `poweroff` goes through the syscon-poweroff device, not SBI (on QEMU 7.2 too: mepc is still 0x80200000,
/// OpenSBI's jump into U-Boot, at the prompt).
/// </summary>
public class FirmwareReverseDebuggingTests
{
    private const ulong OpenSbiBase = 0x80000000, UbootBase = 0x80200000, RamEnd = 0x88000000;

    /// <summary>The registers printed by `info registers ...` between `echo &lt;&lt;NAME` and `echo &gt;&gt;`.</summary>
    internal static Dictionary<string, ulong> Block(string output, string name)
    {
        var m = Regex.Match(output, $@"<<{Regex.Escape(name)}\n(.*?)>>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no register block '{name}' in the gdb output:\n{output}");
        return Regex.Matches(m.Groups[1].Value, @"^(\w+)\s+0x([0-9a-f]+)", RegexOptions.Multiline)
            .ToDictionary(r => r.Groups[1].Value, r => ulong.Parse(r.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    /// <summary>The instruction `x/i` showed at <paramref name="address"/>, e.g. "ecall".</summary>
    private static string Disassembly(string output, ulong address)
    {
        var m = Regex.Match(output, $@"^(?:=> |   )0x0*{address:x}:\t([^\n]*)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"no x/i line for 0x{address:x} in the gdb output:\n{output}");
        return m.Groups[1].Value.Trim();
    }

    private static string Hex(ulong v) => $"0x{v:x}";

    [Fact]
    public void Reverse_stepi_goes_back_across_an_sbi_ecall_from_uboot_into_opensbi()
    {
        using var dir = new TempDir();
        string rr = dir.File("uboot-sbi.rr");
        string[] Rr(string mode) => FirmwareTests.Machine(FirmwareTests.FwJump, FirmwareTests.UbootSmode, "-icount", $"shift=5,rr={mode},rrfile={rr}");

        var rec = FirmwareTests.TypedSession(Rr("record"), keyDelayMs: 20, ("sbi", "SBI Base Functionality\r\n"));
        Assert.True(rec.ExitCode == 0, "recording the U-Boot session failed\n" + rec);
        Assert.Contains("=> sbi\r\nSBI ", rec.Stdout);
        Assert.Contains("=> poweroff\r\npoweroff ...", rec.Stdout);

        const string Regs = "info registers pc priv mcause mepc mstatus";
        string o = Gdb.RunAgainstReplay(Rr("replay"), null,
        [
            // OpenSBI set mtvec long before it jumps to U-Boot in S-mode.
            "hbreak *0x80200000",
            "continue",
            "echo <<uboot-entry\\n", "info registers pc priv mtvec", "echo >>\\n",
            "delete",
            // The first ecall from S-mode: the trap handler's first instruction, with mcause 9.
            "break *$mtvec if $mcause == 9",
            "continue",
            "echo <<trap\\n", Regs, "echo >>\\n",
            "x/i $mepc",
            "monitor info replay",                                      // icount 0: in the trap handler
            "set $ecall = $mepc",
            // One instruction back across the trap entry: U-Boot's ecall, before the trap.
            "reverse-stepi",
            "echo <<ecall-by-reverse-stepi\\n", Regs, "echo >>\\n",
            "x/i $pc",
            "monitor info replay",                                      // icount 1
            // Forward to the instruction after the ecall: OpenSBI has handled the call and returned.
            "delete",
            "break *($ecall + 4)",
            "continue",
            "echo <<returned\\n", Regs, "echo >>\\n",
            "monitor info replay",                                      // icount 2
            // Back into OpenSBI: its mret, then the instruction before.
            "reverse-stepi",
            "echo <<back1\\n", Regs, "echo >>\\n",
            "x/i $pc",
            "reverse-stepi",
            "echo <<back2\\n", "info registers pc priv", "echo >>\\n",
            "x/i $pc",
            // And forward again: the mret, then U-Boot after the ecall.
            "stepi",
            "echo <<forward1\\n", "info registers pc priv", "echo >>\\n",
            "stepi",
            "echo <<forward2\\n", Regs, "echo >>\\n",
            // All the way back to the ecall itself.
            "delete",
            "break *$ecall",
            "reverse-continue",
            "echo <<ecall-by-reverse-continue\\n", Regs, "echo >>\\n",
            "x/i $pc",
            "monitor info replay",                                      // icount 3
        ], out var rewind, TimeSpan.FromSeconds(180));
        string Context() => "\n--- gdb, then rewind ---\n" + o;

        // U-Boot's entry, in S-mode, with OpenSBI's trap vector in OpenSBI.
        var entry = Block(o, "uboot-entry");
        Assert.True(entry["pc"] == UbootBase, $"hbreak *0x80200000 stopped at {Hex(entry["pc"])}" + Context());
        Assert.True(entry["priv"] == 1, $"U-Boot's entry runs at privilege {entry["priv"]}, expected 1 (S)" + Context());
        ulong mtvec = entry["mtvec"];
        Assert.True(mtvec is >= OpenSbiBase and < UbootBase, $"mtvec {Hex(mtvec)} is not in OpenSBI" + Context());

        // The trap: in OpenSBI's handler, in M-mode, for an ecall from S-mode in U-Boot.
        var trap = Block(o, "trap");
        ulong ecall = trap["mepc"];
        Assert.True(trap["pc"] == mtvec, $"the conditional breakpoint at mtvec stopped at {Hex(trap["pc"])}" + Context());
        Assert.True(trap["priv"] == 3, $"the trap handler runs at privilege {trap["priv"]}, expected 3 (M)" + Context());
        Assert.True(trap["mcause"] == 9, $"mcause {Hex(trap["mcause"])}, expected 9 (ecall from S-mode)" + Context());
        Assert.True(ecall is >= UbootBase and < RamEnd, $"mepc {Hex(ecall)} is not in U-Boot" + Context());
        Assert.True(Disassembly(o, ecall) == "ecall", $"x/i $mepc shows '{Disassembly(o, ecall)}', expected ecall" + Context());
        var icounts = Gdb.ReplayCounts(o);
        Assert.True(icounts.Count == 4, "expected 4 answers to monitor info replay" + Context());

        // reverse-stepi from the handler's first instruction: the ecall, in S-mode, the trap undone.
        var before = Block(o, "ecall-by-reverse-stepi");
        Assert.True(before["pc"] == ecall, $"reverse-stepi from mtvec went to {Hex(before["pc"])}, expected the ecall at {Hex(ecall)}" + Context());
        Assert.True(before["priv"] == 1, $"at the ecall the privilege is {before["priv"]}, expected 1 (S): the trap entry was not undone" + Context());
        Assert.True(before["mepc"] != ecall && before["mstatus"] != trap["mstatus"],
            "mepc and mstatus at the ecall (reverse-stepi) still hold the trap's values" + Context());
        Assert.True(icounts[1] == icounts[0] - 1, $"reverse-stepi went from icount {icounts[0]} to {icounts[1]}" + Context());

        // Back in U-Boot after the call.
        var returned = Block(o, "returned");
        Assert.True(returned["pc"] == ecall + 4 && returned["priv"] == 1,
            $"continue to the instruction after the ecall stopped at {Hex(returned["pc"])}, privilege {returned["priv"]}" + Context());
        Assert.True(returned["mcause"] == 9 && returned["mepc"] == ecall + 4,
            $"after the SBI call mcause is {Hex(returned["mcause"])} and mepc {Hex(returned["mepc"])}, expected 9 and {Hex(ecall + 4)}" + Context());
        Assert.True(icounts[2] > icounts[0], $"the return to U-Boot came at icount {icounts[2]}, before the trap at {icounts[0]}" + Context());

        // reverse-stepi: into OpenSBI, onto the mret that returned to U-Boot; then further back in OpenSBI.
        var back1 = Block(o, "back1");
        ulong mret = back1["pc"];
        Assert.True(mret is >= OpenSbiBase and < UbootBase, $"reverse-stepi from {Hex(ecall + 4)} went to {Hex(mret)}, not into OpenSBI" + Context());
        Assert.True(back1["priv"] == 3, $"reverse-stepi into OpenSBI: privilege {back1["priv"]}, expected 3 (M)" + Context());
        Assert.True(Disassembly(o, mret) == "mret", $"x/i $pc after reverse-stepi shows '{Disassembly(o, mret)}', expected mret" + Context());
        Assert.True(back1["mepc"] == ecall + 4, $"before the mret mepc is {Hex(back1["mepc"])}, expected {Hex(ecall + 4)}" + Context());
        var back2 = Block(o, "back2");
        Assert.True(back2["pc"] is >= OpenSbiBase and < UbootBase && back2["pc"] != mret && back2["priv"] == 3,
            $"the second reverse-stepi went to {Hex(back2["pc"])} (privilege {back2["priv"]}), expected another OpenSBI instruction" + Context());
        Disassembly(o, back2["pc"]);

        // stepi twice: the mret again, then the same place in U-Boot with the same state.
        var fwd1 = Block(o, "forward1");
        Assert.True(fwd1["pc"] == mret && fwd1["priv"] == 3, $"stepi went to {Hex(fwd1["pc"])}, expected the mret at {Hex(mret)}" + Context());
        var fwd2 = Block(o, "forward2");
        Assert.True(fwd2.OrderBy(kv => kv.Key).SequenceEqual(returned.OrderBy(kv => kv.Key)),
            $"after stepi twice the registers differ from the first time after the ecall" + Context());

        // reverse-continue to the breakpoint on the ecall: the same state as reverse-stepi found there.
        var again = Block(o, "ecall-by-reverse-continue");
        Assert.True(again["pc"] == ecall, $"reverse-continue to the ecall stopped at {Hex(again["pc"])}" + Context());
        Assert.True(again.OrderBy(kv => kv.Key).SequenceEqual(before.OrderBy(kv => kv.Key)),
            "the registers at the ecall differ between reverse-continue and reverse-stepi" + Context());
        Assert.True(icounts[3] == icounts[1], $"reverse-continue stopped at icount {icounts[3]}, reverse-stepi at {icounts[1]}" + Context());
        Assert.Matches($@"=> 0x0*{ecall:x}:\tecall\n(?s:.*)current instruction count: {icounts[3]}\n", o);

        // The replay shows the console output up to the furthest point it reached: the command line typed.
        Assert.Contains("=> sbi\r\n", rewind.Stdout);
    }
}
