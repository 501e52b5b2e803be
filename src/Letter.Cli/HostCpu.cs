using Letter.Common;

namespace Letter.Cli;

/// <summary>
/// The CPU the CLI runs on, for the bf16 policy. <c>LETTER_CPU_FLAGS</c> (a flags line) stands in for
/// /proc/cpuinfo, so the fallback can be tried and tested on a machine that has bf16; only the CLI
/// host reads it, never the library.
/// </summary>
public static class HostCpu
{
    public const string FlagsVariable = "LETTER_CPU_FLAGS";

    public static CpuFeatures Features =>
        Environment.GetEnvironmentVariable(FlagsVariable) is { } flags
            ? CpuFeatures.FromFlags(flags, $"${FlagsVariable}")
            : CpuFeatures.Detect();

    /// <summary>The effective bf16 setting for <paramref name="what"/>; a request this CPU cannot serve well prints one line and gives fp32.</summary>
    public static bool Bf16(bool requested, string what, TextWriter notices)
    {
        var (bf16, reason) = Features.Bf16Decision(requested);
        if (reason is not null) notices.WriteLine($"letter: {what}: {reason} (--bf16 pays only on CPUs with avx512_bf16 or amx_bf16)");
        return bf16;
    }
}
