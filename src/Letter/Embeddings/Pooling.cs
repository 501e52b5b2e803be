namespace Letter.Embeddings;

/// <summary>How token states become one sentence vector.</summary>
public enum Pooling
{
    /// <summary>Mean of the token states under the attention mask (all-MiniLM-L6-v2, Sentence-BERT).</summary>
    Mean,

    /// <summary>The state of the first token, [CLS] (BGE, Arctic and similar encoders).</summary>
    Cls,
}

internal static class Pooler
{
    /// <summary>
    /// Pools one sentence from the encoder output <paramref name="hidden"/> [batch, tokens, dim]:
    /// row <paramref name="b"/>, whose first <paramref name="length"/> tokens are real (the rest padding).
    /// </summary>
    public static void Pool(ReadOnlySpan<float> hidden, int b, int tokens, int dim, int length, Pooling pooling, bool normalize, Span<float> into)
    {
        var first = hidden.Slice(b * tokens * dim, dim);
        if (pooling == Pooling.Cls || length == 1)
        {
            first.CopyTo(into);
        }
        else
        {
            // Sum in double: 256 tokens of float sums lose the last digits the 0.9999 cosine check needs.
            Span<double> sum = stackalloc double[dim];
            for (int t = 0; t < length; t++)
            {
                var row = hidden.Slice((b * tokens + t) * dim, dim);
                for (int k = 0; k < dim; k++) sum[k] += row[k];
            }
            for (int k = 0; k < dim; k++) into[k] = (float)(sum[k] / length);
        }
        if (normalize) Normalize(into);
    }

    public static void Normalize(Span<float> v)
    {
        double sq = 0;
        foreach (var x in v) sq += (double)x * x;
        // Sentence-Transformers divides by max(norm, 1e-12).
        var norm = Math.Max(Math.Sqrt(sq), 1e-12);
        for (int k = 0; k < v.Length; k++) v[k] = (float)(v[k] / norm);
    }
}
