using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rewind.Replay.TimeTravel;

/// <summary>A named instruction count in a recording.</summary>
public readonly record struct Bookmark(string Name, ulong Icount);

/// <summary>
/// Bookmarks kept beside a recording, in <c>RECORDING.bookmarks</c> (JSON:
/// <c>{"bookmarks":[{"name":"boot-done","icount":123}]}</c>), so they outlive the session. Read afresh
/// on every use and replaced whole on every change (written to a temporary file, then renamed), so two
/// sessions on one recording see each other's bookmarks and a crash never leaves half a file.
/// </summary>
public sealed class BookmarkFile(string recordingPath)
{
    public const int MaxNameLength = 64;

    public string Path { get; } = recordingPath + ".bookmarks";

    /// <summary>The bookmarks in count order; none when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a bookmark file (one-line message naming it).</exception>
    public IReadOnlyList<Bookmark> Load()
    {
        if (!File.Exists(Path)) return [];
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(Path), documentOptions: new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Damaged(e.Message);
        }
        if (root is not JsonObject o || o["bookmarks"] is not JsonArray list) throw Damaged("no \"bookmarks\" list");
        var result = new List<Bookmark>();
        foreach (var item in list)
        {
            if (item is not JsonObject b || b["name"] is not JsonValue n || !n.TryGetValue(out string? name)
                || b["icount"] is not JsonValue c || !c.TryGetValue(out ulong icount) || Invalid(name) is not null)
                throw Damaged("a bookmark needs a valid \"name\" and an \"icount\"");
            result.Add(new Bookmark(name, icount));
        }
        return [.. result.OrderBy(b => b.Icount).ThenBy(b => b.Name, StringComparer.Ordinal)];
    }

    public Bookmark? Find(string name) => Load().Cast<Bookmark?>().FirstOrDefault(b => b!.Value.Name == name);

    /// <summary>Adds or moves the bookmark <paramref name="name"/>.</summary>
    public void Set(string name, ulong icount)
    {
        if (Invalid(name) is string why) throw new ArgumentException(why);
        var all = Load().Where(b => b.Name != name).Append(new Bookmark(name, icount));
        Save(all);
    }

    /// <summary>Removes <paramref name="name"/>; false when there was no such bookmark.</summary>
    public bool Delete(string name)
    {
        var all = Load();
        if (!all.Any(b => b.Name == name)) return false;
        Save(all.Where(b => b.Name != name));
        return true;
    }

    /// <summary>Why <paramref name="name"/> cannot name a bookmark, or null: counts, start and end name places already.</summary>
    public static string? Invalid(string name)
    {
        if (name.Length == 0) return "a bookmark needs a name";
        if (name.Length > MaxNameLength) return $"a bookmark name is at most {MaxNameLength} characters";
        if (name is "start" or "end") return $"'{name}' already means the {name} of the recording";
        if (name.All(char.IsAsciiDigit) || name.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) return $"'{name}' reads as an instruction count";
        if (name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) return "a bookmark name has no spaces or control characters";
        return null;
    }

    private void Save(IEnumerable<Bookmark> bookmarks)
    {
        var list = new JsonArray();
        foreach (var b in bookmarks.OrderBy(b => b.Icount).ThenBy(b => b.Name, StringComparer.Ordinal))
            list.Add(new JsonObject { ["name"] = b.Name, ["icount"] = b.Icount });
        string text = new JsonObject { ["bookmarks"] = list }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        string temp = Path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, Path, overwrite: true);
    }

    private InvalidDataException Damaged(string why) => new($"{Path}: not a bookmark file ({why.ReplaceLineEndings(" ")})");
}
