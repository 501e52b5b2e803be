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
/// <param name="Device">
/// where the work's models and tensors live (the CPU by default). <see cref="LetterRuntime.Apply"/> checks
/// that libtorch can use it; the host then passes it to what it builds or loads (trainer options,
/// recommender loaders). It changes no process-wide setting: libtorch's default device stays the CPU.
/// </param>
public sealed record RuntimeOptions(int Threads = 2, bool Fp32Products = true, bool TuneMemory = true, ComputeDevice Device = default);

/// <summary>
/// Applies <see cref="RuntimeOptions"/> to the process: for hosts only, before (and between) pieces of torch
/// work. A device libtorch cannot use throws <see cref="Letter.IO.LetterConfigException"/> before the threads and MKL's dispatch are set.
/// </summary>
public static class LetterRuntime
{
    public static void Apply(RuntimeOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Threads, 1);
        if (options.TuneMemory) TensorMemory.Tune(); // first: libtorch reads its huge-page variable at its first allocation
        options.Device.EnsureAvailable(); // a CUDA device loads libtorch to ask; the CPU asks nothing
        if (options.Fp32Products) MklCpuDispatch.Unlock(); // then: loads libtorch, before MKL's first product
        else MklCpuDispatch.Keep("bf16 products");
        TorchSharp.torch.set_num_threads(options.Threads);
    }
}
