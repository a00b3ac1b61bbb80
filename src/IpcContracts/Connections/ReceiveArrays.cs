using System.Runtime.InteropServices;

namespace IpcContracts.Connections;

/// <summary>
/// The new array a large binary argument or result is received into (<see cref="LargeFrame"/>), with its memory made ready
/// before the transport writes into it.
/// </summary>
/// <remarks>
/// The receiver owns that array, so it is a fresh one each time, and the GC sometimes hands it memory the OS has taken back:
/// then every 4 KiB page is faulted in, one trap at a time, while the bytes land. On our test machine (a KVM guest) that
/// is ~6,112 faults and ~68 ms per 24 MiB against ~2-3 ms for the copy, in every other transfer of a steady stream of them
/// (docs/benchmarks.md, "Sessions 10 and 11"). On Linux the array's range is first advised for transparent huge pages
/// (<c>MADV_HUGEPAGE</c>, where the system allows them only on request) and then populated in one call
/// (<c>MADV_POPULATE_WRITE</c>, Linux 5.14+): the same memory, committed in 2 MiB pieces by the kernel in one pass instead
/// of page by page; that transfer took 5-6 ms. Both are advice: on memory that is already there they cost a page-table
/// walk, and where they are not supported (older kernels, other systems) the array is used as it is.
/// </remarks>
internal static unsafe partial class ReceiveArrays
{
    private const int MadvHugePage = 14;
    private const int MadvPopulateWrite = 23;
    private const long PageSize = 4096;
    private const long HugePageSize = 2 << 20;

    /// <summary>Cleared once the kernel refuses <c>MADV_POPULATE_WRITE</c> (before 5.14: EINVAL), so it is not asked again.</summary>
    private static bool s_populate = OperatingSystem.IsLinux();

    /// <summary>True while <see cref="Prepare"/> populates memory (Linux, and the kernel has not refused it).</summary>
    internal static bool Populates => s_populate;

    /// <summary>A new array of <paramref name="length"/> bytes (not cleared: the transport overwrites all of it), its memory ready.</summary>
    public static byte[] Allocate(int length)
    {
        var array = GC.AllocateUninitializedArray<byte>(length);
        fixed (byte* p = array) Prepare((nint)p, length);
        return array;
    }

    /// <summary>
    /// Advises the whole pages inside [<paramref name="start"/>, +<paramref name="length"/>) for huge pages and populates
    /// them for writing (Linux; elsewhere nothing). Only pages wholly inside the range are touched.
    /// </summary>
    internal static void Prepare(nint start, long length)
    {
        if (!s_populate) return;
        var begin = (long)start;
        var end = begin + length;
        var hugeBegin = (begin + HugePageSize - 1) & ~(HugePageSize - 1);
        var hugeEnd = end & ~(HugePageSize - 1);
        if (hugeEnd > hugeBegin) _ = Madvise((nint)hugeBegin, (nuint)(hugeEnd - hugeBegin), MadvHugePage); // a hint: refused is fine
        var pageBegin = (begin + PageSize - 1) & ~(PageSize - 1);
        var pageEnd = end & ~(PageSize - 1);
        if (pageEnd > pageBegin && Madvise((nint)pageBegin, (nuint)(pageEnd - pageBegin), MadvPopulateWrite) != 0 &&
            Marshal.GetLastPInvokeError() == EInval)
        {
            s_populate = false;
        }
    }

    private const int EInval = 22;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
