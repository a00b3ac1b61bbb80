using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace IpcContracts.Transports.Pipe;

/// <summary>The kernel32 calls .NET does not wrap: the peer's process ID, and whether a pipe name exists at all.</summary>
[SupportedOSPlatform("windows")]
internal static partial class NamedPipeInterop
{
    private const int ErrorFileNotFound = 2;

    /// <summary>The process at the client end of a connected server instance; <see cref="IpcAuthenticationException"/> if Windows cannot say.</summary>
    public static uint ClientProcessId(NamedPipeServerStream pipe, string endpoint) =>
        GetNamedPipeClientProcessId(pipe.SafePipeHandle, out var pid) && pid != 0
            ? pid
            : throw new IpcAuthenticationException($"{endpoint}: refusing a client whose process Windows cannot name (GetNamedPipeClientProcessId: {Marshal.GetLastPInvokeErrorMessage()}).");

    /// <summary>The process at the server end of a connected client; <see cref="IpcAuthenticationException"/> if Windows cannot say.</summary>
    public static uint ServerProcessId(NamedPipeClientStream pipe, string endpoint) =>
        GetNamedPipeServerProcessId(pipe.SafePipeHandle, out var pid) && pid != 0
            ? pid
            : throw new IpcAuthenticationException($"{endpoint}: refusing a server whose process Windows cannot name (GetNamedPipeServerProcessId: {Marshal.GetLastPInvokeErrorMessage()}).");

    /// <summary>
    /// False when no instance of the pipe exists (nobody listens). <see cref="NamedPipeClientStream"/> cannot tell that
    /// apart from "all instances busy": it retries a missing pipe until its timeout. WaitNamedPipe returns at once with
    /// ERROR_FILE_NOT_FOUND for a missing pipe, whatever the timeout; with 1 ms it does not wait for a busy one either.
    /// </summary>
    public static bool Exists(string name) =>
        WaitNamedPipe(WindowsPipeName.Prefix + name, 1) || Marshal.GetLastPInvokeError() != ErrorFileNotFound;

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetNamedPipeClientProcessId(SafePipeHandle pipe, out uint processId);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetNamedPipeServerProcessId(SafePipeHandle pipe, out uint processId);

    [LibraryImport("kernel32.dll", EntryPoint = "WaitNamedPipeW", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool WaitNamedPipe(string name, uint timeoutMs);
}
