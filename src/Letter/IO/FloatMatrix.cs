namespace Letter.IO;

/// <summary>A dense row-major float32 matrix [Rows, Cols], the in-memory form of an embedding file.</summary>
public sealed record FloatMatrix(float[] Data, int Rows, int Cols)
{
    public ReadOnlySpan<float> Row(int i) => Data.AsSpan(i * Cols, Cols);

    /// <summary>
    /// Throws a data error naming <paramref name="file"/>, the row and the column of the first NaN or
    /// infinity: such a value would otherwise surface epochs later as a NaN loss or silently broken
    /// identifiers, far from its cause.
    /// </summary>
    public FloatMatrix RequireFinite(string file)
    {
        int bad = FirstNonFinite(Data);
        if (bad >= 0)
            throw new LetterDataException(file, $"row {bad / Cols}, column {bad % Cols}",
                $"value {Describe(Data[bad])} is not a finite number (embeddings must be finite)");
        return this;
    }

    private static int FirstNonFinite(float[] data)
    {
        for (int i = 0; i < data.Length; i++)
            if (!float.IsFinite(data[i])) return i;
        return -1;
    }

    private static string Describe(float v) => float.IsNaN(v) ? "NaN" : v > 0 ? "+infinity" : "-infinity";

    /// <summary>Throws a data error naming <paramref name="file"/> when the row count is not the item count.</summary>
    public FloatMatrix RequireRows(int rows, string file, string what)
    {
        if (Rows != rows)
            throw new LetterDataException(file, null,
                $"has {Rows} rows but the dataset has {rows} items ({what} needs one row per item, row i = item i)");
        return this;
    }
}
