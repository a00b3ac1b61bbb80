namespace IpcContracts.Tests.Support;

/// <summary>Options for suites that run once with each setting of <see cref="IpcOptions.DedicatedReaderThread"/>.</summary>
internal static class ReaderOptions
{
    /// <summary>
    /// The options a case passes, with <see cref="IpcOptions.DedicatedReaderThread"/> set to <paramref name="dedicatedReader"/>;
    /// null leaves the library's automatic default (which connections get a reader thread then depends on what else runs).
    /// </summary>
    public static IpcOptions? Apply(IpcOptions? given, bool? dedicatedReader)
    {
        if (dedicatedReader is null) return given;
        given ??= new IpcOptions();
        given.DedicatedReaderThread = dedicatedReader;
        return given;
    }
}
