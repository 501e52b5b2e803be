namespace Letter.Common;

/// <summary>
/// What the CPU offers for bfloat16. libtorch runs bf16 matrix products natively only with
/// AVX512-BF16 or AMX-BF16; without them (AVX2-only AMD EPYC and older Intel parts) it falls back to
/// a scalar reference GEMM, and bf16 becomes far slower than fp32 (a tokenizer epoch over 12,101
/// items: 5.2 minutes instead of 4.4 s). Read from /proc/cpuinfo on Linux; anywhere else, or when
/// that file cannot be read, the flags are unknown and bf16 counts as not native.
/// </summary>
/// <param name="Known">whether the flags were read at all</param>
public sealed record CpuFeatures(string? ModelName, IReadOnlySet<string> Flags, bool Known, string Source)
{
    /// <summary>The flags that decide bf16 speed (and are worth naming beside a benchmark).</summary>
    public static readonly IReadOnlyList<string> RelevantFlagNames = ["avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"];

    public static CpuFeatures Unknown(string why) => new(null, new HashSet<string>(), false, why);

    /// <summary>Native bf16 arithmetic: AVX512-BF16 or AMX-BF16 among the flags.</summary>
    public bool HasNativeBf16 => Flags.Contains("avx512_bf16") || Flags.Contains("amx_bf16");

    /// <summary>Those of <see cref="RelevantFlagNames"/> that this CPU has.</summary>
    public IReadOnlyList<string> RelevantFlags => RelevantFlagNames.Where(Flags.Contains).ToList();

    /// <summary>
    /// The text of /proc/cpuinfo: the first processor's "flags" and "model name" lines (every core of
    /// a machine reports the same). No flags line: unknown.
    /// </summary>
    public static CpuFeatures ParseCpuInfo(string text, string source = "/proc/cpuinfo")
    {
        string? model = null, flags = null;
        foreach (var line in text.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            if (key == "model name") model ??= line[(colon + 1)..].Trim();
            else if (key is "flags" or "Features") flags ??= line[(colon + 1)..];
        }
        return flags is null ? Unknown($"{source} has no flags line") : FromFlags(flags, source) with { ModelName = model };
    }

    /// <summary>A space-separated flags line as /proc/cpuinfo writes it (e.g. "fpu sse2 avx2 avx512f").</summary>
    public static CpuFeatures FromFlags(string flags, string source = "flags") =>
        new(null, flags.Split((char[])[' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries).Select(f => f.ToLowerInvariant()).ToHashSet(), true, source);

    /// <summary>This machine's CPU (Linux: /proc/cpuinfo; elsewhere unknown).</summary>
    public static CpuFeatures Detect()
    {
        const string path = "/proc/cpuinfo";
        if (!OperatingSystem.IsLinux()) return Unknown($"CPU flags are read only on Linux (this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription})");
        try
        {
            return ParseCpuInfo(File.ReadAllText(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unknown($"{path} could not be read ({e.Message})");
        }
    }

    /// <summary>
    /// The precision to run when bf16 is <paramref name="requested"/>: bf16 only where the CPU has it
    /// natively. The reason is null when the request stands, else one sentence for the host to show.
    /// </summary>
    public (bool Bf16, string? Reason) Bf16Decision(bool requested)
    {
        if (!requested || HasNativeBf16) return (requested, null);
        var cpu = ModelName ?? "this CPU";
        var why = Known
            ? $"{cpu} has no native bf16 arithmetic (neither avx512_bf16 nor amx_bf16 among its flags, from {Source})"
            : $"it is not known whether {cpu} has native bf16 arithmetic ({Source})";
        return (false, $"bf16 was requested, but {why}: running fp32 instead, since libtorch's bf16 fallback there is many times slower than fp32");
    }
}
