using System.Collections.Concurrent;
using IpcContracts.Transports;

namespace IpcContracts.Nats;

/// <summary>
/// <c>nats://HOST:PORT[/PREFIX]</c>: the broker's URL and the subject prefix under which one system's subjects live
/// (several systems can share a broker under different prefixes). Subjects, with contract IDs as 8 upper-case hex digits:
/// <c>P.req.C</c> requests (queue group <c>ipc</c>), <c>P.manifest.C</c> manifests (same queue group),
/// <c>P.evt.C.F</c> events of contract C from a sender whose method shape has fingerprint F (16 upper-case hex digits;
/// subscribed as <c>P.evt.C.*</c>), <c>P.cancel</c> cancels, <c>P.reply.INSTANCE.CORRELATION</c> replies to one connection,
/// <c>P.up.INSTANCE</c> argument-stream items for the calls one connection is handling;
/// aggregator messages by message type ID T: <c>P.bus.req.T</c>, <c>P.bus.manifest.T</c>, <c>P.bus.evt.T</c>.
/// </summary>
internal sealed class NatsAddress
{
    public const string QueueGroup = "ipc";

    private NatsAddress(string url, string prefix)
    {
        Url = url;
        Prefix = prefix;
        Cancel = prefix + ".cancel";
        Credit = prefix + ".credit";
    }

    public string Url { get; }
    public string Prefix { get; }
    public string Cancel { get; }
    public string Credit { get; }

    // The subjects every request and event is published to are kept once made: one string per contract or message type,
    // not one per message. Only IDs of this process's own frames (its contracts, its registered message types) get here.
    private readonly ConcurrentDictionary<uint, string> _requests = new(), _events = new(), _busRequests = new(), _busEvents = new();
    private readonly ConcurrentDictionary<(uint Contract, ulong Fingerprint), string> _eventsByShape = new();

    public string Request(uint contractId) => _requests.GetOrAdd(contractId, static (id, prefix) => $"{prefix}.req.{id:X8}", Prefix);
    public string Manifest(uint contractId) => $"{Prefix}.manifest.{contractId:X8}";
    /// <summary><c>P.evt.C.*</c>: every event of contract C, whatever the sender's shape (a subscription, a stream's subject).</summary>
    public string Events(uint contractId) => _events.GetOrAdd(contractId, static (id, prefix) => $"{prefix}.evt.{id:X8}.*", Prefix);

    /// <summary>
    /// <c>P.evt.C.F</c>: where an event of contract C goes from a sender whose shape of its method has fingerprint F. The
    /// fingerprint travels in the subject instead of a header, so an ordinary event is a message without a header block.
    /// </summary>
    public string Event(uint contractId, ulong fingerprint) =>
        _eventsByShape.GetOrAdd((contractId, fingerprint), static (key, prefix) => $"{prefix}.evt.{key.Contract:X8}.{key.Fingerprint:X16}", Prefix);

    /// <summary>The fingerprint F of an event subject <c>P.evt.C.F</c> (its last token, 16 hex digits); false for any other subject.</summary>
    public static bool TryEventFingerprint(string subject, out ulong fingerprint)
    {
        // By hand: this runs for every event received, and the general hexadecimal parser costs several times more.
        fingerprint = 0;
        if (subject.Length < 18 || subject[^17] != '.') return false;
        ulong value = 0;
        foreach (var c in subject.AsSpan(subject.Length - 16))
        {
            var digit = HexDigit(c);
            if (digit < 0) return false;
            value = value << 4 | (uint)digit;
        }
        fingerprint = value;
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };
    // Aggregator messages (docs/protocol.md section 3.3) are keyed by message type ID T, not contract ID: under the token
    // "bus", which is never a contract subject's second token, so a type ID equal to some contract ID cannot collide.
    public string BusRequest(uint typeId) => _busRequests.GetOrAdd(typeId, static (id, prefix) => $"{prefix}.bus.req.{id:X8}", Prefix);
    public string BusManifest(uint typeId) => $"{Prefix}.bus.manifest.{typeId:X8}";
    public string BusEvent(uint typeId) => _busEvents.GetOrAdd(typeId, static (id, prefix) => $"{prefix}.bus.evt.{id:X8}", Prefix);
    public string Replies(string instance) => ReplyStem(instance) + "*";
    public string Reply(string instance, ulong correlationId) => ReplyFromStem(ReplyStem(instance), correlationId);

    /// <summary><c>P.reply.I.</c>: what every reply subject of instance I starts with; a connection keeps it for <see cref="ReplyFromStem"/>.</summary>
    public string ReplyStem(string instance) => $"{Prefix}.reply.{instance}.";

    /// <summary><c>P.reply.I.N</c> from the instance's <see cref="ReplyStem"/>: one string per call, nothing else allocated.</summary>
    public static string ReplyFromStem(string stem, ulong correlationId)
    {
        Span<char> digits = stackalloc char[20];
        correlationId.TryFormat(digits, out var length, default, System.Globalization.CultureInfo.InvariantCulture);
        return string.Concat(stem.AsSpan(), digits[..length]);
    }
    public string Callbacks(string instance) => $"{Prefix}.cb.{instance}";
    public string Upstream(string instance) => $"{Prefix}.up.{instance}";

    /// <summary>True for <c>P.up.I</c> with I as 32 hex digits: the only reply-to a caller sends its argument stream to.</summary>
    public bool IsUpstream(string subject) =>
        subject.Length == Prefix.Length + 4 + 32 && subject.StartsWith(Prefix + ".up.", StringComparison.Ordinal)
        && subject.AsSpan(Prefix.Length + 4).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>The instance ID in a reply subject <c>P.reply.I.N</c>.</summary>
    public string? InstanceOf(string replySubject)
    {
        var end = replySubject.LastIndexOf('.');
        var start = end > 0 ? replySubject.LastIndexOf('.', end - 1) : -1;
        return start >= 0 && replySubject.StartsWith(Prefix + ".reply.", StringComparison.Ordinal) ? replySubject[(start + 1)..end] : null;
    }

    public string Acks(string instance) => $"{Prefix}.ack.{instance}.*";
    public string Ack(string instance, ulong sequence) => $"{Prefix}.ack.{instance}.{sequence}";

    /// <summary>
    /// The JetStream stream that stores contract C's durable events (subjects <c>P.evt.C.*</c>): <c>IPC_C_P</c> with the
    /// prefix's dots as <c>~</c> (a stream name has no dots; <c>~</c> is not a prefix character, so names stay distinct).
    /// </summary>
    public string Stream(uint contractId) => $"IPC_{contractId:X8}_{Prefix.Replace('.', '~')}";

    public override string ToString() => $"{Url} (subjects {Prefix}.*)";

    /// <exception cref="IpcConfigurationException">The address is not HOST:PORT[/PREFIX] or the prefix is not a valid subject.</exception>
    public static NatsAddress Parse(IpcEndpoint endpoint, string defaultPrefix)
    {
        var address = endpoint.Address;
        var slash = address.IndexOf('/');
        var hostPort = slash < 0 ? address : address[..slash];
        var prefix = slash < 0 ? defaultPrefix : address[(slash + 1)..];
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(hostPort.AsSpan(colon + 1), out var port) || port == 0)
            throw new IpcConfigurationException($"'{endpoint}' is not a NATS endpoint. Use nats://HOST:PORT or nats://HOST:PORT/PREFIX (e.g. nats://127.0.0.1:4222/shop).");
        CheckPrefix(prefix, endpoint.ToString());
        return new NatsAddress($"nats://{hostPort}", prefix);
    }

    /// <summary>Subject tokens of letters, digits, <c>-</c> and <c>_</c> joined by dots: no wildcards, no spaces.</summary>
    internal static void CheckPrefix(string prefix, string where)
    {
        var ok = prefix.Length > 0;
        foreach (var token in prefix.Split('.'))
            ok &= token.Length > 0 && token.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_');
        if (!ok)
            throw new IpcConfigurationException(
                $"'{prefix}' ({where}) is not a valid NATS subject prefix: use tokens of letters, digits, '-' and '_' joined by '.', e.g. 'shop' or 'plant-1.ipc'.");
    }
}
