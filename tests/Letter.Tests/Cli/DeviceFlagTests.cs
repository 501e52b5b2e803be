using Letter.Data;
using Letter.Models.Tiger;
using Letter.Tests.Models.Tiger;

namespace Letter.Tests.Cli;

/// <summary><c>--device</c> on train, eval, recommend and serve: cuda on this CPU build is one line and exit 2, before anything is written or loaded.</summary>
public class DeviceFlagTests
{
    private const string CpuBuild = "letter: device cuda: this build of Letter uses libtorch's CPU package, which has no CUDA; use device cpu, " +
                                    "or a build of Letter made with libtorch's CUDA package (LetterTorchBackend=cuda, see docs/architecture.md, Devices)";

    [Fact]
    public void Cuda_OnTheCpuBuild_IsRefused_ByEveryCommandThatRunsAModel()
    {
        using var dir = new TempDir();
        TinyTiger.WriteRuleDataset(dir.Path, users: 30, items: 12, length: 6);
        var data = LetterDataset.Load(dir.Path);
        var run = dir.File("run");
        TigerTrainer.Train(data, data.Index!, TinyTiger.Config() with { Epochs = 1 }, run);

        foreach (var args in new[]
                 {
                     new[] { "train", dir.Path, "--out", dir.File("new"), "--device", "cuda" },
                     ["eval", run, "--device", "cuda"],
                     ["recommend", run, "--history", "1,2", "--device", "cuda"],
                     ["serve", run, "--device", "cuda"],
                 })
        {
            var r = CliRunner.Run(args);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal(CpuBuild, Assert.Single(r.ErrorLines).TrimEnd('\r'));
        }
        Assert.False(Directory.Exists(dir.File("new")));

        var bad = CliRunner.Run("eval", run, "--device", "gpu");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("letter: device 'gpu' is not one Letter knows: use cpu, cuda or cuda:N (N = 0, 1, ...)", Assert.Single(bad.ErrorLines).TrimEnd('\r'));
    }
}
