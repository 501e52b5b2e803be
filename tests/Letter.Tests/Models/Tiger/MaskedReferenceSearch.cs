using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

using Letter.Generation;

namespace Letter.Tests.Models.Tiger;


/// <summary>
/// The beam search of main before the host-side search (commit 11ed019), kept as the tests' reference: every step
/// masks the whole [rows, V] log-probabilities on the device with the trie's mask and the filters' refusals and takes
/// torch's top-k. Scalars made explicitly (the library's rule); otherwise unchanged.
/// </summary>
internal static class MaskedReferenceSearch
{
    /// <param name="state">a started generation of <paramref name="users"/> histories</param>
    /// <param name="steps">tokens to generate (identifier length + 1 for end-of-sequence)</param>
    /// <param name="temperature">the logits are divided by it before the log-softmax (1: raw logits)</param>
    /// <param name="targets">[B, >= steps] int64 token sequences to follow (each user's target), or null; on any device (they are compared on the logits')</param>
    /// <param name="targetKept">with <paramref name="targets"/>: filled with, per user, whether after each
    /// step the target's prefix of that length was still among the beams ([B][steps])</param>
    /// <param name="filters">per user, the identifiers it may produce (null: all), or null for no filter at all</param>
    /// <returns>per user, the min(beam, valid sequences) best sequences, best first</returns>
    public static List<Beam[]> Search(IGenerationState state, PrefixTrie trie, int users, int beam, int steps, double temperature = 1.0,
        Tensor? targets = null, bool[][]? targetKept = null, IReadOnlyList<NodeLiveness?>? filters = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(beam, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if ((targets is null) != (targetKept is null)) throw new ArgumentException("targets and targetKept go together");
        if (targets is not null && (targets.shape[0] != users || targets.shape[1] < steps || targetKept!.Length != users))
            throw new ArgumentException($"targets must be [{users}, >= {steps}] and targetKept hold {users} users");
        if (filters is not null && filters.Count != users) throw new ArgumentException($"filters must hold one entry per user ({users})");
        ConstrainedBeamSearch.CheckTemperature(temperature);
        using var temperatureScalar = temperature.ToScalar();
        using var vocabularyScalar = trie.VocabularySize.ToScalar();
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        int v = trie.VocabularySize;
        int keep = Math.Min(beam, trie.SequenceCount);

        // Step 0 gives one row per user (every beam would start from the same state); from step 1 on
        // there are `beam` rows per user. width = rows per user of the current step. The search state is
        // made at step 0 on the device of the first logits (made in that step's scope: it is replaced there).
        int width = 1;
        Tensor scores = null!;                                                      // [B, width]
        Tensor node = null!;                                                        // [B, width] trie nodes
        Tensor? current = null;                                                     // [B * width] the tokens just chosen
        Tensor sequences = null!;                                                   // [B, width, t]
        var kept = new List<Tensor>(steps); // per step [B] bool: the target's prefix is among the beams

        for (int t = 0; t < steps; t++)
        {
            using var step = NewDisposeScope();
            var logits = state.NextLogits(current).view(users, width, v).to_type(ScalarType.Float32);
            if (t == 0)
            {
                var device = logits.device;
                scores = zeros(users, 1, device: device);
                node = zeros(users, 1, dtype: ScalarType.Int64, device: device);
                sequences = zeros(users, 1, 0, dtype: ScalarType.Int64, device: device);
                if (targets is not null) targets = targets.to(device).MoveToOuterDisposeScope(); // a new handle: kept for every step
            }
            if (temperature != 1.0) logits = logits.div(temperatureScalar);
            var logp = F.log_softmax(logits, -1);
            var allowed = trie.AllowedMask(node.reshape(-1));                      // [B * width, V]
            if (filters is not null) RefuseFiltered(allowed, node, trie, filters, width);
            logp = logp.masked_fill(allowed.view(users, width, v).logical_not(), Letter.Common.TorchScalars.NegativeInfinity);
            int next = (int)Math.Min(beam, (long)width * v); // fewer candidates than beams only with tiny vocabularies
            var (top, index) = (scores.unsqueeze(-1) + logp).view(users, (long)width * v).topk(next, dim: -1); // [B, next]
            var source = index.div(vocabularyScalar, RoundingMode.floor);
            var token = index.remainder(vocabularyScalar);
            var flat = (tensor(Enumerable.Range(0, users).Select(u => (long)u * width).ToArray(), device: logits.device).unsqueeze(1) + source).reshape(-1);
            state.Reorder(flat);
            node = trie.Child(node.gather(1, source), token).MoveToOuterDisposeScope();
            sequences = cat([sequences.gather(1, source.unsqueeze(-1).expand(users, next, t)), token.unsqueeze(-1)], 2).MoveToOuterDisposeScope();
            if (targets is not null)
                kept.Add(sequences.eq(targets.narrow(1, 0, t + 1).unsqueeze(1)).all(-1).any(-1).MoveToOuterDisposeScope());
            scores = top.MoveToOuterDisposeScope();
            current = token.reshape(-1).MoveToOuterDisposeScope();
            width = next;
        }
        keep = Math.Min(keep, width);

        if (targetKept is not null)
        {
            var flags = stack(kept, 1).cpu().data<bool>().ToArray(); // [B, steps]
            for (int u = 0; u < users; u++) targetKept[u] = flags.AsSpan(u * steps, steps).ToArray();
        }
        var seq = sequences.cpu().data<long>().ToArray();
        var sc = scores.cpu().data<float>().ToArray();
        var result = new List<Beam[]>(users);
        for (int u = 0; u < users; u++)
        {
            var beams = new List<Beam>(keep);
            for (int b = 0; b < keep; b++)
            {
                float score = sc[u * width + b];
                if (float.IsNegativeInfinity(score)) break; // fewer valid identifiers than beams (a filter, or a tiny trie)
                var tokens = new int[steps];
                for (int s = 0; s < steps; s++) tokens[s] = (int)seq[((long)u * width + b) * steps + s];
                beams.Add(new Beam(tokens, score));
            }
            result.Add(beams.ToArray());
        }
        return result;
    }

    /// <summary>
    /// Clears, for filtered users, the tokens whose child node has no allowed identifier below it: with
    /// exclusions only the few refused edges are looked at, with a candidate list the row is cleared and
    /// only its live edges set again, so the cost follows the lists, not the trie's width.
    /// </summary>
    private static readonly TorchSharp.Scalar True = true.ToScalar(), False = false.ToScalar();

    private static void RefuseFiltered(Tensor allowed, Tensor node, PrefixTrie trie, IReadOnlyList<NodeLiveness?> filters, int width)
    {
        long v = trie.VocabularySize;
        var nodes = node.cpu().data<long>().ToArray();
        var refused = new List<long>();
        var cleared = new List<long>();
        var restored = new List<long>();
        for (int u = 0; u < filters.Count; u++)
        {
            if (filters[u] is not { } live) continue;
            for (int r = 0; r < width; r++)
            {
                long row = (long)u * width + r;
                int n = (int)nodes[row];
                if (n == trie.DeadNode) continue;
                if (live.OnlyListed)
                {
                    cleared.Add(row);
                    foreach (var token in live.LiveTokens(n)) restored.Add(row * v + token);
                }
                else
                    foreach (var token in live.RefusedTokens(n)) refused.Add(row * v + token);
            }
        }
        if (cleared.Count > 0) allowed.index_fill_(0, tensor(cleared.ToArray(), device: allowed.device), False);
        if (restored.Count > 0) allowed.view(-1).index_fill_(0, tensor(restored.ToArray(), device: allowed.device), True);
        if (refused.Count > 0) allowed.view(-1).index_fill_(0, tensor(refused.ToArray(), device: allowed.device), False);
    }
}
