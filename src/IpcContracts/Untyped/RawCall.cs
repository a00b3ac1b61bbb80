namespace IpcContracts;

/// <summary>An untyped inbound call: contract alias, method name and the JSON argument object as text.</summary>
public sealed class RawCall
{
    internal RawCall(string contract, string method, string argumentsJson, CancellationToken cancellationToken, IpcConnection connection)
    {
        Contract = contract;
        Method = method;
        ArgumentsJson = argumentsJson;
        CancellationToken = cancellationToken;
        Connection = connection;
    }

    /// <summary>Contract alias the caller named.</summary>
    public string Contract { get; }

    /// <summary>Method alias the caller named.</summary>
    public string Method { get; }

    /// <summary>The argument object, e.g. <c>{"sku":"A-1"}</c>.</summary>
    public string ArgumentsJson { get; }

    /// <summary>Cancelled when the caller cancels or the connection drops.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The connection the call came in on.</summary>
    public IpcConnection Connection { get; }
}
