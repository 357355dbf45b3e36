using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rewind.Monitor.Qmp;

/// <summary>Writes JSON the way QEMU's monitor does: one line, ", " and ": " between items.</summary>
public static class QmpJson
{
    private static readonly JsonSerializerOptions StringOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                {
                    sb.Append('{');
                    bool first = true;
                    foreach (var (key, value) in o)
                    {
                        if (!first) sb.Append(", ");
                        first = false;
                        sb.Append(JsonSerializer.Serialize(key, StringOptions)).Append(": ");
                        Write(sb, value);
                    }
                    sb.Append('}');
                    break;
                }
            case JsonArray a:
                {
                    sb.Append('[');
                    for (int i = 0; i < a.Count; i++)
                    {
                        if (i > 0) sb.Append(", ");
                        Write(sb, a[i]);
                    }
                    sb.Append(']');
                    break;
                }
            default:
                sb.Append(node.ToJsonString(StringOptions));
                break;
        }
    }

    /// <summary>A node for a plain value (bool, number, string) or a dictionary of them.</summary>
    public static JsonNode? From(object? value) => value switch
    {
        null => null,
        JsonNode n => n,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        ulong u => JsonValue.Create(u),
        IReadOnlyDictionary<string, object> d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, From(kv.Value)))),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}

/// <summary>
/// Cuts a byte stream into top-level JSON texts: objects and arrays by bracket matching (strings
/// and escapes respected), anything else as a whitespace-delimited token. Parsing is left to the caller,
/// so a malformed text costs one error reply and the stream goes on.
/// </summary>
public sealed class JsonStreamSplitter
{
    public const int MaxText = 1 << 20;

    private readonly List<byte> _text = [];
    private int _depth;
    private bool _inString;
    private bool _escape;
    private bool _scalar;

    /// <summary>Feeds bytes; returns the texts completed by them.</summary>
    public List<byte[]> Feed(ReadOnlySpan<byte> data)
    {
        var done = new List<byte[]>();
        foreach (byte b in data)
        {
            if (_scalar)
            {
                if (IsSpace(b) || b is (byte)'{' or (byte)'[')
                {
                    done.Add(Take());
                    _scalar = false;
                    if (IsSpace(b)) continue;
                }
                else
                {
                    _text.Add(b);
                    continue;
                }
            }
            if (_depth == 0)
            {
                if (IsSpace(b)) continue;
                _text.Add(b);
                if (b is (byte)'{' or (byte)'[') _depth = 1;
                else if (b is (byte)'}' or (byte)']') done.Add(Take());
                else _scalar = true;
                continue;
            }
            _text.Add(b);
            if (_inString)
            {
                if (_escape) _escape = false;
                else if (b == (byte)'\\') _escape = true;
                else if (b == (byte)'"') _inString = false;
            }
            else if (b == (byte)'"') _inString = true;
            else if (b is (byte)'{' or (byte)'[') _depth++;
            else if (b is (byte)'}' or (byte)']')
            {
                if (--_depth == 0) done.Add(Take());
            }
            if (_text.Count > MaxText)
            {
                done.Add(Take());
                _depth = 0;
                _inString = _escape = false;
            }
        }
        return done;
    }

    private byte[] Take()
    {
        var t = _text.ToArray();
        _text.Clear();
        return t;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
