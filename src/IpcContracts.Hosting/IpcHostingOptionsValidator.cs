using IpcContracts.Transports;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

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
            failures.Add($"{what}: Endpoint is not set (pipe://NAME, tcp://HOST:PORT, shm://NAME, or nats://HOST:PORT after NatsTransport.Register()).");
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
