namespace Rewind.Timeline;

/// <summary>Where a seek from the page arrived, and a note when that is not where it was asked to go.</summary>
public readonly record struct SeekResult(ulong Icount, string? Note);

/// <summary>
/// The running replay the page is attached to: where it is, the time-travel snapshots it holds, the
/// breakpoint and watchpoint hits the debugger has seen, and a way to move it. Every member may be
/// called from the web server's threads.
/// </summary>
public interface ITimelineSession
{
    /// <summary>The machine's instruction count.</summary>
    ulong Position { get; }

    /// <summary>The run state as QMP names it ("running", "paused", "debug", …).</summary>
    string Status { get; }

    /// <summary>Raised by a change to <see cref="Snapshots"/> or <see cref="Hits"/>.</summary>
    int Version { get; }

    IReadOnlyList<TimelineEvent> Snapshots { get; }

    IReadOnlyList<TimelineEvent> Hits { get; }

    /// <summary>Moves the machine to <paramref name="icount"/> and leaves it stopped there.</summary>
    /// <exception cref="TimelineException">The move cannot be made (one line).</exception>
    SeekResult Seek(ulong icount);
}
