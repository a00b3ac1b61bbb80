using IpcContracts.Transports;
using IpcContracts.Transports.Pipe;
using IpcContracts.Transports.SharedMemory;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>What the per-OS seams of pipe:// and shm:// promise that can be checked on Linux.</summary>
public sealed class PlatformSeamTests
{
    /// <summary>macOS (and any OS without an shm implementation): refused at once, pointing at pipe://.</summary>
    [Fact]
    public async Task Shm_where_it_is_not_implemented_refuses_listen_and_connect_at_once_naming_pipe()
    {
        var transport = new ShmTransport(new UnsupportedShm("macOS 15"), PipePlatform.Current);
        var endpoint = new IpcEndpoint("shm", "inventory");

        var listen = await Assert.ThrowsAsync<PlatformNotSupportedException>(async () => await transport.ListenAsync(endpoint, new IpcOptions(), default));
        var connect = await Assert.ThrowsAsync<PlatformNotSupportedException>(async () => await transport.ConnectAsync(endpoint, new IpcOptions(), default));

        foreach (var e in new[] { listen, connect })
        {
            Assert.Contains("shm://inventory", e.Message);
            Assert.Contains("macOS 15", e.Message);
            Assert.Contains("pipe://inventory", e.Message);
        }
        Assert.False(File.Exists(UnixSocketPipes.GetSocketPath(new IpcEndpoint("pipe", "inventory.shm"))));
    }

    /// <summary>A socket path longer than a Unix socket address (about 104 bytes on macOS) is a configuration error, not an ArgumentOutOfRangeException.</summary>
    [Fact]
    public async Task A_pipe_name_too_long_for_a_unix_socket_address_is_a_configuration_error_on_both_sides()
    {
        var endpoint = $"pipe://{new string('n', 120)}";

        var listen = await Assert.ThrowsAsync<IpcConfigurationException>(() => IpcServer.StartAsync(endpoint));
        var connect = await Assert.ThrowsAsync<IpcConfigurationException>(() => IpcClient.ConnectAsync(endpoint));

        foreach (var e in new[] { listen, connect }) Assert.Contains("longer than a Unix socket address", e.Message);
        Assert.False(File.Exists(UnixSocketPipes.GetSocketPath(IpcEndpoint.Parse(endpoint))));
    }
}
