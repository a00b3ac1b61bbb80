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
        : throw new InvalidOperationException($"{Describe(name)} is not running: register it with AddServer and start the host first.");

    internal static string Describe(string name) => name.Length == 0 ? "The default IPC server ('')" : $"The IPC server '{name}'";

    /// <summary>The running server named <paramref name="name"/>, or null.</summary>
    public IpcServer? TryGet(string name = "") => _servers.GetValueOrDefault(name);

    internal void Add(string name, IpcServer server) => _servers[name] = server;

    internal bool Remove(string name, out IpcServer? server) => _servers.TryRemove(name, out server);
}

/// <summary>
/// Where a DI-registered server publisher sends: the named server, while the host runs it. The server publishes as its
/// own <see cref="IpcServer.Publisher{TContract}"/> does: serialized once, to every subscribed client.
/// </summary>
internal sealed class HostedServerPublisher(IpcHostedServers servers, string name) : IOutboundChannel
{
    public Task<TResult> RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A server publisher only sends events.");

    public Task RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A server publisher only sends events.");

    // Throwing, not dropping: with no server there is no subscriber to reach, and a publisher that goes quiet is the
    // failure users cannot see (the server runs from before any hosted service starts to after all have stopped, so only
    // code outside the host's lifetime gets here).
    public void Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs)
    {
        IOutboundChannel server = servers.TryGet(name) ?? throw new InvalidOperationException(
            $"{IpcHostedServers.Describe(name)} is not running, so this {method.Contract.Alias} event would reach nobody: a publisher " +
            "registered with AddPublisher works from the host's start until the host has stopped.");
        server.Publish(method, args, writeArgs);
    }
}
