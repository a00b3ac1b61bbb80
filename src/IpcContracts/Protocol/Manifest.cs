using System.Buffers;
using System.Text.Json.Serialization;
using IpcContracts.Connections;

namespace IpcContracts.Protocol;

/// <summary>Payload of a Hello frame: what the sender knows, handles and subscribes to (docs/protocol.md).</summary>
internal sealed class Manifest
{
    /// <summary>
    /// Reads a Hello payload: one strict JSON object in which no property or array element is <c>null</c>.
    /// The JSON parser lets <c>null</c> through to properties the runtime dereferences, so everything is
    /// checked here, once, and a bad manifest becomes a <see cref="ProtocolError.BadPayload"/> protocol error
    /// that names the offending property instead of a NullReferenceException deep in the connection.
    /// </summary>
    internal static Manifest Parse(in ReadOnlySequence<byte> payload)
    {
        var manifest = PayloadJson.Read(payload, ProtocolJson.Default.Manifest, "Hello manifest")
            ?? throw Invalid("the payload is not a JSON object (it is null)");
        if (manifest.Name is null) throw Null("name");
        if (manifest.Contracts is null) throw Null("contracts");
        for (var i = 0; i < manifest.Contracts.Count; i++)
        {
            var c = manifest.Contracts[i] ?? throw Null($"contracts[{i}]");
            if (c.Alias is null) throw Null($"contracts[{i}].alias");
            if (c.Methods is null) throw Null($"contracts[{i}].methods");
            for (var j = 0; j < c.Methods.Count; j++) CheckMethod(c.Methods[j], $"contracts[{i}].methods[{j}]");
        }
        if (manifest.Subscribes is null) throw Null("subscribes");
        if (manifest.BusHandles is null) throw Null("busHandles");
        for (var i = 0; i < manifest.BusHandles.Count; i++) CheckMethod(manifest.BusHandles[i], $"busHandles[{i}]");
        if (manifest.BusSubscribes is null) throw Null("busSubscribes");
        return manifest;
    }

    private static void CheckMethod(ManifestMethod? method, string path)
    {
        if (method is null) throw Null(path);
        if (method.Name is null) throw Null(path + ".name");
        if (method.Signature is null) throw Null(path + ".sig");
    }

    private static IpcProtocolException Null(string path) =>
        Invalid($"'{path}' is null (leave a property out to get its default; null is not allowed anywhere in a manifest)");

    private static IpcProtocolException Invalid(string detail) =>
        new(ProtocolError.BadPayload, "Payload is not a valid Hello manifest: " + detail + ".");

    /// <summary>Protocol version the sender speaks (same as the header's).</summary>
    [JsonPropertyName("protocol")] public int Protocol { get; set; }

    /// <summary>Free-form name of the sending process.</summary>
    [JsonPropertyName("name")] public string Name { get; set; } = "";

    /// <summary>Every contract the sender knows, with a flag for the request contracts it handles.</summary>
    [JsonPropertyName("contracts")] public List<ManifestContract> Contracts { get; set; } = [];

    /// <summary>Event contract IDs the sender wants events of, at handshake time.</summary>
    [JsonPropertyName("subscribes")] public List<uint> Subscribes { get; set; } = [];

    /// <summary>Aggregator request types the sender answers.</summary>
    [JsonPropertyName("busHandles")] public List<ManifestMethod> BusHandles { get; set; } = [];

    /// <summary>Aggregator message type IDs the sender wants, at handshake time.</summary>
    [JsonPropertyName("busSubscribes")] public List<uint> BusSubscribes { get; set; } = [];
}

/// <summary>One contract in a manifest.</summary>
internal sealed class ManifestContract
{
    /// <summary>Contract wire ID.</summary>
    [JsonPropertyName("id")] public uint Id { get; set; }
    /// <summary>Contract alias.</summary>
    [JsonPropertyName("alias")] public string Alias { get; set; } = "";
    /// <summary>1 = request, 2 = event.</summary>
    [JsonPropertyName("kind")] public ContractKind Kind { get; set; }
    /// <summary>True when the sender has a handler for this request contract.</summary>
    [JsonPropertyName("handled")] public bool Handled { get; set; }
    /// <summary>The methods.</summary>
    [JsonPropertyName("methods")] public List<ManifestMethod> Methods { get; set; } = [];
}

/// <summary>One method (or aggregator request type) in a manifest.</summary>
internal sealed class ManifestMethod
{
    /// <summary>Method wire ID.</summary>
    [JsonPropertyName("id")] public uint Id { get; set; }
    /// <summary>Method alias.</summary>
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    /// <summary>Shape fingerprint; 0 means "untyped, accepts any shape".</summary>
    [JsonPropertyName("fp")] public ulong Fingerprint { get; set; }
    /// <summary>Canonical signature text the fingerprint was computed from.</summary>
    [JsonPropertyName("sig")] public string Signature { get; set; } = "";
}

/// <summary>Payload of an Error frame.</summary>
internal sealed class ErrorPayload
{
    /// <summary>
    /// Reads an Error payload (one strict JSON object). Absent or <c>null</c> texts are read as their
    /// defaults (<c>code</c> = <c>remote</c>, <c>type</c> and <c>message</c> = empty), so the exception a caller
    /// gets always has them; anything that is not a JSON object throws <see cref="IpcProtocolException"/>.
    /// </summary>
    internal static ErrorPayload Parse(in ReadOnlySequence<byte> payload)
    {
        var error = PayloadJson.Read(payload, ProtocolJson.Default.ErrorPayload, "Error payload")
            ?? throw new IpcProtocolException(ProtocolError.BadPayload, "Payload is not a valid Error payload: it is null, not a JSON object.");
        error.Code ??= ErrorCodes.Remote;
        error.Type ??= "";
        error.Message ??= "";
        return error;
    }

    /// <summary>Machine-readable error code (see <see cref="ErrorCodes"/>).</summary>
    [JsonPropertyName("code")] public string Code { get; set; } = ErrorCodes.Remote;
    /// <summary>Full name of the exception type raised on the sender.</summary>
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    /// <summary>Exception message.</summary>
    [JsonPropertyName("message")] public string Message { get; set; } = "";
    /// <summary>Stack trace text, when the sender includes it.</summary>
    [JsonPropertyName("stack")] public string? Stack { get; set; }
    /// <summary>Contract alias concerned, for mismatch errors.</summary>
    [JsonPropertyName("contract")] public string? Contract { get; set; }
    /// <summary>Method alias concerned, for mismatch errors.</summary>
    [JsonPropertyName("method")] public string? Method { get; set; }
    /// <summary>
    /// Code <c>remote</c> only: the application's error code the handler gave its exception (<see cref="IpcErrorException"/>,
    /// <see cref="IIpcError"/>); absent for an exception without one. Peers that predate it skip it (unknown members are skipped).
    /// </summary>
    [JsonPropertyName("errorCode")] public string? ErrorCode { get; set; }
}

/// <summary>Values of <see cref="ErrorPayload.Code"/>.</summary>
internal static class ErrorCodes
{
    /// <summary>
    /// The handler threw, including IpcContracts exceptions from its own outbound calls; the caller gets
    /// <see cref="RemoteInvocationException"/>.
    /// </summary>
    public const string Remote = "remote";
    /// <summary>This request could not be dispatched (no handler, unknown method); the caller gets <see cref="ContractMismatchException"/>.</summary>
    public const string Mismatch = "mismatch";
    /// <summary>This request's own payload did not parse; the caller gets <see cref="IpcProtocolException"/>.</summary>
    public const string BadPayload = "bad_payload";
    /// <summary>The peer has too many requests from this connection in flight; the caller gets <see cref="IpcOverloadedException"/>.</summary>
    public const string Overloaded = "overloaded";
    /// <summary>The handler observed cancellation.</summary>
    public const string Cancelled = "cancelled";
    /// <summary>A connection-level protocol violation (correlation ID 0); the sender closes the connection.</summary>
    public const string Protocol = "protocol";
}

[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Default, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(ErrorPayload))]
internal sealed partial class ProtocolJson : JsonSerializerContext;
