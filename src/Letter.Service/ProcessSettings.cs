namespace Letter.Service;

/// <summary>The process settings a host owns (the library never changes them itself).</summary>
public static class ProcessSettings
{
    private static int _prepared;

    /// <summary>
    /// Process settings a host owns, applied once before libtorch loads: OpenMP threads that sleep when idle
    /// instead of spinning (a server shares its cores with its HTTP threads and, often, other programs:
    /// measured on a shared 2-core machine, spinning cost 10x in throughput; an OMP_WAIT_POLICY already set wins),
    /// libtorch's memory and kernels, and the torch threads.
    /// </summary>
    public static void Prepare(ServeOptions options)
    {
        if (Interlocked.Exchange(ref _prepared, 1) == 0)
        {
            if (OperatingSystem.IsLinux())
            {
                try { setenv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0); }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
            }
        }
        Letter.Common.LetterRuntime.Apply(new Letter.Common.RuntimeOptions(options.Threads, Fp32Products: !options.Bf16));
    }

    // .NET's Environment.SetEnvironmentVariable does not reach the native environment libgomp reads
    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "setenv")]
    private static extern int setenv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPStr)] string name,
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPStr)] string value, int overwrite);
}
