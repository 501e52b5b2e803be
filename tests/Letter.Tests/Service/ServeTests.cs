using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Letter.Data;
using Letter.Service;

namespace Letter.Tests.Service;

[Collection("served runs")]
public class ServeTests(ServedRuns runs)
{
    private static string Json(object o) => JsonSerializer.Serialize(o);

    [Fact]
    public async Task Recommend_a_history_gives_k_items_with_score_identifier_title_model_and_time()
    {
        await using var s = await TestServing.Start(runs.Run);
        var r = await s.PostOk("/v1/recommend", """{"history": [3, 4, 5], "k": 4}""");
        var items = r.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(4, items.Count);
        var index = ItemIndexReader.Read(Path.Combine(runs.Run, "tiger", "index.json"));
        foreach (var item in items)
        {
            int id = item.GetProperty("item").GetInt32();
            Assert.Equal(index.Tokens(id), item.GetProperty("identifier").EnumerateArray().Select(t => t.GetString()!).ToArray());
            Assert.Equal($"item {id}", item.GetProperty("title").GetString());
            Assert.True(item.GetProperty("score").GetDouble() <= 0);
        }
        var scores = items.Select(i => i.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal("tiger", r.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal("run", r.GetProperty("model").GetProperty("run").GetString());
        Assert.Equal(12, r.GetProperty("model").GetProperty("version").GetString()!.Length);
        Assert.True(r.GetProperty("tookMs").GetDouble() > 0);
    }

    [Fact]
    public async Task A_known_user_is_decoded_from_their_dataset_history_and_an_unknown_one_refused()
    {
        await using var s = await TestServing.Start(runs.Run);
        var data = LetterDataset.Load(runs.DataDirectory, loadIndex: false);
        var user = data.Users[7];
        var byUser = await s.PostOk("/v1/recommend", Json(new { user = user.UserId, k = 3 }));
        var byHistory = await s.PostOk("/v1/recommend", Json(new { history = user.Items, k = 3 }));
        Assert.Equal(TestServing.ItemIds(byHistory), TestServing.ItemIds(byUser));
        Assert.Empty(TestServing.ItemIds(byUser).Intersect(user.Items)); // seen items excluded by default

        var (status, problem) = await Problem(s, "/v1/recommend", """{"user": "nobody"}""");
        Assert.Equal(400, status);
        Assert.Equal("user", problem.GetProperty("field").GetString());
        Assert.Equal("nobody", problem.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Without_its_dataset_a_run_still_serves_histories_and_says_why_user_ids_are_unavailable()
    {
        using var tmp = new TempDir();
        var run = runs.Copy(tmp);
        var configFile = Path.Combine(run, "tiger", "config.json");
        var config = File.ReadAllText(configFile);
        File.WriteAllText(configFile, config.Replace(JsonSerializer.Serialize(runs.DataDirectory), JsonSerializer.Serialize(tmp.File("gone"))));
        await using var s = await TestServing.Start(run);
        await s.PostOk("/v1/recommend", """{"history": [1, 2]}""");
        var (status, problem) = await Problem(s, "/v1/recommend", """{"user": "3"}""");
        Assert.Equal(400, status);
        Assert.Equal("user", problem.GetProperty("field").GetString());
        Assert.Contains("not reachable", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Exclusions_and_candidates_are_honoured_and_k_items_still_come_back()
    {
        await using var s = await TestServing.Start(runs.Run);
        int[] history = [3, 4, 5, 6, 7, 8, 9, 10];
        var open = TestServing.ItemIds(await s.PostOk("/v1/recommend", Json(new { history, k = 10, exclude = "none" })));
        Assert.Equal(10, open.Length);
        Assert.NotEmpty(open.Intersect(history)); // the rule's neighbours: some of the recent items rank high

        var seen = TestServing.ItemIds(await s.PostOk("/v1/recommend", Json(new { history, k = 10 })));
        Assert.Equal(10, seen.Length);
        Assert.Empty(seen.Intersect(history));

        int[] refuse = open[..5];
        var listed = TestServing.ItemIds(await s.PostOk("/v1/recommend", Json(new { history, k = 10, exclude = refuse })));
        Assert.Equal(10, listed.Length);
        Assert.Empty(listed.Intersect(refuse));
        Assert.NotEmpty(listed.Intersect(history)); // a list replaces "seen"

        int[] candidates = [0, 13, 17, 23];
        var only = TestServing.ItemIds(await s.PostOk("/v1/recommend", Json(new { history, k = 4, candidates })));
        Assert.Equal(candidates.Order(), only.Order());
        var fewer = TestServing.ItemIds(await s.PostOk("/v1/recommend", Json(new { history, k = 10, candidates = new[] { 3, 5, 20 } })));
        Assert.Equal([20], fewer); // 3 and 5 are in the history: excluded; fewer than k are allowed
    }

    [Fact]
    public async Task Batched_results_equal_one_by_one_results_and_concurrent_requests_share_a_batch()
    {
        await using var s = await TestServing.Start(runs.Run, o => o with { MaxWaitMs = 200, MaxBatch = 32 });
        var histories = new[] { new[] { 1, 2, 3 }, [7, 8, 9], [20, 21, 22], [4, 5], [11], [0, 1, 2] };
        var single = new List<JsonElement>();
        foreach (var h in histories) single.Add(await s.PostOk("/v1/recommend", Json(new { history = h, k = 5 })));
        var batch = await s.PostOk("/v1/recommend:batch", Json(new { requests = histories.Select(h => new { history = h, k = 5 }) }));
        var results = batch.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(histories.Length, results.Count);
        for (int i = 0; i < histories.Length; i++) AssertSame(single[i], results[i]);

        // concurrent requests: gathered into fewer decodings than requests, same answers
        long before = s.Host.Metrics.DecodedHistories;
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => s.PostOk("/v1/recommend", Json(new { history = histories[i % 3], k = 5 }))));
        for (int i = 0; i < 12; i++) AssertSame(single[i % 3], concurrent[i]);
        Assert.Equal(before + 12, s.Host.Metrics.DecodedHistories);
        var metrics = await s.Client.GetStringAsync("/metrics");
        long decodings = long.Parse(metrics.Split('\n').First(l => l.StartsWith("letter_service_decode_batch_size_count", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.True(decodings < histories.Length + 2 + 12, $"{decodings} decodings: no batching");
    }

    private static void AssertSame(JsonElement a, JsonElement b)
    {
        var x = a.GetProperty("items").EnumerateArray().ToList();
        var y = b.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(x.Select(i => i.GetProperty("item").GetInt32()), y.Select(i => i.GetProperty("item").GetInt32()));
        // padded histories of mixed lengths decode together: equal up to float rounding
        for (int i = 0; i < x.Count; i++) Assert.Equal(x[i].GetProperty("score").GetDouble(), y[i].GetProperty("score").GetDouble(), 1e-4);
    }

    public static TheoryData<string, string, string?> BadRecommendations => new()
    {
        { "{\"history\": [1, 2", "body", null },
        { "", "body", null },
        { "[1, 2]", "body", "[1, 2]" },
        { "{\"history\": [1], \"colour\": \"red\"}", "colour", "\"red\"" },
        { "{\"history\": [1], \"k\": 0}", "k", "0" },
        { "{\"history\": [1], \"k\": 101}", "k", "101" },
        { "{\"history\": [1], \"k\": \"ten\"}", "k", "\"ten\"" },
        { "{\"history\": [1], \"k\": 2.5}", "k", "2.5" },
        { "{\"history\": [1], \"beam\": 0}", "beam", "0" },
        { "{\"history\": [1], \"beam\": 100000}", "beam", "100000" },
        { "{\"history\": [1, 999]}", "history[1]", "999" },
        { "{\"history\": [1, -3]}", "history[1]", "-3" },
        { "{\"history\": [1, \"x\"]}", "history[1]", "\"x\"" },
        { "{\"history\": \"1,2\"}", "history", "\"1,2\"" },
        { "{\"history\": []}", "history", "[]" },
        { "{}", "history", null },
        { "{\"history\": [1], \"user\": \"2\"}", "history", "[1]" },
        { "{\"user\": true}", "user", "true" },
        { "{\"history\": [1], \"exclude\": \"maybe\"}", "exclude", "\"maybe\"" },
        { "{\"history\": [1], \"exclude\": [1, 500]}", "exclude[1]", "500" },
        { "{\"history\": [1], \"exclude\": 3}", "exclude", "3" },
        { "{\"history\": [1], \"candidates\": []}", "candidates", "[]" },
        { "{\"history\": [1], \"candidates\": [24]}", "candidates[0]", "24" },
    };

    [Theory]
    [MemberData(nameof(BadRecommendations))]
    public async Task Every_bad_recommendation_gets_400_problem_details_naming_field_and_value(string body, string field, string? value)
    {
        await using var s = await TestServing.Start(runs.Run);
        var (status, problem) = await Problem(s, "/v1/recommend", body);
        Assert.Equal(400, status);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        if (value is not null) Assert.Equal(value, problem.GetProperty("value").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Equal("Bad request", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Batch_refusals_name_the_request_and_field_and_bodies_over_the_limit_are_refused()
    {
        await using var s = await TestServing.Start(runs.Run, o => o with { MaxBodyBytes = 300, MaxBatchRequests = 3 });
        var (status, p) = await Problem(s, "/v1/recommend:batch", """{"requests": [{"history": [1]}, {"history": [2], "k": -1}]}""");
        Assert.Equal((400, "requests[1].k", "-1"), (status, p.GetProperty("field").GetString(), p.GetProperty("value").GetString()));
        (status, p) = await Problem(s, "/v1/recommend:batch", """{"requests": []}""");
        Assert.Equal((400, "requests"), (status, p.GetProperty("field").GetString()));
        (status, p) = await Problem(s, "/v1/recommend:batch", """{"requests": [{"history": [1]}, {"history": [1]}, {"history": [1]}, {"history": [1]}]}""");
        Assert.Equal((400, "requests", "4 requests"), (status, p.GetProperty("field").GetString(), p.GetProperty("value").GetString()));
        (status, p) = await Problem(s, "/v1/recommend:batch", """{"requests": {"history": [1]}}""");
        Assert.Equal((400, "requests"), (status, p.GetProperty("field").GetString()));

        var big = Json(new { history = Enumerable.Repeat(1, 200).ToArray() });
        (status, p) = await Problem(s, "/v1/recommend", big);
        Assert.Equal((400, "body"), (status, p.GetProperty("field").GetString()));
        Assert.Contains("size limit of 300 bytes", p.GetProperty("detail").GetString());
        // a chunked body (no Content-Length) is cut off at the limit too
        var chunked = new StringContent(big, Encoding.UTF8, "application/json");
        chunked.Headers.ContentLength = null;
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/recommend") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) };
        request.Headers.TransferEncodingChunked = true;
        var response = await s.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("size limit", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Look_ups_go_both_ways_and_refuse_unknown_or_malformed_ids()
    {
        await using var s = await TestServing.Start(runs.Run);
        var index = ItemIndexReader.Read(Path.Combine(runs.Run, "tiger", "index.json"));
        var item = await s.GetJson("/v1/items/5");
        var tokens = item.GetProperty("identifier").EnumerateArray().Select(t => t.GetString()!).ToArray();
        Assert.Equal(index.Tokens(5), tokens);
        Assert.False(item.GetProperty("added").GetBoolean());

        var back = await s.GetJson("/v1/identifiers/" + Uri.EscapeDataString(string.Concat(tokens)));
        Assert.Equal(5, back.GetProperty("items")[0].GetProperty("item").GetInt32());
        var plain = await s.GetJson("/v1/identifiers/" + string.Join(',', tokens.Select(t => t.Trim('<', '>'))));
        Assert.Equal(5, plain.GetProperty("items")[0].GetProperty("item").GetInt32());

        Assert.Equal((404, "item", "24"), await ProblemGet(s, "/v1/items/24"));
        Assert.Equal((404, "item", "abc"), await ProblemGet(s, "/v1/items/abc"));    // no item has that dataset id
        Assert.Equal((404, "item", "05"), await ProblemGet(s, "/v1/items/05"));      // item 5's id is "5"
        Assert.Equal((400, "item", "abc"), await ProblemGet(s, "/v1/items/abc?ids=dense"));
        Assert.Equal((404, "item", "24"), await ProblemGet(s, "/v1/items/24?ids=dense"));
        Assert.Equal((400, "ids", "sparse"), await ProblemGet(s, "/v1/items/5?ids=sparse"));
        Assert.Equal((400, "identifier", "a_1,b_2"), await ProblemGet(s, "/v1/identifiers/a_1,b_2"));
        Assert.Equal((400, "identifier", "a_1,zz,c_2"), await ProblemGet(s, "/v1/identifiers/a_1,zz,c_2"));
        var used = index.Codes.Select(c => string.Join(',', c)).ToHashSet();
        var free = Enumerable.Range(0, 64).Select(x => new[] { x / 16, x / 4 % 4, x % 4 }).First(c => !used.Contains(string.Join(',', c)));
        var freeText = $"a_{free[0]},b_{free[1]},c_{free[2]}";
        Assert.Equal((404, "identifier", freeText), await ProblemGet(s, "/v1/identifiers/" + freeText));
    }

    [Fact]
    public async Task A_new_item_gets_a_distinct_identifier_is_recommendable_and_survives_a_restart()
    {
        using var tmp = new TempDir();
        var run = runs.Copy(tmp);
        var index = ItemIndexReader.Read(Path.Combine(run, "tiger", "index.json"));
        var embedding = runs.Semantic.Row(3).ToArray(); // the same vector as item 3: the identifier must still differ
        int[] newCodes;
        await using (var s = await TestServing.Start(run))
        {
            var response = await s.Post("/v1/items", Json(new { embedding, title = "Brand-new tuner" }));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal("/v1/items/24", response.Headers.Location?.ToString());
            var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            var item = created.GetProperty("items")[0];
            Assert.Equal(24, item.GetProperty("item").GetInt32());
            Assert.True(item.GetProperty("added").GetBoolean());
            Assert.Equal(25, created.GetProperty("model").GetProperty("items").GetInt32());
            Assert.EndsWith("+1items", created.GetProperty("model").GetProperty("version").GetString());
            var tokens = item.GetProperty("identifier").EnumerateArray().Select(t => t.GetString()!).ToArray();
            newCodes = tokens.Select(t => int.Parse(t[3..^1], CultureInfo.InvariantCulture)).ToArray();
            Assert.DoesNotContain(string.Join(',', newCodes), index.Codes.Select(c => string.Join(',', c)));

            await AssertRecommendable(s, 24, "Brand-new tuner");
            // a second one differs from the first too
            var two = await s.PostOk("/v1/items", Json(new { items = new[] { new { embedding, title = "Another" }, new { embedding, title = "Third" } } }));
            var ids = two.GetProperty("items").EnumerateArray().Select(i => string.Concat(i.GetProperty("identifier").EnumerateArray().Select(t => t.GetString()))).ToList();
            Assert.Equal(2, ids.Distinct().Count());
            Assert.DoesNotContain(string.Concat(tokens), ids);
            var untitled = await s.PostOk("/v1/items", Json(new { embedding }));
            Assert.Equal("item 27", untitled.GetProperty("items")[0].GetProperty("title").GetString());
        }
        Assert.True(File.Exists(Path.Combine(run, "tiger", ServedModel.AddedItemsFileName)));
        await using (var s = await TestServing.Start(run))
        {
            var item = await s.GetJson("/v1/items/24");
            Assert.Equal("Brand-new tuner", item.GetProperty("title").GetString());
            Assert.Equal(newCodes.Select((c, l) => $"<{(char)('a' + l)}_{c}>"), item.GetProperty("identifier").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(28, (await s.GetJson("/health/ready")).GetProperty("model").GetProperty("items").GetInt32());
            await AssertRecommendable(s, 24, "Brand-new tuner");
            await AssertRecommendable(s, 26, "Third");
        }
    }

    private static async Task AssertRecommendable(TestServing s, int item, string title)
    {
        var only = await s.PostOk("/v1/recommend", Json(new { history = new[] { 1, 2, 3 }, k = 1, candidates = new[] { item } }));
        Assert.Equal([item], TestServing.ItemIds(only));
        Assert.Equal(title, only.GetProperty("items")[0].GetProperty("title").GetString());
        // and it may stand in a history, and be looked up by its identifier
        await s.PostOk("/v1/recommend", Json(new { history = new[] { 1, item }, k = 3 }));
        var tokens = (await s.GetJson($"/v1/items/{item}")).GetProperty("identifier").EnumerateArray().Select(t => t.GetString()).ToArray();
        var back = await s.GetJson("/v1/identifiers/" + Uri.EscapeDataString(string.Concat(tokens)));
        Assert.Equal(item, back.GetProperty("items")[0].GetProperty("item").GetInt32());
    }

    [Fact]
    public async Task New_items_are_refused_clearly_without_a_tokenizer_and_with_a_wrong_embedding()
    {
        using var tmp = new TempDir();
        await using (var s = await TestServing.Start(runs.Copy(tmp, modelOnly: true)))
        {
            var (status, p) = await Problem(s, "/v1/items", Json(new { embedding = new float[ServedRuns.EmbeddingDim], title = "x" }));
            Assert.Equal((409, "embedding"), (status, p.GetProperty("field").GetString()));
            Assert.Contains("no trained tokenizer", p.GetProperty("detail").GetString());
        }
        await using (var s = await TestServing.Start(runs.Run))
        {
            var (status, p) = await Problem(s, "/v1/items", Json(new { embedding = new float[4] }));
            Assert.Equal((400, "embedding", "4 numbers"), (status, p.GetProperty("field").GetString(), p.GetProperty("value").GetString()));
            (status, p) = await Problem(s, "/v1/items", """{"embedding": [1, 2, "x", 4, 5, 6]}""");
            Assert.Equal((400, "embedding[2]", "\"x\""), (status, p.GetProperty("field").GetString(), p.GetProperty("value").GetString()));
            (status, p) = await Problem(s, "/v1/items", """{"title": "no vector"}""");
            Assert.Equal((400, "embedding"), (status, p.GetProperty("field").GetString()));
            (status, p) = await Problem(s, "/v1/items", """{"embedding": [1, 2, 3, 4, 5, 6], "title": 7}""");
            Assert.Equal((400, "title", "7"), (status, p.GetProperty("field").GetString(), p.GetProperty("value").GetString()));
            (status, p) = await Problem(s, "/v1/items", """{"items": [{"embedding": [1, 2, 3, 4, 5, 6], "price": 3}]}""");
            Assert.Equal((400, "items[0].price"), (status, p.GetProperty("field").GetString()));
            Assert.False(File.Exists(Path.Combine(runs.Run, "tiger", ServedModel.AddedItemsFileName)));
        }
    }

    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_and_a_client_that_leaves_cancels_its_work()
    {
        await using var s = await TestServing.Start(runs.Run, o => o with { QueueCapacity = 2, MaxWaitMs = 0 });
        s.Host.Queue.Pause();
        long decoded = s.Host.Metrics.DecodedHistories;
        using var leaving = new CancellationTokenSource();
        var gone = s.Post("/v1/recommend", """{"history": [1, 2]}""", leaving.Token);
        var waiting = s.Post("/v1/recommend", """{"history": [3, 4]}""");
        await Until(() => s.Host.Queue.Length == 2);
        var refused = await s.Post("/v1/recommend", """{"history": [5, 6]}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("queue is full", await refused.Content.ReadAsStringAsync());
        var batch = await s.Post("/v1/recommend:batch", """{"requests": [{"history": [1]}]}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, batch.StatusCode);

        leaving.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
        s.Host.Queue.Resume();
        Assert.Equal(HttpStatusCode.OK, (await waiting).StatusCode);
        await Until(() => s.Host.Metrics.CancelledCount == 1);
        Assert.Equal(decoded + 1, s.Host.Metrics.DecodedHistories); // the cancelled history was never decoded
        var metrics = await s.Client.GetStringAsync("/metrics");
        Assert.Contains("letter_service_queue_rejected_total{otel_scope_name=\"Letter.Service\"} 2", metrics);
        Assert.Contains("letter_service_decodings_cancelled_total{otel_scope_name=\"Letter.Service\"} 1", metrics);
        Assert.Contains("letter_service_refusals_total{otel_scope_name=\"Letter.Service\",reason=\"queue_full\"} 2", metrics);
    }

    private static async Task Until(Func<bool> condition)
    {
        for (int i = 0; i < 400 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition());
    }

    [Fact]
    public async Task Health_metrics_openapi_and_the_api_page_answer()
    {
        await using var s = await TestServing.Start(runs.Run);
        Assert.Equal("live", (await s.GetJson("/health/live")).GetProperty("status").GetString());
        var ready = await s.GetJson("/health/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal(24, ready.GetProperty("model").GetProperty("items").GetInt32());
        await s.PostOk("/v1/recommend", """{"history": [1]}""");
        await Problem(s, "/v1/recommend", """{"history": [1], "k": 0}""");

        var metrics = await s.Client.GetAsync("/metrics");
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.ToString());
        var text = await metrics.Content.ReadAsStringAsync();
        foreach (var line in new[]
                 {
                     "# TYPE http_server_request_duration_seconds histogram",
                     "http_server_request_duration_seconds_count{otel_scope_name=\"Microsoft.AspNetCore.Hosting\",http_request_method=\"POST\",http_response_status_code=\"400\",http_route=\"/v1/recommend\",network_protocol_version=\"1.1\",url_scheme=\"http\"} 1",
                     "http_server_request_duration_seconds_count{otel_scope_name=\"Microsoft.AspNetCore.Hosting\",http_request_method=\"POST\",http_response_status_code=\"200\",http_route=\"/v1/recommend\",network_protocol_version=\"1.1\",url_scheme=\"http\"} 1",
                     "# TYPE letter_service_decode_batch_size histogram",
                     "letter_service_queue_length{otel_scope_name=\"Letter.Service\"} 0",
                     "letter_service_refusals_total{otel_scope_name=\"Letter.Service\",reason=\"bad_request\"} 1",
                     "letter_service_ready{otel_scope_name=\"Letter.Service\"} 1",
                     "# TYPE dotnet_process_memory_working_set_bytes gauge",
                 })
            Assert.Contains(line, text);

        var openapi = await s.GetJson("/openapi/v1.json");
        var paths = openapi.GetProperty("paths");
        foreach (var path in new[] { "/v1/recommend", "/v1/recommend:batch", "/v1/items", "/v1/items/{item}", "/v1/identifiers/{identifier}", "/admin/reload", "/health/ready" })
            Assert.True(paths.TryGetProperty(path, out _), path);
        Assert.True(paths.GetProperty("/v1/recommend").GetProperty("post").TryGetProperty("requestBody", out _));
        var page = await s.Client.GetStringAsync("/docs/v1");
        Assert.Contains("scalar", page);
        Assert.Contains("openapi/v1.json", page);
        var script = await s.Client.GetAsync("/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode); // served from the package, no CDN
    }

    [Fact]
    public async Task Before_a_model_is_served_readiness_and_recommendations_say_so()
    {
        using var tmp = new TempDir();
        var run = runs.Copy(tmp);
        File.WriteAllText(Path.Combine(run, "tiger", "checkpoints", "best.ckpt"), "not a checkpoint");
        await using var s = await TestServing.Start(run, waitReady: false);
        Assert.Equal("live", (await s.GetJson("/health/live")).GetProperty("status").GetString());
        await Assert.ThrowsAnyAsync<Exception>(() => s.Host.StartLoading());
        var ready = await s.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("failed", await ready.Content.ReadAsStringAsync());
        var r = await s.Post("/v1/recommend", """{"history": [1]}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.NotNull(r.Headers.RetryAfter);
    }

    [Fact]
    public async Task Admin_is_loopback_only_without_a_token_and_needs_the_token_when_one_is_set()
    {
        await using (var s = await TestServing.Start(runs.Run))
        {
            // the in-process server has no remote address: not loopback
            var (status, p) = await Problem(s, "/admin/reload", "");
            Assert.Equal(403, status);
            Assert.Contains("loopback", p.GetProperty("detail").GetString());
        }
        await using (var s = await TestServing.Start(runs.Run, o => o with { AdminToken = "secret-token-1" }))
        {
            Assert.Equal(401, (await Problem(s, "/admin/reload", "")).Status);
            var wrong = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
            Assert.Equal(HttpStatusCode.Unauthorized, (await s.Client.SendAsync(wrong)).StatusCode);
            var right = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
            right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "secret-token-1");
            var ok = await s.Client.SendAsync(right);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
    }

    [Fact]
    public async Task A_new_run_is_swapped_in_by_a_reload_under_concurrent_requests_and_none_is_lost()
    {
        using var tmp = new TempDir();
        var run = runs.Copy(tmp);
        await using var s = await TestServing.Start(run, o => o with { AdminToken = "secret-token-1" });
        var first = (await s.GetJson("/health/ready")).GetProperty("model").GetProperty("version").GetString();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        var versions = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 6).Select(c => Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested || i < 5; i++)
            {
                var r = await s.Post("/v1/recommend", Json(new { history = new[] { (c + i) % 24, (c + i + 1) % 24 }, k = 3 }));
                statuses.Add((int)r.StatusCode);
                if (r.IsSuccessStatusCode)
                    versions.Add(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetProperty("version").GetString()!);
                if (i > 400) break;
            }
        })).ToList();
        await Task.Delay(200);
        // a new model in the run folder (the way a retrained run is put in place), then reloads while clients run
        ServedRuns.CopyDirectory(Path.Combine(runs.SecondModel, "checkpoints"), Path.Combine(run, "tiger", "checkpoints"));
        for (int i = 0; i < 3; i++)
        {
            var reload = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
            reload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "secret-token-1");
            var r = await s.Client.SendAsync(reload);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            await Task.Delay(100);
        }
        stop.Cancel();
        await Task.WhenAll(clients);
        Assert.True(statuses.Count >= 30, $"{statuses.Count} requests");
        Assert.All(statuses, code => Assert.Equal(200, code));
        var last = (await s.GetJson("/health/ready")).GetProperty("model").GetProperty("version").GetString();
        Assert.NotEqual(first, last);
        Assert.Contains(last!, versions);

        // a broken run in the folder: the reload is refused and the previous model goes on serving
        File.WriteAllText(Path.Combine(run, "tiger", "checkpoints", "best.ckpt"), "not a checkpoint");
        var broken = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        broken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "secret-token-1");
        var refused = await s.Client.SendAsync(broken);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("previous model is still served", await refused.Content.ReadAsStringAsync());
        var still = await s.PostOk("/v1/recommend", """{"history": [1, 2]}""");
        Assert.Equal(last, still.GetProperty("model").GetProperty("version").GetString());
        Assert.Contains("letter_service_reloads_total{otel_scope_name=\"Letter.Service\",outcome=\"failed\"} 1", await s.Client.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task The_real_server_on_a_loopback_port_serves_admin_without_a_token_and_finishes_in_flight_work_on_shutdown()
    {
        var s = await TestServing.Start(runs.Run, loopback: true);
        try
        {
            Assert.StartsWith("http://127.0.0.1:", s.Client.BaseAddress!.ToString());
            var r = await s.PostOk("/v1/recommend", """{"history": [3, 4, 5], "k": 2}""");
            Assert.Equal(2, TestServing.ItemIds(r).Length);
            Assert.Equal(HttpStatusCode.OK, (await s.Client.PostAsync("/admin/reload", null)).StatusCode); // loopback: no token needed
            var bad = await s.Post("/v1/recommend", "{\"k\": ");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);

            // graceful shutdown: a request waiting for the decoder is answered before the server stops
            s.Host.Queue.Pause();
            var inFlight = s.Post("/v1/recommend", """{"history": [7, 8], "k": 2}""");
            await Until(() => s.Host.Queue.Length == 1);
            var stopping = s.App.StopAsync();
            await Task.Delay(200);
            s.Host.Queue.Resume();
            var answer = await inFlight;
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            await stopping;
        }
        finally { await s.DisposeAsync(); }
    }

    [Fact]
    public async Task A_run_that_embedded_its_item_text_takes_new_items_as_text()
    {
        using var tmp = new TempDir();
        var run = tmp.File("run");
        ServedRuns.CopyDirectory(runs.TextRun, run);
        var index = ItemIndexReader.Read(Path.Combine(run, "tiger", "index.json"));
        await using (var s = await TestServing.Start(run))
        {
            var created = await s.PostOk("/v1/items", Json(new { text = "guitar model 3 strings amplifier cable Acme", title = "Guitar, new" }));
            var item = created.GetProperty("items")[0];
            Assert.Equal(24, item.GetProperty("item").GetInt32());
            var key = string.Join(',', item.GetProperty("identifier").EnumerateArray().Select(t => int.Parse(t.GetString()![3..^1], CultureInfo.InvariantCulture)));
            Assert.DoesNotContain(key, index.Codes.Select(c => string.Join(',', c)));
            await AssertRecommendable(s, 24, "Guitar, new");
            var (status, p) = await Problem(s, "/v1/items", """{"text": "   "}""");
            Assert.Equal((400, "text"), (status, p.GetProperty("field").GetString()));
            (status, p) = await Problem(s, "/v1/items", """{"text": 5}""");
            Assert.Equal((400, "text", "5"), (status, p.GetProperty("field").GetString(), p.GetProperty("value").GetString()));
        }
        await using (var s = await TestServing.Start(runs.Run))
        {
            // a run whose tokenizer read given embeddings: text cannot stand for one
            var (status, p) = await Problem(s, "/v1/items", """{"text": "a new tuner"}""");
            Assert.Equal((409, "text"), (status, p.GetProperty("field").GetString()));
            Assert.Contains("send an embedding", p.GetProperty("detail").GetString());
            (status, p) = await Problem(s, "/v1/items", """{"text": "a new tuner", "embedding": [1, 2, 3, 4, 5, 6]}""");
            Assert.Equal((400, "embedding"), (status, p.GetProperty("field").GetString()));
        }
    }

    [Fact]
    public void The_serve_command_refuses_a_folder_without_a_model_and_bad_settings_in_one_line()
    {
        using var tmp = new TempDir();
        var missing = Letter.Tests.Cli.CliRunner.Run("serve", tmp.File("nothing"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("folder not found", missing.Stderr);
        var bad = Letter.Tests.Cli.CliRunner.Run("serve", runs.Run, "--max-batch", "0");
        Assert.Equal(2, bad.ExitCode);
        Assert.Single(bad.ErrorLines);
        Assert.Contains("--max-batch", bad.Stderr);
    }

    private static async Task<(int Status, JsonElement Problem)> Problem(TestServing s, string path, string body)
    {
        var response = await s.Post(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)response.StatusCode}: {text}");
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<(int, string?, string?)> ProblemGet(TestServing s, string path)
    {
        var response = await s.Client.GetAsync(path);
        var p = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return ((int)response.StatusCode, p.GetProperty("field").GetString(), p.GetProperty("value").GetString());
    }
}
