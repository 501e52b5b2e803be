using System.Text.Json;
using Letter.Common;
using Letter.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Tests.Devices;

public class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu", DeviceKind.Cpu, null, "cpu")]
    [InlineData("CPU", DeviceKind.Cpu, null, "cpu")]
    [InlineData("cuda", DeviceKind.Cuda, null, "cuda")]
    [InlineData("cuda:0", DeviceKind.Cuda, 0, "cuda:0")]
    [InlineData("Cuda:12", DeviceKind.Cuda, 12, "cuda:12")]
    public void ParsesWhatPyTorchSpells(string text, DeviceKind kind, int? index, string canonical)
    {
        var device = ComputeDevice.Parse(text);
        Assert.Equal(kind, device.Kind);
        Assert.Equal(index, device.Index);
        Assert.Equal(canonical, device.ToString());
        Assert.Equal(device, ComputeDevice.Parse(device.ToString()));
    }

    [Theory]
    [InlineData("gpu", "'gpu'")]
    [InlineData("", "''")]
    [InlineData("cuda:", "'cuda:'")]
    [InlineData("cuda:-1", "'cuda:-1'")]
    [InlineData("cuda:+1", "'cuda:+1'")]
    [InlineData("cuda: 1", "'cuda: 1'")]
    [InlineData("cuda:99999999999", "'cuda:99999999999'")]
    [InlineData(" cpu", "' cpu'")]
    [InlineData("mps", "'mps'")]
    [InlineData("cpu\nrm -rf", "'cpu\\u000arm -rf'")]
    public void RefusesAnythingElseNamingTheValue(string text, string quoted)
    {
        var e = Assert.Throws<LetterConfigException>(() => ComputeDevice.Parse(text));
        Assert.Equal($"device {quoted} is not one Letter knows: use cpu, cuda or cuda:N (N = 0, 1, ...)", e.Message);
        Assert.False(ComputeDevice.TryParse(text, out _));
    }

    [Fact]
    public void TheDefaultIsTheCpu()
    {
        Assert.Equal(ComputeDevice.Cpu, default);
        Assert.Equal(ComputeDevice.Cpu, new RuntimeOptions().Device);
        Assert.Equal(DeviceType.CPU, ComputeDevice.Cpu.ToTorch().type);
        Assert.NotEqual(ComputeDevice.Cuda(), ComputeDevice.Cuda(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ComputeDevice.Cuda(-1));
    }

    [Fact]
    public void MapsToLibtorchDevices()
    {
        var gpu = ComputeDevice.Cuda(1).ToTorch();
        Assert.Equal(DeviceType.CUDA, gpu.type);
        Assert.Equal(1, gpu.index);
        using var t = zeros(2, device: CPU);
        Assert.Equal(ComputeDevice.Cpu, ComputeDevice.Of(t));
        using var meta = zeros(2, device: new Device("meta"));
        Assert.Throws<ArgumentException>(() => ComputeDevice.Of(meta));
    }

    private sealed record Settings(ComputeDevice Device);

    [Fact]
    public void IsTextInJson()
    {
        Assert.Equal("{\"device\":\"cuda:3\"}", JsonSerializer.Serialize(new Settings(ComputeDevice.Cuda(3)), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        Assert.Equal(ComputeDevice.Cuda(), LetterJson.Deserialize<Settings>("{\"device\": \"cuda\"}")!.Device);
        var e = Assert.Throws<JsonException>(() => LetterJson.Deserialize<Settings>("{\"device\": \"tpu\"}"));
        Assert.StartsWith("device \"tpu\" is not one Letter knows", e.Message);
    }

    [Fact]
    public void TheCpuBuildRefusesCudaWithOneLineThatSaysWhy()
    {
        // the test host is built like every host here, with libtorch's CPU package (LetterTorchBackend=cpu)
        Assert.Equal("cpu", AppContext.GetData(ComputeDevice.BackendSetting));
        Assert.False(TorchSharp.torch.cuda.is_available());
        ComputeDevice.Cpu.EnsureAvailable();
        foreach (var device in new[] { ComputeDevice.Cuda(), ComputeDevice.Cuda(0) })
        {
            var e = Assert.Throws<LetterConfigException>(() => device.EnsureAvailable());
            Assert.Equal($"device {device}: this build of Letter uses libtorch's CPU package, which has no CUDA; use device cpu, " +
                         "or a build of Letter made with libtorch's CUDA package (LetterTorchBackend=cuda, see docs/architecture.md, Devices)", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Throws<LetterConfigException>(() => LetterRuntime.Apply(new RuntimeOptions(Device: device)));
        }
        LetterRuntime.Apply(new RuntimeOptions());
    }
}
