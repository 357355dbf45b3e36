using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// Floating-point state. Until the F and D extensions are implemented the hart reports neither in
/// misa, leaves mstatus.FS at Off and treats every FP instruction and FP CSR as illegal.
/// </summary>
public sealed partial class Hart
{
    public bool HasFpu => false;

    private void ResetFpu() { }

    private void SaveFpu(BinaryWriter w) { }

    private void LoadFpu(BinaryReader r) { }

    private bool FpuCsrRead(ushort csr, out ulong value)
    {
        value = 0;
        return false;
    }

    private bool FpuCsrWrite(ushort csr, ulong value) => false;

    private ulong ExecuteFloat(ref DecodedInsn d, ulong next) => Illegal(ref d);
}
