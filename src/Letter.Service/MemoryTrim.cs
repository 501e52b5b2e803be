using System.Runtime.InteropServices;

namespace Letter.Service;

/// <summary>
/// Hands freed heap memory back to the system after a large decoding. The library keeps freed blocks for
/// reuse (<see cref="Letter.Common.TensorMemory"/>: glibc's trim threshold at 1 GB), which makes training
/// steps cheap but would keep a server at the peak of its largest request; glibc's <c>malloc_trim</c> returns
/// the free pages once the decoder is idle. Not glibc (musl, macOS): nothing is done.
/// </summary>
internal static class MemoryTrim
{
    /// <summary>Beams decoded in one call from which the decoder trims when it goes idle.</summary>
    public const int AfterBeams = 256;

    private static bool _unavailable;

    public static void Trim()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return;
        try { malloc_trim(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { _unavailable = true; }
    }

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
