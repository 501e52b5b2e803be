using Letter.Data;
using Letter.Generation;
using Letter.Progress;

namespace Letter.Runs;

/// <summary>One item of a user's list: its 1-based rank, the dataset's id and the dense id, and its beam's log-probability.</summary>
public sealed record RecommendedItem(int Rank, string ItemId, int Item, float Score);

/// <summary>A user's top-k: the dataset's user id, the user's key in the inter file, and the items best first.</summary>
public sealed record UserRecommendations(string UserId, string DenseUser, IReadOnlyList<RecommendedItem> Items);

/// <summary>How many items per user and how they are searched.</summary>
/// <param name="K">items per user</param>
/// <param name="Beam">beams to search (default: the recommender's, never fewer than k)</param>
/// <param name="ExcludeSeen">refuse the items of each user's own history (inside the search, so k items still come back)</param>
/// <param name="BatchUsers">histories of one length decoded together</param>
/// <param name="Lanes">decoder lanes the batches are spread over (threads the call owns while it runs); 1: the calling thread</param>
/// <param name="LaneThreads">libtorch intra-op threads of each lane (set on the lanes' own threads only)</param>
public sealed record BulkRecommendOptions(int K = 10, int? Beam = null, bool ExcludeSeen = true, int BatchUsers = 64, int Lanes = 1, int LaneThreads = 1)
{
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(K, 1, nameof(K));
        if (Beam is int b) ArgumentOutOfRangeException.ThrowIfLessThan(b, 1, nameof(Beam));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchUsers, 1, nameof(BatchUsers));
        ArgumentOutOfRangeException.ThrowIfLessThan(Lanes, 1, nameof(Lanes));
        ArgumentOutOfRangeException.ThrowIfLessThan(LaneThreads, 1, nameof(LaneThreads));
    }
}

/// <summary>
/// The top-k of many users at once, for recommendations computed ahead of time: each user's whole
/// history is decoded in batches of one history length (as an evaluation decodes), with the same
/// query rules as <see cref="GenerativeRecommender.Recommend"/> (beam, exclusions inside the search),
/// so a user's list equals what <c>Recommend</c> answers for that history alone. Users are decoded a
/// chunk at a time and returned in the order given, so memory stays bounded however many users there are.
/// </summary>
public static class BulkRecommender
{
    /// <summary>Users decoded per chunk: enough for every history length to fill whole batches, few enough to hold their beams.</summary>
    public const int ChunkUsers = 4096;

    /// <param name="users">the users, each with their whole history (oldest first), in the order wanted</param>
    /// <param name="ids">the run's id maps: the dataset's ids of users and items</param>
    /// <param name="progress">users done, batch by batch (task "recommend")</param>
    public static IEnumerable<UserRecommendations> Recommend(GenerativeRecommender recommender, RunIds ids, IReadOnlyList<UserSequence> users,
        BulkRecommendOptions options, IProgress<ProgressUpdate>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        foreach (var user in users)
            if (user.Items.Length == 0) throw new ArgumentException($"user {user.UserId} has no items to recommend from", nameof(users));
        return Chunks(recommender, ids, users, options, progress, cancel);
    }

    private static IEnumerable<UserRecommendations> Chunks(GenerativeRecommender recommender, RunIds ids, IReadOnlyList<UserSequence> users,
        BulkRecommendOptions options, IProgress<ProgressUpdate>? progress, CancellationToken cancel)
    {
        using var task = new ProgressTask(progress, "recommend", users.Count);
        var query = new RecommendOptions(options.Beam, ExcludeHistory: options.ExcludeSeen);
        using var lanes = options.Lanes > 1 ? new DecoderLanes(options.Lanes, options.LaneThreads, "letter-recommend") : null;
        for (int start = 0; start < users.Count; start += ChunkUsers)
        {
            var chunk = users.Skip(start).Take(ChunkUsers).ToList();
            var queries = chunk.Select(u => recommender.Prepare(u.Items, options.K, query)).ToList();
            int done = start;
            // one beam for all: Prepare's rule gives every query of these options the same
            var beams = recommender.Decode(queries.Select(q => q.History).ToList(), queries[0].Beam, options.BatchUsers,
                new ProgressCallback<int>(n => task.Report(done + n)), cancel,
                filters: queries.Any(q => q.Filter is not null) ? queries.Select(q => q.Filter).ToList() : null, lanes: lanes);
            for (int i = 0; i < chunk.Count; i++)
                yield return new UserRecommendations(ids.UserId(chunk[i].UserId), chunk[i].UserId, Top(recommender, ids, queries[i], beams[i]));
        }
        task.Finish();
    }

    /// <summary>The first k items of a query's beams, identifiers expanded to their allowed items (most popular first), as <c>Recommend</c> lists them.</summary>
    public static IReadOnlyList<RecommendedItem> Top(GenerativeRecommender recommender, RunIds ids, RecommendationQuery query, Beam[] beams) =>
        recommender.Results(query, beams)
            .SelectMany(r => r.Items.Select(item => (Item: item, r.Score)))
            .Take(query.K)
            .Select((x, i) => new RecommendedItem(i + 1, ids.ItemId(x.Item), x.Item, x.Score))
            .ToList();
}
