namespace IpcContracts.Diagnostics;

/// <summary>
/// Names under which IpcContracts reports traces and metrics, for OpenTelemetry's
/// <c>AddSource(IpcDiagnostics.ActivitySourceName)</c> and <c>AddMeter(IpcDiagnostics.MeterName)</c>
/// or an <see cref="System.Diagnostics.ActivityListener"/> / <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// </summary>
public static class IpcDiagnostics
{
    /// <summary>Name of the <see cref="System.Diagnostics.ActivitySource"/> (client, server, producer and consumer spans).</summary>
    public const string ActivitySourceName = "IpcContracts";

    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "IpcContracts";

    /// <summary>Value of the <c>rpc.system</c> attribute on every span and call metric.</summary>
    public const string RpcSystem = "ipccontracts";

    /// <summary>Instrument names (see README, "Hosting and observability").</summary>
    public static class Instruments
    {
        /// <summary>Histogram, seconds: duration of outbound calls, from sending the request to the reply.</summary>
        public const string ClientCallDuration = "rpc.client.call.duration";
        /// <summary>Histogram, seconds: duration of inbound calls, from reading the request to sending the reply.</summary>
        public const string ServerCallDuration = "rpc.server.call.duration";
        /// <summary>Counter: completed calls (tag <c>ipccontracts.side</c> = client or server; <c>error.type</c> when failed).</summary>
        public const string Calls = "ipccontracts.calls";
        /// <summary>Counter: failed calls (tag <c>error.type</c>).</summary>
        public const string CallErrors = "ipccontracts.call.errors";
        /// <summary>Up-down counter: calls in flight (tag <c>ipccontracts.side</c>).</summary>
        public const string ActiveCalls = "ipccontracts.calls.active";
        /// <summary>Counter: events published (side = publish, once per publish however many peers get it) and received (side = receive).</summary>
        public const string Events = "ipccontracts.events";
        /// <summary>Counter, bytes: frames (header and payload) queued for sending.</summary>
        public const string BytesSent = "ipccontracts.bytes.sent";
        /// <summary>Counter, bytes: frames (header and payload) read.</summary>
        public const string BytesReceived = "ipccontracts.bytes.received";
        /// <summary>Up-down counter: connections whose handshake completed and that are still open.</summary>
        public const string Connections = "ipccontracts.connections";
    }
}
