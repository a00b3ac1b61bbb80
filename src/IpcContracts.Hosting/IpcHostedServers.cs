using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Runtime;

namespace IpcContracts.Hosting;

/// <summary>The servers the host started, by name (available once the host has started).</summary>
public sealed class IpcHostedServers
{
    private readonly ConcurrentDictionary<string, IpcServer> _servers = new(StringComparer.Ordinal);

    /// <summary>The running server named <paramref name="name"/> ("" for the default server).</summary>
    /// <exception cref="InvalidOperationException">No such server, or the host has not started it (yet).</exception>
    public IpcServer Get(string name = "") => _servers.TryGetValue(name, out var server)
        ? server
        : throw new InvalidOperationException($"The IPC server '{name}' is not running: register it with AddServer and start the host first.");

    /// <summary>The running server named <paramref name="name"/>, or null.</summary>
    public IpcServer? TryGet(string name = "") => _servers.GetValueOrDefault(name);

    internal void Add(string name, IpcServer server) => _servers[name] = server;

    internal bool Remove(string name, out IpcServer? server) => _servers.TryRemove(name, out server);
}

/// <summary>
/// Where a DI-registered server publisher sends: the named server, once the host has started it (before that, and
/// after it stopped, events are dropped). The server publishes as its own <see cref="IpcServer.Publisher{TContract}"/>
/// does: serialized once, to every subscribed client.
/// </summary>
internal sealed class HostedServerPublisher(IpcHostedServers servers, string name) : IOutboundChannel
{
    public Task<TResult> RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A server publisher only sends events.");

    public Task RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A server publisher only sends events.");

    public void Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs)
    {
        if (servers.TryGet(name) is IOutboundChannel server) server.Publish(method, args, writeArgs);
    }
}
