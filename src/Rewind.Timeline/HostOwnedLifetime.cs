using Microsoft.Extensions.Hosting;

namespace Rewind.Timeline;

/// <summary>
/// The web host's lifetime is the program's: no Ctrl-C handling of its own (ASP.NET's console
/// lifetime would stop the page on a signal that the emulator means for itself).
/// </summary>
internal sealed class HostOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
