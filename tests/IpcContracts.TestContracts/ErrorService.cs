namespace IpcContracts.TestContracts;

/// <summary>The IErrors implementation used in-process and by the test host process.</summary>
public sealed class ErrorService : IErrors
{
    public Task<int> FailCodedAsync(string code, string message) => throw new IpcErrorException(code, message);

    public Task<int> FailDomainAsync(string code, string message) => throw new OutOfStockException(code, message);

    public Task<int> FailUnexpectedAsync(string message) => throw new InvalidOperationException(message);
}
