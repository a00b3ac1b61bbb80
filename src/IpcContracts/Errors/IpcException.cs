namespace IpcContracts;

/// <summary>Base class of every exception IpcContracts throws for communication failures.</summary>
public class IpcException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IpcException(string message, Exception? inner = null) : base(message, inner) { }
}
