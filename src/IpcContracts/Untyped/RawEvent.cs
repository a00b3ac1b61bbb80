namespace IpcContracts;

/// <summary>An event received without an interface (<see cref="IpcClient.SubscribeRaw"/>): names and the argument object as JSON text.</summary>
public sealed class RawEvent
{
    internal RawEvent(string contract, string method, string argumentsJson, IpcConnection connection)
    {
        Contract = contract;
        Method = method;
        ArgumentsJson = argumentsJson;
        Connection = connection;
    }

    /// <summary>The contract alias subscribed to.</summary>
    public string Contract { get; }

    /// <summary>The event's method name as the sending peer listed it in its handshake (its wire ID in hex if it did not).</summary>
    public string Method { get; }

    /// <summary>The argument object, e.g. <c>{"tick":{"sequence":1,"source":"a"}}</c>.</summary>
    public string ArgumentsJson { get; }

    /// <summary>The connection the event came in on.</summary>
    public IpcConnection Connection { get; }
}
