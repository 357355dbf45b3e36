# Rewind's GDB extension: time-travel commands for a Rewind replay (`-icount rr=replay ... -s`).
#
#   (gdb) source scripts/rewind.py          # once per session, or see the README for auto-loading
#   (gdb) rewind when                       # instruction count and guest time
#   (gdb) rewind goto 123456 | NAME | start | end
#   (gdb) rewind bookmark NAME / rewind bookmarks / rewind delete-bookmark NAME
#   (gdb) rewind last-write counter         # or: rewind last-write 0x800006c0 4
#   (gdb) rewind next-write                 # the same location, forwards
#   (gdb) rewind goto-output 'Oops|panic'   # where the guest printed a matching console line
#   (gdb) rewind info                       # the recording, snapshots and bookmarks
#
# Every command is a monitor command of Rewind's (rewind_when, rewind_goto, ...; `monitor help` lists
# them), so QMP clients (rewind-when, rewind-goto, ...) have the same powers. The monitor moves the
# machine behind GDB's back; after each move this extension flushes GDB's register and frame caches
# (`maintenance flush register-cache`), so what GDB shows is where the machine is.

import re

import gdb

_AT = re.compile(r"^at instruction (\d+)", re.M)
# A device's write into guest memory (DMA) names the hart that was running then: "by a device (DMA), hart 0".
_WRITE = re.compile(
    r"^write at instruction (\d+) by (a device \(DMA\), )?hart (\d+) at pc 0x([0-9a-f]+): .* was ([0-9a-f]*), became ([0-9a-f]*)$",
    re.M)

# The location last-write and next-write looked at last: (description, address, length, type or None).
_last_location = None


def _monitor(command):
    """Runs a Rewind monitor command and returns its output (progress lines included)."""
    try:
        return gdb.execute("monitor " + command, to_string=True)
    except gdb.error as e:
        raise gdb.GdbError("rewind: the target did not take 'monitor %s' (is this a Rewind replay?): %s" % (command, e))


def _refused(command, output):
    """Raises the monitor's one-line answer (`rewind_goto: ...`) as a GDB error."""
    lines = [l for l in output.splitlines() if l and not l.startswith("rewind: ")]
    message = lines[-1] if lines else "no answer"
    prefix = command.split()[0] + ": "
    if message.startswith(prefix):
        message = message[len(prefix):]
    if message.startswith("unknown command"):
        message = "this Rewind has no '%s' monitor command" % command.split()[0]
    raise gdb.GdbError("rewind: " + message)


def _notes(command, output):
    """Prints what the monitor said besides the result (notes such as 'went to the first one')."""
    prefix = command.split()[0] + ": "
    for line in output.splitlines():
        if line.startswith(prefix):
            gdb.write("rewind: " + line[len(prefix):] + "\n")


def _moved():
    """The machine moved without GDB knowing: drop what GDB cached of registers, frames and memory."""
    gdb.execute("maintenance flush register-cache", to_string=True)
    try:
        gdb.execute("maintenance flush dcache", to_string=True)
    except gdb.error:
        pass  # older GDBs have no memory cache to flush


def _show_frame():
    try:
        gdb.execute("frame")
    except gdb.error:
        pass  # no symbols for where the machine is


def _where(pc):
    """'func (file.c:12)' for a pc, as far as the symbols tell."""
    block = None
    try:
        block = gdb.block_for_pc(pc)
    except RuntimeError:
        pass
    name = None
    while block is not None and name is None:
        if block.function is not None:
            name = block.function.print_name
        block = block.superblock
    if name is None:
        name = _symbol_at(pc)
    sal = gdb.find_pc_line(pc)
    place = ""
    if sal.symtab is not None:
        place = " (%s:%d)" % (sal.symtab.filename, sal.line)
    return (name or "??") + place


_INFO_SYMBOL = re.compile(r"^(\S+)(?: \+ (\d+))? in section ")


def _symbol_at(pc):
    """'func+12' from the symbol table alone (a kernel's vmlinux without DWARF), or None."""
    try:
        out = gdb.execute("info symbol 0x%x" % pc, to_string=True)
    except gdb.error:
        return None
    m = _INFO_SYMBOL.match(out)
    if m is None:
        return None
    return m.group(1) + ("+" + m.group(2) if m.group(2) else "")


def _parse_location(arg):
    """EXPR (an lvalue: its address and size) or ADDR LEN; returns (description, address, length, type)."""
    arg = arg.strip()
    if not arg:
        raise gdb.GdbError("rewind: which location? EXPR or ADDR LEN")
    try:
        value = gdb.parse_and_eval(arg)
        if value.address is not None:
            return arg, int(value.address), value.type.sizeof, value.type
    except gdb.error:
        pass
    parts = arg.rsplit(None, 1)
    if len(parts) != 2:
        raise gdb.GdbError("rewind: '%s' is neither an lvalue nor ADDR LEN" % arg)
    try:
        address = int(gdb.parse_and_eval(parts[0]))
        length = int(gdb.parse_and_eval(parts[1]))
    except (gdb.error, ValueError) as e:
        raise gdb.GdbError("rewind: '%s' is neither an lvalue nor ADDR LEN: %s" % (arg, e))
    if length <= 0:
        raise gdb.GdbError("rewind: LEN must be positive")
    return "0x%x (%d bytes)" % (address, length), address, length, None


def _show_value(raw_hex, value_type):
    data = bytes.fromhex(raw_hex)
    if value_type is not None and len(data) == value_type.sizeof:
        try:
            return str(gdb.Value(data, value_type))
        except (gdb.error, TypeError):
            pass
    if not data:
        return "(unreadable)"
    if len(data) <= 8:
        return "0x%x" % int.from_bytes(data, "little")  # RISC-V is little-endian
    return data.hex()


class RewindCommand(gdb.Command):
    """Time travel in a Rewind replay.

Subcommands: when, goto, bookmark, bookmarks, delete-bookmark, last-write, next-write, goto-output, info.
Each keeps GDB's register and frame caches in step with the machine."""

    def __init__(self):
        super().__init__("rewind", gdb.COMMAND_RUNNING, gdb.COMPLETE_NONE, True)

    def invoke(self, arg, from_tty):
        gdb.execute("help rewind")


class RewindWhen(gdb.Command):
    """Show the current instruction count and guest time, and show GDB where the machine is: rewind when"""

    def __init__(self):
        super().__init__("rewind when", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        out = _monitor("rewind_when")
        if not out.startswith("instruction "):
            _refused("rewind_when", out)
        # Something else may have moved the machine (the timeline page, a QMP client): follow it.
        _moved()
        gdb.write(out)


class RewindGoto(gdb.Command):
    """Go to an instruction count, a bookmark, or the recording's start or end: rewind goto COUNT|BOOKMARK|start|end"""

    def __init__(self):
        super().__init__("rewind goto", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("rewind goto: where? COUNT, BOOKMARK, start or end")
        command = "rewind_goto " + arg.strip()
        out = _monitor(command)
        at = _AT.search(out)
        if at is None:
            _refused(command, out)
        _moved()
        _notes(command, out)
        gdb.write("rewind: at instruction %s\n" % at.group(1))
        _show_frame()


class RewindBookmark(gdb.Command):
    """Bookmark the current instruction count (kept beside the recording, in RECORDING.bookmarks): rewind bookmark NAME"""

    def __init__(self):
        super().__init__("rewind bookmark", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        command = "rewind_bookmark " + arg.strip()
        out = _monitor(command)
        if not out.startswith("bookmark "):
            _refused(command, out)
        gdb.write(out)


class RewindBookmarks(gdb.Command):
    """List the bookmarks: rewind bookmarks"""

    def __init__(self):
        super().__init__("rewind bookmarks", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        out = _monitor("rewind_bookmarks")
        if out.startswith("rewind_bookmarks: "):
            _refused("rewind_bookmarks", out)
        gdb.write(out)


class RewindDeleteBookmark(gdb.Command):
    """Delete a bookmark: rewind delete-bookmark NAME"""

    def __init__(self):
        super().__init__("rewind delete-bookmark", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        command = "rewind_delete_bookmark " + arg.strip()
        out = _monitor(command)
        if out.strip():
            _refused(command, out)
        gdb.write("rewind: deleted bookmark %s\n" % arg.strip())


class _WriteSearch(gdb.Command):
    forward = False

    def invoke(self, arg, from_tty):
        global _last_location
        if arg.strip():
            _last_location = _parse_location(arg)
        elif _last_location is None:
            raise gdb.GdbError("rewind: which location? EXPR or ADDR LEN")
        description, address, length, value_type = _last_location
        name = "rewind_next_write" if self.forward else "rewind_last_write"
        command = "%s 0x%x %d" % (name, address, length)
        out = _monitor(command)
        hit = _WRITE.search(out)
        if hit is None:
            if out.startswith("no write"):
                gdb.write("rewind: " + out.splitlines()[-1] + "; not moved\n")
                return
            _refused(command, out)
        _moved()
        icount, by_device, hart, pc = hit.group(1), hit.group(2) is not None, int(hit.group(3)), int(hit.group(4), 16)
        old, new = hit.group(5), hit.group(6)
        gdb.write("rewind: %s: %s -> %s\n" % (description, _show_value(old, value_type), _show_value(new, value_type)))
        if by_device:
            gdb.write("rewind: written at instruction %s by a device (DMA), while hart %d was at pc 0x%x in %s\n"
                      % (icount, hart, pc, _where(pc)))
        else:
            gdb.write("rewind: written at instruction %s by hart %d, pc 0x%x in %s\n" % (icount, hart, pc, _where(pc)))
        _show_frame()


class RewindLastWrite(_WriteSearch):
    """Go to the last instruction before now that wrote a location: rewind last-write EXPR | ADDR LEN

Lands on the writing instruction (the old value still in memory) and prints its instruction count, pc
and function, and the old and new values. A device's write into memory (DMA) lands on the count it
wrote at, before the write, and names the instruction the hart was about to run then."""

    def __init__(self):
        super().__init__("rewind last-write", gdb.COMMAND_RUNNING)


class RewindNextWrite(_WriteSearch):
    """Go to the next instruction after now that writes a location: rewind next-write [EXPR | ADDR LEN]

Without an argument, the location of the last last-write or next-write."""

    forward = True

    def __init__(self):
        super().__init__("rewind next-write", gdb.COMMAND_RUNNING)


class RewindGotoOutput(gdb.Command):
    """Go to where the guest wrote a console line matching a regular expression (.NET syntax): rewind goto-output REGEX

The next matching line after the present, else the first one."""

    def __init__(self):
        super().__init__("rewind goto-output", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("rewind goto-output: which line? REGEX")
        command = "rewind_goto_output " + arg.strip()
        out = _monitor(command)
        at = re.search(r"^at instruction (\d+), where the guest wrote: (.*)$", out, re.M)
        if at is None:
            _refused(command, out)
        _moved()
        _notes(command, out)
        gdb.write("rewind: at instruction %s, where the guest wrote: %s\n" % (at.group(1), at.group(2)))
        _show_frame()


class RewindInfo(gdb.Command):
    """Show the recording, the time-travel snapshots and their budget, and the bookmarks: rewind info"""

    def __init__(self):
        super().__init__("rewind info", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        out = _monitor("rewind_info")
        if out.startswith("rewind_info: "):
            _refused("rewind_info", out)
        gdb.write(out)


RewindCommand()
RewindWhen()
RewindGoto()
RewindBookmark()
RewindBookmarks()
RewindDeleteBookmark()
RewindLastWrite()
RewindNextWrite()
RewindGotoOutput()
RewindInfo()
