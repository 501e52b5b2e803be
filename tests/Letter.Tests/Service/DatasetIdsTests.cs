using System.Net;
using System.Text.Json;
using Letter.Data;

namespace Letter.Tests.Service;

/// <summary>
/// Issue 38, ids end to end: a run trained on an imported CSV with string ids is served in those ids. Every
/// endpoint takes them (history, user, exclude, candidates, batch, both look-ups, new items) and every item
/// in an answer carries its dataset id beside its dense id; "ids": "dense" keeps the dense ids. The
/// reference is the import's own maps (shop.item2id, shop.user2id) and the CSV's titles, and the dense
/// path the service had before.
/// </summary>
[Collection("imported run")]
public class DatasetIdsTests(ImportedRun run)
{
    private static string Json(object o) => JsonSerializer.Serialize(o);

    private float[] Row(int i) => run.Semantic.Row(i).ToArray();

    private const string NotInCatalogue =
        "is not in the catalogue (the run's item ids are its dataset's, from the run folder's item2id; dense ids are taken with ids=dense)";

    /// <summary>The dataset ids of an answer's items, each checked against the import's map and the CSV's title.</summary>
    private string[] Ids(JsonElement answer)
    {
        var ids = new List<string>();
        foreach (var i in answer.GetProperty("items").EnumerateArray())
        {
            var id = i.GetProperty("id").GetString()!;
            Assert.Equal(run.ItemIds[i.GetProperty("item").GetInt32()], id);
            Assert.Equal(ImportedRun.Title(id), i.GetProperty("title").GetString());
            ids.Add(id);
        }
        return ids.ToArray();
    }

    private string[] IdsOf(JsonElement answer) =>
        answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray();

    [Fact]
    public void The_fixture_has_string_ids_and_numeric_looking_ids_that_are_not_their_dense_ids()
    {
        Assert.Equal(ImportedRun.CatalogueIds.Order(StringComparer.Ordinal), run.ItemIds.Order(StringComparer.Ordinal));
        Assert.NotEqual(7, run.Dense("7"));
        Assert.NotEqual("0", run.UserKeys[0]);
        // letter train copied the dataset's maps into the run folder
        Assert.Equal(File.ReadAllText(Path.Combine(run.DataDirectory, "shop.item2id")), File.ReadAllText(Path.Combine(run.Run, "tiger", "item2id")));
        Assert.Equal(File.ReadAllText(Path.Combine(run.DataDirectory, "shop.user2id")), File.ReadAllText(Path.Combine(run.Run, "tiger", "user2id")));
    }

    [Fact]
    public async Task Recommend_by_history_user_exclude_candidates_and_batch_take_and_return_the_datasets_ids()
    {
        await using var s = await TestServing.Start(run.Run);
        string[] history = ["B00X03", "B00Xé-ü", "7"];
        var byIds = await s.PostOk("/v1/recommend", Json(new { history, k = 5 }));
        var byDense = await s.PostOk("/v1/recommend", Json(new { ids = "dense", history = history.Select(run.Dense), k = 5 }));
        Assert.Equal(TestServing.ItemIds(byDense), TestServing.ItemIds(byIds));
        Assert.Equal(5, Ids(byIds).Length);
        Assert.Equal(Ids(byIds), Ids(byDense));    // dense requests are answered with dataset ids too
        Assert.Empty(Ids(byIds).Intersect(history)); // seen items excluded by default

        // a JSON number is read as its decimal text: the items whose ids are "7" and "42", not dense items 7 and 42
        var numbers = await s.PostOk("/v1/recommend", """{"history": [7, 42], "k": 4}""");
        var strings = await s.PostOk("/v1/recommend", """{"history": ["7", "42"], "k": 4}""");
        var dense = await s.PostOk("/v1/recommend", Json(new { ids = "dense", history = new[] { run.Dense("7"), run.Dense("42") }, k = 4 }));
        Assert.Equal(Ids(strings), Ids(numbers));
        Assert.Equal(Ids(dense), Ids(numbers));

        // a user by their dataset id (user2id), the same as their history of dataset ids and as the inter file's key under dense ids
        var user = ImportedRun.UserId(4);
        var byUser = await s.PostOk("/v1/recommend", Json(new { user, k = 4 }));
        var sameHistory = await s.PostOk("/v1/recommend", Json(new { history = ImportedRun.Sequence(4), k = 4 }));
        var key = Array.IndexOf(run.UserKeys, user).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var byKey = await s.PostOk("/v1/recommend", Json(new { ids = "dense", user = key, k = 4 }));
        Assert.Equal(Ids(sameHistory), Ids(byUser));
        Assert.Equal(Ids(byKey), Ids(byUser));
        Assert.Empty(Ids(byUser).Intersect(ImportedRun.Sequence(4)));

        // exclusions and candidates in dataset ids
        var open = Ids(await s.PostOk("/v1/recommend", Json(new { history, k = 6, exclude = "none" })));
        var refuse = open[..3];
        var listed = Ids(await s.PostOk("/v1/recommend", Json(new { history, k = 6, exclude = refuse })));
        Assert.Equal(6, listed.Length);
        Assert.Empty(listed.Intersect(refuse));
        string[] candidates = ["B00X10", "42", "B00X01"];
        var only = Ids(await s.PostOk("/v1/recommend", Json(new { history, k = 3, candidates })));
        Assert.Equal(candidates.Order(StringComparer.Ordinal), only.Order(StringComparer.Ordinal));
        var denseCandidates = await s.PostOk("/v1/recommend", Json(new { ids = "dense", history = history.Select(run.Dense), k = 3, candidates = candidates.Select(run.Dense) }));
        Assert.Equal(candidates.Order(StringComparer.Ordinal), Ids(denseCandidates).Order(StringComparer.Ordinal));

        // a batch: its "ids" for every request that names none, a request's own "ids" over it
        var batch = await s.PostOk("/v1/recommend:batch", Json(new
        {
            requests = new object[] { new { history, k = 5 }, new { user, k = 4 }, new { ids = "dense", history = history.Select(run.Dense), k = 5 } },
        }));
        var results = batch.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(Ids(byIds), Ids(results[0]));
        Assert.Equal(Ids(byUser), Ids(results[1]));
        Assert.Equal(Ids(byIds), Ids(results[2]));
        var denseBatch = await s.PostOk("/v1/recommend:batch", Json(new
        {
            ids = "dense",
            requests = new object[] { new { history = history.Select(run.Dense), k = 5 }, new { ids = "dataset", history, k = 5 }, new { user = key, k = 4 } },
        }));
        results = denseBatch.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(Ids(byIds), Ids(results[0]));
        Assert.Equal(Ids(byIds), Ids(results[1]));
        Assert.Equal(Ids(byUser), Ids(results[2]));
    }

    [Fact]
    public async Task Both_look_ups_speak_the_datasets_ids_and_dense_ids_on_request()
    {
        await using var s = await TestServing.Start(run.Run);
        var index = ItemIndexReader.Read(Path.Combine(run.Run, "tiger", "index.json"));
        foreach (var id in new[] { "B00Xé-ü", "7", "B00X12" })
        {
            int dense = run.Dense(id);
            var item = await s.GetJson("/v1/items/" + Uri.EscapeDataString(id));
            Assert.Equal((dense, id, ImportedRun.Title(id)), (item.GetProperty("item").GetInt32(), item.GetProperty("id").GetString(), item.GetProperty("title").GetString()));
            Assert.Equal(index.Tokens(dense), item.GetProperty("identifier").EnumerateArray().Select(t => t.GetString()!).ToArray());
            Assert.Equal(item.GetProperty("sharedWith").EnumerateArray().Select(i => run.ItemIds[i.GetInt32()]),
                item.GetProperty("sharedWithIds").EnumerateArray().Select(i => i.GetString()));
            Assert.Equal(item.GetRawText(), (await s.GetJson($"/v1/items/{dense}?ids=dense")).GetRawText());

            var back = await s.GetJson("/v1/identifiers/" + Uri.EscapeDataString(string.Concat(index.Tokens(dense))));
            var found = back.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("item").GetInt32() == dense);
            Assert.Equal((id, ImportedRun.Title(id)), (found.GetProperty("id").GetString(), found.GetProperty("title").GetString()));
        }
        // "7" is an item's id: dense item 7 is another item, found under its own id or with ids=dense
        Assert.Equal(run.ItemIds[7], (await s.GetJson("/v1/items/7?ids=dense")).GetProperty("id").GetString());

        Assert.Equal((404, "item", "B00X99", "item \"B00X99\" " + NotInCatalogue), await s.Refusal("/v1/items/B00X99"));
        Assert.Equal((404, "item", "07", "item \"07\" " + NotInCatalogue), await s.Refusal("/v1/items/07"));
        Assert.Equal((404, "item", "16", "item 16 is not in the catalogue (dense items 0-15)"), await s.Refusal("/v1/items/16?ids=dense"));
        Assert.Equal((400, "item", "B00X01", "under ids=dense the item is a dense item id (an integer >= 0)"), await s.Refusal("/v1/items/B00X01?ids=dense"));
        Assert.Equal((400, "ids", "Dense", "ids is \"dataset\" (the dataset's own ids, the default) or \"dense\" (dense item ids 0..n-1 and the inter file's user keys)"),
            await s.Refusal("/v1/items/B00X01?ids=Dense"));
    }

    public static TheoryData<string, string, string, string> UnknownIds => new()
    {
        { """{"history": ["B00X01", "B00X02", "B00X99"]}""", "history[2]", "\"B00X99\"", "item \"B00X99\" " + NotInCatalogue },
        { """{"history": [3]}""", "history[0]", "3", "item \"3\" " + NotInCatalogue },
        { """{"history": ["B00X01"], "exclude": ["B00X01", "b00x02"]}""", "exclude[1]", "\"b00x02\"", "item \"b00x02\" " + NotInCatalogue },
        // an escape in the JSON text stays as sent in the value (its backslash shown doubled); the detail shows the character escaped
        { """{"history": ["B00X01"], "candidates": ["x\u001b[31m"]}""", "candidates[0]", "\"x\\\\u001b[31m\"", "item \"x\\x1b[31m\" " + NotInCatalogue },
        { """{"history": [1.5]}""", "history[0]", "1.5", "history[0] must be an item id (a string, or an integer read as its decimal text), not the number 1.5" },
        { """{"ids": "dense", "history": [0, 16]}""", "history[1]", "16", "item 16 is not in the catalogue (dense items 0-15)" },
        { """{"ids": "dense", "history": ["B00X01"]}""", "history[0]", "\"B00X01\"", "history[0] must be a dense item id (an integer >= 0), not a string" },
        { """{"user": "u-β9"}""", "user", "u-β9", "user \"u-β9\" is not a user id of the run's dataset (its user2id)" },
        { """{"ids": "dense", "user": "u-α1"}""", "user", "u-α1", "user \"u-α1\" is not a user key of the run's dataset (its inter file)" },
        { """{"ids": "sparse", "history": ["B00X01"]}""", "ids", "\"sparse\"",
            "ids is \"dataset\" (the dataset's own ids, the default) or \"dense\" (dense item ids 0..n-1 and the inter file's user keys)" },
    };

    [Theory]
    [MemberData(nameof(UnknownIds))]
    public async Task Unknown_ids_are_a_400_naming_the_field_and_the_value(string body, string field, string value, string detail)
    {
        await using var s = await TestServing.Start(run.Run);
        Assert.Equal((400, field, value, detail), await s.Refusal("/v1/recommend", body));
    }

    [Fact]
    public async Task In_a_batch_an_unknown_id_is_named_by_its_request()
    {
        await using var s = await TestServing.Start(run.Run);
        Assert.Equal((400, "requests[1].history[1]", "\"nope\"", "item \"nope\" " + NotInCatalogue),
            await s.Refusal("/v1/recommend:batch", """{"requests": [{"history": ["B00X01"]}, {"history": ["B00X01", "nope"]}]}"""));
        Assert.Equal((400, "requests[0].history[0]", "\"B00X01\"", "requests[0].history[0] must be a dense item id (an integer >= 0), not a string"),
            await s.Refusal("/v1/recommend:batch", """{"ids": "dense", "requests": [{"history": ["B00X01"]}]}"""));
    }

    [Fact]
    public async Task A_new_item_takes_the_callers_id_into_the_catalogue_and_the_run_folders_item_map_and_an_existing_id_is_refused()
    {
        using var tmp = new TempDir();
        var dir = run.Copy(tmp);
        int n = run.ItemIds.Length;
        await using (var s = await TestServing.Start(dir, loopback: true)) // Kestrel: the raw request target of the "/" look-up
        {
            Assert.Equal((400, "id", null, "the run's items have dataset ids (an item map, item2id): give the new item its id, the id your data knows it by"),
                await s.Refusal("/v1/items", Json(new { embedding = Row(2), title = "Desk lamp" })));
            int trained = run.Dense("B00X03");
            Assert.Equal((409, "id", "B00X03", $"item id \"B00X03\" is trained item {trained}'s: an id names one item; give the new one another id"),
                await s.Refusal("/v1/items", Json(new { id = "B00X03", embedding = Row(2), title = "Desk lamp" })));
            Assert.Equal((409, "items[1].id", "7", $"item id \"7\" is trained item {run.Dense("7")}'s: an id names one item; give the new one another id"),
                await s.Refusal("/v1/items", Json(new { items = new object[] { new { id = "B00X-a", embedding = Row(1) }, new { id = 7, embedding = Row(2) } } })));
            Assert.False(File.Exists(Path.Combine(dir, "tiger", "added-items.json")));

            var body = Json(new { id = "B00X-new", embedding = Row(2), title = "Desk lamp" });
            var response = await s.Post("/v1/items", body);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal("/v1/items/B00X-new", response.Headers.Location?.ToString());
            var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0];
            Assert.Equal((n, "B00X-new", true), (created.GetProperty("item").GetInt32(), created.GetProperty("id").GetString(), created.GetProperty("added").GetBoolean()));

            // the same item again: one item, the first answer (200)
            var again = await s.Post("/v1/items", body);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            var second = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(created.GetRawText(), second.GetProperty("items")[0].GetRawText());
            Assert.Equal(n + 1, second.GetProperty("model").GetProperty("items").GetInt32());
            Assert.Equal((409, "id", "B00X-new", $"item id \"B00X-new\" was added before (item {n}) with other content: an id names one item; give the new one another id"),
                await s.Refusal("/v1/items", Json(new { id = "B00X-new", embedding = Row(3), title = "Desk lamp" })));

            await AssertServedUnderItsId(s, n);

            // an id holding "/" and a literal "%2F": its Location and its look-up (ASP.NET keeps %2F encoded in route values)
            var slashed = await s.Post("/v1/items", Json(new { id = "pack/2%2F", embedding = Row(4), title = "Two lamps" }));
            Assert.Equal(HttpStatusCode.Created, slashed.StatusCode);
            Assert.Equal("/v1/items/pack%2F2%252F", slashed.Headers.Location?.ToString());
            var bySlash = await s.GetJson("/v1/items/pack%2F2%252F");
            Assert.Equal((n + 1, "pack/2%2F"), (bySlash.GetProperty("item").GetInt32(), bySlash.GetProperty("id").GetString()));
            Assert.Equal((404, "item", "pack/2/", "item \"pack/2/\" is not in the catalogue (the run's item ids are its dataset's, from the run folder's item2id, " +
                "and those of the items added since; dense ids are taken with ids=dense)"), await s.Refusal("/v1/items/pack%2F2%2F"));
        }
        // the run folder's item map grew by the new id (the dataset's map is untouched); added-items.json keeps the item
        var datasetMap = File.ReadAllText(Path.Combine(run.DataDirectory, "shop.item2id"));
        Assert.Equal(datasetMap + $"B00X-new\t{n}\npack/2%2F\t{n + 1}\n", File.ReadAllText(Path.Combine(dir, "tiger", "item2id")));
        Assert.Equal(n, IdMaps.ReadMap(Path.Combine(run.DataDirectory, "shop.item2id")).Length);

        // a restart reads it back, and a retry after it is still the same item; a map entry that added-items.json does not
        // back (the map was written, then the server stopped before the additions were) is dropped at load
        File.AppendAllText(Path.Combine(dir, "tiger", "item2id"), $"B00X-ghost\t{n + 2}\n");
        await using (var s = await TestServing.Start(dir))
        {
            Assert.Equal(datasetMap + $"B00X-new\t{n}\npack/2%2F\t{n + 1}\n", File.ReadAllText(Path.Combine(dir, "tiger", "item2id")));
            await AssertServedUnderItsId(s, n);
            var retry = await s.Post("/v1/items", Json(new { id = "B00X-new", embedding = Row(2), title = "Desk lamp" }));
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.Equal((404, "item", "B00X-ghost", "item \"B00X-ghost\" is not in the catalogue (the run's item ids are its dataset's, from the run folder's item2id, " +
                "and those of the items added since; dense ids are taken with ids=dense)"), await s.Refusal("/v1/items/B00X-ghost"));
        }
    }

    private async Task AssertServedUnderItsId(TestServing s, int item)
    {
        var looked = await s.GetJson("/v1/items/B00X-new");
        Assert.Equal((item, "B00X-new", "Desk lamp"), (looked.GetProperty("item").GetInt32(), looked.GetProperty("id").GetString(), looked.GetProperty("title").GetString()));
        Assert.Equal(looked.GetRawText(), (await s.GetJson($"/v1/items/{item}?ids=dense")).GetRawText());
        var only = await s.PostOk("/v1/recommend", Json(new { history = new[] { "B00X01", "B00X02" }, k = 1, candidates = new[] { "B00X-new" } }));
        Assert.Equal(["B00X-new"], IdsOf(only));
        Assert.Equal([item], TestServing.ItemIds(only));
        var withIt = await s.PostOk("/v1/recommend", Json(new { history = new[] { "B00X01", "B00X-new" }, k = 3 }));
        Assert.DoesNotContain("B00X-new", IdsOf(withIt));
        var tokens = looked.GetProperty("identifier").EnumerateArray().Select(t => t.GetString()).ToArray();
        var back = await s.GetJson("/v1/identifiers/" + Uri.EscapeDataString(string.Concat(tokens)));
        Assert.Equal("B00X-new", back.GetProperty("items")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_run_folder_moved_away_from_its_dataset_still_maps_item_ids_and_says_user_histories_need_the_dataset()
    {
        using var tmp = new TempDir();
        var dir = run.Copy(tmp);
        var configFile = Path.Combine(dir, "tiger", "config.json");
        var gone = tmp.File("gone");
        File.WriteAllText(configFile, File.ReadAllText(configFile).Replace(JsonSerializer.Serialize(run.DataDirectory), JsonSerializer.Serialize(gone)));
        Assert.DoesNotContain(run.DataDirectory, File.ReadAllText(configFile));
        await using var s = await TestServing.Start(dir);
        string[] history = ["B00X03", "B00Xé-ü", "7"];
        var answer = await s.PostOk("/v1/recommend", Json(new { history, k = 5 }));
        Assert.Equal(5, Ids(answer).Length);
        Assert.Equal(run.Dense("B00Xé-ü"), (await s.GetJson("/v1/items/" + Uri.EscapeDataString("B00Xé-ü"))).GetProperty("item").GetInt32());
        Assert.Equal((400, "user", ImportedRun.UserId(4),
            $"the run's dataset ({gone}) is not reachable from this server: users' histories come from the dataset (the run folder keeps only its id maps), so send a history"),
            await s.Refusal("/v1/recommend", Json(new { user = ImportedRun.UserId(4) })));
    }
}
