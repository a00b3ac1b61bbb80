namespace IpcContracts;

/// <summary>Limits and timeouts of a client or server. Defaults suit one machine.</summary>
public sealed class IpcOptions
{
    /// <summary>Largest payload accepted or sent, checked before anything is allocated. Default 64 MiB.</summary>
    public int MaxPayloadLength { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Deadline of every outbound call that has no more specific one, in addition to any cancellation token the caller
    /// passes; when it passes the call fails with <see cref="TimeoutException"/> and the peer's handler is cancelled.
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it. Default 30 s. A method's
    /// <see cref="ContractMethodAttribute.TimeoutMilliseconds"/> replaces it for that method, and
    /// <see cref="IpcCall.WithTimeout"/> replaces both for the calls started in its scope (docs/semantics.md, "Deadlines").
    /// </summary>
    public TimeSpan DefaultCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a new connection may take to exchange Hello frames. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one connect may take: the transport's own connect (a TCP handshake with a host that does not answer),
    /// and, with <see cref="WaitForServer"/>, the wait for a server to start listening. Default 10 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// What <see cref="IpcClient.ConnectAsync(string, Action{IpcEndpointBuilder}?, IpcOptions?, CancellationToken)"/> does
    /// when nothing listens at the endpoint. <c>false</c> (default): it fails at once with
    /// <see cref="NoServerListeningException"/>, so a typo or a server that is not running shows up at once.
    /// <c>true</c>: it tries again (backoff up to 200 ms) until a server listens or <see cref="ConnectTimeout"/> passes,
    /// for a client started alongside its server. Automatic reconnects (<see cref="Reconnect"/>) retry by themselves
    /// either way.
    /// </summary>
    public bool WaitForServer { get; set; }

    /// <summary>
    /// Where the code after <c>await proxy.CallAsync()</c> runs. <c>true</c>: on the connection's reader
    /// thread, right after the reply is read (no thread hop: the fastest round trip). <c>false</c>: on a
    /// thread-pool thread that is not reading: on a socket connection that reads on the thread pool, the thread that
    /// read the reply, once the connection has armed its next read (the read continues on another thread, so blocking
    /// there cannot stop the connection, and the continuation costs no work item of its own); otherwise (a connection
    /// with a reader thread of its own, <see cref="DedicatedReaderThread"/>) a queued work item.
    /// <c>null</c> (default): the transport decides; <c>shm://</c> and a connection with
    /// <see cref="DedicatedReaderThread"/> <c>true</c> use the reader thread, other socket connections <c>false</c>. On the
    /// reader thread, never block synchronously on another call of the same connection
    /// (<c>.Result</c>, <c>.Wait()</c>) inside that continuation: the reader would wait for itself.
    /// </summary>
    public bool? ContinuationsOnReaderThread { get; set; }

    /// <summary>
    /// <c>pipe://</c> and <c>tcp://</c> on Linux: whether a connection reads on a thread of its own, blocked in <c>poll(2)</c>
    /// and woken by the kernel when bytes arrive, as <c>shm://</c> always does, instead of on the thread pool (woken through
    /// the sockets' event thread, then a pool worker). A 64 B round trip then takes about half the CPU and less time, most
    /// of all on a machine with few cores (docs/benchmarks.md, "Session 15" and "Session 16"); the cost is one thread per
    /// connection. <c>null</c> (default): automatic, a reader thread for each connection while fewer than
    /// <c>max(4, processor count)</c> connections of this process have one (clients and servers together), the thread
    /// pool for the rest, and callers' continuations stay on the thread pool either way. <c>true</c>: every connection,
    /// and callers' continuations then run on that thread by default, with the rule of
    /// <see cref="ContinuationsOnReaderThread"/>. <c>false</c>: never. Ignored elsewhere (Windows, macOS, other transports).
    /// </summary>
    public bool? DedicatedReaderThread { get; set; }

    /// <summary>
    /// Most bytes queued for one peer that is not reading fast enough. Past it the connection is closed
    /// (the peer sees <see cref="ChannelFaultedException"/>); other connections are unaffected and memory
    /// stays bounded. One frame is always accepted, however large. Default 128 MiB.
    /// </summary>
    public long MaxSendQueueBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>
    /// How long one write to the transport (a batch of frames, or one large frame) may stay unfinished because the
    /// peer does not make room (a full socket buffer or shared-memory ring) before the connection is closed. It
    /// measures the whole write, not progress within it: keep it well above the time the largest frame you send
    /// takes to cross. A peer that is suspended, stopped in a debugger or wedged stops reading, and this bounds how
    /// long its connection stays open. Pending calls then fail with
    /// <see cref="ChannelFaultedException"/> (and clients reconnect). <see cref="Timeout.InfiniteTimeSpan"/>
    /// disables it. Default 30 s.
    /// </summary>
    public TimeSpan SendStallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a connection may sit inside a partly received frame (a header without all its payload) before it
    /// is closed as a protocol error: a peer cannot hold a connection and its buffer forever with half a frame.
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it. Default 30 s.
    /// </summary>
    public TimeSpan PartialFrameTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a connection may receive nothing from its peer before it sends a Ping of its own (keep-alive): the Pong,
    /// like any frame, shows the peer is still there. Idle connections therefore cost one small frame per interval each
    /// way, and their timer wakes every quarter of this interval (or of <see cref="KeepAliveTimeout"/>, if shorter) to
    /// check, so a Ping may leave up to that much late; with both off an idle connection's timer does not wake at all.
    /// <see cref="Timeout.InfiniteTimeSpan"/> sends none. Default 15 s.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a connection may receive nothing at all from its peer, Pongs to its keep-alive Pings included, before it
    /// is closed with <see cref="DisconnectReason.PeerLost"/>. It catches the peer that is gone without its end of the
    /// connection closing (a host that lost power or network, a process frozen or stopped, a link that drops packets
    /// silently): without it, a call with no deadline would wait for such a peer forever. Time this side spends not
    /// reading on purpose (its subscribers behind under <see cref="EventOverflowPolicy.Wait"/>) does not count, nor does
    /// time with bytes waiting to be sent to the peer, which <see cref="SendStallTimeout"/> bounds; and for
    /// <see cref="SendStallTimeout"/> after such a backlog, whose last bytes may still wait unread in the buffers between
    /// the two ends with the Ping behind them, silence alone closes nothing. Must be longer than
    /// <see cref="KeepAliveInterval"/>; <see cref="Timeout.InfiniteTimeSpan"/> disables it. Default 60 s.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Bounds and overflow policy of event queues, on the publishing and the receiving side.</summary>
    public EventDeliveryOptions Events { get; set; } = new();

    /// <summary>Options of the <c>shm://</c> transport: ring size and spinning.</summary>
    public SharedMemoryOptions SharedMemory { get; set; } = new();

    /// <summary>Flow control of stream results (methods returning <see cref="IAsyncEnumerable{T}"/>).</summary>
    public StreamOptions Streams { get; set; } = new();

    /// <summary>Options of the <c>tcp://</c> transport: non-loopback listening and the shared secret.</summary>
    public TcpOptions Tcp { get; set; } = new();

    /// <summary>How clients reconnect after their connection drops.</summary>
    public ReconnectOptions Reconnect { get; set; } = new();

    /// <summary>
    /// Most requests from one peer running at once; more are answered at once with an "overloaded" error
    /// (<see cref="IpcOverloadedException"/> at the caller). Default 4,096.
    /// </summary>
    public int MaxInFlightRequests { get; set; } = 4096;

    /// <summary>Most connections a server holds (including those in their handshake); more are refused with a reason. Default 1,024.</summary>
    public int MaxConnections { get; set; } = 1024;

    /// <summary>
    /// Extra user IDs allowed to connect over <c>pipe://</c> and <c>shm://</c> (checked with SO_PEERCRED
    /// on Linux, getpeereid on macOS). By default only the server's own user may connect, and a client only talks to a
    /// server of its own user. Unix only: on Windows, where the pipe admits only the current user, setting it makes
    /// listen and connect fail with <see cref="IpcConfigurationException"/>.
    /// </summary>
    public ISet<uint> AllowedPeerUserIds { get; set; } = new HashSet<uint>();

    /// <summary>
    /// Accept local peers of any user (the socket file is still created owner-only, 0600). Unix only: on Windows setting it
    /// makes <c>pipe://</c> and <c>shm://</c> fail with <see cref="IpcConfigurationException"/>.
    /// </summary>
    public bool AllowAnyLocalUser { get; set; }

    /// <summary>
    /// Called for refused connections and other security-relevant events. Default: a warning (event ID 40) through
    /// <see cref="LoggerFactory"/> when one is set, else a line on standard error.
    /// </summary>
    public Action<string>? SecurityEvent { get; set; }

    /// <summary>
    /// Reports <paramref name="message"/> the way the runtime reports its own security events (<see cref="SecurityEvent"/>,
    /// else the logger, else standard error). For transports in other packages, which must never fail silently.
    /// </summary>
    public void ReportSecurityEvent(string message)
    {
        if (SecurityEvent is { } handler) handler(message);
        else if (Logger is { } logger) Diagnostics.Log.SecurityEvent(logger, message);
        else Console.Error.WriteLine($"IpcContracts: {message}");
    }

    /// <summary>Name this process gives itself in the handshake (for the peer's errors and logs).</summary>
    public string ProcessName { get; set; } = $"{Environment.ProcessId}";

    /// <summary>
    /// Called when an event subscriber throws (events have no caller to report to). Default: a line
    /// on standard error, so failures are never silent.
    /// </summary>
    public Action<Exception>? EventHandlerException { get; set; }

    /// <summary>
    /// Reports <paramref name="e"/> the way the runtime reports a failed event delivery (<see cref="EventHandlerException"/>,
    /// else the logger, else standard error). For transports in other packages: an event they drop (for example one whose
    /// shape does not match) has no caller to tell, and must never vanish silently.
    /// </summary>
    public void ReportEventHandlerException(Exception e)
    {
        if (EventHandlerException is { } handler) handler(e);
        else if (Logger is { } logger) Diagnostics.Log.EventSubscriberFailed(logger, e);
        else Console.Error.WriteLine($"IpcContracts: an event subscriber threw {e.GetType().FullName}: {e.Message}");
    }

    internal IpcOptions Validate()
    {
        if (MaxPayloadLength <= 0) throw new IpcConfigurationException("IpcOptions.MaxPayloadLength must be positive.");
        if (MaxSendQueueBytes <= 0) throw new IpcConfigurationException("IpcOptions.MaxSendQueueBytes must be positive.");
        if (MaxInFlightRequests <= 0) throw new IpcConfigurationException("IpcOptions.MaxInFlightRequests must be positive.");
        (Reconnect ?? throw new IpcConfigurationException("IpcOptions.Reconnect must not be null.")).Validate();
        (SharedMemory ?? throw new IpcConfigurationException("IpcOptions.SharedMemory must not be null.")).Validate();
        (Streams ?? throw new IpcConfigurationException("IpcOptions.Streams must not be null.")).Validate();
        if (Tcp is null) throw new IpcConfigurationException("IpcOptions.Tcp must not be null.");
        if (MaxConnections <= 0) throw new IpcConfigurationException("IpcOptions.MaxConnections must be positive.");
        if (HandshakeTimeout <= TimeSpan.Zero) throw new IpcConfigurationException("IpcOptions.HandshakeTimeout must be positive.");
        if (DefaultCallTimeout <= TimeSpan.Zero && DefaultCallTimeout != Timeout.InfiniteTimeSpan)
            throw new IpcConfigurationException("IpcOptions.DefaultCallTimeout must be positive or Timeout.InfiniteTimeSpan.");
        if (SendStallTimeout <= TimeSpan.Zero && SendStallTimeout != Timeout.InfiniteTimeSpan)
            throw new IpcConfigurationException("IpcOptions.SendStallTimeout must be positive or Timeout.InfiniteTimeSpan.");
        if (PartialFrameTimeout <= TimeSpan.Zero && PartialFrameTimeout != Timeout.InfiniteTimeSpan)
            throw new IpcConfigurationException("IpcOptions.PartialFrameTimeout must be positive or Timeout.InfiniteTimeSpan.");
        if (KeepAliveInterval <= TimeSpan.Zero && KeepAliveInterval != Timeout.InfiniteTimeSpan)
            throw new IpcConfigurationException("IpcOptions.KeepAliveInterval must be positive or Timeout.InfiniteTimeSpan.");
        if (KeepAliveTimeout <= TimeSpan.Zero && KeepAliveTimeout != Timeout.InfiniteTimeSpan)
            throw new IpcConfigurationException("IpcOptions.KeepAliveTimeout must be positive or Timeout.InfiniteTimeSpan.");
        if (KeepAliveTimeout != Timeout.InfiniteTimeSpan && KeepAliveInterval != Timeout.InfiniteTimeSpan && KeepAliveTimeout <= KeepAliveInterval)
            throw new IpcConfigurationException(
                $"IpcOptions.KeepAliveTimeout ({KeepAliveTimeout.TotalSeconds:0.###} s) must be longer than IpcOptions.KeepAliveInterval ({KeepAliveInterval.TotalSeconds:0.###} s): the peer needs time to answer the keep-alive Ping.");
        (Events ?? throw new IpcConfigurationException("IpcOptions.Events must not be null.")).Validate();
        if (DomainErrorLogLevel is < Microsoft.Extensions.Logging.LogLevel.Trace or > Microsoft.Extensions.Logging.LogLevel.None)
            throw new IpcConfigurationException("IpcOptions.DomainErrorLogLevel must be a LogLevel from Trace to None.");
        if (UnexpectedErrorLogLevel is < Microsoft.Extensions.Logging.LogLevel.Trace or > Microsoft.Extensions.Logging.LogLevel.None)
            throw new IpcConfigurationException("IpcOptions.UnexpectedErrorLogLevel must be a LogLevel from Trace to None.");
        return this;
    }

    /// <summary>
    /// Where the runtime logs connection lifecycle, protocol errors, handler failures and event subscriber
    /// exceptions (category <c>IpcContracts</c>; never payload contents). Null (default): no logging, and
    /// subscriber exceptions go to <see cref="EventHandlerException"/> or standard error. The hosting package
    /// sets it from DI.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    private Microsoft.Extensions.Logging.ILogger? _logger;

    /// <summary>
    /// Level at which a handler's domain error is logged (event ID 14, <c>HandlerDomainError</c>): an exception that carries
    /// an error code (<see cref="IpcErrorException"/>, or an exception implementing <see cref="IIpcError"/>), an outcome the
    /// contract expects. Logged with its code, type and message, without the stack trace. Default
    /// <see cref="Microsoft.Extensions.Logging.LogLevel.Warning"/>; <see cref="Microsoft.Extensions.Logging.LogLevel.None"/> turns it off.
    /// </summary>
    public Microsoft.Extensions.Logging.LogLevel DomainErrorLogLevel { get; set; } = Microsoft.Extensions.Logging.LogLevel.Warning;

    /// <summary>
    /// Level at which any other exception from a handler is logged (event ID 10, <c>HandlerFailed</c>), with the exception
    /// and its stack trace: a failure nobody planned for. Default <see cref="Microsoft.Extensions.Logging.LogLevel.Error"/>;
    /// <see cref="Microsoft.Extensions.Logging.LogLevel.None"/> turns it off. Cancelled handlers (Debug) and calls refused
    /// before their handler ran (Warning) keep their own levels.
    /// </summary>
    public Microsoft.Extensions.Logging.LogLevel UnexpectedErrorLogLevel { get; set; } = Microsoft.Extensions.Logging.LogLevel.Error;

    internal Microsoft.Extensions.Logging.ILogger? Logger =>
        LoggerFactory is { } factory ? _logger ??= factory.CreateLogger(Diagnostics.Log.Category) : null;

    // ---- for integrations: the hosting package checks options when the host starts, before anything connects ----

    /// <summary>Checks the limits and timeouts as <see cref="IpcServer"/> and <see cref="IpcClient"/> do when they start.</summary>
    /// <exception cref="IpcConfigurationException">An option is invalid (the message names it).</exception>
    public void ThrowIfInvalid() => Validate();
}
