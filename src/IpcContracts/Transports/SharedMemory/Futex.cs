using System.Runtime.InteropServices;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// Linux futex on a 32-bit word inside the shared segment (not FUTEX_PRIVATE, so it works across
/// processes). Elsewhere <see cref="Wait"/> degrades to a short sleep, which is correct but slower.
/// </summary>
internal static unsafe partial class Futex
{
    private const int FutexWait = 0;
    private const int FutexWake = 1;

    private static readonly long s_syscallNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => -1,
    };

    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && s_syscallNumber > 0;

    /// <summary>Sleeps while <c>*word == expected</c>, at most <paramref name="timeoutMs"/>; returns early on a wake.</summary>
    public static void Wait(int* word, int expected, int timeoutMs)
    {
        if (!IsSupported)
        {
            Thread.Sleep(1);
            return;
        }
        var timeout = new Timespec { Seconds = timeoutMs / 1000, Nanoseconds = (timeoutMs % 1000) * 1_000_000L };
        // Result ignored: EAGAIN (value changed), EINTR and ETIMEDOUT all mean "look again".
        _ = Syscall(s_syscallNumber, word, FutexWait, expected, &timeout, null, 0);
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters on <paramref name="word"/>.</summary>
    public static void Wake(int* word, int count = int.MaxValue)
    {
        if (IsSupported) _ = Syscall(s_syscallNumber, word, FutexWake, count, null, null, 0);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // glibc's syscall() only moves registers, so declaring the variadic prototype with fixed arguments is safe.
    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number, int* word, int op, int value, Timespec* timeout, int* word2, int value3);
}
