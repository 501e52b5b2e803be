namespace Letter.Common;

/// <summary>
/// Process-wide settings for libtorch on this kind of machine, applied once before the first tensor:
/// cheap fresh memory (<see cref="TensorMemory"/>) and, for fp32 work, MKL's fast kernels on AMD
/// (<see cref="MklCpuDispatch"/>). Every trainer, evaluator and benchmark calls it, so library callers
/// get it too; the CLI tunes memory first thing, before it knows the precision.
/// </summary>
public static class TorchRuntime
{
    /// <param name="fp32Products">
    /// false for runs whose matrix products are bf16: with MKL's Intel kernels the tokenizer's bf16
    /// epochs were ~35% slower on this project's AMD CPU (3.6 -> 4.9 s on Yelp; docs/benchmarks.md),
    /// so those runs keep MKL's own dispatch. Whichever call reaches MKL first decides for the process.
    /// </param>
    public static void Prepare(bool fp32Products = true)
    {
        TensorMemory.Tune();     // first: libtorch reads its huge-page variable at its first allocation
        if (fp32Products) MklCpuDispatch.Unlock(); // then: loads libtorch, before MKL's first product
        else MklCpuDispatch.Keep("bf16 products");
    }
}
