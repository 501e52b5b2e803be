using Letter.Cli;
using Letter.Common;
using Letter.Data;
using Letter.Formats;
using Letter.IO;
using Letter.Progress;
using Letter.Models.Tiger;
using Letter.Tests.Models.Tiger;
using Letter.Tests.Tokenization;

namespace Letter.Tests.Cli;

/// <summary>bf16 runs only where the CPU has native bf16 arithmetic; elsewhere the CLI says so in one line and runs fp32.</summary>
public class CpuFeaturesTests
{
    private const string EpycAvx2 = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm " +
                                    "constant_tsc rep_good nopl xtopology nonstop_tsc cpuid pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand avx2 bmi2";
    private const string Zen4 = EpycAvx2 + " avx512f avx512dq avx512bw avx512vl avx512_bf16 avx512_vnni";
    private const string SapphireRapids = EpycAvx2 + " avx512f avx512_bf16 amx_bf16 amx_tile amx_int8";

    [Theory]
    [InlineData(EpycAvx2, false)]
    [InlineData(Zen4, true)]
    [InlineData(EpycAvx2 + " amx_bf16 amx_tile", true)]
    [InlineData(SapphireRapids, true)]
    [InlineData("", false)]
    public void NativeBf16_IsAvx512Bf16_OrAmxBf16(string flags, bool native)
    {
        var cpu = CpuFeatures.FromFlags(flags);
        Assert.Equal(native, cpu.HasNativeBf16);
        Assert.Equal(native, cpu.Bf16Decision(requested: true).Bf16);
        Assert.Equal(native, cpu.Bf16Decision(requested: true).Reason is null);
        Assert.Equal((false, (string?)null), cpu.Bf16Decision(requested: false));
    }

    [Fact]
    public void ParseCpuInfo_ReadsTheFirstProcessorsModelAndFlags()
    {
        var text = $"processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B12\nflags\t\t: {EpycAvx2}\n\n" +
                   $"processor\t: 1\nmodel name\t: AMD EPYC 7B12\nflags\t\t: {EpycAvx2}\n";
        var cpu = CpuFeatures.ParseCpuInfo(text);
        Assert.True(cpu.Known);
        Assert.Equal("AMD EPYC 7B12", cpu.ModelName);
        Assert.Equal(["avx2"], cpu.RelevantFlags);
        var (bf16, reason) = cpu.Bf16Decision(true);
        Assert.False(bf16);
        Assert.Equal("bf16 was requested, but AMD EPYC 7B12 has no native bf16 arithmetic (neither avx512_bf16 nor amx_bf16 among its flags, from /proc/cpuinfo): " +
                     "running fp32 instead, since libtorch's bf16 fallback there is many times slower than fp32", reason);
        Assert.Equal(["avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"], CpuFeatures.ParseCpuInfo($"model name : X\nflags : {SapphireRapids}").RelevantFlags);
    }

    [Fact]
    public void UnreadableOrFlaglessCpuInfo_IsUnknown_AndUnknownMeansFp32()
    {
        var cpu = CpuFeatures.ParseCpuInfo("processor : 0\n");
        Assert.False(cpu.Known);
        var (bf16, reason) = cpu.Bf16Decision(true);
        Assert.False(bf16);
        Assert.StartsWith("bf16 was requested, but it is not known whether this CPU has native bf16 arithmetic (/proc/cpuinfo has no flags line)", reason);
    }

    private static (int Code, string Stderr) WithFlags(string flags, params string[] args)
    {
        var before = Environment.GetEnvironmentVariable(HostCpu.FlagsVariable);
        Environment.SetEnvironmentVariable(HostCpu.FlagsVariable, flags);
        try
        {
            var stderr = new StringWriter();
            int code = CliApp.Run(args, new StringWriter(), stderr);
            return (code, stderr.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(HostCpu.FlagsVariable, before);
            Letter.Cli.Progress.ProgressBar.Enabled = true;
        }
    }

    [Fact]
    public void Tokenize_Bf16_OnACpuWithoutIt_SaysSoOnce_AndRecordsFp32()
    {
        using var tmp = new TempDir();
        var folder = SyntheticDataset.Write(tmp.File("data"), SynthOptions.Default with { Users = 30 });
        NpyFile.Write(folder.SemanticEmbeddingFile, TinyTokenizer.Random(600, 6, 1));
        string[] tiny = ["--mode", "rqvae", "--hidden", "16,8", "--latent-dim", "4", "--levels", "3", "--codebook-size", "16", "--clusters", "2",
                         "--epochs", "1", "--min-epochs", "1", "--batch-size", "128", "--kmeans-restarts", "1", "--quiet", "--bf16"];

        var (code, stderr) = WithFlags(EpycAvx2, ["tokenize", folder.Directory, "--out", tmp.File("fp32"), .. tiny]);
        Assert.Equal(0, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("bf16"));
        Assert.StartsWith("letter: tokenize: bf16 was requested, but this CPU has no native bf16 arithmetic (neither avx512_bf16 nor amx_bf16 among its flags, from $LETTER_CPU_FLAGS)", line);
        Assert.Contains("\"bf16\": false", File.ReadAllText(Path.Combine(tmp.File("fp32"), "config.json")));

        (code, stderr) = WithFlags(Zen4, ["tokenize", folder.Directory, "--out", tmp.File("bf16"), .. tiny]);
        Assert.Equal(0, code);
        Assert.DoesNotContain("bf16 was requested", stderr);
        Assert.Contains("\"bf16\": true", File.ReadAllText(Path.Combine(tmp.File("bf16"), "config.json")));
    }

    [Fact]
    public void TrainAndEval_Bf16_OnACpuWithoutIt_RunFp32()
    {
        using var tmp = new TempDir();
        var data = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 20);
        var run = tmp.File("run");
        var (code, stderr) = WithFlags(EpycAvx2, "train", data, "--out", run, "--epochs", "1", "--batch-size", "16", "--bf16");
        Assert.Equal(0, code);
        Assert.Single(stderr.Split('\n'), l => l.StartsWith("letter: train: bf16 was requested, but this CPU has no native bf16", StringComparison.Ordinal));
        Assert.False(new TigerRunFolder(run).ReadInfo().Config.Bf16);

        (code, stderr) = WithFlags(EpycAvx2, "eval", run, "--bf16");
        Assert.Equal(0, code);
        Assert.Single(stderr.Split('\n'), l => l.StartsWith("letter: eval: bf16 was requested", StringComparison.Ordinal));
        // the fp32 evaluation is the run's own: metrics.json, precision fp32 (not a -bf16 variant)
        Assert.Contains("\"precision\": \"fp32\"", File.ReadAllText(new TigerRunFolder(run).MetricsFile));
        Assert.False(File.Exists(new TigerRunFolder(run).MetricsFileFor(Letter.Data.DataSplit.Test, bf16: true)));
    }
}
