namespace IpcContracts;

/// <summary>
/// The peer does not have the contract or method being called, or has it with another shape
/// (parameter or return types). Found from the handshake manifests; other contracts keep working.
/// </summary>
public sealed class ContractMismatchException : IpcException
{
    /// <summary>Creates the exception.</summary>
    public ContractMismatchException(string contract, string? method, string message)
        : base(message)
    {
        Contract = contract;
        Method = method;
    }

    /// <summary>Alias of the contract concerned.</summary>
    public string Contract { get; }

    /// <summary>Name of the method concerned, if the mismatch is about one method.</summary>
    public string? Method { get; }
}
