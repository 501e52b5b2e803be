using Letter.Formats;
using Letter.IO;

namespace Letter.Models.SasRec;

/// <summary>
/// Reads collaborative item embeddings: our own <c>letter cf</c> output or the official SASRec files
/// (<c>.npy</c>, or a PyTorch <c>.pt</c> holding one tensor). A SASRec embedding table that still has
/// its padding row (items + 1 rows, row 0 all zeros) is accepted and the padding row dropped.
/// </summary>
public static class CfEmbeddings
{
    public static FloatMatrix Read(string path, int itemCount)
    {
        var m = EmbeddingFile.Read(path);
        if (m.Rows == itemCount + 1 && m.Row(0).IndexOfAnyExcept(0f) < 0)
            return new FloatMatrix(m.Data[m.Cols..], itemCount, m.Cols);
        return m.RequireRows(itemCount, path, "a collaborative embedding file");
    }
}
