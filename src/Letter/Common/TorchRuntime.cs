namespace Letter.Common;

/// <summary>
/// Process-wide settings for libtorch on this kind of machine, applied once before the first tensor:
/// cheap fresh memory (<see cref="TensorMemory"/>) and MKL's fast kernels on AMD (<see cref="MklCpuDispatch"/>).
/// The CLI calls it first thing; every trainer, evaluator and benchmark calls it too, for library callers.
/// </summary>
public static class TorchRuntime
{
    public static void Prepare()
    {
        TensorMemory.Tune();     // first: libtorch reads its huge-page variable at its first allocation
        MklCpuDispatch.Unlock(); // then: loads libtorch, before MKL's first matrix product
    }
}
