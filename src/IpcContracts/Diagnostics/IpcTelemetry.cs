using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using IpcContracts.Connections;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using Microsoft.Extensions.Logging;

namespace IpcContracts.Diagnostics;

/// <summary>
/// Spans, metrics and logs of the runtime. The connection core calls these hooks; each one returns at
/// once (no allocation) when nobody listens to the <see cref="ActivitySource"/> or the instruments.
/// </summary>
internal static class IpcTelemetry
{
    // Connections added to the open-connections instrument, so each is removed exactly once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<IpcConnection, byte> s_counted = new();

    public static readonly ActivitySource Source = new(IpcDiagnostics.ActivitySourceName, Version);
    public static readonly Meter Meter = new(IpcDiagnostics.MeterName, Version);

    public static readonly Histogram<double> ClientDuration = Meter.CreateHistogram<double>(IpcDiagnostics.Instruments.ClientCallDuration, "s",
        "Duration of outbound calls, from sending the request to reading the reply.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    public static readonly Histogram<double> ServerDuration = Meter.CreateHistogram<double>(IpcDiagnostics.Instruments.ServerCallDuration, "s",
        "Duration of inbound calls, from reading the request to queuing the reply.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    public static readonly Counter<long> Calls = Meter.CreateCounter<long>(IpcDiagnostics.Instruments.Calls, "{call}", "Completed calls.");
    public static readonly Counter<long> Errors = Meter.CreateCounter<long>(IpcDiagnostics.Instruments.CallErrors, "{call}", "Calls that failed.");
    public static readonly UpDownCounter<long> Active = Meter.CreateUpDownCounter<long>(IpcDiagnostics.Instruments.ActiveCalls, "{call}", "Calls in flight.");
    public static readonly Counter<long> Events = Meter.CreateCounter<long>(IpcDiagnostics.Instruments.Events, "{event}", "Events published and received.");
    public static readonly Counter<long> BytesSentCounter = Meter.CreateCounter<long>(IpcDiagnostics.Instruments.BytesSent, "By", "Frame bytes queued for sending.");
    public static readonly Counter<long> BytesReceivedCounter = Meter.CreateCounter<long>(IpcDiagnostics.Instruments.BytesReceived, "By", "Frame bytes read.");
    public static readonly UpDownCounter<long> Connections = Meter.CreateUpDownCounter<long>(IpcDiagnostics.Instruments.Connections, "{connection}",
        "Connections whose handshake completed and that are still open.");

    // Local calls take microseconds; the default OpenTelemetry buckets start at 5 ms.
    private static double[] DurationBuckets => [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
        0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static string Version => typeof(IpcTelemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    private static bool CallMetricsEnabled(bool server) =>
        (server ? ServerDuration.Enabled : ClientDuration.Enabled) || Calls.Enabled || Errors.Enabled || Active.Enabled;

    // ---- calls ---------------------------------------------------------------------------------------

    /// <summary>
    /// Starts the client span (made current, so the Request frame carries it) and the call's metrics. Dispose
    /// the scope right after the frame is built: the caller's own Activity.Current must not change.
    /// </summary>
    public static ActivityScope StartClientCall(IpcConnection connection, PendingCall call, string service, string method)
    {
        var tracing = Source.HasListeners();
        if (!tracing && !CallMetricsEnabled(server: false)) return default;
        var previous = Activity.Current;
        Activity? activity = null;
        if (tracing)
        {
            activity = Source.StartActivity(SpanName(service, method), ActivityKind.Client);
            if (activity is { IsAllDataRequested: true }) SetRpcTags(activity, service, method, connection, client: true);
        }
        call.Telemetry = new CallTelemetry(activity, service, method, server: false);
        return new ActivityScope(previous, activity is not null);
    }

    /// <summary>
    /// Starts the server span of an inbound request (child of the caller's span when the frame carried one,
    /// else a new trace) and makes it current while the handler is dispatched.
    /// </summary>
    public static ActivityScope StartServerCall(IpcConnection connection, InboundRequest request, in FrameHeader header, in ActivityContext parent)
    {
        var tracing = Source.HasListeners();
        if (!tracing && !CallMetricsEnabled(server: true)) return default;
        var (service, method) = ResolveNames(connection, header);
        var previous = Activity.Current;
        Activity? activity = null;
        if (tracing)
        {
            // The reader's own Activity.Current (flowed from whoever opened the connection) is no parent of this call.
            Activity.Current = null;
            activity = Source.StartActivity(SpanName(service, method), ActivityKind.Server, parent);
            if (activity is { IsAllDataRequested: true }) SetRpcTags(activity, service, method, connection, client: false);
            if (activity is null) Activity.Current = previous;
        }
        request.Telemetry = new CallTelemetry(activity, service, method, server: true);
        return new ActivityScope(previous, activity is not null);
    }

    /// <summary>Logs a failed inbound call at a level that fits its cause (no payload contents).</summary>
    public static void HandlerFailed(IpcConnection connection, in FrameHeader header, Exception error, bool cancelled)
    {
        if (connection.Options.Logger is not { } logger) return;
        if (cancelled)
        {
            if (!logger.IsEnabled(LogLevel.Debug)) return;
            var (s, m) = ResolveNames(connection, header);
            Log.HandlerCancelled(logger, s, m, header.CorrelationId, connection.PeerDescription);
            return;
        }
        // Same split as the Error code: only the request's own dispatch failing is a rejected call.
        if (error is IpcException { IsDispatchFailure: true })
        {
            if (!logger.IsEnabled(LogLevel.Warning)) return;
            var (s, m) = ResolveNames(connection, header);
            Log.CallRejected(logger, s, m, header.CorrelationId, connection.PeerDescription, error.Message);
            return;
        }
        // The same test decides whether the error goes out with a code, so log and wire agree on what a domain error is.
        var code = ErrorFrames.CodeOf(error);
        var level = code is null ? connection.Options.UnexpectedErrorLogLevel : connection.Options.DomainErrorLogLevel;
        if (level == LogLevel.None || !logger.IsEnabled(level)) return;
        var (service, method) = ResolveNames(connection, header);
        if (code is null)
            Log.HandlerFailed(logger, level, error, service, method, header.CorrelationId, connection.PeerDescription);
        else
            Log.HandlerDomainError(logger, level, service, method, code, header.CorrelationId, connection.PeerDescription, error.GetType().FullName ?? "", error.Message);
    }

    // ---- events and outbound frames ------------------------------------------------------------------

    /// <summary>
    /// Called by the frame builder before it writes a payload: says which span's context a Request or Event carries
    /// (the framing writes the prefix, <see cref="Protocol.TraceContextPrefix"/>). An Event also gets a producer span
    /// (once per publish, however many peers it fans out to) and counts as published.
    /// </summary>
    public static OutboundTrace BeginOutbound(in FrameHeaderTemplate header)
    {
        if (header.Kind == FrameKind.Request) return new OutboundTrace(Activity.Current, null, null);
        if (header.Kind != FrameKind.Event) return default;

        Activity? producer = null;
        var previous = Activity.Current;
        if (Events.Enabled || Source.HasListeners())
        {
            var (service, method) = EventNames((header.Flags & FrameFlags.Bus) != 0, (header.Flags & FrameFlags.Bus) != 0 ? header.MethodId : header.ContractId, header.MethodId);
            if (Events.Enabled) Events.Add(1, RpcTags(service, method, "publish"));
            producer = Source.StartActivity(SpanName(service, method), ActivityKind.Producer);
            if (producer is { IsAllDataRequested: true }) SetRpcTags(producer, service, method, null, client: true);
        }
        return new OutboundTrace(producer ?? previous, producer, previous);
    }

    /// <summary>Starts the consumer span of a received event (child of the publisher's span) and counts it.</summary>
    public static EventScope StartEventReceive(IpcConnection connection, SubscriptionKey key, uint methodId, in ActivityContext parent)
    {
        var tracing = Source.HasListeners();
        if (!tracing && !Events.Enabled) return default;
        var (service, method) = EventNames(key.Bus, key.Id, methodId);
        if (Events.Enabled) Events.Add(1, RpcTags(service, method, "receive"));
        if (!tracing) return default;
        var previous = Activity.Current;
        Activity.Current = null;
        var activity = Source.StartActivity(SpanName(service, method), ActivityKind.Consumer, parent);
        if (activity is { IsAllDataRequested: true }) SetRpcTags(activity, service, method, connection, client: false);
        if (activity is null) Activity.Current = previous;
        return new EventScope(activity, previous);
    }

    /// <summary>Strips the trace-context prefix of an inbound Request or Event; logs a malformed one.</summary>
    public static bool TryStripTraceContext(IpcConnection connection, in FrameHeader header, ref ReadOnlySequence<byte> payload,
        out ActivityContext parent, out string? error)
    {
        if (TraceContextPrefix.TryStrip(ref payload, Source.HasListeners(), out parent, out error)) return true;
        if (connection.Options.Logger is { } logger) Log.BadTraceContext(logger, header.Kind.ToString(), connection.PeerDescription, error!);
        return false;
    }

    // ---- bytes and connections -----------------------------------------------------------------------

    public static void BytesSent(int count)
    {
        if (BytesSentCounter.Enabled) BytesSentCounter.Add(count);
    }

    public static void BytesReceived(int count)
    {
        if (BytesReceivedCounter.Enabled) BytesReceivedCounter.Add(count);
    }

    /// <summary>The handshake completed.</summary>
    public static void ConnectionOpened(IpcConnection connection)
    {
        // Remembered here, not on the connection: the instrument is decremented only for connections it counted.
        if (Connections.Enabled && s_counted.TryAdd(connection, 0)) Connections.Add(1);
        if (connection.Options.Logger is { } logger) Log.ConnectionOpened(logger, connection.PeerDescription, connection.PeerName);
    }

    /// <summary>The connection faulted or was closed (called once).</summary>
    public static void ConnectionClosed(IpcConnection connection, Exception reason, bool established)
    {
        if (s_counted.TryRemove(connection, out _)) Connections.Add(-1);
        if (connection.Options.Logger is not { } logger) return;
        if (reason.InnerException is IpcProtocolException protocol)
            Log.ProtocolError(logger, connection.PeerDescription, protocol.Error, reason.Message);
        else if (!established)
            Log.HandshakeFailed(logger, connection.PeerDescription, reason.Message);
        else
            Log.ConnectionClosed(logger, connection.PeerDescription, (reason as ChannelFaultedException)?.Reason ?? DisconnectReason.Unspecified, reason.Message);
    }

    // ---- helpers -------------------------------------------------------------------------------------


    private static string SpanName(string service, string method) => string.Concat(service, "/", method);

    /// <summary>Contract alias and method name of a request frame (<c>$bus</c> and the message type name for bus requests).</summary>
    public static (string Service, string Method) ResolveNames(IpcConnection connection, in FrameHeader header)
    {
        if ((header.Flags & FrameFlags.Bus) != 0) return ("$bus", MessageTypeRegistry.FindName(header.MethodId) ?? Hex(header.MethodId));
        if (ContractRegistry.Find(header.ContractId) is { } contract)
            return (contract.Alias, contract.FindMethod(header.MethodId)?.Name ?? Hex(header.MethodId));
        if (connection.Handlers.FindRawHandler(header.ContractId, header.MethodId) is { } raw) return (raw.ContractAlias, raw.Method);
        return (Hex(header.ContractId), Hex(header.MethodId));
    }

    private static (string Service, string Method) EventNames(bool bus, uint keyId, uint methodId)
    {
        if (bus) return ("$bus", MessageTypeRegistry.FindName(keyId) ?? Hex(keyId));
        if (ContractRegistry.Find(keyId) is { } contract) return (contract.Alias, contract.FindMethod(methodId)?.Name ?? Hex(methodId));
        return (Hex(keyId), Hex(methodId));
    }

    private static string Hex(uint id) => $"0x{id:X8}";

    internal static TagList RpcTags(string service, string method, string? side)
    {
        var tags = new TagList
        {
            { "rpc.system", IpcDiagnostics.RpcSystem },
            { "rpc.service", service },
            { "rpc.method", method },
        };
        if (side is not null) tags.Add("ipccontracts.side", side);
        return tags;
    }

    private static void SetRpcTags(Activity activity, string service, string method, IpcConnection? connection, bool client)
    {
        activity.SetTag("rpc.system", IpcDiagnostics.RpcSystem);
        activity.SetTag("rpc.service", service);
        activity.SetTag("rpc.method", method);
        if (connection is null) return;
        // The transport's peer description starts with the endpoint (e.g. "tcp://127.0.0.1:5000", "pipe://inventory").
        var peer = connection.PeerDescription;
        var space = peer.IndexOf(' ');
        var endpoint = space < 0 ? peer : peer[..space];
        var sep = endpoint.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0) return;
        var scheme = endpoint[..sep];
        var address = endpoint[(sep + 3)..];
        activity.SetTag("ipccontracts.transport", scheme);
        if (scheme == "tcp") activity.SetTag("network.transport", "tcp");
        else if (scheme is "pipe" or "shm") activity.SetTag("network.transport", "unix");
        if (!client) return;
        if (scheme == "tcp" && address.LastIndexOf(':') is var colon and > 0 && int.TryParse(address.AsSpan(colon + 1), out var port))
        {
            activity.SetTag("server.address", address[..colon].Trim('[', ']'));
            activity.SetTag("server.port", port);
        }
        else activity.SetTag("server.address", address);
    }

    internal static string ErrorType(Exception error) => error.GetType().FullName ?? error.GetType().Name;

    internal static void RecordError(Activity activity, Exception error)
    {
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.SetTag("error.type", ErrorType(error));
        activity.AddException(error);
    }

    /// <summary>Stops a span without touching the Activity.Current of the thread that stops it.</summary>
    internal static void StopKeepingCurrent(Activity activity)
    {
        var current = Activity.Current;
        activity.Stop();
        if (Activity.Current != current) Activity.Current = current;
    }
}

/// <summary>Restores the Activity.Current a hook replaced.</summary>
internal readonly struct ActivityScope(Activity? previous, bool changed) : IDisposable
{
    public void Dispose()
    {
        if (changed) Activity.Current = previous;
    }
}

/// <summary>The header to write (maybe with the TraceContext flag) and the producer span of an Event.</summary>
internal readonly struct OutboundTrace(Activity? context, Activity? producer, Activity? previous)
{
    /// <summary>The span whose context the frame carries; null for none.</summary>
    public Activity? Context => context;

    public void End()
    {
        if (producer is null) return;
        producer.Stop();
        Activity.Current = previous;
    }
}

/// <summary>The consumer span of one received event while its subscribers run.</summary>
internal readonly struct EventScope(Activity? activity, Activity? previous) : IDisposable
{
    public void Fail(Exception error)
    {
        if (activity is { IsAllDataRequested: true }) IpcTelemetry.RecordError(activity, error);
    }

    public void Dispose()
    {
        if (activity is null) return;
        activity.Stop();
        Activity.Current = previous;
    }
}

/// <summary>Span and metrics of one call (either side), completed exactly once.</summary>
internal sealed class CallTelemetry
{
    private readonly Activity? _activity;
    private readonly string _service;
    private readonly string _method;
    private readonly bool _server;
    private readonly bool _countedActive;
    private readonly long _start = Stopwatch.GetTimestamp();
    private int _done;

    public CallTelemetry(Activity? activity, string service, string method, bool server)
    {
        _activity = activity;
        _service = service;
        _method = method;
        _server = server;
        if (IpcTelemetry.Active.Enabled)
        {
            _countedActive = true;
            IpcTelemetry.Active.Add(1, IpcTelemetry.RpcTags(service, method, Side));
        }
    }

    private string Side => _server ? "server" : "client";

    /// <summary>Records the outcome; <paramref name="error"/> null means success. Later calls are ignored.</summary>
    public void Complete(Exception? error)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0) return;
        if (_countedActive) IpcTelemetry.Active.Add(-1, IpcTelemetry.RpcTags(_service, _method, Side));
        var histogram = _server ? IpcTelemetry.ServerDuration : IpcTelemetry.ClientDuration;
        if (histogram.Enabled || IpcTelemetry.Calls.Enabled || (error is not null && IpcTelemetry.Errors.Enabled))
        {
            var tags = IpcTelemetry.RpcTags(_service, _method, null);
            if (error is not null) tags.Add("error.type", IpcTelemetry.ErrorType(error));
            if (histogram.Enabled) histogram.Record(Stopwatch.GetElapsedTime(_start).TotalSeconds, tags);
            tags.Add("ipccontracts.side", Side);
            if (IpcTelemetry.Calls.Enabled) IpcTelemetry.Calls.Add(1, tags);
            if (error is not null && IpcTelemetry.Errors.Enabled) IpcTelemetry.Errors.Add(1, tags);
        }
        if (_activity is null) return;
        if (error is not null && _activity.IsAllDataRequested) IpcTelemetry.RecordError(_activity, error);
        IpcTelemetry.StopKeepingCurrent(_activity);
    }
}
