using Letter.Evaluation;
using static TorchSharp.torch;

namespace Letter.Models.SasRec;

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
        var metrics = new RankingMetrics();
        foreach (var rank in EvalRanks(model, users, cancel)) metrics.Add(rank);
        return metrics;
    }

    /// <summary>The ranks of <see cref="Ranks"/> with the model in eval mode, without gradients, in score blocks that fit.</summary>
    private static List<int> EvalRanks(SasRecModel model, IReadOnlyList<UserSequenceExample> users, CancellationToken cancel)
    {
        // Score blocks [users, items] of at most 16 MB (larger ones are fresh mmaps every time).
        int batchSize = (int)Math.Clamp(SasRecTrainer.ChunkBytes / (4L * model.ItemCount), 1, 512);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            return Ranks(model, users, batchSize, cancel).ToList();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// Every user's rank (0-based, among all items) with the user's id, flagged when the target is
    /// among the user's <paramref name="window"/> most recent history items. With TIGER's window (20)
    /// the flags, and so the groups of <c>letter compare --by-target</c>, equal those of a TIGER run's
    /// ranks file on the same dataset, and the two models can be paired user by user.
    /// </summary>
    /// <param name="targetFromEnd">where the target sits in the user's sequence: 2 for validation, 1 for test</param>
    public static List<UserRank> UserRanks(SasRecModel model, IReadOnlyList<UserSequenceExample> examples, IReadOnlyList<Data.UserSequence> users,
        int targetFromEnd, int window, CancellationToken cancel = default)
    {
        var ranks = EvalRanks(model, examples, cancel);
        var result = new List<UserRank>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            var items = users[examples[i].User].Items;
            int target = examples[i].Targets[0], end = items.Length - targetFromEnd;
            if (items[end] != target) throw new InvalidOperationException($"user {users[examples[i].User].UserId}: the target is not item {end} of the sequence");
            bool repeat = Array.IndexOf(items, target, Math.Max(0, end - window), Math.Min(window, end)) >= 0;
            result.Add(new UserRank(users[examples[i].User].UserId, target, ranks[i], ranks[i], repeat));
        }
        return result;
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
                var hidden = model.call(SequenceBatch.Inputs(batch.Select(x => x.Input).ToList(), model.Device)); // [B, L, d]
                var last = hidden.select(1, hidden.shape[1] - 1);                                     // [B, d]
                var scores = model.Score(last);                                                       // [B, items]
                var targets = tensor(batch.Select(x => (long)x.Targets[0]).ToArray(), device: model.Device);
                var targetScores = scores.gather(1, targets.unsqueeze(1));                           // [B, 1]
                ranks = scores.gt(targetScores).sum(1).cpu().data<long>().ToArray();
            }
            foreach (var r in ranks) yield return (int)r;
        }
    }
}
