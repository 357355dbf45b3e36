namespace Rewind.Session.Tests;

public class MachineControllerTests
{
    [Fact]
    public void A_paused_controller_holds_the_main_loop_until_unpaused()
    {
        var controller = new MachineController(() => { });
        controller.Pause();
        int runs = 0;
        var main = Task.Run(() => controller.RunFree(() => ++runs));
        Assert.False(main.Wait(100));
        Assert.Equal(0, runs);
        controller.Unpause();
        Assert.True(main.Wait(5000));
        Assert.Equal(1, main.Result);
    }

    [Fact]
    public void Pausing_interrupts_a_free_run_until_it_returns()
    {
        var stop = new ManualResetEventSlim();
        int interrupts = 0;
        var controller = new MachineController(() =>
        {
            Interlocked.Increment(ref interrupts);
            stop.Set();
        });
        var main = Task.Run(() => controller.RunFree(() =>
        {
            stop.Wait();
            return 7;
        }));
        while (Volatile.Read(ref interrupts) == 0)
        {
            controller.Pause();
            Thread.Sleep(1);
        }
        Assert.True(main.Wait(5000));
        Assert.Equal(7, main.Result);
        Assert.True(controller.IsPaused);
    }

    [Fact]
    public void Quitting_ends_the_main_loop_with_no_run_and_keeps_the_first_exit_code()
    {
        var controller = new MachineController(() => { });
        controller.Pause();
        var main = Task.Run(() => controller.RunFree(() => 1));
        controller.Quit(3);
        controller.Quit(4);
        Assert.True(main.Wait(5000));
        Assert.Null(main.Result);
        Assert.Equal(3, controller.ExitCode);
        Assert.True(controller.Quitting);
    }

    [Fact]
    public void A_debugger_drive_is_announced_and_a_monitor_takes_the_machine_after_it()
    {
        var controller = new MachineController(() => { });
        var changes = new List<bool>();
        controller.DriveChanged += changes.Add;
        var inside = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var debugger = Task.Run(() => controller.Drive(() =>
        {
            inside.Set();
            release.Wait();
            return controller.Driving;
        }));
        inside.Wait();
        var monitor = Task.Run(() => controller.Exclusive(() => controller.Driving));
        Assert.False(monitor.Wait(100));
        release.Set();
        Assert.True(debugger.Result);
        Assert.False(monitor.Result);
        Assert.Equal([true, false], changes);
    }
}
