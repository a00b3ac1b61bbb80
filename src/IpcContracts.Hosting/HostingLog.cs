using Microsoft.Extensions.Logging;

namespace IpcContracts.Hosting;

/// <summary>Log messages of the hosting integration (source-generated, AOT-safe).</summary>
internal static partial class HostingLog
{
    public const string Category = "IpcContracts.Hosting";

    [LoggerMessage(EventId = 100, EventName = "ServerStarted", Level = LogLevel.Information,
        Message = "IPC server '{Server}' listening on {Endpoint}.")]
    public static partial void ServerStarted(ILogger logger, string server, string endpoint);

    [LoggerMessage(EventId = 101, EventName = "ServerDraining", Level = LogLevel.Information,
        Message = "IPC server '{Server}' is stopping: new calls are refused, waiting up to {DrainSeconds} s for {InFlight} call(s) in flight.")]
    public static partial void ServerDraining(ILogger logger, string server, double drainSeconds, int inFlight);

    [LoggerMessage(EventId = 102, EventName = "DrainIncomplete", Level = LogLevel.Warning,
        Message = "IPC server '{Server}' stopped with {InFlight} call(s) still running; their handlers were cancelled.")]
    public static partial void DrainIncomplete(ILogger logger, string server, int inFlight);

    [LoggerMessage(EventId = 103, EventName = "ServerStopped", Level = LogLevel.Information,
        Message = "IPC server '{Server}' stopped.")]
    public static partial void ServerStopped(ILogger logger, string server);

    [LoggerMessage(EventId = 104, EventName = "ClientConnected", Level = LogLevel.Information,
        Message = "IPC client '{Client}' connected to {Endpoint}.")]
    public static partial void ClientConnected(ILogger logger, string client, string endpoint);

    [LoggerMessage(EventId = 105, EventName = "AggregatorStarted", Level = LogLevel.Information,
        Message = "IPC aggregator started.")]
    public static partial void AggregatorStarted(ILogger logger);
}
