using System.Globalization;
using System.Runtime.InteropServices;
using IpcContracts.Connections;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// The array a large binary argument or result is received into has its memory committed before the transport writes
/// into it (<see cref="ReceiveArrays"/>): writing 24 MiB into memory the OS has not yet backed otherwise takes one page
/// fault per 4 KiB page, one trap at a time (about 68 ms per 24 MiB on our test machine, against 2-3 ms for the copy).
/// Counted with this thread's minor faults (Linux: /proc/thread-self/stat), not timed.
/// </summary>
public sealed class ReceiveArraysTests
{
    private const int Size = 24 << 20;

    // What the two native blocks below are allocated with: above glibc's largest mmap threshold (32 MiB on 64-bit), so
    // each is a fresh mapping. At 24 MiB a block came from the heap once glibc had raised its threshold after an earlier
    // free, memory already touched, and the control then faulted 0 times (CI, once).
    private const int Allocation = 33 << 20;

    [Fact]
    public void Prepared_memory_takes_its_bytes_without_a_fault_per_page()
    {
        if (!OperatingSystem.IsLinux()) return; // the advice is Linux only; elsewhere Prepare does nothing
        var source = new byte[Size];
        Random.Shared.NextBytes(source); // touched: reading it faults nothing below

        // Control: fresh memory faults as it is written, so the count sees it.
        var unprepared = Marshal.AllocHGlobal(Allocation);
        long unpreparedFaults;
        try
        {
            var before = ThreadMinorFaults();
            Marshal.Copy(source, 0, unprepared, Size);
            unpreparedFaults = ThreadMinorFaults() - before;
        }
        finally
        {
            Marshal.FreeHGlobal(unprepared);
        }

        var prepared = Marshal.AllocHGlobal(Allocation);
        try
        {
            ReceiveArrays.Prepare(prepared, Size);
            if (!ReceiveArrays.Populates) return; // a kernel before 5.14 refuses MADV_POPULATE_WRITE: the array is used as it is
            var before = ThreadMinorFaults();
            Marshal.Copy(source, 0, prepared, Size);
            var preparedFaults = ThreadMinorFaults() - before;

            // Pages wholly inside the range are populated; at most the two partial pages at its ends fault (and a few for
            // whatever else this thread touches).
            Assert.InRange(preparedFaults, 0, 16);
            if (!TransparentHugePagesAlways()) Assert.True(unpreparedFaults > Size / 4096 / 2, $"the control faulted only {unpreparedFaults} times");
        }
        finally
        {
            Marshal.FreeHGlobal(prepared);
        }
    }

    [Fact]
    public void A_received_array_has_the_requested_length_and_takes_any_bytes()
    {
        var array = ReceiveArrays.Allocate(Size + 123);
        Assert.Equal(Size + 123, array.Length);
        array.AsSpan().Fill(0x5A);
        Assert.True(array.AsSpan().IndexOfAnyExcept((byte)0x5A) < 0);
    }

    private static long ThreadMinorFaults()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after the name: state, ppid, pgrp, session, tty, tpgid, flags, minflt
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    /// <summary>With THP "always" fresh memory faults once per 2 MiB, so the control's page count does not apply.</summary>
    private static bool TransparentHugePagesAlways() =>
        File.Exists("/sys/kernel/mm/transparent_hugepage/enabled") &&
        File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled").Contains("[always]", StringComparison.Ordinal);
}
