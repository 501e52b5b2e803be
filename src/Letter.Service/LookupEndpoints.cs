using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Letter.Service;

/// <summary>The catalogue look-ups: an item's identifier and title, and the items of an identifier.</summary>
internal static partial class LookupEndpoints
{
    /// <param name="text">the item: its dataset id, or under <c>?ids=dense</c> its dense id</param>
    /// <param name="ids">the <c>ids</c> query parameter: "dataset" (default) or "dense"</param>
    internal static IResult ItemLookup(ModelHost host, string text, string? ids)
    {
        var space = IdSpaces.Parse(ids, "ids");
        int dense = -1;
        if (space == IdSpace.Dense && !int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out dense))
            throw new BadRequestException("item", text, "under ids=dense the item is a dense item id (an integer >= 0)");
        var m = ServedModels.Current(host);
        try
        {
            if (space == IdSpace.Dense)
            {
                if (dense >= m.ItemCount) throw new RequestException(404, "item", text, $"item {dense} is not in the catalogue (dense items 0-{m.ItemCount - 1})");
                return Results.Ok(Describe(m, dense));
            }
            var item = m.Ids.Item(text) ?? throw new RequestException(404, "item", text, $"item {Letter.IO.Quoted.Quote(text)} is not in the catalogue ({m.ItemIdsDescription})");
            return Results.Ok(Describe(m, item));
        }
        finally { m.Release(); }
    }

    internal static ItemInfo Describe(ServedModel m, int item)
    {
        var shared = m.Catalog.ItemsOf(m.Catalog.KeyOfItem(item)).Where(i => i != item).ToArray();
        int trained = m.Run.Index.ItemCount;
        return new ItemInfo(item, m.Ids.ItemId(item), m.Titles[item], m.Catalog.Index.Tokens(item), shared, shared.Select(m.Ids.ItemId).ToArray(), item >= trained);
    }

    /// <summary>
    /// The item segment of the request target as the client sent it, percent-decoded once. ASP.NET Core decodes a route
    /// value except its <c>%2F</c> (so that a value cannot add path segments), which leaves an id holding a "/" unmatched
    /// (<c>sku/1</c> sent as <c>sku%2F1</c> would be looked up as "sku%2F1"); the raw target decoded once is what the
    /// client meant, "%252F" included (it stays "%2F").
    /// </summary>
    internal static string ItemSegment(HttpContext ctx, string routed)
    {
        var raw = ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        const string prefix = "/v1/items/";
        if (raw is null || !raw.StartsWith(prefix, StringComparison.Ordinal)) return routed; // e.g. an absolute-form target
        int end = raw.IndexOfAny(['?', '#']);
        var segment = raw[prefix.Length..(end < 0 ? raw.Length : end)];
        return segment.Contains('/') ? routed : Uri.UnescapeDataString(segment);
    }

    [GeneratedRegex(@"^<?([a-z])_(\d{1,6})>?$")]
    internal static partial Regex TokenPattern();

    internal static IResult IdentifierLookup(ModelHost host, string text)
    {
        var parts = text.Contains(',') ? text.Split(',', StringSplitOptions.TrimEntries)
            : Regex.Matches(text, "<[^<>]*>").Select(x => x.Value).ToArray();
        if (parts.Length == 0) parts = [text];
        var tokens = new string[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            var match = TokenPattern().Match(parts[i]);
            if (!match.Success)
                throw new BadRequestException("identifier", text, $"{Letter.IO.Quoted.Quote(parts[i])} is not an identifier token such as <a_12> (give the tokens as <a_12><b_3>... or a_12,b_3,...)");
            tokens[i] = $"<{match.Groups[1].Value}_{int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)}>";
        }
        var m = ServedModels.Current(host);
        try
        {
            if (tokens.Length != m.Catalog.Levels)
                throw new BadRequestException("identifier", text, $"an identifier has {m.Catalog.Levels} tokens, this one {tokens.Length}");
            var items = m.Catalog.ItemsOfIdentifier(tokens);
            if (items.Length == 0) throw new RequestException(404, "identifier", text, $"no item has the identifier {string.Concat(tokens)}");
            return Results.Ok(new IdentifierItems(tokens, items.Select(i => new ItemSummary(i, m.Ids.ItemId(i), m.Titles[i])).ToList()));
        }
        finally { m.Release(); }
    }
}
