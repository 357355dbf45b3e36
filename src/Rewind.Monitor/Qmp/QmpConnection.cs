using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rewind.Monitor.Qmp;

/// <summary>
/// One QMP client: greeting, capabilities negotiation, then commands and events (qmp-spec). Replies
/// carry the request's "id"; malformed input gets an error reply and the connection stays usable.
/// No input ends the connection or the process: oversized or too deeply nested messages are refused
/// (see <see cref="JsonStreamSplitter"/>), and anything a command throws becomes a GenericError.
/// </summary>
public sealed class QmpConnection(Stream stream, QmpCommands commands, TextWriter? log = null)
{
    private readonly object _writeLock = new();
    private volatile bool _negotiated;
    private volatile bool _closed;

    public bool Negotiated => _negotiated;

    /// <summary>Serves the client until it disconnects.</summary>
    public void Run()
    {
        Send(QmpCommands.Greeting());
        var splitter = new JsonStreamSplitter();
        var buffer = new byte[4096];
        try
        {
            int n;
            while (!_closed && (n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                foreach (var piece in splitter.Feed(buffer.AsSpan(0, n)))
                    HandleSafely(piece);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
        finally
        {
            _closed = true;
        }
    }

    /// <summary>Sends an event, once the client has negotiated capabilities (QEMU holds them back until then).</summary>
    public void SendEvent(JsonObject message)
    {
        if (_negotiated) Send(message);
    }

    /// <summary>Handles one piece of input; whatever goes wrong is answered, logged, and the session goes on.</summary>
    private void HandleSafely(JsonPiece piece)
    {
        try
        {
            if (piece.Error != null)
            {
                log?.WriteLine($"qmp: input refused: {piece.Error}");
                SendError(null, QmpException.Generic(piece.Error));
                return;
            }
            Handle(piece.Text);
        }
        catch (Exception e) when (e is not (IOException or ObjectDisposedException))
        {
            log?.WriteLine($"qmp: request failed: {e}");
            SendError(null, QmpException.Generic($"internal error: {e.GetType().Name}: {OneLine(e.Message)}"));
        }
    }

    private void Handle(byte[] text)
    {
        JsonNode? request;
        try
        {
            request = QmpJson.Parse(text);
        }
        catch (QmpException e)
        {
            SendError(null, e);
            return;
        }
        if (request is not JsonObject obj)
        {
            SendError(null, QmpException.Generic("QMP input must be a JSON object"));
            return;
        }
        // The parsed tree is private to this request; replies get their own copies of the id.
        JsonNode? id = obj["id"];
        Action? after = null;
        try
        {
            var (name, arguments) = Validate(obj);
            JsonNode result;
            if (!_negotiated)
            {
                if (name != "qmp_capabilities")
                    throw new QmpException("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
                QmpCommands.NegotiateCapabilities(arguments);
                result = new JsonObject();
                _negotiated = true;
            }
            else
            {
                var r = commands.Execute(name, arguments);
                result = r.Return;
                after = r.After;
            }
            var reply = new JsonObject { ["return"] = result.Parent == null ? result : result.DeepClone() };
            if (id != null) reply["id"] = id.DeepClone();
            Send(reply);
        }
        catch (QmpException e)
        {
            SendError(id, e);
        }
        catch (Exception e) when (e is not (IOException or ObjectDisposedException))
        {
            log?.WriteLine($"qmp: command failed: {e}");
            SendError(id, QmpException.Generic($"internal error: {e.GetType().Name}: {OneLine(e.Message)}"));
        }
        after?.Invoke();
    }

    private static (string Name, JsonObject Arguments) Validate(JsonObject obj)
    {
        string? name = null;
        bool oob = false;
        JsonObject arguments = [];
        foreach (var (key, value) in obj)
        {
            switch (key)
            {
                case "execute":
                case "exec-oob":
                    if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                        throw QmpException.Generic($"QMP input member '{key}' must be a string");
                    if (name != null) throw QmpException.Generic("QMP input must not have both 'execute' and 'exec-oob'");
                    name = v.GetValue<string>();
                    oob = key == "exec-oob";
                    break;
                case "arguments":
                    if (value is not JsonObject args) throw QmpException.Generic("QMP input member 'arguments' must be an object");
                    arguments = args;
                    break;
                case "id":
                    break;
                default:
                    throw QmpException.Generic($"QMP input member '{key}' is unexpected");
            }
        }
        if (name == null) throw QmpException.Generic("QMP input lacks member 'execute'");
        if (oob) throw QmpException.Generic($"The command {name} does not support OOB");
        return (name, arguments);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    private void SendError(JsonNode? id, QmpException e)
    {
        var reply = new JsonObject
        {
            ["error"] = new JsonObject { ["class"] = e.ErrorClass, ["desc"] = e.Message },
        };
        if (id != null) reply["id"] = id.DeepClone();
        Send(reply);
    }

    private void Send(JsonObject message)
    {
        string line;
        try
        {
            line = QmpJson.Write(message);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // A reply that cannot be written (say, text that is not valid UTF-16) still gets an answer.
            log?.WriteLine($"qmp: reply could not be written: {e.Message}");
            line = QmpJson.Write(new JsonObject
            {
                ["error"] = new JsonObject { ["class"] = "GenericError", ["desc"] = "internal error: the reply could not be encoded" },
            });
        }
        byte[] bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        lock (_writeLock)
        {
            if (_closed) return;
            try
            {
                stream.Write(bytes);
                stream.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _closed = true;
            }
        }
    }

    public void Close()
    {
        _closed = true;
        try
        {
            stream.Dispose();
        }
        catch (IOException)
        {
        }
    }
}
