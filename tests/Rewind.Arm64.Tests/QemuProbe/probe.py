#!/usr/bin/env python3
"""Runs instruction cases on real qemu-system-aarch64 -cpu max and prints their results as C# InlineData.

    python3 probe.py CASES.txt [--cpu max]

Where the expected values of ProbeCase-based tests come from. A CASES file has one case per line:

    asm ; asm ; ... | x0=... x1=... v0=LO:HI fpcr=... mem=A,B,C,D | fields

x0..x8 and v0..v7 (64-bit halves), FPCR, NZCV and four 64-bit words of memory at x9 are set, the
instructions run in a bare-metal EL1 guest, and the fields named last (x0..x9, v0..v7, fpsr, nzcv,
mem, esr) are printed in ProbeState's format ("x0=0x... mem=0x...,..." with x9 as an offset from the
buffer). A synchronous exception is caught: its ESR is recorded and the instruction skipped.
The script assembles each case with aarch64-linux-gnu-as to get the words the test runs."""
import os, re, subprocess, sys, tempfile

CROSS = "aarch64-linux-gnu-"
HERE = os.path.dirname(os.path.abspath(__file__))
RT = os.path.normpath(os.path.join(HERE, "../../../guests/aarch64/common"))

def parse(line):
    asm, inputs, fields = [p.strip() for p in line.split("|")]
    st = {}
    for tok in inputs.split():
        k, v = tok.split("=")
        if k.startswith("v"):
            lo, hi = (v.split(":") + ["0"])[:2]
            st[k] = (int(lo, 0), int(hi, 0))
        elif k == "mem":
            st[k] = [int(w, 0) for w in v.split(",")]
        else:
            st[k] = int(v, 0)
    return [a.strip() for a in asm.split(";") if a.strip()], st, fields.split()

def words(asm):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "a.s")
        open(src, "w").write(".arch armv8.5-a+lse+fp16\n" + "\n".join(asm) + "\n")
        subprocess.run([CROSS + "as", "-o", d + "/a.o", src], check=True)
        subprocess.run([CROSS + "objcopy", "-O", "binary", d + "/a.o", d + "/a.bin"], check=True)
        b = open(d + "/a.bin", "rb").read()
        return [int.from_bytes(b[i:i + 4], "little") for i in range(0, len(b), 4)]

STATE = """
struct st { u64 x[10]; u64 v[16]; u64 fpcr, fpsr, nzcv, esr; u64 mem[4]; };
"""

def guest(cases):
    s = [".arch armv8.5-a+lse+fp16", ".text"]
    for i, (asm, _, _) in enumerate(cases):
        s += [f".global case_{i}", f"case_{i}:", "mov x18, x0"]
        s += [f"ldp x{r}, x{r+1}, [x18, #{8*r}]" for r in range(0, 10, 2)]
        s += [f"ldr q{r}, [x18, #{80+16*r}]" for r in range(8)]
        s += ["ldr x10, [x18, #208]", "msr fpcr, x10", "msr fpsr, xzr", "ldr x10, [x18, #224]", "msr nzcv, x10"]
        s += asm
        s += [f"stp x{r}, x{r+1}, [x18, #{8*r}]" for r in range(0, 10, 2)]
        s += [f"str q{r}, [x18, #{80+16*r}]" for r in range(8)]
        s += ["mrs x10, fpsr", "str x10, [x18, #216]", "mrs x10, nzcv", "str x10, [x18, #224]", "msr fpcr, xzr", "ret"]
    c = ['#include "rt.h"', STATE, "static struct st s;"]
    c += [f"void case_{i}(struct st *);" for i in range(len(cases))]
    c += ["static void hook(struct frame *f, int kind) { (void)kind; s.esr = f->esr; f->elr += 4; }"]
    c += ["static void pr(const char *n, u64 v) { puts_(n); put_hex(v); }"]
    c += ["int main(void) { exception_hook = hook;"]
    for i, (_, st, _) in enumerate(cases):
        c += ["memset(&s, 0, sizeof s);"]
        for r in range(9):
            c += [f"s.x[{r}] = {st.get('x%d' % r, 0)}ul;"]
        for r in range(8):
            lo, hi = st.get("v%d" % r, (0, 0))
            c += [f"s.v[{2*r}] = {lo}ul; s.v[{2*r+1}] = {hi}ul;"]
        c += [f"s.fpcr = {st.get('fpcr', 0)}ul; s.nzcv = {st.get('nzcv', 0)}ul;"]
        for w, val in enumerate(st.get("mem", [0, 0, 0, 0])):
            c += [f"s.mem[{w}] = {val}ul;"]
        c += ["s.x[9] = (u64)s.mem;", f"case_{i}(&s);", "s.x[9] -= (u64)s.mem;"]
        c += ['for (int r = 0; r < 10; r++) { puts_(" x"); put_dec(r); pr("=", s.x[r]); }']
        c += ['for (int r = 0; r < 8; r++) { puts_(" v"); put_dec(r); pr("=", s.v[2*r]); pr(":", s.v[2*r+1]); }']
        c += ['pr(" fpsr=", s.fpsr); pr(" nzcv=", s.nzcv); pr(" esr=", s.esr);']
        c += ['pr(" mem=", s.mem[0]); pr(",", s.mem[1]); pr(",", s.mem[2]); pr(",", s.mem[3]); puts_("\\n");']
    c += ["return 0; }"]
    return "\n".join(s) + "\n", "\n".join(c) + "\n"

def fmt(full, fields):
    out = []
    for f in fields:
        m = re.search(r"\b" + re.escape(f) + r"=(\S+)", full)
        out.append(f"{f}={m.group(1)}")
    return " ".join(out)

def main():
    path = sys.argv[1]
    cpu = sys.argv[sys.argv.index("--cpu") + 1] if "--cpu" in sys.argv else "max"
    cases = [parse(l) for l in open(path) if l.strip() and not l.startswith("#")]
    asm_s, c_s = guest(cases)
    with tempfile.TemporaryDirectory() as d:
        open(d + "/cases.S", "w").write(asm_s)
        open(d + "/probe.c", "w").write(c_s)
        flags = ["-march=armv8-a", "-mstrict-align", "-nostdlib", "-nostartfiles", "-static", "-ffreestanding",
                 "-fno-pic", "-fno-pie", "-O1", "-I" + RT, "-fno-tree-loop-distribute-patterns"]
        subprocess.run([CROSS + "gcc", *flags, "-T", RT + "/link.ld", "-o", d + "/probe.elf",
                        RT + "/boot.S", d + "/probe.c", RT + "/rt.c", d + "/cases.S", "-Wl,--no-warn-rwx-segments"], check=True)
        r = subprocess.run(["qemu-system-aarch64", "-M", "virt", "-cpu", cpu, "-display", "none", "-monitor", "none",
                            "-net", "none", "-semihosting-config", "enable=on,target=native", "-kernel", d + "/probe.elf"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith(" x0=")]
    if len(lines) != len(cases):
        sys.exit("probe: qemu printed %d lines for %d cases:\n%s%s" % (len(lines), len(cases), r.stdout, r.stderr))
    for (asm, st, fields), line in zip(cases, lines):
        inputs = " ".join(f"{k}=0x{v[0]:x}:0x{v[1]:x}" if k.startswith("v") else
                          f"{k}=" + ",".join(f"0x{w:x}" for w in v) if k == "mem" else f"{k}=0x{v:x}"
                          for k, v in st.items())
        ws = ", ".join(f"0x{w:08x}u" for w in words(asm))
        print(f'    [InlineData("{"; ".join(asm)}", "{inputs}", "{fmt(line, fields)}", {ws})]')

main()
