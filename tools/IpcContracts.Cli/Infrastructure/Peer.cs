namespace IpcContracts.Cli.Infrastructure;

/// <summary>
/// Connects the tool to a peer as any client would: the library's own transports and security defaults (same user on
/// pipe and shm, loopback TCP), no reconnects (a tool reports a lost peer instead of waiting for it), and every failure
/// turned into one line with its exit code.
/// </summary>
internal static class Peer
{
    public static async Task<IpcClient> ConnectAsync(string endpoint, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var options = new IpcOptions
        {
            ProcessName = "ipc",
            ConnectTimeout = connectTimeout,
            HandshakeTimeout = connectTimeout,
            Reconnect = { Enabled = false },
        };
        // The NATS transport is a separate package an application opts into; the tool knows every transport.
        if (endpoint.StartsWith("nats://", StringComparison.OrdinalIgnoreCase)) IpcContracts.Nats.NatsTransport.Register();
        try
        {
            return await IpcClient.ConnectAsync(endpoint, options: options, cancellationToken: cancellationToken);
        }
        catch (IpcConfigurationException e)
        {
            throw new CliException(ExitCodes.Usage, $"bad endpoint '{endpoint}': {e.Message}");
        }
        catch (NoServerListeningException)
        {
            // The library's message suggests IpcOptions.WaitForServer, which means nothing to someone at a prompt.
            throw new CliException(ExitCodes.Unavailable, $"cannot connect to {endpoint}: no server is listening there (is it running?).");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is IpcException or IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or TimeoutException)
        {
            throw new CliException(ExitCodes.Unavailable, $"cannot connect to {endpoint}: {e.Message}");
        }
    }

    /// <summary>Splits <c>CONTRACT.METHOD</c> at the last dot (aliases contain dots: <c>test.calculator.AddAsync</c>).</summary>
    public static (string Contract, string Method) SplitTarget(string target)
    {
        var dot = target.LastIndexOf('.');
        if (dot <= 0 || dot == target.Length - 1)
            throw new CliException(ExitCodes.Usage, $"'{target}' is not CONTRACT.METHOD (e.g. inventory.GetStockAsync; `ipc list ENDPOINT` shows the names).");
        return (target[..dot], target[(dot + 1)..]);
    }

    /// <summary>The peer's contract named <paramref name="alias"/>, or a usage error that says which ones it has.</summary>
    public static PeerContract FindContract(IpcClient client, string alias)
    {
        var contracts = client.Connection.PeerContracts;
        return contracts.FirstOrDefault(c => c.Alias == alias)
            ?? throw new CliException(ExitCodes.Usage,
                $"unknown contract '{alias}': the peer '{client.Connection.PeerName}' has {string.Join(", ", contracts.Select(c => c.Alias).Order(StringComparer.Ordinal))}.");
    }
}
