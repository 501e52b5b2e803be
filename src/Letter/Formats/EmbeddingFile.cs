using Letter.IO;
namespace Letter.Formats;

/// <summary>Reads item embeddings from <c>.npy</c> or from a PyTorch <c>.pt</c> file holding one tensor.</summary>
public static class EmbeddingFile
{
    public static FloatMatrix Read(string path) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".npy" => NpyFile.Read(path),
            ".pt" or ".pth" => PtTensorFile.Read(path),
            _ => throw new LetterDataException(path, null, "unknown embedding file type (expected .npy or .pt)"),
        };
}
