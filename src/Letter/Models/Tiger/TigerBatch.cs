using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>Stacks token rows into an int64 tensor [rows, length] on a device (the model's; null: libtorch's default, the CPU unless a host changed it).</summary>
internal static class TigerBatch
{
    /// <summary>Rows of one length (targets, and inputs of length-grouped batches).</summary>
    public static Tensor Stack(IReadOnlyList<int[]> rows, IReadOnlyList<int> pick, Device? device = null)
    {
        int len = rows[pick[0]].Length;
        foreach (int r in pick)
            if (rows[r].Length != len) throw new ArgumentException("a batch must hold rows of one length");
        return Padded(rows, pick, len, device);
    }

    /// <summary>Encoder inputs of any lengths, right-padded with <see cref="TigerVocabulary.Pad"/> to the longest: [rows, longest].</summary>
    public static Tensor StackPadded(IReadOnlyList<int[]> rows, IReadOnlyList<int> pick, Device? device = null) =>
        Padded(rows, pick, pick.Max(r => rows[r].Length), device);

    private static Tensor Padded(IReadOnlyList<int[]> rows, IReadOnlyList<int> pick, int len, Device? device)
    {
        var data = new long[pick.Count * len];
        Array.Fill(data, TigerVocabulary.Pad); // the token TigerModel.PaddingBias masks
        for (int r = 0; r < pick.Count; r++)
        {
            var row = rows[pick[r]];
            for (int j = 0; j < row.Length; j++) data[r * len + j] = row[j];
        }
        return tensor(data, [pick.Count, len], device: device);
    }
}
