namespace IpcContracts.Tests.Support;

/// <summary>Options for suites that run once more with <see cref="IpcOptions.DedicatedReaderThread"/>.</summary>
internal static class ReaderOptions
{
    /// <summary>The options a case passes, with <see cref="IpcOptions.DedicatedReaderThread"/> set when <paramref name="dedicatedReader"/>.</summary>
    public static IpcOptions? Apply(IpcOptions? given, bool dedicatedReader)
    {
        if (!dedicatedReader) return given;
        given ??= new IpcOptions();
        given.DedicatedReaderThread = true;
        return given;
    }
}
