using System.Collections.Concurrent;
using IpcContracts.Transports.InMemory;
using IpcContracts.Transports.Pipe;

namespace IpcContracts.Transports;

/// <summary>Maps endpoint schemes to transports. Built in: <c>pipe</c>, <c>tcp</c>, <c>shm</c> and <c>inproc</c>.</summary>
public static class TransportRegistry
{
    private static readonly ConcurrentDictionary<string, IIpcTransport> s_transports = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pipe"] = new PipeTransport(),
        ["inproc"] = InMemoryTransport.Instance,
        ["tcp"] = new Tcp.TcpTransport(),
        ["shm"] = new SharedMemory.ShmTransport(),
    };

    /// <summary>Adds or replaces the transport for its scheme.</summary>
    public static void Register(IIpcTransport transport) => s_transports[transport.Scheme] = transport;

    /// <summary>The transport for <paramref name="endpoint"/>'s scheme, or a clear error naming the known schemes.</summary>
    public static IIpcTransport Resolve(IpcEndpoint endpoint) =>
        s_transports.TryGetValue(endpoint.Scheme, out var t)
            ? t
            : throw new IpcConfigurationException(
                $"No transport for '{endpoint.Scheme}://'. Known schemes: {string.Join(", ", s_transports.Keys.Order())}.");
}
