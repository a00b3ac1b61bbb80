using System.Buffers;
using System.Text.Json;

namespace IpcContracts.Nats;

/// <summary>
/// This process's own manifest (the Hello payload its connection sends, docs/protocol.md section 4.1), kept by the
/// transport: which request contracts to serve, which fingerprints to check, and what to answer manifest requests
/// with. It also writes the Hello the broker "sends" back: the peer a NATS connection talks to is the broker.
/// </summary>
internal sealed class BrokerManifest
{
    public const int RequestKind = 1, EventKind = 2;

    private readonly Dictionary<uint, Contract> _contracts = [];

    private BrokerManifest(byte[] json) => Json = json;

    /// <summary>The Hello payload as this process sent it (served on the manifest subjects).</summary>
    public byte[] Json { get; }

    public IEnumerable<Contract> Contracts => _contracts.Values;

    public uint[] Subscribes { get; private set; } = [];

    /// <summary>Aggregator request types this process answers (<c>busHandles</c>), by request message type ID.</summary>
    public IReadOnlyDictionary<uint, Method> BusHandles => _busHandles;

    /// <summary>Aggregator message types this process had subscribers for at handshake time (<c>busSubscribes</c>).</summary>
    public uint[] BusSubscribes { get; private set; } = [];

    private readonly Dictionary<uint, Method> _busHandles = [];

    internal sealed record Method(uint Id, string Name, ulong Fingerprint, string Signature);

    internal sealed class Contract(uint id, string alias, int kind, bool handled, JsonElement element)
    {
        public uint Id { get; } = id;
        public string Alias { get; } = alias;
        public int Kind { get; } = kind;
        public bool Handled { get; } = handled;
        public JsonElement Element { get; } = element;
        public Dictionary<uint, Method> Methods { get; } = [];
    }

    /// <summary>Parses a manifest; throws <see cref="JsonException"/> or <see cref="InvalidOperationException"/> on a malformed one.</summary>
    public static BrokerManifest Parse(in ReadOnlySequence<byte> payload)
    {
        var manifest = new BrokerManifest(payload.ToArray());
        using var doc = JsonDocument.Parse(manifest.Json);
        var root = doc.RootElement;
        if (root.TryGetProperty("contracts", out var contracts))
        {
            foreach (var c in contracts.EnumerateArray())
            {
                var contract = new Contract(c.GetProperty("id").GetUInt32(), c.GetProperty("alias").GetString() ?? "",
                    c.TryGetProperty("kind", out var kind) ? kind.GetInt32() : 0,
                    c.TryGetProperty("handled", out var handled) && handled.GetBoolean(), c.Clone());
                if (c.TryGetProperty("methods", out var methods))
                {
                    foreach (var m in methods.EnumerateArray())
                    {
                        var method = ReadMethod(m);
                        contract.Methods[method.Id] = method;
                    }
                }
                manifest._contracts.TryAdd(contract.Id, contract);
            }
        }
        if (root.TryGetProperty("subscribes", out var subscribes))
            manifest.Subscribes = [.. subscribes.EnumerateArray().Select(e => e.GetUInt32())];
        if (root.TryGetProperty("busHandles", out var busHandles))
        {
            foreach (var m in busHandles.EnumerateArray())
            {
                var method = ReadMethod(m);
                manifest._busHandles[method.Id] = method;
            }
        }
        if (root.TryGetProperty("busSubscribes", out var busSubscribes))
            manifest.BusSubscribes = [.. busSubscribes.EnumerateArray().Select(e => e.GetUInt32())];
        return manifest;
    }

    private static Method ReadMethod(JsonElement m) =>
        new(m.GetProperty("id").GetUInt32(), m.GetProperty("name").GetString() ?? "",
            m.TryGetProperty("fp", out var fp) ? fp.GetUInt64() : 0, m.TryGetProperty("sig", out var sig) ? sig.GetString() ?? "" : "");

    public Contract? Find(uint contractId) => _contracts.GetValueOrDefault(contractId);

    public Method? Find(uint contractId, uint methodId) => Find(contractId)?.Methods.GetValueOrDefault(methodId);

    public string AliasOf(uint contractId) => Find(contractId)?.Alias ?? $"0x{contractId:X8}";

    /// <summary>
    /// The Hello of the broker peer. It lists every contract this process knows:
    /// <list type="bullet">
    /// <item>a request contract some process served when asked (<paramref name="served"/>) with that process's entry
    /// (its methods and fingerprints), so a call with another shape fails before it is sent;</item>
    /// <item>any other request contract as handled, with fingerprint 0 ("not known yet") for each method: the call is
    /// sent, and either nobody serves it (NATS no-responders, answered as <c>mismatch</c>) or the serving process
    /// checks the caller's fingerprint (header <c>Ipc-Fp</c>) before its handler runs;</item>
    /// <item>event contracts with fingerprint 0: each subscriber checks the publisher's fingerprint per event.</item>
    /// <item>in <c>busHandles</c>, the entry of a process that answered <c>P.bus.manifest.T</c> for an aggregator request
    /// type (<paramref name="busServed"/>), so the core checks the response type (bus fingerprint) before sending.</item>
    /// </list>
    /// The broker "subscribes" to every event contract this process knows and to every aggregator message type registered
    /// in it (<paramref name="busTypes"/>), so each event is published once to NATS, which fans it out to whoever
    /// subscribed (or drops it when nobody did).
    /// </summary>
    public byte[] BuildPeerHello(string name, IReadOnlyDictionary<uint, JsonElement> served, IReadOnlyDictionary<uint, JsonElement> busServed,
        IEnumerable<uint> busTypes)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("protocol", 1);
            w.WriteString("name", name);
            w.WriteStartArray("contracts");
            foreach (var c in _contracts.Values)
            {
                if (served.TryGetValue(c.Id, out var entry))
                {
                    entry.WriteTo(w);
                    continue;
                }
                w.WriteStartObject();
                w.WriteNumber("id", c.Id);
                w.WriteString("alias", c.Alias);
                w.WriteNumber("kind", c.Kind);
                w.WriteBoolean("handled", c.Kind == RequestKind);
                w.WriteStartArray("methods");
                foreach (var m in c.Methods.Values)
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", m.Id);
                    w.WriteString("name", m.Name);
                    w.WriteNumber("fp", 0UL);
                    w.WriteString("sig", m.Signature);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("subscribes");
            foreach (var c in _contracts.Values)
                if (c.Kind == EventKind) w.WriteNumberValue(c.Id);
            w.WriteEndArray();
            w.WriteStartArray("busHandles");
            foreach (var entry in busServed.Values) entry.WriteTo(w);
            w.WriteEndArray();
            w.WriteStartArray("busSubscribes");
            foreach (var id in busTypes) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The entry for <paramref name="contractId"/> in another process's manifest, if it serves that contract.</summary>
    public static JsonElement? ServedEntry(byte[] manifestJson, uint contractId)
    {
        using var doc = JsonDocument.Parse(manifestJson);
        if (!doc.RootElement.TryGetProperty("contracts", out var contracts)) return null;
        foreach (var c in contracts.EnumerateArray())
        {
            if (c.TryGetProperty("id", out var id) && id.GetUInt32() == contractId && c.TryGetProperty("handled", out var handled) && handled.GetBoolean())
                return c.Clone();
        }
        return null;
    }

    /// <summary>The <c>busHandles</c> entry for <paramref name="typeId"/> in another process's manifest, if it answers that request type.</summary>
    public static JsonElement? ServedBusEntry(byte[] manifestJson, uint typeId)
    {
        using var doc = JsonDocument.Parse(manifestJson);
        if (!doc.RootElement.TryGetProperty("busHandles", out var handles)) return null;
        foreach (var h in handles.EnumerateArray())
        {
            if (h.TryGetProperty("id", out var id) && id.GetUInt32() == typeId) return h.Clone();
        }
        return null;
    }
}
