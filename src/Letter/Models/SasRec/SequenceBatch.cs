using static TorchSharp.torch;

namespace Letter.Models.SasRec;

/// <summary>Left-padded model inputs for a batch of users: item i stored as i + 1, 0 = padding.</summary>
internal static class SequenceBatch
{
    /// <summary>[B, L] int64 with L the longest input in the batch, on <paramref name="device"/> (the model's).</summary>
    public static Tensor Inputs(IReadOnlyList<int[]> inputs, Device device)
    {
        int l = inputs.Max(x => x.Length);
        var data = new long[inputs.Count * l];
        for (int b = 0; b < inputs.Count; b++)
        {
            int pad = l - inputs[b].Length;
            for (int t = 0; t < inputs[b].Length; t++) data[b * l + pad + t] = inputs[b][t] + 1;
        }
        return tensor(data, [inputs.Count, l], device: device);
    }

    /// <summary>
    /// The flat indices (into [B * L]) of positions that hold an item, and the 0-based item that
    /// follows each, for left-padded inputs whose targets align with them position by position.
    /// </summary>
    public static (long[] Positions, long[] Targets) Aligned(IReadOnlyList<UserSequenceExample> batch)
    {
        int l = batch.Max(x => x.Input.Length);
        var positions = new List<long>();
        var targets = new List<long>();
        for (int b = 0; b < batch.Count; b++)
        {
            int pad = l - batch[b].Input.Length;
            for (int t = 0; t < batch[b].Targets.Length; t++)
            {
                positions.Add((long)b * l + pad + t);
                targets.Add(batch[b].Targets[t]);
            }
        }
        return (positions.ToArray(), targets.ToArray());
    }
}
