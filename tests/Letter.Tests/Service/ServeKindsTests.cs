using Letter.Training;
using System.Net;
using System.Text.Json;
using Letter.Data;
using Letter.Generation;
using Letter.Kinds;
using Letter.Models.LcRec;
using Letter.Tests.Models.LcRec;
using Letter.Tests.Models.Tiger;

namespace Letter.Tests.Service;

/// <summary>
/// The service serves a run of any kind without knowing which: an LC-Rec run (stories260K fine-tuned one step
/// on the planted rule) answers recommend, batch, exclusions, both look-ups and readiness as a TIGER run does,
/// and its answers are the library's own recommend path (OpenedRun.Recommender.Recommend) item for item.
/// </summary>
public class ServeKindsTests
{
    private static string Json(object o) => JsonSerializer.Serialize(o);

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public async Task An_lc_rec_run_is_served_over_http_like_a_tiger_run()
    {
        using var dir = new TempDir();
        TinyTiger.WriteRuleDataset(dir.Path, users: 16, items: 12, length: 6);
        var data = LetterDataset.Load(dir.Path);
        var run = dir.File("run");
        using (new OneThread())
            LcRecTrainer.Train(data, data.Index!, Stories.Path, LcRecTrainerTests.Config(1), run, options: new TrainOptions { StopAfterSteps = 1 });

        // the reference: the library's recommend path on the same run, as the CLI calls it
        int[][] histories = [[0, 1, 2], [5], [7, 8], [3, 4, 5, 6]];
        var expected = new List<int[]>();
        using (var opened = OpenedRun.Open(run))
            foreach (var h in histories)
                expected.Add(opened.Recommender.Recommend(h, 4, new RecommendOptions(ExcludeHistory: true)).SelectMany(r => r.Items).Take(4).ToArray());

        await using var s = await TestServing.Start(run);
        var ready = await s.GetJson("/health/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("lc-rec", ready.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(12, ready.GetProperty("model").GetProperty("items").GetInt32());

        for (int i = 0; i < histories.Length; i++)
        {
            var one = await s.PostOk("/v1/recommend", Json(new { history = histories[i], k = 4 }));
            Assert.Equal(expected[i], TestServing.ItemIds(one));
            Assert.Equal("lc-rec", one.GetProperty("model").GetProperty("name").GetString());
        }
        // histories of different prompt lengths in one batch: the same answers
        var batch = await s.PostOk("/v1/recommend:batch", Json(new { requests = histories.Select(h => new { history = h, k = 4 }) }));
        var results = batch.GetProperty("results").EnumerateArray().ToList();
        for (int i = 0; i < histories.Length; i++) Assert.Equal(expected[i], TestServing.ItemIds(results[i]));

        // exclusions and candidates act inside the search: k items still come back, none excluded
        var excluded = await s.PostOk("/v1/recommend", Json(new { history = new[] { 0, 1, 2 }, k = 4, exclude = new[] { 3, 4 } }));
        var items = TestServing.ItemIds(excluded);
        Assert.Equal(4, items.Length);
        Assert.DoesNotContain(3, items);
        Assert.DoesNotContain(4, items);
        var only = await s.PostOk("/v1/recommend", Json(new { history = new[] { 0, 1, 2 }, k = 2, candidates = new[] { 9, 10 } }));
        Assert.Equal([9, 10], TestServing.ItemIds(only).Order());
        // a known user of the dataset
        var user = data.Users[0];
        var byUser = await s.PostOk("/v1/recommend", Json(new { user = user.UserId, k = 3 }));
        Assert.Equal(3, TestServing.ItemIds(byUser).Length);

        // both look-ups
        var item = await s.GetJson("/v1/items/5");
        var identifier = item.GetProperty("identifier").EnumerateArray().Select(t => t.GetString()).ToArray();
        Assert.Equal(data.Index!.Tokens(5), identifier);
        var back = await s.GetJson("/v1/identifiers/" + Uri.EscapeDataString(string.Concat(identifier)));
        Assert.Contains(5, back.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetInt32()));
        Assert.Equal(HttpStatusCode.NotFound, (await s.Client.GetAsync("/v1/items/12")).StatusCode);
    }
}
