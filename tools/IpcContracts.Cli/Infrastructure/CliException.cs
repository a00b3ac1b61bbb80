namespace IpcContracts.Cli.Infrastructure;

/// <summary>A failure the tool reports as one line on standard error, with its exit code (<see cref="ExitCodes"/>).</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
