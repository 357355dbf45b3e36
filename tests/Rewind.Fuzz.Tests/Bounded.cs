namespace Rewind.Fuzz.Tests;

/// <summary>Runs one input's work on a worker with a time bound, so that a hang is counted, not waited for.</summary>
public static class Bounded
{
    /// <summary>Generous: the CI machine is small and loaded; a real hang never ends at all.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(30);

    public readonly record struct Result<T>(bool Finished, T? Value, Exception? Error);

    public static Result<T> Run<T>(Func<T> work, TimeSpan? limit = null)
    {
        var task = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!task.Wait(limit ?? DefaultLimit)) return new(false, default, null);
            return new(true, task.Result, null);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            return new(true, default, e.InnerExceptions[0]);
        }
    }

    /// <summary>A message as a user sees it: one line, not empty.</summary>
    public static bool IsOneLine(string? message) =>
        !string.IsNullOrWhiteSpace(message) && !message.Contains('\n') && !message.Contains('\r');
}
