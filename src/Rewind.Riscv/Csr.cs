namespace Rewind.Riscv;

/// <summary>CSR numbers, named as in the privileged specification.</summary>
public static class Csr
{
    public const ushort Fflags = 0x001, Frm = 0x002, Fcsr = 0x003;
    public const ushort Cycle = 0xc00, Time = 0xc01, Instret = 0xc02, HpmCounter3 = 0xc03, HpmCounter31 = 0xc1f;
    public const ushort Sstatus = 0x100, Sie = 0x104, Stvec = 0x105, Scounteren = 0x106, Senvcfg = 0x10a;
    public const ushort Sscratch = 0x140, Sepc = 0x141, Scause = 0x142, Stval = 0x143, Sip = 0x144;
    public const ushort Stimecmp = 0x14d;
    public const ushort Satp = 0x180;
    public const ushort Mvendorid = 0xf11, Marchid = 0xf12, Mimpid = 0xf13, Mhartid = 0xf14, Mconfigptr = 0xf15;
    public const ushort Mstatus = 0x300, Misa = 0x301, Medeleg = 0x302, Mideleg = 0x303, Mie = 0x304;
    public const ushort Mtvec = 0x305, Mcounteren = 0x306, Menvcfg = 0x30a, Mcountinhibit = 0x320;
    public const ushort Mhpmevent3 = 0x323, Mhpmevent31 = 0x33f;
    public const ushort Mscratch = 0x340, Mepc = 0x341, Mcause = 0x342, Mtval = 0x343, Mip = 0x344;
    public const ushort Mtinst = 0x34a, Mtval2 = 0x34b;
    public const ushort Pmpcfg0 = 0x3a0, Pmpcfg15 = 0x3af, Pmpaddr0 = 0x3b0, Pmpaddr63 = 0x3ef;
    public const ushort Mseccfg = 0x747;
    public const ushort Mcycle = 0xb00, Minstret = 0xb02, Mhpmcounter3 = 0xb03, Mhpmcounter31 = 0xb1f;
    public const ushort Tselect = 0x7a0, Tdata1 = 0x7a1, Tdata2 = 0x7a2, Tdata3 = 0x7a3, Tinfo = 0x7a4;
    public const ushort Dcsr = 0x7b0, Dpc = 0x7b1;
}

/// <summary>mstatus bit positions and masks.</summary>
public static class Mstatus
{
    public const ulong Sie = 1UL << 1, Mie = 1UL << 3, Spie = 1UL << 5, Ube = 1UL << 6, Mpie = 1UL << 7;
    public const ulong Spp = 1UL << 8, Vs = 3UL << 9, Mpp = 3UL << 11, Fs = 3UL << 13, Xs = 3UL << 15;
    public const ulong Mprv = 1UL << 17, Sum = 1UL << 18, Mxr = 1UL << 19, Tvm = 1UL << 20, Tw = 1UL << 21;
    public const ulong Tsr = 1UL << 22, Uxl = 3UL << 32, Sxl = 3UL << 34, Sd = 1UL << 63;
    public const int MppShift = 11;

    /// <summary>Fields software may write in mstatus.</summary>
    public const ulong WritableMask = Sie | Mie | Spie | Mpie | Spp | Mpp | Fs | Mprv | Sum | Mxr | Tvm | Tw | Tsr;
    /// <summary>The sstatus view of mstatus.</summary>
    public const ulong SstatusMask = Sie | Spie | Ube | Spp | Vs | Fs | Xs | Sum | Mxr | Uxl | Sd;
    public const ulong SstatusWritable = Sie | Spie | Spp | Fs | Sum | Mxr;
}

public enum PrivilegeLevel : byte { User = 0, Supervisor = 1, Machine = 3 }

/// <summary>Exception cause codes (mcause with the interrupt bit clear).</summary>
public enum ExceptionCause : ulong
{
    InstructionMisaligned = 0, InstructionAccessFault = 1, IllegalInstruction = 2, Breakpoint = 3,
    LoadMisaligned = 4, LoadAccessFault = 5, StoreMisaligned = 6, StoreAccessFault = 7,
    EcallFromU = 8, EcallFromS = 9, EcallFromM = 11,
    InstructionPageFault = 12, LoadPageFault = 13, StorePageFault = 15,
}

/// <summary>Interrupt numbers: the bit in mip/mie and the mcause code with the interrupt bit set.</summary>
public static class Irq
{
    public const int Ssi = 1, Msi = 3, Sti = 5, Mti = 7, Sei = 9, Mei = 11;
    public const ulong SupervisorMask = (1UL << Ssi) | (1UL << Sti) | (1UL << Sei);
    public const ulong AllMask = SupervisorMask | (1UL << Msi) | (1UL << Mti) | (1UL << Mei);
}
