namespace IpcContracts.Cli.Infrastructure;

/// <summary>The tool's exit codes, the same for every command (README, "The ipc tool"), so scripts can tell failures apart.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The peer answered with an error (call), or <c>diff</c> found a breaking change.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: bad arguments, a malformed endpoint, an unknown contract or method, an unreadable file.</summary>
    public const int Usage = 2;

    /// <summary>The peer cannot be reached: nothing listening, refused, the connection lost, or a timeout.</summary>
    public const int Unavailable = 3;
}
