using System.Runtime.InteropServices;
using Rewind.Core.Native;

namespace Rewind.Core.Tests.Native;

public class ExecutableMemoryTests
{
    [Fact]
    public void Code_added_to_the_arena_runs_and_an_arena_that_is_full_says_so()
    {
        using var arena = ExecutableMemory.TryCreate(4096);
        // This project's machines (and CI) are Linux on x86-64, where the arena must be available.
        Assert.Equal(OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64, arena != null);
        if (arena == null) return;
        var a = new X64Assembler();
        a.Lea(X64Reg.Rax, X64Reg.Rdi, 42); // return the argument plus 42
        a.Ret();
        nint first = arena.Add(a.Code);
        nint second = arena.Add(a.Code);
        Assert.NotEqual(0, first);
        Assert.Equal(0, second % 16);
        Assert.Equal(16, second - first);
        unsafe
        {
            var f = (delegate* unmanaged<long, long>)second;
            Assert.Equal(100, f(58));
        }
        Assert.Equal(0, arena.Add(new byte[4096]));
        arena.Reset();
        Assert.Equal(0, arena.Used);
        Assert.NotEqual(0, arena.Add(new byte[4096]));
    }
}
