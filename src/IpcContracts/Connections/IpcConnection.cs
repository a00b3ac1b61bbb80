namespace IpcContracts;

/// <summary>Placeholder while the connection is written.</summary>
public sealed partial class IpcConnection
{
}
