using Letter.Embeddings;

namespace Letter.Tests.Embeddings;

/// <summary>One built-in MiniLM encoder for all tests: loading the ONNX session takes seconds on a busy machine.</summary>
internal static class SharedEncoder
{
    private static readonly Lazy<BertEncoder> Instance = new(() => new BertEncoder(new TextEmbedderOptions()));

    public static BertEncoder Default => Instance.Value;
}
