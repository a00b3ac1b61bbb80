using System.Text.Json.Serialization;

namespace IpcContracts.Protocol;

/// <summary>Payload of a Hello frame: what the sender knows, handles and subscribes to (docs/protocol.md).</summary>
public sealed class Manifest
{
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
public sealed class ManifestContract
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
public sealed class ManifestMethod
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
public sealed class ErrorPayload
{
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
}

/// <summary>Values of <see cref="ErrorPayload.Code"/>.</summary>
public static class ErrorCodes
{
    /// <summary>The handler threw; the caller gets <see cref="RemoteInvocationException"/>.</summary>
    public const string Remote = "remote";
    /// <summary>No handler or a different shape; the caller gets <see cref="ContractMismatchException"/>.</summary>
    public const string Mismatch = "mismatch";
    /// <summary>The request payload did not parse; the caller gets <see cref="IpcProtocolException"/>.</summary>
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
