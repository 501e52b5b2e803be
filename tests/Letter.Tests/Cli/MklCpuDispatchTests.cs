using Letter.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Tests.Cli;

public class MklCpuDispatchTests
{
    [Fact]
    public void On_AMD_and_Intel_MKL_takes_the_CPU_for_Intel_so_it_dispatches_on_instruction_set()
    {
        string vendor = MklCpuDispatch.CpuVendor() ?? "unknown";
        string status = MklCpuDispatch.Unlock();
        if (vendor == "AuthenticAMD")
            Assert.StartsWith("MKL kernels chosen by instruction set", status);
        else
            Assert.StartsWith("MKL's own dispatch", status);
        if (vendor is "AuthenticAMD" or "GenuineIntel")
            Assert.Equal(1, MklCpuDispatch.AskMkl());
    }

    [Theory]
    [InlineData(300, 200, 100)]
    [InlineData(1024, 384, 512)]
    public void Fp32_products_with_the_chosen_kernels_match_a_float64_reference(int m, int k, int n)
    {
        MklCpuDispatch.Unlock();
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var a = randn(m, k, generator: generator);
        var b = randn(k, n, generator: generator);
        var product = matmul(a, b);
        var reference = matmul(a.to(ScalarType.Float64), b.to(ScalarType.Float64));
        // fp32 accumulation over k terms of unit variance: errors near 1e-6 * sqrt(k) * |typical value|
        double worst = (product.to(ScalarType.Float64) - reference).abs().max().item<double>();
        double scale = reference.abs().max().item<double>();
        Assert.True(worst < 1e-5 * scale, $"largest error {worst} against a largest value {scale}");
        // and the gradient path (the transposed products of backward) too
        var x = a.clone().requires_grad_(true);
        matmul(x, b).sum().backward();
        var expected = b.to(ScalarType.Float64).sum(1).unsqueeze(0).expand(m, k);
        double gradWorst = (x.grad!.to(ScalarType.Float64) - expected).abs().max().item<double>();
        Assert.True(gradWorst < 1e-4, $"largest gradient error {gradWorst}");
    }
}
