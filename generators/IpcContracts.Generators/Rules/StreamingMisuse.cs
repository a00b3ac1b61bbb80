namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// A streaming type (values, progress, bytes) where a contract cannot carry it (IPC0027): <see cref="What"/> names the
    /// kind and where it is supported (the plural noun phrase before "are not supported in contracts"), <see cref="Instead"/>
    /// the shape to use instead (after "remove it, and").
    /// </summary>
    internal sealed record StreamingMisuse(string What, string Instead);
}
