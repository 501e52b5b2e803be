namespace Letter.Common;

/// <summary>
/// The process-wide settings of libtorch that Letter's work runs best with. The library never applies
/// them itself: a host (the CLI, a test host, a service) applies them through <see cref="LetterRuntime.Apply"/>.
/// </summary>
/// <param name="Threads">libtorch's intra-op threads (each config records the count it ran with)</param>
/// <param name="Fp32Products">
/// false for work whose matrix products are bf16: with MKL's Intel kernels the tokenizer's bf16 epochs
/// were ~35% slower on this project's AMD CPU (3.6 -> 4.9 s on Yelp; docs/benchmarks.md), so such work
/// keeps MKL's own dispatch. Whichever application reaches MKL first decides for the process.
/// </param>
/// <param name="TuneMemory">cheap fresh memory for libtorch's allocations (<see cref="TensorMemory"/>)</param>
public sealed record RuntimeOptions(int Threads = 2, bool Fp32Products = true, bool TuneMemory = true);

/// <summary>Applies <see cref="RuntimeOptions"/> to the process: for hosts only, before (and between) pieces of torch work.</summary>
public static class LetterRuntime
{
    public static void Apply(RuntimeOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Threads, 1);
        if (options.TuneMemory) TensorMemory.Tune(); // first: libtorch reads its huge-page variable at its first allocation
        if (options.Fp32Products) MklCpuDispatch.Unlock(); // then: loads libtorch, before MKL's first product
        else MklCpuDispatch.Keep("bf16 products");
        TorchSharp.torch.set_num_threads(options.Threads);
    }
}
