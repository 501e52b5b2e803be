using Letter.Tokenization;

namespace Letter.Service;

/// <summary>
/// A new item's embedding checked through the run's tokenizer before it gets an identifier: its latent
/// (the tokenizer's encoder output) must be finite and within what the trained encoder produced. What it
/// produced is bounded by the codebooks: training pulls every item's latent z towards the sum of its codes
/// (the quantization loss), so training latents have norms of about sum_l max_c ||e_l,c|| at most; a latent
/// more than <see cref="Slack"/> times that bound is outside anything the tokenizer was trained on, and its
/// identifier (the codes nearest to it) would mean nothing. Such items are refused with both norms named.
/// The bound needs only the tokenizer folder, so it also holds for runs whose training embeddings are gone.
/// </summary>
internal static class EmbeddingCheck
{
    public const double Slack = 4;

    /// <param name="data">[rows, tokenizer input dim], row i for the item whose field is <paramref name="fields"/>[i]</param>
    public static void Check(string tokenizerDir, float[] data, IReadOnlyList<string> fields)
    {
        using var model = TokenizerStore.Load(tokenizerDir);
        int rows = fields.Count, dz = model.LatentDim;
        var latents = model.EncodeAll(data, rows);
        var codebooks = TokenizerTrainer.Codebooks(model);
        double bound = codebooks.Sum(book => MaxNorm(book, dz));
        for (int i = 0; i < rows; i++)
        {
            double norm = 0;
            bool finite = true;
            for (int j = 0; j < dz; j++)
            {
                float v = latents[i * dz + j];
                finite &= float.IsFinite(v);
                norm += (double)v * v;
            }
            norm = Math.Sqrt(norm);
            if (!finite || !double.IsFinite(norm))
                throw new BadRequestException(fields[i], null,
                    "the run's tokenizer turns this embedding into a latent that is not finite (its values are far beyond the embeddings it was trained on)");
            if (norm > Slack * bound)
                throw new BadRequestException(fields[i], null,
                    $"the embedding is beyond what the run's tokenizer was trained on: its latent has norm {norm:G4}, trained latents at most about {bound:G4} " +
                    $"(the largest code of each level summed; refused above {Slack}x that)");
        }
    }

    private static double MaxNorm(float[] book, int dim)
    {
        double max = 0;
        for (int c = 0; c < book.Length / dim; c++)
        {
            double s = 0;
            for (int j = 0; j < dim; j++) s += (double)book[c * dim + j] * book[c * dim + j];
            max = Math.Max(max, Math.Sqrt(s));
        }
        return max;
    }
}
