using System.Runtime.InteropServices;

namespace Letter.Common;

/// <summary>
/// Makes fresh tensor memory cheap on Linux/glibc. A new page costs a fault and a zeroing by the
/// kernel; on this project's VM that is ~7 us per 4 KB page, so allocating an 85 MB activation took
/// 150 ms while computing into it took 2 ms, and most of a TIGER step went to page faults.
/// Two settings: glibc keeps freed blocks up to 32 MB for reuse instead of unmapping them, and
/// libtorch backs blocks of 2 MB or more with transparent huge pages (its THP_MEM_ALLOC_ENABLE),
/// which turns 512 faults into one for the blocks glibc still maps afresh.
/// </summary>
public static class TensorMemory
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;
    private const string HugePagesVariable = "THP_MEM_ALLOC_ENABLE";
    private static bool _done;

    /// <summary>
    /// Idempotent. libtorch reads THP_MEM_ALLOC_ENABLE once, at its first allocation, so call this
    /// before any tensor exists (the CLI does so first thing). A value already set in the
    /// environment wins (THP_MEM_ALLOC_ENABLE=0 turns huge pages off).
    /// </summary>
    public static void Tune()
    {
        if (_done || !OperatingSystem.IsLinux()) return;
        _done = true;
        try
        {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);   // glibc's maximum: blocks up to 32 MB come from the heap
            mallopt(M_TRIM_THRESHOLD, 1 << 30);    // and freed heap memory stays for the next step
            setenv(HugePagesVariable, "1", overwrite: 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to tune.
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    // .NET's Environment.SetEnvironmentVariable does not reach the native environment that libtorch reads
    [DllImport("libc.so.6", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPStr)] string name, [MarshalAs(UnmanagedType.LPStr)] string value, int overwrite);
}
