using System.Runtime.InteropServices;

namespace Letter.Collaborative;

/// <summary>
/// Keeps freed tensor memory inside the process on Linux/glibc. By default glibc returns large blocks
/// to the system and maps them again on the next step; every training step then page-faults its
/// score blocks afresh (measured: most of a Yelp step was system time).
/// </summary>
internal static class GlibcHeap
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;
    private static bool _done;

    public static void KeepFreedMemory()
    {
        if (_done || !OperatingSystem.IsLinux()) return;
        _done = true;
        try
        {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);   // glibc's maximum: blocks up to 32 MB come from the heap
            mallopt(M_TRIM_THRESHOLD, 1 << 30);    // and freed heap memory stays for the next step
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to tune.
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
