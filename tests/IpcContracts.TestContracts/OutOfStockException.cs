namespace IpcContracts.TestContracts;

/// <summary>A domain exception that already has a base class of its own, so it carries its code through <see cref="IIpcError"/>.</summary>
public sealed class OutOfStockException(string code, string message) : InvalidOperationException(message), IIpcError
{
    public string? ErrorCode => code;
}
