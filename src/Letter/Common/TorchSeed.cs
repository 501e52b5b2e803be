using static TorchSharp.torch;

namespace Letter.Common;

/// <summary>
/// Seeds libtorch's global generator for one piece of work (weight initialisation, dropout, shuffles)
/// and gives the caller's generator state back when disposed, so training is deterministic without
/// changing the random state of the process that hosts it.
/// </summary>
public sealed class TorchSeed : IDisposable
{
    private readonly Tensor _saved;

    public TorchSeed(long seed)
    {
        _saved = get_rng_state();
        manual_seed(seed);
    }

    public void Dispose()
    {
        set_rng_state(_saved);
        _saved.Dispose();
    }
}
