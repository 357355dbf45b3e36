namespace Rewind.Session.Tests;

public class MachineControllerTests
{
    [Fact]
    public async Task A_paused_controller_holds_the_main_loop_until_unpaused()
    {
        var controller = new MachineController(() => { });
        controller.Pause();
        int runs = 0;
        var main = Task.Run(() => controller.RunFree(() => ++runs));
        await Task.Delay(100);
        Assert.False(main.IsCompleted);
        Assert.Equal(0, runs);
        controller.Unpause();
        Assert.Equal(1, await main.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Pausing_interrupts_a_free_run_until_it_returns()
    {
        var started = new ManualResetEventSlim();
        var stop = new ManualResetEventSlim();
        int interrupts = 0;
        var controller = new MachineController(() =>
        {
            Interlocked.Increment(ref interrupts);
            stop.Set();
        });
        var main = Task.Run(() => controller.RunFree(() =>
        {
            started.Set();
            stop.Wait();
            return 7;
        }));
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        controller.Pause();
        Assert.Equal(7, await main.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(interrupts > 0);
        Assert.True(controller.IsPaused);
    }

    [Fact]
    public async Task Quitting_ends_the_main_loop_with_no_run_and_keeps_the_first_exit_code()
    {
        var controller = new MachineController(() => { });
        controller.Pause();
        var main = Task.Run(() => controller.RunFree(() => 1));
        controller.Quit(3);
        controller.Quit(4);
        Assert.Null(await main.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(3, controller.ExitCode);
        Assert.True(controller.Quitting);
    }

    [Fact]
    public async Task A_quit_that_lands_before_the_run_clears_its_requests_still_ends_the_run()
    {
        // The machine clears interrupt requests when its run starts: a quit between the controller's
        // check and that clear must be repeated, or a guest that polls forever never lets the run end.
        var quitSent = new ManualResetEventSlim();
        int requested = 0;
        var controller = new MachineController(() =>
        {
            Volatile.Write(ref requested, 1);
            quitSent.Set();
        });
        var main = Task.Run(() => controller.RunFree(() =>
        {
            quitSent.Wait();
            Volatile.Write(ref requested, 0);
            while (Volatile.Read(ref requested) == 0) Thread.Sleep(1);
            return 5;
        }));
        while (!controller.IsFreeRunning) await Task.Delay(1);
        var quit = Task.Run(() => controller.Quit(2));
        Assert.Equal(5, await main.WaitAsync(TimeSpan.FromSeconds(10)));
        await quit.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, controller.ExitCode);
    }

    [Fact]
    public async Task A_quit_from_inside_the_run_does_not_wait_for_the_run_to_end()
    {
        int interrupts = 0;
        var controller = new MachineController(() => Interlocked.Increment(ref interrupts));
        var main = Task.Run(() => controller.RunFree(() =>
        {
            controller.Quit(1);
            return 9;
        }));
        Assert.Equal(9, await main.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(controller.Quitting);
        Assert.True(interrupts > 0);
    }

    [Fact]
    public async Task A_debugger_drive_is_announced_and_a_monitor_takes_the_machine_after_it()
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
        await Task.Delay(100);
        Assert.False(monitor.IsCompleted);
        release.Set();
        Assert.True(await debugger.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(await monitor.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([true, false], changes);
    }
}
