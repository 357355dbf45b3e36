using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rewind.Monitor.Qmp;

/// <summary>
/// Reads JSON strictly and writes it the way QEMU's monitor does: one line, ", " and ": " between items.
/// </summary>
public static class QmpJson
{
    /// <summary>
    /// Deepest nesting of objects and arrays a QMP message may have. QEMU allows 1024; QMP messages
    /// need a handful, and a low limit keeps recursion and work per message small.
    /// </summary>
    public const int MaxDepth = 64;

    private static readonly JsonSerializerOptions StringOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Parses one complete JSON text into a fresh tree that shares no node with anything else.
    /// Duplicated keys, invalid strings, trailing data and nesting deeper than <see cref="MaxDepth"/>
    /// are refused with a <see cref="QmpException"/> ("JSON parse error, ..." as QEMU words it).
    /// </summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read()) throw QmpException.Generic("JSON parse error, empty input");
            var node = ReadValue(ref reader);
            if (reader.Read()) throw QmpException.Generic("JSON parse error, trailing data");
            return node;
        }
        catch (JsonException e)
        {
            throw QmpException.Generic("JSON parse error, " + Describe(e));
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader.GetString on a lone surrogate escape or invalid UTF-8.
            throw QmpException.Generic("JSON parse error, invalid string");
        }
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                {
                    var obj = new JsonObject();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        string key = reader.GetString()!;
                        reader.Read();
                        var value = ReadValue(ref reader);
                        if (obj.ContainsKey(key)) throw QmpException.Generic("JSON parse error, duplicate key");
                        obj.Add(key, value);
                    }
                    return obj;
                }
            case JsonTokenType.StartArray:
                {
                    var array = new JsonArray();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        array.Add(ReadValue(ref reader));
                    return array;
                }
            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString()!);
            case JsonTokenType.Number:
                // Kept as written, so integers beyond long and decimals keep their exact text.
                return JsonValue.Create(JsonElement.ParseValue(ref reader));
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            case JsonTokenType.Null:
                return null;
            default:
                throw QmpException.Generic($"JSON parse error, unexpected {reader.TokenType}");
        }
    }

    /// <summary>A reader error's message without the position details.</summary>
    public static string Describe(JsonException e)
    {
        string m = e.Message;
        int cut = m.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? m[..cut] : m).TrimEnd('.', ' ');
    }

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

/// <summary>One piece cut from a QMP stream: a JSON text to parse, or why input was thrown away.</summary>
public readonly record struct JsonPiece(byte[] Text, string? Error = null);

/// <summary>
/// Cuts a byte stream into top-level JSON texts: objects and arrays by bracket matching (strings
/// and escapes respected), anything else as a whitespace-delimited token. Parsing is left to the caller,
/// so a malformed text costs one error reply and the stream goes on.
/// <para>
/// Memory is bounded: a text (every token of it, a run of digits without whitespace included) may hold
/// at most <see cref="MaxText"/> bytes and nest at most <see cref="QmpJson.MaxDepth"/> deep (QEMU allows
/// 64 MiB tokens and depth 1024). Past a limit the splitter reports one error piece, then drops the rest
/// of that text without storing it, following its brackets and strings until it ends, and goes on.
/// </para>
/// </summary>
public sealed class JsonStreamSplitter
{
    /// <summary>The largest JSON text accepted, in bytes (1 MiB).</summary>
    public const int MaxText = 1 << 20;

    private readonly List<byte> _text = [];
    private List<JsonPiece> _done = [];
    private int _depth;
    private bool _inString;
    private bool _escape;
    private bool _scalar;
    private bool _discarding;

    /// <summary>Bytes held for the text in progress; never more than <see cref="MaxText"/>.</summary>
    public int Buffered => _text.Count;

    /// <summary>Feeds bytes; returns the texts completed by them, and an error for each text refused.</summary>
    public List<JsonPiece> Feed(ReadOnlySpan<byte> data)
    {
        _done = [];
        foreach (byte b in data)
        {
            if (_scalar)
            {
                if (IsSpace(b) || b is (byte)'{' or (byte)'[')
                {
                    _scalar = false;
                    Complete();
                    if (IsSpace(b)) continue;
                }
                else
                {
                    Append(b);
                    continue;
                }
            }
            if (_depth == 0)
            {
                if (IsSpace(b)) continue;
                Append(b);
                if (b is (byte)'{' or (byte)'[') _depth = 1;
                else if (b is (byte)'}' or (byte)']') Complete();
                else _scalar = true;
                continue;
            }
            Append(b);
            if (_inString)
            {
                if (_escape) _escape = false;
                else if (b == (byte)'\\') _escape = true;
                else if (b == (byte)'"') _inString = false;
            }
            else if (b == (byte)'"') _inString = true;
            else if (b is (byte)'{' or (byte)'[')
            {
                if (++_depth > QmpJson.MaxDepth) Refuse($"JSON nesting depth limit exceeded (at most {QmpJson.MaxDepth})");
            }
            else if (b is (byte)'}' or (byte)']')
            {
                if (--_depth == 0) Complete();
            }
        }
        return _done;
    }

    private void Append(byte b)
    {
        if (_discarding) return;
        _text.Add(b);
        if (_text.Count > MaxText) Refuse($"JSON message size limit exceeded (at most {MaxText} bytes)");
    }

    private void Refuse(string error)
    {
        if (_discarding) return;
        _done.Add(new JsonPiece([], error));
        _discarding = true;
        _text.Clear();
    }

    private void Complete()
    {
        if (!_discarding) _done.Add(new JsonPiece(_text.ToArray()));
        _discarding = false;
        _text.Clear();
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
