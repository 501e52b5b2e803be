using System.Net;
using System.Text.Json;

namespace Letter.Tests.Service;

/// <summary>Idempotent additions under the caller's id, and embeddings checked through the tokenizer before they are accepted.</summary>
[Collection("served runs")]
public class NewItemTests(ServedRuns runs)
{
    private static string Json(object o) => JsonSerializer.Serialize(o);

    private float[] Row(int i) => runs.Semantic.Row(i).ToArray();

    [Fact]
    public async Task The_same_item_added_twice_under_one_id_gives_one_item_and_other_content_under_it_is_a_409()
    {
        using var tmp = new TempDir();
        var run = runs.Copy(tmp);
        await using var s = await TestServing.Start(run);
        var body = Json(new { id = "sku-123", embedding = Row(3), title = "Lamp" });
        var first = await s.Post("/v1/items", body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0];
        Assert.Equal(("sku-123", 24), (a.GetProperty("id").GetString(), a.GetProperty("item").GetInt32()));

        // the retry of a request whose answer was lost: the first answer again, 200, nothing added
        var again = await s.Post("/v1/items", body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var b = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(a.GetRawText(), b.GetProperty("items")[0].GetRawText());
        Assert.Equal(25, b.GetProperty("model").GetProperty("items").GetInt32());

        var other = await s.Post("/v1/items", Json(new { id = "sku-123", embedding = Row(4), title = "Lamp" }));
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        var p = JsonDocument.Parse(await other.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("id", "sku-123"), (p.GetProperty("field").GetString(), p.GetProperty("value").GetString()));
        Assert.Contains("was added before (item 24) with other content", p.GetProperty("detail").GetString());

        // in a list: a known id answered as before beside a new one; a restart keeps the ids
        var mixed = await s.PostOk("/v1/items", Json(new { items = new object[] { new { id = "sku-123", embedding = Row(3), title = "Lamp" }, new { id = "sku-9", embedding = Row(5) } } }));
        Assert.Equal([24, 25], mixed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetInt32()));
        // without an item map the items' ids are their dense numbers: a trained item's is taken, another number would be a later item's
        Assert.Equal((409, "id", "5", "item id \"5\" is trained item 5's: an id names one item; give the new one another id"),
            await s.Refusal("/v1/items", Json(new { id = "5", embedding = Row(6) })));
        Assert.Equal((400, "id", "30", "this run has no item map, so its item ids are dense numbers: a new item's id may not be a number (leave 'id' out to give the item its number as its id)"),
            await s.Refusal("/v1/items", Json(new { id = "30", embedding = Row(6) })));
        var twice = await s.Post("/v1/items", Json(new { items = new object[] { new { id = "x", embedding = Row(1) }, new { id = "x", embedding = Row(2) } } }));
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Contains("\"field\":\"items[1].id\"", await twice.Content.ReadAsStringAsync());
        await s.DisposeAsync();
        await using var restarted = await TestServing.Start(run);
        var retried = await restarted.Post("/v1/items", Json(new { id = "sku-9", embedding = Row(5) }));
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        // the caller's id is the item's id: looked up by it, or by its dense id; its number is not its id
        Assert.Equal(25, (await restarted.GetJson("/v1/items/sku-9")).GetProperty("item").GetInt32());
        Assert.Equal("sku-9", (await restarted.GetJson("/v1/items/25?ids=dense")).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await restarted.Client.GetAsync("/v1/items/25")).StatusCode);
    }

    [Fact]
    public async Task Embeddings_beyond_what_the_tokenizer_was_trained_on_are_refused_with_the_reason_and_nothing_is_saved()
    {
        using var tmp = new TempDir();
        var run = runs.Copy(tmp);
        await using var s = await TestServing.Start(run);
        var huge = Enumerable.Repeat(3.4e38f, ServedRuns.EmbeddingDim).ToArray();
        var r = await s.Post("/v1/items", Json(new { embedding = huge, title = "overflow" }));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var p = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("embedding", p.GetProperty("field").GetString());
        // the tiny tokenizer's encoder is the identity: the latent stays finite (in double) and is refused by the bound
        Assert.Matches("not finite|beyond what the run's tokenizer was trained on", p.GetProperty("detail").GetString());

        var far = Row(2).Select(v => v * 1e4f).ToArray();
        r = await s.Post("/v1/items", Json(new { items = new object[] { new { embedding = Row(1) }, new { embedding = far } } }));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        p = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("items[1].embedding", p.GetProperty("field").GetString());
        Assert.Contains("beyond what the run's tokenizer was trained on", p.GetProperty("detail").GetString());
        Assert.False(File.Exists(Path.Combine(run, "tiger", "added-items.json")));

        // every trained item's own embedding passes the check
        var all = await s.PostOk("/v1/items", Json(new { items = Enumerable.Range(0, ServedRuns.Items).Select(i => new { embedding = Row(i) }) }));
        Assert.Equal(ServedRuns.Items, all.GetProperty("items").GetArrayLength());
    }
}
