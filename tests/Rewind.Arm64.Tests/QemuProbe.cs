using System.Globalization;
using System.Text;

namespace Rewind.Arm64.Tests;

/// <summary>
/// Runs a case of QemuProbe/probe.py on Rewind's CPU: the same registers and memory as the probe guest
/// sets, the same instructions, and the same fields printed in the same format, so a test compares its
/// result with what the probe printed on qemu-system-aarch64. As the guest's exception handler, a
/// synchronous exception records ESR and resumes after the faulting instruction.
/// </summary>
internal static class QemuProbe
{
    /// <summary>Where x9 points: the four 64-bit words the probe calls mem.</summary>
    public const ulong Buffer = CpuRig.Ram + 0x4_0000;

    public static string Run(string inputs, string fields, uint[] program, ArmCpuModel model = ArmCpuModel.Max)
    {
        var rig = CpuRig.ForModel(model, program);
        var cpu = rig.Cpu;
        cpu.SetX(9, Buffer);
        ulong nzcv = 0;
        foreach (string token in inputs.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = token.Split('=');
            string key = kv[0];
            if (key == "mem")
            {
                string[] words = kv[1].Split(',');
                for (int i = 0; i < words.Length; i++) rig.Bus.TryWrite(Buffer + 8 * (ulong)i, 8, Hex(words[i]));
            }
            else if (key[0] == 'v')
            {
                string[] halves = kv[1].Split(':');
                cpu.SetV(int.Parse(key[1..], CultureInfo.InvariantCulture), Hex(halves[0]), halves.Length > 1 ? Hex(halves[1]) : 0);
            }
            else if (key == "fpcr") cpu.Fpcr = Hex(kv[1]);
            else if (key == "nzcv") nzcv = Hex(kv[1]);
            else cpu.SetX(int.Parse(key[1..], CultureInfo.InvariantCulture), Hex(kv[1]));
        }
        cpu.SetCpsr((uint)nzcv | (cpu.Pstate & 0x3ff));
        ulong esr = 0;
        for (int i = 0; i < program.Length; i++)
        {
            rig.Step();
            if (cpu.Pc == CpuRig.Vbar + 0x200)
            {
                esr = rig.SystemRegister(Arm64Cpu.SysReg.Esr);
                cpu.SetCpsr((uint)rig.SystemRegister(Arm64Cpu.SysReg.Spsr));
                cpu.Pc = rig.SystemRegister(Arm64Cpu.SysReg.Elr) + 4;
            }
        }
        var sb = new StringBuilder();
        foreach (string field in fields.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(field).Append('=');
            if (field == "mem") sb.AppendJoin(',', Enumerable.Range(0, 4).Select(i => Format(rig.Read64(Buffer + 8 * (ulong)i))));
            else if (field == "fpsr") sb.Append(Format(cpu.Fpsr));
            else if (field == "nzcv") sb.Append(Format(cpu.Nzcv));
            else if (field == "esr") sb.Append(Format(esr));
            else if (field[0] == 'v')
            {
                int n = int.Parse(field[1..], CultureInfo.InvariantCulture);
                sb.Append(Format(cpu.GetVLow(n))).Append(':').Append(Format(cpu.GetVHigh(n)));
            }
            else
            {
                int n = int.Parse(field[1..], CultureInfo.InvariantCulture);
                sb.Append(Format(n == 9 ? cpu.GetX(9) - Buffer : cpu.GetX(n)));
            }
        }
        return sb.ToString();
    }

    private static ulong Hex(string s) => ulong.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static string Format(ulong v) => "0x" + v.ToString("x16", CultureInfo.InvariantCulture);
}
