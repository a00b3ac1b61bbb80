namespace IpcContracts.Transports;

/// <summary>A parsed endpoint string such as <c>pipe://inventory</c>, <c>tcp://127.0.0.1:5000</c> or <c>shm://inventory</c>.</summary>
public sealed record IpcEndpoint(string Scheme, string Address)
{
    /// <summary>Parses <c>scheme://address</c>; throws <see cref="IpcConfigurationException"/> with the expected shape otherwise.</summary>
    public static IpcEndpoint Parse(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var sep = endpoint.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0 || sep + 3 >= endpoint.Length)
            throw new IpcConfigurationException(
                $"'{endpoint}' is not an endpoint. Use pipe://NAME, tcp://HOST:PORT, shm://NAME or inproc://NAME.");
        return new IpcEndpoint(endpoint[..sep].ToLowerInvariant(), endpoint[(sep + 3)..]);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Scheme}://{Address}";
}
