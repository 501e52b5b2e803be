using Letter.Recommender;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Decoding;

/// <summary>One decoded sequence of a user: its tokens (without the decoder start) and log-probability.</summary>
public sealed record Beam(int[] Tokens, float Score);

/// <summary>
/// Beam search constrained by a <see cref="PrefixTrie"/>, batched over users: the encoder runs once
/// per user, each decoder layer's cross-attention keys/values once per user (the beams of a user
/// share them as extra query rows), the self-attention keys/values are cached and reordered with the
/// beams, and the trie masks every beam of the batch in one tensor op per step. Scores are summed
/// log-softmax probabilities of the generated tokens over the whole vocabulary (disallowed tokens then
/// get -inf, as a prefix-allowed-tokens constraint does). With a temperature T the log-softmax is of
/// logits / T: T = 1 scores by the raw logits, as Hugging Face's generate does for the original;
/// T = tau scores by the distribution the ranking-guided loss trained (softmax of logits / tau).
/// </summary>
public static class ConstrainedBeamSearch
{
    /// <summary>Throws unless <paramref name="temperature"/> is a finite positive number, the decoding temperatures Search accepts.</summary>
    public static double CheckTemperature(double temperature) => temperature > 0 && !double.IsInfinity(temperature) ? temperature
        : throw new ArgumentOutOfRangeException(nameof(temperature), $"the decoding temperature must be a positive number (got {temperature})");

    /// <param name="encoderIds">[B, L] int64, one length for the batch</param>
    /// <param name="steps">tokens to generate (identifier length + 1 for end-of-sequence)</param>
    /// <param name="temperature">the logits are divided by it before the log-softmax (1: raw logits)</param>
    /// <param name="targets">[B, >= steps] int64 token sequences to follow (each user's target), or null</param>
    /// <param name="targetKept">with <paramref name="targets"/>: filled with, per user, whether after each
    /// step the target's prefix of that length was still among the beams ([B][steps])</param>
    /// <returns>per user, the min(beam, valid sequences) best sequences, best first</returns>
    public static List<Beam[]> Search(TigerModel model, PrefixTrie trie, Tensor encoderIds, int beam, int steps, double temperature = 1.0,
        Tensor? targets = null, bool[][]? targetKept = null)
    {
        if (model.training) throw new InvalidOperationException("call model.eval() before decoding");
        if ((targets is null) != (targetKept is null)) throw new ArgumentException("targets and targetKept go together");
        if (targets is not null && (targets.shape[0] != encoderIds.shape[0] || targets.shape[1] < steps || targetKept!.Length != encoderIds.shape[0]))
            throw new ArgumentException($"targets must be [{encoderIds.shape[0]}, >= {steps}] and targetKept hold {encoderIds.shape[0]} users");
        CheckTemperature(temperature);
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        int users = (int)encoderIds.shape[0];
        int v = model.VocabularySize;
        int d = model.Config.DModel;
        int keep = Math.Min(beam, trie.SequenceCount);
        var blocks = model.DecoderBlocks.ToArray();

        var encoded = model.Encode(encoderIds);
        var crossK = blocks.Select(b => b.CrossAttention.ProjectKey(encoded)).ToArray();   // [B, H, L, d_kv]
        var crossV = blocks.Select(b => b.CrossAttention.ProjectValue(encoded)).ToArray();
        var cacheK = new Tensor?[blocks.Length];
        var cacheV = new Tensor?[blocks.Length];

        // Step 0 runs one row per user (every beam would start from the same pad token); from
        // step 1 on there are `beam` rows per user. width = rows per user of the current step.
        int width = 1;
        var scores = zeros(users, 1);                                               // [B, width]
        var node = zeros(users, 1, dtype: ScalarType.Int64);
        var current = full(users, 1, (long)TigerVocabulary.Pad, dtype: ScalarType.Int64);
        var sequences = zeros(users, 1, 0, dtype: ScalarType.Int64);
        var kept = new List<Tensor>(steps); // per step [B] bool: the target's prefix is among the beams

        for (int t = 0; t < steps; t++)
        {
            using var step = NewDisposeScope();
            var x = model.Embed(current).view(users * width, 1, d);
            var selfBias = model.DecoderStepBias(t);
            var stale = cacheK.Concat(cacheV).ToArray();
            for (int l = 0; l < blocks.Length; l++)
                x = blocks[l].Step(x, ref cacheK[l], ref cacheV[l], selfBias, crossK[l], crossV[l], null, width);
            var logits = model.LmHead(model.FinalDecoderNorm(x)).view(users, width, v).to_type(ScalarType.Float32);
            if (temperature != 1.0) logits = logits.div(temperature);
            var logp = F.log_softmax(logits, -1);
            var allowed = trie.AllowedMask(node.reshape(-1)).view(users, width, v);
            logp = logp.masked_fill(allowed.logical_not(), float.NegativeInfinity);
            int next = (int)Math.Min(beam, (long)width * v); // fewer candidates than beams only with tiny vocabularies
            var (top, index) = (scores.unsqueeze(-1) + logp).view(users, (long)width * v).topk(next, dim: -1); // [B, next]
            var source = index.div(v, RoundingMode.floor);
            var token = index.remainder(v);
            var flat = ((arange(users, dtype: ScalarType.Int64) * width).unsqueeze(1) + source).reshape(-1);
            for (int l = 0; l < blocks.Length; l++)
            {
                cacheK[l] = cacheK[l]!.index_select(0, flat).MoveToOuterDisposeScope();
                cacheV[l] = cacheV[l]!.index_select(0, flat).MoveToOuterDisposeScope();
            }
            foreach (var old in stale) old?.Dispose();
            node = trie.Child(node.gather(1, source), token).MoveToOuterDisposeScope();
            sequences = cat([sequences.gather(1, source.unsqueeze(-1).expand(users, next, t)), token.unsqueeze(-1)], 2).MoveToOuterDisposeScope();
            if (targets is not null)
                kept.Add(sequences.eq(targets.narrow(1, 0, t + 1).unsqueeze(1)).all(-1).any(-1).MoveToOuterDisposeScope());
            scores = top.MoveToOuterDisposeScope();
            current = token.MoveToOuterDisposeScope();
            width = next;
        }
        keep = Math.Min(keep, width);

        if (targetKept is not null)
        {
            var flags = stack(kept, 1).data<bool>().ToArray(); // [B, steps]
            for (int u = 0; u < users; u++) targetKept[u] = flags.AsSpan(u * steps, steps).ToArray();
        }
        var seq = sequences.data<long>().ToArray();
        var sc = scores.data<float>().ToArray();
        var result = new List<Beam[]>(users);
        for (int u = 0; u < users; u++)
        {
            var beams = new Beam[keep];
            for (int b = 0; b < keep; b++)
            {
                var tokens = new int[steps];
                for (int s = 0; s < steps; s++) tokens[s] = (int)seq[((long)u * width + b) * steps + s];
                beams[b] = new Beam(tokens, sc[u * width + b]);
            }
            result.Add(beams);
        }
        return result;
    }
}
