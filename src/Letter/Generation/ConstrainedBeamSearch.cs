using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Generation;

/// <summary>One decoded sequence of a user: its tokens (codes, then end-of-sequence) and log-probability.</summary>
public sealed record Beam(int[] Tokens, float Score);

/// <summary>
/// Beam search constrained by a <see cref="PrefixTrie"/>, batched over users, over any
/// <see cref="IIdentifierGenerator"/>: the generator keeps its own cache and reorders it with the
/// beams. Each step reads the log-softmax of all rows back once and chooses on the host, walking only
/// the trie's edges out of each beam's node (and the few tokens a filter lists), with no [rows, V] mask.
/// Scores are summed
/// log-softmax probabilities of the generated tokens over the whole vocabulary (disallowed tokens then
/// get -inf, as a prefix-allowed-tokens constraint does). With a temperature T the log-softmax is of
/// logits / T: T = 1 scores by the raw logits, as Hugging Face's generate does for the original;
/// T = tau scores by the distribution the ranking-guided loss trained (softmax of logits / tau).
/// The chosen rows and tokens go back to the device of the generator's logits (its model's device).
/// </summary>
public static class ConstrainedBeamSearch
{
    /// <summary>Throws unless <paramref name="temperature"/> is a finite positive number, the decoding temperatures Search accepts.</summary>
    public static double CheckTemperature(double temperature) => temperature > 0 && !double.IsInfinity(temperature) ? temperature
        : throw new ArgumentOutOfRangeException(nameof(temperature), $"the decoding temperature must be a positive number (got {temperature})");

    /// <param name="state">a started generation of <paramref name="users"/> histories</param>
    /// <param name="steps">tokens to generate (identifier length + 1 for end-of-sequence)</param>
    /// <param name="temperature">the logits are divided by it before the log-softmax (1: raw logits)</param>
    /// <param name="targets">[B, >= steps] int64 token sequences to follow (each user's target), or null; on any device (they are compared on the logits')</param>
    /// <param name="targetKept">with <paramref name="targets"/>: filled with, per user, whether after each
    /// step the target's prefix of that length was still among the beams ([B][steps])</param>
    /// <param name="filters">per user, the identifiers it may produce (null: all), or null for no filter at all</param>
    /// <param name="profile">when given, the time of each phase is added to it</param>
    /// <returns>per user, the min(beam, valid sequences) best sequences, best first</returns>
    public static List<Beam[]> Search(IGenerationState state, PrefixTrie trie, int users, int beam, int steps, double temperature = 1.0,
        Tensor? targets = null, bool[][]? targetKept = null, IReadOnlyList<NodeLiveness?>? filters = null, DecodeProfile? profile = null)
    {
        if (profile is not null && state is IProfiledGenerationState profiled) profiled.Profile = profile;
        ArgumentOutOfRangeException.ThrowIfLessThan(beam, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if ((targets is null) != (targetKept is null)) throw new ArgumentException("targets and targetKept go together");
        if (targets is not null && (targets.shape[0] != users || targets.shape[1] < steps || targetKept!.Length != users))
            throw new ArgumentException($"targets must be [{users}, >= {steps}] and targetKept hold {users} users");
        if (filters is not null && filters.Count != users) throw new ArgumentException($"filters must hold one entry per user ({users})");
        CheckTemperature(temperature);
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        int v = trie.VocabularySize;
        int keep = Math.Min(beam, trie.SequenceCount);
        long[]? target = targets?.to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        long targetStride = targets?.shape[1] ?? 0;
        using var temperatureScalar = temperature.ToScalar();

        // The search state lives in host arrays (rows = users x width, width = rows per user: 1 at step 0, then
        // the beam); per step the device gives the log-probabilities once and takes the chosen rows and tokens.
        int width = 1;
        var scores = new float[users];                 // [users * width]
        var nodes = new int[users];                    // [users * width] trie nodes, all at the root
        var sequences = Array.Empty<int>();            // [users * width * t]
        Tensor? current = null;                        // [users * width] the tokens just chosen
        var selection = new TopCandidates(beam);
        var marked = new bool[v];                      // scratch: the tokens a filter lists for one node
        var live = new List<int>();
        if (targetKept is not null) for (int u = 0; u < users; u++) targetKept[u] = new bool[steps];

        for (int t = 0; t < steps; t++)
        {
            using var step = NewDisposeScope();
            long since = System.Diagnostics.Stopwatch.GetTimestamp();
            var logits = state.NextLogits(current);                                 // [users * width, V]
            since = profile?.Add($"step {t}: decoder", since) ?? since;
            if (logits.dtype != ScalarType.Float32) logits = logits.to_type(ScalarType.Float32);
            if (temperature != 1.0) logits = logits.div(temperatureScalar);
            var logp = F.log_softmax(logits, -1).cpu().contiguous();
            if (logp.shape[0] != (long)users * width || logp.shape[1] != v)
                throw new InvalidOperationException($"the generator gave logits [{string.Join(", ", logp.shape)}], expected [{(long)users * width}, {v}]");
            var logProbabilities = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(logp.bytes);
            since = profile?.Add("steps: log-softmax, read-back", since) ?? since;

            int next = (int)Math.Min(beam, (long)width * v); // fewer candidates than beams only with tiny vocabularies
            var rows = new long[users * next];
            var tokens = new long[users * next];
            var nextScores = new float[users * next];
            var nextNodes = new int[users * next];
            var nextSequences = new int[users * next * (t + 1)];
            for (int u = 0; u < users; u++)
            {
                selection.Clear(next);
                var filter = filters?[u];
                for (int r = 0; r < width; r++)
                {
                    int row = u * width + r;
                    float score = scores[row];
                    if (float.IsNegativeInfinity(score)) continue;
                    var edges = trie.Edges(nodes[row], out _);
                    if (edges.IsEmpty) continue;
                    var rowLogp = logProbabilities.Slice(row * v, v);
                    // a filter lists few tokens per node: those a candidate list allows, or those exclusions refuse
                    live.Clear();
                    if (filter is not null)
                        foreach (var token in filter.OnlyListed ? filter.LiveTokens(nodes[row]) : filter.RefusedTokens(nodes[row]))
                        {
                            marked[token] = true;
                            live.Add(token);
                        }
                    bool onlyListed = filter?.OnlyListed ?? false;
                    foreach (int token in edges)
                    {
                        if (filter is not null && marked[token] != onlyListed) continue;
                        float candidate = score + rowLogp[token];
                        if (!float.IsNegativeInfinity(candidate)) selection.Offer(candidate, (long)r * v + token);
                    }
                    foreach (int token in live) marked[token] = false;
                }
                for (int k = 0; k < next; k++)
                {
                    int slot = u * next + k;
                    bool found = k < selection.Count;
                    long index = found ? selection.Index(k) : 0;
                    int source = (int)(index / v), token = (int)(index % v);
                    int parent = u * width + source;
                    rows[slot] = parent;
                    tokens[slot] = token;
                    nextScores[slot] = found ? selection.Score(k) : float.NegativeInfinity; // a filler row: no valid candidate was left
                    nextNodes[slot] = found ? trie.Child(nodes[parent], token) : trie.DeadNode;
                    Array.Copy(sequences, (long)parent * t, nextSequences, (long)slot * (t + 1), t);
                    nextSequences[slot * (t + 1) + t] = token;
                }
                if (target is not null)
                {
                    var prefix = target.AsSpan((int)(u * targetStride), t + 1);
                    bool kept = false;
                    for (int k = 0; k < next && !kept; k++)
                    {
                        kept = true;
                        for (int s = 0; s <= t && kept; s++) kept = nextSequences[(u * next + k) * (t + 1) + s] == prefix[s];
                    }
                    targetKept![u][t] = kept;
                }
            }
            since = profile?.Add("steps: trie, filters, top-k (host)", since) ?? since;
            var device = logits.device;
            state.Reorder(tensor(rows, device: device));
            current?.Dispose();
            current = tensor(tokens, device: device).DetachFromDisposeScope();
            (scores, nodes, sequences, width) = (nextScores, nextNodes, nextSequences, next);
            profile?.Add("steps: reorder", since);
        }
        current?.Dispose();
        keep = Math.Min(keep, width);

        var result = new List<Beam[]>(users);
        for (int u = 0; u < users; u++)
        {
            var beams = new List<Beam>(keep);
            for (int b = 0; b < keep; b++)
            {
                int row = u * width + b;
                if (float.IsNegativeInfinity(scores[row])) break; // fewer valid identifiers than beams (a filter, or a tiny trie)
                beams.Add(new Beam(sequences.AsSpan(row * steps, steps).ToArray(), scores[row]));
            }
            result.Add(beams.ToArray());
        }
        return result;
    }
}
