namespace IpcContracts.Transports.Pipe;

/// <summary>
/// Which Windows named pipe <c>pipe://NAME</c> is: <c>\\.\pipe\NAME</c>, NAME taken verbatim (case does not matter to
/// Windows). Plain string rules, kept apart from <see cref="WindowsNamedPipes"/> so they are checked on every OS.
/// </summary>
internal static class WindowsPipeName
{
    /// <summary>The prefix of every local pipe path.</summary>
    public const string Prefix = @"\\.\pipe\";

    /// <summary>Windows accepts at most 256 characters for the whole path, <see cref="Prefix"/> included.</summary>
    public const int MaxPathLength = 256;

    /// <summary>
    /// NAME for <see cref="System.IO.Pipes.NamedPipeServerStream"/>/<see cref="System.IO.Pipes.NamedPipeClientStream"/>,
    /// or <see cref="IpcConfigurationException"/>. A NAME with <c>/</c> is a Unix socket path and a NAME with <c>\</c>
    /// would leave the pipe namespace: neither names a Windows pipe, so both are refused rather than guessed at.
    /// </summary>
    /// <param name="endpoint">The <c>pipe://</c> endpoint (for <c>shm://NAME</c>, its control pipe <c>pipe://NAME.shm</c>).</param>
    /// <param name="reportAs">The endpoint the user wrote, named in the error; default <paramref name="endpoint"/>.</param>
    public static string Get(IpcEndpoint endpoint, IpcEndpoint? reportAs = null)
    {
        var name = endpoint.Address;
        string? problem =
            name.Length == 0 ? "it is empty"
            : name.Contains('/') ? "it contains '/': a path names a Unix socket (Linux, macOS); on Windows use a plain name"
            : name.Contains('\\') ? "it contains '\\': the name is what follows \\\\.\\pipe\\, not a path"
            : name.Contains('\0') ? "it contains a NUL character"
            : name is "." or ".." ? "it is '.' or '..'"
            : name.Equals("anonymous", StringComparison.OrdinalIgnoreCase) ? "'anonymous' is reserved by Windows"
            : Prefix.Length + name.Length > MaxPathLength ? $"\\\\.\\pipe\\NAME may be at most {MaxPathLength} characters long"
            : null;
        return problem is null
            ? name
            : throw new IpcConfigurationException($"'{reportAs ?? endpoint}' is not a valid endpoint on Windows: {problem}.");
    }
}
