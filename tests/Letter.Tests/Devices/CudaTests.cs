using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.Models.Tiger;
using Letter.Tests.Models.Tiger;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Tests.Devices;

/// <summary>A fact that needs a CUDA GPU usable by this build's libtorch; skipped, saying why, elsewhere.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!cuda.is_available())
            Skip = $"needs a CUDA GPU and a build with libtorch's CUDA package (this build: {AppContext.GetData(ComputeDevice.BackendSetting) ?? "unknown"})";
    }
}

/// <summary>Where a GPU is present: TIGER trains, saves and decodes on it, and its checkpoint decodes alike on the CPU.</summary>
[Collection(DefaultDeviceCollection.Name)]
public sealed class CudaTests
{
    [CudaFact]
    public void Tiger_TrainsOnTheGpu_AndItsCheckpointDecodesAlikeOnTheCpu()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 24, items: 12, length: 6));
        var config = TinyTiger.Config() with { Epochs = 2, MaxHistory = 3 };
        var gpu = ComputeDevice.Cuda(0);
        gpu.EnsureAvailable();
        var run = tmp.File("run");
        using (new StrayTensorTrap())
            TigerTrainer.Train(data, data.Index!, config, run, options: new TigerTrainOptions { Device = gpu });
        var histories = data.Users.Select(u => u.Items[..^1]).ToList();
        using var onGpu = TigerRecommender.Load(run, device: gpu);
        Assert.All(onGpu.Tiger().Model.parameters(), p => Assert.Equal(DeviceType.CUDA, p.device_type));
        using var onCpu = TigerRecommender.Load(run);
        var a = onGpu.Decode(histories, beam: 4);
        var b = onCpu.Decode(histories, beam: 4);
        for (int u = 0; u < histories.Count; u++)
        {
            // kernels differ, so scores agree to float rounding: the GPU's best identifier is among the CPU's beams, scored alike
            var cpuScores = b[u].ToDictionary(x => string.Join(',', x.Tokens), x => x.Score);
            Assert.True(cpuScores.TryGetValue(string.Join(',', a[u][0].Tokens), out var score));
            Assert.Equal(score, a[u][0].Score, 3);
        }
    }
}
