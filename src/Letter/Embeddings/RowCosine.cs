using Letter.IO;

namespace Letter.Embeddings;

/// <summary>Row-by-row agreement of two embedding matrices of the same shape (row i of each is item i).</summary>
public sealed record RowCosine(int Rows, double Min, double Mean, int ArgMin, int BelowThreshold, double Threshold)
{
    public static RowCosine Compare(FloatMatrix a, FloatMatrix b, double threshold = 0.9999, IReadOnlyList<int>? rows = null)
    {
        if (a.Cols != b.Cols)
            throw new ArgumentException($"different widths: {a.Cols} and {b.Cols} columns");
        var which = rows ?? Enumerable.Range(0, Math.Min(a.Rows, b.Rows)).ToArray();
        if (rows is null && a.Rows != b.Rows)
            throw new ArgumentException($"different row counts: {a.Rows} and {b.Rows}");
        double min = double.PositiveInfinity, sum = 0;
        int argMin = -1, below = 0;
        foreach (var i in which)
        {
            var c = Cosine(a.Row(i), b.Row(i));
            sum += c;
            if (c < min) (min, argMin) = (c, i);
            if (c < threshold) below++;
        }
        return new RowCosine(which.Count, min, which.Count == 0 ? 0 : sum / which.Count, argMin, below, threshold);
    }

    public static double Cosine(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double dot = 0, nx = 0, ny = 0;
        for (int k = 0; k < x.Length; k++)
        {
            dot += (double)x[k] * y[k];
            nx += (double)x[k] * x[k];
            ny += (double)y[k] * y[k];
        }
        // Two zero rows agree; one zero row does not.
        if (nx == 0 || ny == 0) return nx == ny ? 1 : 0;
        return dot / Math.Sqrt(nx * ny);
    }

    public override string ToString() =>
        $"{Rows} rows: min cosine {Min:0.0000000} (row {ArgMin}), mean {Mean:0.0000000}, {BelowThreshold} below {Threshold}";
}
