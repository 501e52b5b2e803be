namespace Letter.IO;

/// <summary>A dense row-major float32 matrix [Rows, Cols], the in-memory form of an embedding file.</summary>
public sealed record FloatMatrix(float[] Data, int Rows, int Cols)
{
    public ReadOnlySpan<float> Row(int i) => Data.AsSpan(i * Cols, Cols);

    /// <summary>Throws a data error naming <paramref name="file"/> when the row count is not the item count.</summary>
    public FloatMatrix RequireRows(int rows, string file, string what)
    {
        if (Rows != rows)
            throw new LetterDataException(file, null,
                $"has {Rows} rows but the dataset has {rows} items ({what} needs one row per item, row i = item i)");
        return this;
    }
}
