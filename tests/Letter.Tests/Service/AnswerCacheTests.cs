using System.Net.Http.Headers;
using System.Text.Json;
using Letter.Service;

namespace Letter.Tests.Service;

/// <summary>The answer cache: repeated requests answered from it, never across a model generation (reload, new items).</summary>
[Collection("served runs")]
public class AnswerCacheTests(ServedRuns runs)
{
    private static string Json(object o) => JsonSerializer.Serialize(o);

    private static List<RecommendedItem> Items(params int[] items) => items.Select(i => new RecommendedItem(i, $"id-{i}", -1.0 * i, [$"<a_{i}>"], $"item {i}")).ToList();

    [Fact]
    public void An_answer_is_kept_for_its_generation_only_and_the_least_recent_goes_first()
    {
        using var metrics = new ServiceMetrics(new TestMeterFactory());
        var cache = new AnswerCache(2, metrics);
        cache.Put(1, "a", Items(1));
        Assert.Equal([1], cache.Get(1, "a")!.Select(i => i.Item));
        Assert.Null(cache.Get(1, "b"));
        // a newer generation asks: everything of the older one is gone, and a late answer of the older is not kept
        Assert.Null(cache.Get(2, "a"));
        cache.Put(1, "a", Items(9));
        Assert.Null(cache.Get(2, "a"));
        Assert.Null(cache.Get(1, "a"));
        Assert.Equal(0, cache.Count);
        cache.Put(2, "a", Items(2));
        cache.Put(2, "b", Items(3));
        Assert.NotNull(cache.Get(2, "a")); // a is now more recent than b
        cache.Put(2, "c", Items(4));
        Assert.Equal(2, cache.Count);
        Assert.Null(cache.Get(2, "b"));
        Assert.NotNull(cache.Get(2, "a"));
        Assert.Equal(3, metrics.CacheHits);
        Assert.Equal(3.0 / 8, metrics.HitRatio, 9);
        var off = new AnswerCache(0, metrics);
        off.Put(2, "a", Items(1));
        Assert.Null(off.Get(2, "a"));
        Assert.Equal(3.0 / 8, metrics.HitRatio, 9); // a disabled cache counts no look-ups
    }

    [Fact]
    public void Keys_tell_apart_every_option_and_agree_on_the_order_of_sets()
    {
        var q = new Letter.Generation.RecommendationQuery([1, 2, 3], 10, 20, null);
        var keys = new[]
        {
            q, q with { K = 5 }, q with { Beam = 30 }, q with { History = [1, 2] }, q with { History = [2, 1, 3] },
            q with { Filter = new Letter.Generation.ItemFilter(Exclude: new HashSet<int> { 1, 2 }) },
            q with { Filter = new Letter.Generation.ItemFilter(Only: new HashSet<int> { 1, 2 }) },
        }.Select(AnswerCache.Key).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(AnswerCache.Key(q with { Filter = new Letter.Generation.ItemFilter(Exclude: new HashSet<int> { 2, 1 }) }), keys[5]);
    }

    [Fact]
    public async Task A_repeated_request_is_answered_from_the_cache_but_never_after_a_reload_or_an_added_item()
    {
        using var tmp = new TempDir();
        var run = runs.Copy(tmp);
        await using var s = await TestServing.Start(run, o => o with { AdminToken = "secret-token-1", AnswerCacheEntries = 100 });
        var body = Json(new { history = new[] { 1, 2, 3 }, k = 5 });
        var first = await s.PostOk("/v1/recommend", body);
        Assert.Equal(0, s.Host.Metrics.CacheHits);
        var again = await s.PostOk("/v1/recommend", body);
        Assert.Equal(1, s.Host.Metrics.CacheHits);
        Assert.Equal(TestServing.ItemIds(first), TestServing.ItemIds(again));
        Assert.Contains("letter_service_answer_cache_hits_total", await s.Client.GetStringAsync("/metrics"));
        Assert.Contains("letter_service_answer_cache_hit_ratio", await s.Client.GetStringAsync("/metrics"));

        // an added item: a new generation, decoded again (the new item may be the answer now)
        var added = await s.PostOk("/v1/items", Json(new { id = "cache-new", embedding = runs.Semantic.Row(3).ToArray(), title = "New" }));
        var afterAdd = await s.PostOk("/v1/recommend", body);
        Assert.Equal(1, s.Host.Metrics.CacheHits);
        Assert.EndsWith("+1items", afterAdd.GetProperty("model").GetProperty("version").GetString());
        await s.PostOk("/v1/recommend", body);
        Assert.Equal(2, s.Host.Metrics.CacheHits);

        // a reload (here of the same folder): a new generation again
        var reload = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        reload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "secret-token-1");
        Assert.True((await s.Client.SendAsync(reload)).IsSuccessStatusCode);
        await s.PostOk("/v1/recommend", body);
        Assert.Equal(2, s.Host.Metrics.CacheHits);
        Assert.NotEqual(JsonValueKind.Undefined, added.ValueKind);
    }
}

internal sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
{
    private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];
    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
    {
        var meter = new System.Diagnostics.Metrics.Meter(options);
        _meters.Add(meter);
        return meter;
    }
    public void Dispose() => _meters.ForEach(m => m.Dispose());
}
