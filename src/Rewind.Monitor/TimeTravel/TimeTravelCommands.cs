using System.Globalization;
using System.Text.RegularExpressions;
using Rewind.Core.Execution;
using Rewind.Monitor.Hmp;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Monitor.TimeTravel;

/// <summary>A time-travel command that cannot be done; its message is one line for the user.</summary>
public sealed class TimeTravelException(string message) : Exception(message);

/// <summary>Where the replay is: its count, the recording's end and the guest time.</summary>
public readonly record struct Position(ulong Icount, ulong? End, ulong GuestNanoseconds);

/// <summary>Where goto-output went: the line and whether the search wrapped back to the start.</summary>
public readonly record struct OutputHit(ConsoleLine Line, bool Wrapped);

/// <summary>
/// The time-travel powers behind the rewind_* HMP commands, the rewind-* QMP commands and the GDB
/// extension (scripts/rewind.py): where am I, go to a count, a bookmark or a console line, bookmarks
/// kept beside the recording, the last and next write of a location, and a summary. Every move runs
/// with the machine stopped and leaves it stopped, like replay_seek; <c>progress</c> hears of long ones.
/// </summary>
public sealed class TimeTravelCommands(MonitorContext context)
{
    private TimeTravelEngine Engine => context.Engine
        ?? throw new TimeTravelException("time travel works while replaying a recording (-icount rr=replay)");

    private BookmarkFile Bookmarks => context.RecordFile is string f ? new BookmarkFile(f)
        : throw new TimeTravelException("bookmarks are kept beside a recording: replay one (rrfile=)");

    public Position When()
    {
        var e = Engine;
        ulong icount = context.Machine.Icount;
        return new Position(icount, e.End, context.Machine.Clock.NanosecondsAt(icount));
    }

    /// <summary>
    /// Goes to a count (decimal or 0x hex, commas allowed), a bookmark, <c>start</c> or <c>end</c>;
    /// returns where it arrived and a note when that is not where it was asked to go.
    /// </summary>
    public (ulong Icount, string? Note) Goto(string target, Action<TravelProgress>? progress)
    {
        var e = Engine;
        ulong wanted = Resolve(target);
        var stop = Travel(e, progress, () => e.Seek(wanted));
        if (stop.Kind == StopKind.Interrupted) throw new TimeTravelException($"interrupted at instruction {stop.Icount}");
        string? note = stop.Icount == wanted ? null
            : stop.Icount > wanted ? $"history before instruction {stop.Icount} is not kept; went there"
            : $"the recording ends at instruction {stop.Icount}; went there";
        return (stop.Icount, note);
    }

    /// <summary>The count a goto target names.</summary>
    public ulong Resolve(string target)
    {
        var e = Engine;
        string t = target.Trim();
        if (t == "start") return e.Beginning;
        if (t == "end") return e.End ?? throw new TimeTravelException("the recording's end is not known");
        if (TryCount(t, out ulong n)) return n;
        if (Bookmarks.Find(t) is Bookmark b) return b.Icount;
        throw new TimeTravelException($"'{t}' is not an instruction count, a bookmark, start or end");
    }

    private static bool TryCount(string s, out ulong n)
    {
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out n);
        string digits = s.Replace(",", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        n = 0;
        return digits.Length > 0 && digits.All(char.IsAsciiDigit) && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out n);
    }

    public Bookmark SetBookmark(string name)
    {
        _ = Engine;
        var file = Bookmarks;
        if (BookmarkFile.Invalid(name) is string why) throw new TimeTravelException(why);
        ulong icount = context.Machine.Icount;
        Guard(() => file.Set(name, icount));
        return new Bookmark(name, icount);
    }

    public IReadOnlyList<Bookmark> ListBookmarks() => Guard(() => Bookmarks.Load());

    public void DeleteBookmark(string name)
    {
        var file = Bookmarks;
        if (!Guard(() => file.Delete(name))) throw new TimeTravelException($"no bookmark named '{name}'");
    }

    /// <summary>The last (or, <paramref name="forward"/>, next) write of a location; null when there is none in the history.</summary>
    public WriteHit? FindWrite(ulong address, ulong length, bool forward, Action<TravelProgress>? progress)
    {
        var e = Engine;
        if (length is 0 or > 4096) throw new TimeTravelException("the length of a location is 1 to 4096 bytes");
        try
        {
            return Travel(e, progress, () => forward ? e.NextWrite(address, length) : e.LastWrite(address, length));
        }
        catch (OperationCanceledException)
        {
            throw new TimeTravelException($"the search was interrupted at instruction {context.Machine.Icount}");
        }
    }

    /// <summary>Goes to the next console line after the present matching <paramref name="pattern"/> (or the first one).</summary>
    public OutputHit GotoOutput(string pattern, Action<TravelProgress>? progress)
    {
        var e = Engine;
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw new TimeTravelException($"bad regular expression: {ex.Message.ReplaceLineEndings(" ")}");
        }
        var log = e.Console;
        ConsoleLine? found;
        bool wrapped;
        try
        {
            found = log.Find(regex, context.Machine.Icount, out wrapped);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new TimeTravelException("the regular expression takes too long to match");
        }
        if (found is not ConsoleLine line)
            throw new TimeTravelException(log.FromRecording
                ? $"no console line matches '{pattern}'"
                : $"no console line matches '{pattern}' in the output up to instruction {log.Through} (this recording predates output records: the rest is known once replayed)");
        var stop = Travel(e, progress, () => e.Seek(line.Icount));
        if (stop.Kind == StopKind.Interrupted) throw new TimeTravelException($"interrupted at instruction {stop.Icount}");
        return new OutputHit(line, wrapped);
    }

    /// <summary>The recording summary and the time-travel budget, as lines.</summary>
    public IReadOnlyList<(string Key, string Value)> Info()
    {
        var e = Engine;
        var ci = CultureInfo.InvariantCulture;
        var rows = new List<(string, string)>();
        if (context.RecordFile is string file)
        {
            rows.Add(("recording", file));
            try
            {
                var s = RecordingSummary.Read(file);
                rows.Add(("format", s.Header.Version.ToString(ci)));
                rows.Add(("status", s.EndedCleanly ? $"ended cleanly ({s.EndReason})" : s.Problem ?? "incomplete"));
                rows.Add(("records", s.RecordCount.ToString(ci)));
                rows.Add(("file size", $"{s.FileSize} bytes"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or RecordingFormatException)
            {
                rows.Add(("status", $"cannot read the file now: {ex.Message.ReplaceLineEndings(" ")}"));
            }
        }
        var clock = context.Machine.Clock;
        rows.Add(("instruction", context.Machine.Icount.ToString(ci)));
        rows.Add(("end", e.End is ulong end ? $"{end} ({Seconds(clock.NanosecondsAt(end))} of guest time)" : "unknown"));
        rows.Add(("history from", e.Beginning.ToString(ci)));
        rows.Add(("snapshots", $"{e.Store.All.Count}, {e.Store.Bytes >> 10} KiB of a {e.BudgetBytes >> 20} MiB budget, every {e.Interval} instructions"));
        rows.Add(("console lines", $"{e.Console.Lines.Count}{(e.Console.FromRecording ? "" : $" (gathered by this replay up to instruction {e.Console.Through})")}"));
        int bookmarks = context.RecordFile != null ? Guard(() => Bookmarks.Load()).Count : 0;
        rows.Add(("bookmarks", bookmarks.ToString(ci)));
        return rows;
    }

    public static string Seconds(ulong ns) => (ns / 1e9).ToString("0.000000000", CultureInfo.InvariantCulture) + " s";

    /// <summary>Travel with the machine stopped (left stopped), telling <paramref name="progress"/> how it goes.</summary>
    private T Travel<T>(TimeTravelEngine e, Action<TravelProgress>? progress, Func<T> move) =>
        context.Stopped(() =>
        {
            using (e.ReportProgressTo(progress)) return move();
        }, stayStopped: true);

    private static T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new TimeTravelException(e.Message.ReplaceLineEndings(" "));
        }
    }

    private static void Guard(Action work) => Guard(() =>
    {
        work();
        return 0;
    });
}
