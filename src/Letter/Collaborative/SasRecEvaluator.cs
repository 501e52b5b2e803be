using Letter.Evaluation;
using static TorchSharp.torch;

namespace Letter.Collaborative;

/// <summary>
/// Full-ranking evaluation: every item is scored after the user's last input position and the
/// target's 0-based rank (items scoring strictly higher) goes into <see cref="RankingMetrics"/>,
/// the same accumulator the generative models use. Nothing is filtered out of the ranking
/// (history items stay in, as for beam search over all identifiers).
/// </summary>
internal static class SasRecEvaluator
{
    public static RankingMetrics Evaluate(SasRecModel model, IReadOnlyList<UserSequenceExample> users, CancellationToken cancel = default)
    {
        // Score blocks [users, items] of at most 16 MB (larger ones are fresh mmaps every time).
        int batchSize = (int)Math.Clamp(SasRecTrainer.ChunkBytes / (4L * model.ItemCount), 1, 512);
        var metrics = new RankingMetrics();
        bool wasTraining = model.training;
        model.eval();
        using (no_grad())
        {
            foreach (var rank in Ranks(model, users, batchSize, cancel)) metrics.Add(rank);
        }
        model.train(wasTraining);
        return metrics;
    }

    /// <summary>0-based rank of each user's target among all items.</summary>
    public static IEnumerable<int> Ranks(SasRecModel model, IReadOnlyList<UserSequenceExample> users, int batchSize, CancellationToken cancel)
    {
        for (int start = 0; start < users.Count; start += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var batch = users.Skip(start).Take(batchSize).ToList();
            long[] ranks;
            using (var scope = NewDisposeScope())
            {
                var hidden = model.call(SequenceBatch.Inputs(batch.Select(x => x.Input).ToList()));   // [B, L, d]
                var last = hidden.select(1, hidden.shape[1] - 1);                                     // [B, d]
                var scores = model.Score(last);                                                       // [B, items]
                var targets = tensor(batch.Select(x => (long)x.Targets[0]).ToArray());
                var targetScores = scores.gather(1, targets.unsqueeze(1));                           // [B, 1]
                ranks = scores.gt(targetScores).sum(1).data<long>().ToArray();
            }
            foreach (var r in ranks) yield return (int)r;
        }
    }
}
