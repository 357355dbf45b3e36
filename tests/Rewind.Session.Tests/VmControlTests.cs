namespace Rewind.Session.Tests;

public class VmControlTests
{
    [Fact]
    public void Run_states_follow_QEMU_prelaunch_paused_running_and_shutdown()
    {
        var controller = new MachineController(() => { });
        var vm = new VmControl(controller, () => null);
        var events = new List<string>();
        vm.Event += (name, _) => events.Add(name);
        vm.StartPaused();
        Assert.Equal("prelaunch", vm.Status);
        Assert.Null(vm.Continue());
        Assert.Equal("running", vm.Status);
        vm.Stop();
        Assert.Equal("paused", vm.Status);
        vm.Continue();
        vm.MachineStopped("shutdown");
        Assert.Equal("shutdown", vm.Status);
        Assert.Equal("Resetting the Virtual Machine is required", vm.Continue());
        Assert.Contains("STOP", events);
        Assert.Contains("RESUME", events);
    }

    [Fact]
    public void Work_with_the_machine_stopped_lets_a_running_machine_run_again()
    {
        var controller = new MachineController(() => { });
        var vm = new VmControl(controller, () => null);
        Assert.Equal(5, vm.WithMachineStopped(() => controller.IsPaused ? 5 : 0));
        Assert.False(controller.IsPaused);
        vm.WithMachineStopped(() => 0, stayStopped: true);
        Assert.True(controller.IsPaused);
        Assert.Equal("paused", vm.Status);
    }

    [Fact]
    public void A_reset_that_cannot_happen_says_why_and_announces_nothing()
    {
        var vm = new VmControl(new MachineController(() => { }), () => "no");
        var events = new List<string>();
        vm.Event += (name, _) => events.Add(name);
        Assert.Equal("no", vm.Reset());
        Assert.DoesNotContain("RESET", events);
    }
}
