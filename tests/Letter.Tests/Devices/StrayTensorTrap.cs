using static TorchSharp.torch;

namespace Letter.Tests.Devices;

/// <summary>
/// While alive, libtorch's default device (TorchSharp's process-wide setting) is <c>meta</c>: a tensor
/// that code creates without naming a device lands there, where it has a shape but no data. Mixing it
/// with a model's tensors on the CPU throws ("Expected all tensors to be on the same device"), and reading
/// it back throws ("Cannot copy out of meta tensor"). So on a machine without a GPU, work that completes
/// under the trap created every tensor on a device it named: the model's, or host memory it then moved.
/// </summary>
/// <remarks>
/// The setting is process-wide: tests that use the trap are in <see cref="DefaultDeviceCollection"/>,
/// which runs alone, and the trap restores the previous default even when the work throws.
/// </remarks>
internal sealed class StrayTensorTrap : IDisposable
{
    private readonly Device _saved = get_default_device();

    public StrayTensorTrap() => set_default_device(new Device("meta"));

    public void Dispose() => set_default_device(_saved);
}

/// <summary>Tests that change libtorch's default device: never run beside another test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultDeviceCollection
{
    public const string Name = "default device";
}
