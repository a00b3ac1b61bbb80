namespace IpcContracts;

/// <summary>
/// Setup is incomplete: a type is not a generated contract, a payload type has no
/// <c>JsonSerializable</c> registration, an endpoint string is malformed, and similar.
/// </summary>
public sealed class IpcConfigurationException : IpcException
{
    /// <summary>Creates the exception.</summary>
    public IpcConfigurationException(string message, Exception? inner = null) : base(message, inner) { }
}
