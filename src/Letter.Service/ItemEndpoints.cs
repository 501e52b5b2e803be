using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Letter.Service;

/// <summary><c>POST /v1/items</c>: new items get identifiers from the run's trained tokenizer without retraining.</summary>
internal static class ItemEndpoints
{
    internal static async Task<IResult> AddItems(HttpContext ctx, ModelHost host)
    {
        using var doc = await RequestBody.ReadJson(ctx, host);
        var root = RequestParser.Object(doc.RootElement, "body");
        RequestParser.OnlyKnown(root, "", "id", "embedding", "text", "title", "items");
        var entries = new List<(JsonElement Obj, string Prefix)>();
        if (root.TryGetProperty("items", out var list))
        {
            if (root.TryGetProperty("embedding", out _) || root.TryGetProperty("text", out _))
                throw new BadRequestException("items", null, "give either one item (embedding or text, title) or 'items' (several), not both");
            if (list.ValueKind != JsonValueKind.Array) throw RequestParser.Wrong("items", list, "a list of {embedding, title}");
            int n = list.GetArrayLength();
            if (n == 0 || n > host.Options.MaxNewItems) throw new BadRequestException("items", $"{n} items", $"add 1 to {host.Options.MaxNewItems} items per request");
            int i = 0;
            foreach (var e in list.EnumerateArray())
            {
                var prefix = $"items[{i++}]";
                RequestParser.Object(e, prefix);
                RequestParser.OnlyKnown(e, prefix, "id", "embedding", "text", "title");
                entries.Add((e, prefix));
            }
        }
        else entries.Add((root, ""));

        var parsed = new List<(float[]? Embedding, string? Text, string? Title, string Prefix, string? Id)>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (e, prefix) in entries)
        {
            bool hasEmbedding = e.TryGetProperty("embedding", out var emb), hasText = e.TryGetProperty("text", out var txt);
            if (hasEmbedding == hasText)
                throw new BadRequestException(RequestParser.Path(prefix, "embedding"), null,
                    "give the new item's embedding (a list of numbers) or, when the run has a text encoder, its text: exactly one of them");
            float[]? vector = null;
            string? text = null;
            if (hasEmbedding) vector = RequestParser.Floats(emb, RequestParser.Path(prefix, "embedding"));
            else
            {
                if (txt.ValueKind != JsonValueKind.String) throw RequestParser.Wrong(RequestParser.Path(prefix, "text"), txt, "a string");
                text = txt.GetString()!;
                if (text.Trim().Length == 0 || text.Length > 20_000)
                    throw new BadRequestException(RequestParser.Path(prefix, "text"), RequestParser.Raw(txt), "the text must hold 1 to 20000 characters");
            }
            string? title = null;
            if (e.TryGetProperty("title", out var t) && t.ValueKind != JsonValueKind.Null)
            {
                if (t.ValueKind != JsonValueKind.String) throw RequestParser.Wrong(RequestParser.Path(prefix, "title"), t, "a string");
                title = t.GetString()!;
                if (title.Length > 1000) throw new BadRequestException(RequestParser.Path(prefix, "title"), title[..40] + "...", "a title has at most 1000 characters");
            }
            string? id = null;
            if (e.TryGetProperty("id", out var idValue) && idValue.ValueKind != JsonValueKind.Null)
            {
                id = idValue.ValueKind switch
                {
                    JsonValueKind.String => idValue.GetString()!,
                    JsonValueKind.Number when idValue.TryGetInt64(out var number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => throw RequestParser.Wrong(RequestParser.Path(prefix, "id"), idValue, "the new item's dataset id (a string)"),
                };
                if (id.Length is 0 or > 200) throw new BadRequestException(RequestParser.Path(prefix, "id"), id, "an item id has 1 to 200 characters");
                if (!ids.Add(id)) throw new BadRequestException(RequestParser.Path(prefix, "id"), id, $"the id {Letter.IO.Quoted.Quote(id)} is given to two items of this request");
            }
            parsed.Add((vector, text, title, prefix, id));
        }
        var m = ServedModels.Current(host);
        try
        {
            var run = m.Run;
            if (run.Tokenizer is null)
                throw new ConflictException(RequestParser.Path(parsed[0].Prefix, parsed[0].Embedding is null ? "text" : "embedding"), null, run.TokenizerUnavailable!);
            foreach (var (vector, text, _, prefix, _) in parsed)
                if (vector is null && run.TextEncoder is null)
                    throw new ConflictException(RequestParser.Path(prefix, "text"), null, run.TextUnavailable!);
                else if (vector is not null && vector.Length != run.Tokenizer.InputDim)
                    throw new BadRequestException(RequestParser.Path(prefix, "embedding"), $"{vector.Length} numbers",
                        $"the embedding has {vector.Length} numbers, the run's tokenizer reads {run.Tokenizer.InputDim}");
        }
        finally { m.Release(); }

        var (added, any) = await host.AddItemsAsync(
            parsed.Select(p => new NewItemSpec(p.Embedding, p.Text, p.Title ?? "", p.Id, p.Prefix.Length == 0 ? "" : p.Prefix + ".")).ToList(), ctx.RequestAborted);
        var now = ServedModels.Current(host);
        try
        {
            var infos = added.Select(a => LookupEndpoints.Describe(now, a.Item)).ToList();
            var response = new NewItemsResponse(infos, ServedModels.Info(now));
            // a retry of additions already made: the first answer again, 200 instead of 201
            return any ? Results.Created($"/v1/items/{Uri.EscapeDataString(infos[0].Id)}", response) : Results.Ok(response);
        }
        finally { now.Release(); }
    }
}
