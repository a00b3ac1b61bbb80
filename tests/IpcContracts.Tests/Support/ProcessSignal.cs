using System.Diagnostics;

namespace IpcContracts.Tests.Support;

/// <summary>Sends a Unix signal to a test's peer process: STOP freezes it with its connections open, CONT lets it go.</summary>
internal static class ProcessSignal
{
    public static void Send(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString()]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
