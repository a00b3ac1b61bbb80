using IpcContracts.Transports;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

/// <summary>A hosted server (named options; the name is the server's name given to <c>AddServer</c>).</summary>
public sealed class IpcServerOptions
{
    /// <summary>Where to listen: <c>pipe://NAME</c>, <c>tcp://HOST:PORT</c>, <c>shm://NAME</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Limits and timeouts of the server; <see cref="IpcOptions.LoggerFactory"/> defaults to the host's.</summary>
    public IpcOptions Ipc { get; } = new();

    /// <summary>
    /// Longest wait on shutdown for calls in flight to finish (new calls are refused meanwhile); the host's own
    /// shutdown timeout also bounds it. Calls still running then are cancelled. Default 10 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Handler registrations, applied when the server starts.</summary>
    internal List<Action<IpcEndpointBuilder, IServiceProvider>> Handlers { get; } = [];
}

/// <summary>A hosted client connection (named options; the name is the client's name given to <c>AddClient</c>).</summary>
public sealed class IpcClientOptions
{
    /// <summary>The server to connect to.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Limits and timeouts of the connection; <see cref="IpcOptions.LoggerFactory"/> defaults to the host's.</summary>
    public IpcOptions Ipc { get; } = new();

    /// <summary>Connect while the host starts (a server that is not there fails the start). Default false: connect on first use.</summary>
    public bool ConnectOnStart { get; set; }

    /// <summary>Callback handler registrations (the server may call the client).</summary>
    internal List<Action<IpcEndpointBuilder, IServiceProvider>> Handlers { get; } = [];
}

/// <summary>Checks hosted servers' and clients' options when the host starts (and whenever they are read).</summary>
internal sealed class IpcHostingOptionsValidator(IpcHostingRegistry registry) : IValidateOptions<IpcServerOptions>, IValidateOptions<IpcClientOptions>
{
    public ValidateOptionsResult Validate(string? name, IpcServerOptions options)
    {
        if (!registry.Servers.Contains(name ?? "")) return ValidateOptionsResult.Skip;
        var failures = new List<string>();
        CheckEndpoint($"IPC server '{name}'", options.Endpoint, failures);
        CheckIpc($"IPC server '{name}'", options.Ipc, failures);
        if (options.DrainTimeout < TimeSpan.Zero) failures.Add($"IPC server '{name}': DrainTimeout must not be negative.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, IpcClientOptions options)
    {
        if (!registry.Clients.Contains(name ?? "")) return ValidateOptionsResult.Skip;
        var failures = new List<string>();
        CheckEndpoint($"IPC client '{name}'", options.Endpoint, failures);
        CheckIpc($"IPC client '{name}'", options.Ipc, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckEndpoint(string what, string? endpoint, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            failures.Add($"{what}: Endpoint is not set (pipe://NAME, tcp://HOST:PORT or shm://NAME).");
            return;
        }
        try
        {
            TransportRegistry.Resolve(IpcEndpoint.Parse(endpoint));
        }
        catch (IpcConfigurationException e)
        {
            failures.Add($"{what}: {e.Message}");
        }
    }

    private static void CheckIpc(string what, IpcOptions ipc, List<string> failures)
    {
        try
        {
            ipc.ThrowIfInvalid();
        }
        catch (IpcConfigurationException e)
        {
            failures.Add($"{what}: {e.Message}");
        }
    }
}

/// <summary>Names of the servers and clients registered with the builder.</summary>
internal sealed class IpcHostingRegistry
{
    public HashSet<string> Servers { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Clients { get; } = new(StringComparer.Ordinal);
}
