using System.Buffers;
using System.Text;
using System.Text.Json;
using IpcContracts.Connections;

namespace IpcContracts.Untyped;

/// <summary>
/// The checks the untyped path makes in place of the typed parsers: an untyped handler receives only a strict
/// JSON object (docs/protocol.md, 5.1) and may answer only with one strict JSON value (5.2), so untyped and typed
/// peers see the same payload rules.
/// </summary>
internal static class RawJson
{
    /// <summary>The call handed to an untyped handler; throws a <c>bad_payload</c> failure for arguments that are not one JSON object.</summary>
    public static RawCall CallFor(RawHandlerEntry raw, InboundRequest request)
    {
        var payload = request.Payload;
        if (ObjectError(payload) is { } error)
            throw new IpcProtocolException(ProtocolError.BadPayload, $"Malformed call payload for {raw.ContractAlias}.{raw.Method}: {error}.") { IsDispatchFailure = true };
        return new RawCall(raw.ContractAlias, raw.Method, Encoding.UTF8.GetString(payload), request.CancellationToken, request.Connection);
    }

    /// <summary>Null when <paramref name="payload"/> is exactly one JSON object (whitespace around it allowed); otherwise what is wrong.</summary>
    internal static string? ObjectError(in ReadOnlySequence<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read()) return "the payload is empty, not a JSON object";
            if (reader.TokenType != JsonTokenType.StartObject) return $"the arguments are a JSON {reader.TokenType}, not an object";
            reader.Skip();
            return reader.Read() ? "more than one JSON value" : null;
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }

    /// <summary>Null when <paramref name="json"/> is exactly one JSON value (whitespace around it allowed); otherwise what is wrong.</summary>
    public static string? ValueError(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read()) return "it is empty";
            reader.Skip();
            return reader.Read() ? "more than one JSON value" : null;
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }
}
