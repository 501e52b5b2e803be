using System.Collections.Concurrent;
using System.Text.Json;
using Letter.Generation;
using Letter.Service;

namespace Letter.Tests.Service;

/// <summary>
/// The service's decoder lanes: answers through two lanes equal the library's own decoding, a large request
/// holds one lane at a time and leaves the other to small requests, exclusive jobs never overlap a decoding.
/// Lanes are held through the queue's observer (no timing).
/// </summary>
[Collection("served runs")]
public class LaneTests(ServedRuns runs)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static string History(int u) => JsonSerializer.Serialize(new { ids = "dense", history = Enumerable.Range(0, 1 + u % 3).Select(j => (u * 5 + j * 7) % ServedRuns.Items).ToArray(), k = 4 });

    [Fact]
    public async Task Many_requests_decoded_on_two_lanes_at_once_each_get_the_answer_the_library_gives_alone()
    {
        await using var s = await TestServing.Start(runs.Run, o => o with { Lanes = 2, LaneThreads = 1, MaxWaitMs = 0 });
        Assert.Equal(2, s.Host.Queue.Lanes);
        var model = s.Host.Acquire()!;
        int n = 40;
        // the reference: the library's one recommend path, one history at a time on this thread
        var reference = Enumerable.Range(0, n).Select(u =>
        {
            var h = JsonDocument.Parse(History(u)).RootElement.GetProperty("history").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            return model.Recommender.Recommend(h, 4, new RecommendOptions(ExcludeHistory: true)).SelectMany(r => r.Items.Select(i => (Item: i, r.Score))).Take(4).ToList();
        }).ToList();
        model.Release();

        // both lanes decode at once: the first batch is held until the other lane has started one
        var otherStarted = new ManualResetEventSlim();
        int firstLane = -1;
        bool waited = true;
        s.Host.Queue.Observer = e =>
        {
            if (e.Kind != LaneEventKind.BatchStart) return;
            if (Interlocked.CompareExchange(ref firstLane, e.Lane, -1) == -1) waited = otherStarted.Wait(Patience); // recorded: an exception would end the lane
            else if (e.Lane != firstLane) otherStarted.Set();
        };
        s.Host.Queue.Pause();
        var answers = Enumerable.Range(0, n).Select(u => s.PostOk("/v1/recommend", History(u))).ToArray();
        await Until(() => s.Host.Queue.Length == n);
        s.Host.Queue.Resume();
        var results = await Task.WhenAll(answers);
        Assert.True(waited && otherStarted.IsSet, "the other lane never started a batch while the first held one");
        var metrics = await s.Client.GetStringAsync("/metrics");
        foreach (var lane in new[] { 0, 1 }) Assert.Contains($"letter_service_lane_busy_seconds_total{{otel_scope_name=\"Letter.Service\",lane=\"{lane}\"}}", metrics);
        Assert.Contains("letter_service_lanes_busy", metrics);
        for (int u = 0; u < n; u++)
        {
            var got = results[u].GetProperty("items").EnumerateArray().Select(i => (Item: i.GetProperty("item").GetInt32(), Score: i.GetProperty("score").GetDouble())).ToList();
            // a padded batch on a 1-thread lane against one history on 2 threads: the same items, scores within 1e-4
            Assert.Equal(reference[u].Select(r => r.Item).Order(), got.Select(g => g.Item).Order());
            foreach (var g in got) Assert.Equal(reference[u].First(r => r.Item == g.Item).Score, g.Score, 1e-4);
        }
    }

    [Fact]
    public async Task A_large_request_holds_one_lane_at_a_time_and_a_small_request_is_answered_on_the_other_while_it_decodes()
    {
        // beam 5: a batch of 20 histories is 100 beams (large above 50), decoded 2 histories (10 beams) per turn
        await using var s = await TestServing.Start(runs.Run, o => o with { Lanes = 2, LaneThreads = 1, MaxWaitMs = 0, LargeRequestBeams = 50, MaxBatchBeams = 10 });
        var smallAnswered = new ManualResetEventSlim();
        var inFlight = new ConcurrentDictionary<int, IReadOnlyList<DecodeJob>>();
        int mostLargeLanes = 0, largeBatches = 0, heldOnce = 0;
        bool largeBatchOverBudget = false, smallInTime = true;
        s.Host.Queue.Observer = e =>
        {
            if (e.Kind == LaneEventKind.BatchStart)
            {
                inFlight[e.Lane] = e.Jobs;
                lock (inFlight) mostLargeLanes = Math.Max(mostLargeLanes, inFlight.Values.Count(b => b.Any(j => j.Large)));
                if (!e.Jobs.Any(j => j.Large)) return;
                Interlocked.Increment(ref largeBatches);
                if (e.Jobs.Sum(j => j.Beam) > 10) largeBatchOverBudget = true;
                // the first large turn is held until the small request sent meanwhile has its answer
                if (Interlocked.Exchange(ref heldOnce, 1) == 0) smallInTime = smallAnswered.Wait(Patience); // recorded: an exception would end the lane
            }
            else if (e.Kind == LaneEventKind.BatchEnd) inFlight.TryRemove(e.Lane, out _);
        };
        s.Host.Queue.Pause();
        var large = s.PostOk("/v1/recommend:batch", JsonSerializer.Serialize(new
        {
            requests = Enumerable.Range(0, 20).Select(u => new { history = new[] { u % ServedRuns.Items, (u + 3) % ServedRuns.Items }, k = 5 }).ToArray(),
        }));
        await Until(() => s.Host.Queue.Length == 20);
        s.Host.Queue.Resume();
        await Until(() => Volatile.Read(ref heldOnce) == 1);
        var small = await s.PostOk("/v1/recommend", """{"history": [1, 2], "k": 3}""");
        smallAnswered.Set();
        Assert.Equal(3, TestServing.ItemIds(small).Length);
        var batch = await large;
        Assert.Equal(20, batch.GetProperty("results").GetArrayLength());
        Assert.True(smallInTime, "the small request was not answered while the large one held a lane");
        Assert.Equal(1, mostLargeLanes);
        Assert.False(largeBatchOverBudget);
        Assert.Equal(10, largeBatches); // 20 histories, 2 per turn, each turn on one lane
    }

    [Fact]
    public async Task Exclusive_jobs_run_only_while_no_lane_decodes_and_decodings_resume_after_them()
    {
        await using var s = await TestServing.Start(runs.Run, o => o with { Lanes = 2, LaneThreads = 1, MaxWaitMs = 0, MaxBatch = 2 });
        int decoding = 0, exclusive = 0, overlaps = 0, exclusives = 0;
        var gate = new object();
        s.Host.Queue.Observer = e =>
        {
            lock (gate)
            {
                switch (e.Kind)
                {
                    case LaneEventKind.BatchStart: if (exclusive > 0) overlaps++; decoding++; break;
                    case LaneEventKind.BatchEnd: decoding--; break;
                    case LaneEventKind.ExclusiveStart: if (decoding > 0 || exclusive > 0) overlaps++; exclusive++; exclusives++; break;
                    case LaneEventKind.ExclusiveEnd: exclusive--; break;
                }
            }
        };
        s.Host.Queue.Pause();
        var work = new List<Task>();
        var ran = new ConcurrentBag<int>();
        for (int i = 0; i < 24; i++)
        {
            work.Add(s.PostOk("/v1/recommend", History(i)));
            if (i % 8 == 7)
            {
                int mark = i;
                await Until(() => s.Host.Queue.Length == i + 1);
                work.Add(s.Host.Queue.RunExclusive(() => ran.Add(mark)));
            }
        }
        await Until(() => s.Host.Queue.Length == 24);
        s.Host.Queue.Resume();
        var reload = s.Host.ReloadAsync(); // loads off the lanes, warms up as an exclusive job
        await Task.WhenAll(work);
        await reload;
        Assert.Equal([7, 15, 23], ran.Order());
        Assert.Equal(0, overlaps);
        Assert.True(exclusives >= 4, $"{exclusives} exclusive jobs seen");
    }

    private static async Task Until(Func<bool> condition)
    {
        for (int i = 0; i < 800 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition());
    }
}
