namespace Rewind.Cli;

public static class HelpText
{
    /// <summary>What --version prints: the emulator the launcher stands in for (rewind-aarch64 is QEMU's aarch64 one).</summary>
    public static string VersionFor(Board.GuestArch arch) =>
        $"Rewind 0.1.0 (QEMU-compatible command line, {(arch == Board.GuestArch.Aarch64 ? "aarch64" : "riscv64")} virt)";

    /// <summary>
    /// A run with neither -kernel nor other firmware boots the default OpenSBI with nothing after it,
    /// which spins (as QEMU does): one line on stderr says what to pass.
    /// </summary>
    public const string NothingToBoot =
        "rewind: hint: no -kernel given, so the default OpenSBI boots with nothing to run and spins; " +
        "try -M virt -bios none -kernel guests/bin/hello.elf -nographic, or -h for the options";

    public const string Usage = """
usage: rewind [options]            run a machine, like qemu-system-riscv64
       rewind -arch aarch64 [options]  like qemu-system-aarch64 (also: ./rewind-aarch64)
       rewind info FILE.rr          describe a recording
       rewind info FILE.rr --output its console output, each line with its instruction count
       rewind timeline FILE.rr [--port N]  a web page of the recording on 127.0.0.1:N (default 8080)

Machine:
  -M, -machine virt[,dumpdtb=F]  the board (only virt); dumpdtb writes the device tree and exits
  -m SIZE                        RAM size (default 128M; suffixes K, M, G)
  -smp [cpus=]N                  number of harts, 1 to 512 (default 1)
  -arch riscv64|aarch64          guest architecture (default riscv64; aarch64 when run as
                                 rewind-aarch64 or qemu-system-aarch64)
  -cpu rv64                      CPU model (rv64 only; aarch64: cortex-a53, cortex-a57, cortex-a72, max)
  -M virt[,gic-version=2|3,its=off,secure=off,virtualization=off]
                                 aarch64 board properties: GICv2 (default, up to 8 CPUs) or
                                 GICv3 (up to 123 CPUs, no ITS)
  -semihosting-config enable=on[,target=native]
                                 aarch64: HLT #0xF000 semihosting calls (console, exit, clock)
  -bios none|default|FILE        firmware (default: Debian's OpenSBI fw_dynamic; aarch64: FILE in flash at 0)
  -kernel FILE                   kernel or bare-metal program (ELF or raw binary)
  -append STRING                 kernel command line (device tree /chosen/bootargs)
  -initrd FILE                   initial RAM disk, placed in RAM after the kernel (needs -kernel)
  -no-reboot                     exit instead of resetting when the guest asks for a reset
  -no-shutdown                   with a monitor or debugger (-nographic has one), and not while
                                 recording: when the guest powers off, keep the machine, stopped,
                                 for inspection; the monitor's quit or C-a x ends the program

Console and monitors:
  -nographic                     no display; without -serial and -monitor, the serial console and
                                 the HMP monitor share stdio (as -serial mon:stdio); with -serial
                                 elsewhere, the monitor is on stdio
  -display none                  no display (serial console on stdio unless -serial says otherwise)
  -serial stdio|mon:stdio|null|none|file:PATH
                                 serial console backend; mon:stdio multiplexes it with the monitor
  -serial tcp:[HOST]:PORT[,server=on[,wait=off]] | unix:PATH[,server=on[,wait=off]]
                                 the serial console on a socket (raw bytes: nc, socat); server=on
                                 listens and, unless wait=off, starts the guest when a client comes;
                                 without server=on it connects; the client's bytes are recorded
  -monitor none|stdio            HMP monitor on stdio, prompt "(qemu) " (takes stdio from the console)
  -qmp tcp:[HOST]:PORT,server=on[,wait=off] | unix:PATH,server=on[,wait=off]
                                 QMP (JSON) monitor on a listening socket; without wait=off the
                                 machine waits for a client before starting

  On a multiplexed console (-nographic, -serial mon:stdio), from a terminal or a pipe alike:
    C-a c    switch between console and monitor       C-a h    print this help
    C-a x    exit emulator (status 0)                  C-a C-a  sends C-a to the guest
  On a plain stdio console from a terminal, C-a x exits too.

Time, record and replay:
  -icount shift=N[,rr=record|replay,rrfile=FILE[,rrsnapshot=NAME]]
                                 each instruction lasts 2^N ns (default N=3); rr records or replays
                                 (replaying, keys typed for the guest are ignored: its input is recorded)

Devices:
  -drive file=F[,format=raw|qcow2][,if=none|virtio][,id=ID][,readonly=on][,snapshot=on]
                                 a raw or qcow2 disk image (if=virtio: a virtio-blk device)
  -device virtio-blk-device,drive=ID[,serial=S][,bus=virtio-mmio-bus.N]
  -device virtio-rng-device[,rng=ID][,bus=virtio-mmio-bus.N]
  -object rng-random,id=ID[,filename=F] | rng-builtin,id=ID
  -device virtio-net-device[,netdev=ID][,mac=M][,bus=virtio-mmio-bus.N]
  -netdev socket,id=ID,listen=[HOST]:PORT|connect=HOST:PORT
  -netdev stream,id=ID[,server=on|off],addr.type=inet,addr.host=H,addr.port=P | addr.type=unix,addr.path=P
  -nic socket|stream,...[,mac=M]  a netdev and a virtio-net-device on it
  -device virtio-serial-device[,id=ID][,bus=virtio-mmio-bus.N]
  -device virtconsole[,chardev=ID][,name=NAME][,nr=N][,bus=ID.0]
                                 a virtio console port (Linux: /dev/hvc0); its host input is recorded
  -device virtserialport[,chardev=ID][,name=NAME][,nr=N][,bus=ID.0]
                                 a generic named port (Linux: /dev/vport0p1, its name in sysfs), recorded alike
  -chardev null|stdio,id=ID | file,id=ID,path=F | socket,id=ID,(host=H,port=P|path=P)[,server=on[,wait=off]]
                                 a port's host side (file: output only; stdio: not with -nographic)
  -global virtio-mmio.force-legacy=false   virtio-mmio version 2 (default: 1, as QEMU 7.2)
  -snapshot                      disk writes stay in memory (always so when recording or replaying)

Debugging:
  -s                             GDB server on 127.0.0.1:1234 (same as -gdb tcp::1234)
  -gdb tcp:[HOST]:PORT|unix:PATH GDB server; an empty HOST means 127.0.0.1 only (QEMU: all interfaces)
  -S                             start paused, waiting for GDB or a monitor's cont
  -timeline PORT                 replaying: the timeline page on 127.0.0.1:PORT; a click moves the replay

  -h, --help                     this text
  --version                      version
""";
}
