using IpcContracts.Connections;

namespace IpcContracts;

// Members the diagnostics hooks need; kept out of the connection core's files.
public sealed partial class IpcConnection
{
    /// <summary>The endpoint's handlers (names of untyped handlers for spans and logs).</summary>
    internal LocalHandlers Handlers => _local;
}
