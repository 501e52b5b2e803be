using System.Runtime.InteropServices;
using TorchSharp;

namespace Letter.Common;

/// <summary>
/// Lets libtorch's bundled MKL use its fastest kernels on AMD processors. MKL picks its fp32 GEMM
/// kernel by CPU vendor as well as by instruction set: on a non-Intel CPU it takes a generic path,
/// whatever the CPU supports. On this project's AMD EPYC (AVX-512) that made an fp32 matmul 2.2-2.4x
/// slower (150-165 against 345-395 GFLOP/s on 2 threads) and slower than PyTorch builds that link OpenBLAS.
/// <para>
/// MKL asks one function, <c>mkl_serv_intel_cpu_true</c>, whether the CPU is Intel, and that function
/// caches its answer in a static int (-1 until first asked). Writing 1 there before the first BLAS call
/// is the in-process form of the common LD_PRELOAD workaround: MKL then dispatches on the instruction
/// set alone (cpuid feature bits), as it does on Intel. Only done on AuthenticAMD, only when the
/// function's code has the expected shape (so another MKL build is left alone), only before MKL has
/// decided, and not at all when LETTER_MKL_AMD_KERNELS=0.
/// </para>
/// </summary>
public static class MklCpuDispatch
{
    public const string OptOutVariable = "LETTER_MKL_AMD_KERNELS";
    private const string Probe = "mkl_serv_intel_cpu_true";
    private static readonly object Gate = new();
    private static string? _status;

    /// <summary>What <see cref="Unlock"/> or <see cref="Keep"/> decided, for logs and run records; null before either ran.</summary>
    public static string? Status => _status;

    /// <summary>Idempotent; call before the first matrix product (a host does, through <see cref="LetterRuntime.Apply"/>).</summary>
    public static string Unlock()
    {
        lock (Gate) return _status ??= TryUnlock();
    }

    private static string TryUnlock()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return "MKL's own dispatch (not Linux x64)";
        if (Environment.GetEnvironmentVariable(OptOutVariable) == "0")
            return $"MKL's own dispatch ({OptOutVariable}=0)";
        string? vendor = CpuVendor();
        if (vendor != "AuthenticAMD")
            return $"MKL's own dispatch ({vendor ?? "unknown"} CPU)";

        torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch, allocates no tensor
        IntPtr probe = FindProbe();
        if (probe == IntPtr.Zero) return "MKL's own dispatch (no MKL vendor probe in libtorch)";
        IntPtr cached = CachedAnswerAddress(probe);
        if (cached == IntPtr.Zero) return "MKL's own dispatch (unfamiliar MKL build)";
        int answer = Marshal.ReadInt32(cached);
        if (answer >= 0) return $"MKL's own dispatch (MKL had already decided: intel={answer})";
        Marshal.WriteInt32(cached, 1);
        return "MKL kernels chosen by instruction set (vendor check bypassed on AuthenticAMD)";
    }

    /// <summary>Leaves MKL's dispatch alone for this process (a later <see cref="Unlock"/> changes nothing).</summary>
    public static string Keep(string reason)
    {
        lock (Gate) return _status ??= $"MKL's own dispatch ({reason})";
    }

    /// <summary>Calls MKL's vendor probe: 1 when MKL treats the CPU as Intel. For tests and diagnostics.</summary>
    public static int AskMkl()
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        IntPtr probe = FindProbe();
        if (probe == IntPtr.Zero) throw new InvalidOperationException($"libtorch has no {Probe}");
        return Marshal.GetDelegateForFunctionPointer<IntProbe>(probe)();
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntProbe();

    internal static string? CpuVendor()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("vendor_id", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>The probe's address in the libtorch_cpu.so this process has loaded (found in /proc/self/maps).</summary>
    private static IntPtr FindProbe()
    {
        string? path = File.ReadLines("/proc/self/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && f[5].EndsWith("/libtorch_cpu.so", StringComparison.Ordinal))
            .Select(f => f[5])
            .FirstOrDefault();
        if (path is null || !NativeLibrary.TryLoad(path, out IntPtr handle)) return IntPtr.Zero;
        return NativeLibrary.TryGetExport(handle, Probe, out IntPtr probe) ? probe : IntPtr.Zero;
    }

    /// <summary>
    /// The probe starts <c>mov eax, [rip+disp32]; test eax, eax; js ...</c>: it returns the cached
    /// answer unless negative. The cached int is at the end of that mov (probe + 6) plus disp32.
    /// </summary>
    private static IntPtr CachedAnswerAddress(IntPtr probe)
    {
        byte[] code = new byte[9];
        Marshal.Copy(probe, code, 0, code.Length);
        bool expected = code[0] == 0x8B && code[1] == 0x05 && code[6] == 0x85 && code[7] == 0xC0 && code[8] == 0x78;
        if (!expected) return IntPtr.Zero;
        int displacement = BitConverter.ToInt32(code, 2);
        return probe + 6 + displacement;
    }
}
