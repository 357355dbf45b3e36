using System.Runtime.InteropServices;

namespace Rewind.Core.Native;

/// <summary>
/// A fixed arena for generated machine code, mapped twice from one anonymous memory file: once
/// writable, once executable, so no page is ever writable and executable at the same address (W^X, as
/// hardened kernels and SELinux require). Code is appended; when the arena is full its owner starts it
/// over (<see cref="Reset"/>) once nothing in it can be running. Only Linux on x86-64 is supported;
/// <see cref="TryCreate"/> returns null elsewhere or when the kernel refuses, and the caller goes on
/// without native code.
/// </summary>
public sealed unsafe partial class ExecutableMemory : IDisposable
{
    private readonly byte* _write;
    private readonly byte* _exec;
    private int _used;

    /// <summary>Bytes the arena holds.</summary>
    public int Capacity { get; }

    /// <summary>Bytes used now.</summary>
    public int Used => _used;

    private ExecutableMemory(byte* write, byte* exec, int capacity)
    {
        _write = write;
        _exec = exec;
        Capacity = capacity;
    }

    /// <summary>An arena of <paramref name="capacity"/> bytes, or null where native code cannot be run here.</summary>
    public static ExecutableMemory? TryCreate(int capacity)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        try
        {
            int fd = MemfdCreate("rewind-code", 1 /* MFD_CLOEXEC */);
            if (fd < 0) return null;
            try
            {
                if (Ftruncate(fd, capacity) != 0) return null;
                nint w = Mmap(0, (nuint)capacity, ProtRead | ProtWrite, MapShared, fd, 0);
                if (w == -1) return null;
                nint x = Mmap(0, (nuint)capacity, ProtRead | ProtExec, MapShared, fd, 0);
                if (x == -1)
                {
                    _ = Munmap(w, (nuint)capacity);
                    return null;
                }
                return new ExecutableMemory((byte*)w, (byte*)x, capacity);
            }
            finally
            {
                _ = Close(fd);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Copies <paramref name="code"/> in, 16-byte aligned, and returns its executable address, or 0 when
    /// the arena has no room (the owner resets it and tries again).
    /// </summary>
    public nint Add(ReadOnlySpan<byte> code)
    {
        int at = (_used + 15) & ~15;
        if (at + code.Length > Capacity) return 0;
        code.CopyTo(new Span<byte>(_write + at, code.Length));
        _used = at + code.Length;
        return (nint)(_exec + at);
    }

    /// <summary>Forgets all code: every address handed out before is dead from now on.</summary>
    public void Reset() => _used = 0;

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _ = Munmap((nint)_write, (nuint)Capacity);
        _ = Munmap((nint)_exec, (nuint)Capacity);
        GC.SuppressFinalize(this);
    }

    // Machines are made and dropped by the hundred in a test run: the mappings go with their cache.
    ~ExecutableMemory() => Dispose();

    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapShared = 1;

    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate")]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint addr, nuint length);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
