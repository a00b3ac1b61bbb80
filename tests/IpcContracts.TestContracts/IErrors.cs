namespace IpcContracts.TestContracts;

/// <summary>Handler errors with and without an error code (handled by <see cref="ErrorService"/>).</summary>
[RequestContract("test.errors")]
public interface IErrors
{
    /// <summary>Throws IpcErrorException(code, message).</summary>
    Task<int> FailCodedAsync(string code, string message);

    /// <summary>Throws <see cref="OutOfStockException"/>, a domain exception of its own type that implements IIpcError.</summary>
    Task<int> FailDomainAsync(string code, string message);

    /// <summary>Throws InvalidOperationException(message): an exception without a code.</summary>
    Task<int> FailUnexpectedAsync(string message);
}
