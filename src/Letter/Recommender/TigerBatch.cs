using static TorchSharp.torch;

namespace Letter.Recommender;

/// <summary>Stacks equal-length token rows into an int64 tensor [rows, length].</summary>
internal static class TigerBatch
{
    public static Tensor Stack(IReadOnlyList<int[]> rows, IReadOnlyList<int> pick)
    {
        int len = rows[pick[0]].Length;
        var data = new long[pick.Count * len];
        for (int r = 0; r < pick.Count; r++)
        {
            var row = rows[pick[r]];
            if (row.Length != len) throw new ArgumentException("a batch must hold rows of one length");
            for (int j = 0; j < len; j++) data[r * len + j] = row[j];
        }
        return tensor(data, [pick.Count, len]);
    }
}
