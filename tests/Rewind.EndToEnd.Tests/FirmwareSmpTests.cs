using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// OpenSBI starting a second hart for an S-mode payload through SBI HSM, as Linux has it do: hart_start
/// IPIs the hart OpenSBI parked, which then enters the payload in S-mode. Live, recorded and replayed,
/// and backwards under gdb-multiarch from the payload on hart 1 into OpenSBI's mret.
/// </summary>
public class FirmwareSmpTests
{
    private const string Ok = "hsm: starting the other hart through SBI\nhsm: hart started with its id and opaque, status STARTED\n";

    private static string[] Machine(string smp, params string[] extra) =>
        FirmwareTests.Machine(FirmwareTests.FwJump, RepoPaths.Guest("sbi_hsm"), ["-smp", smp, .. extra]);

    /// <summary>The payload's lines (after OpenSBI's banner), as the console showed them.</summary>
    private static string PayloadLines(string stdout) =>
        string.Concat(Regex.Matches(stdout, @"^hsm: [^\n]*\n", RegexOptions.Multiline).Select(m => m.Value));

    [Fact]
    public void Hart_start_brings_up_hart_1_in_the_payload_and_fails_cleanly_on_one_hart()
    {
        var two = RewindProcess.Run(Machine("2"));
        Assert.True(two.ExitCode == 0, two.ToString());
        Assert.Contains("Platform HART Count       : 2\r\n", two.Stdout);
        Assert.Equal(Ok, PayloadLines(two.Stdout));

        var one = RewindProcess.Run(Machine("1"));
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Equal("hsm: starting the other hart through SBI\nhsm: hart_start failed: no other hart\n", PayloadLines(one.Stdout));
    }

    [Fact]
    public void Reverse_stepi_on_the_started_hart_goes_back_into_opensbis_mret_that_entered_the_payload()
    {
        using var dir = new TempDir();
        string rr = dir.File("hsm.rr");
        var rec = RewindProcess.Run(Machine("2", "-icount", $"shift=3,rr=record,rrfile={rr}"));
        Assert.True(rec.ExitCode == 0 && PayloadLines(rec.Stdout) == Ok, rec.ToString());
        var rep = RewindProcess.Run(Machine("2", "-icount", $"shift=3,rr=replay,rrfile={rr}"));
        Assert.True(rep.ExitCode == 0, rep.ToString());
        Assert.Equal(rec.Stdout, rep.Stdout);

        string o = Gdb.RunAgainstReplay(Machine("2", "-icount", $"shift=3,rr=replay,rrfile={rr}"), "sbi_hsm",
        [
            "break secondary",
            "continue",
            "echo <<entry\\n", "info registers pc priv a0 a1", "echo >>\\n",
            "reverse-stepi",
            "echo <<back\\n", "info registers pc priv mepc", "echo >>\\n",
            "x/i $pc",
            "stepi",
            "echo <<again\\n", "info registers pc priv a0 a1", "echo >>\\n",
        ], out _);
        string Context() => "\n--- gdb, then rewind ---\n" + o;
        Assert.True(Regex.IsMatch(o, @"Thread 2 hit Breakpoint 1, secondary \(\)"), "hart 1 never reached the payload" + Context());
        var entry = FirmwareReverseDebuggingTests.Block(o, "entry");
        ulong secondary = entry["pc"];
        Assert.True(entry["priv"] == 1 && entry["a0"] == 1 && entry["a1"] == 0x5eed1234,
            "hart 1 entered the payload with the wrong privilege, id or opaque" + Context());
        var back = FirmwareReverseDebuggingTests.Block(o, "back");
        Assert.True(back["priv"] == 3 && back["mepc"] == secondary && back["pc"] is >= 0x80000000 and < 0x80200000,
            $"reverse-stepi went to 0x{back["pc"]:x} at privilege {back["priv"]}, expected OpenSBI in M-mode" + Context());
        Assert.True(Regex.IsMatch(o, $@"=> 0x0*{back["pc"]:x}:\tmret\n"), "the instruction before the payload is not mret" + Context());
        Assert.True(FirmwareReverseDebuggingTests.Block(o, "again").OrderBy(kv => kv.Key).SequenceEqual(entry.OrderBy(kv => kv.Key)),
            "stepi from the mret did not come back to the same entry state" + Context());
    }
}
