namespace Rewind.Cli;

internal static class HelpText
{
    public const string Version = "Rewind 0.1.0 (QEMU-compatible command line, riscv64 virt)";

    public const string Usage = """
usage: rewind [options]            run a machine, like qemu-system-riscv64
       rewind info FILE.rr          describe a recording

Machine:
  -M, -machine virt[,dumpdtb=F]  the board (only virt); dumpdtb writes the device tree and exits
  -m SIZE                        RAM size (default 128M; suffixes K, M, G)
  -smp 1                         number of harts (only 1 for now)
  -cpu rv64                      CPU model (rv64 only)
  -bios none|default|FILE        firmware (default: Debian's OpenSBI fw_dynamic)
  -kernel FILE                   kernel or bare-metal program (ELF or raw binary)
  -append STRING                 kernel command line (device tree /chosen/bootargs)
  -no-reboot                     exit instead of resetting when the guest asks for a reset

Console:
  -nographic                     no display; serial and monitor on stdio (Ctrl-A x quits)
  -display none                  no display
  -serial stdio|mon:stdio|null|file:PATH
  -monitor none|stdio            HMP monitor

Time, record and replay:
  -icount shift=N[,rr=record|replay,rrfile=FILE[,rrsnapshot=NAME]]
                                 each instruction lasts 2^N ns (default N=3); rr records or replays

Debugging:
  -s                             GDB server on 127.0.0.1:1234 (same as -gdb tcp::1234)
  -gdb tcp:[HOST]:PORT|unix:PATH GDB server; an empty HOST means 127.0.0.1 only (QEMU: all interfaces)
  -S                             start paused, waiting for GDB or the monitor
  -qmp tcp:HOST:PORT,server=on,wait=off | unix:PATH,server=on,wait=off

  -h, --help                     this text
  --version                      version
""";
}
