using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Letter.Service;

/// <summary>The catalogue look-ups: an item's identifier and title, and the items of an identifier.</summary>
internal static partial class LookupEndpoints
{
    internal static IResult ItemLookup(ModelHost host, string text)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var item))
            throw new BadRequestException("item", text, "item must be an item id (an integer >= 0)");
        var m = ServedModels.Current(host);
        try
        {
            if (item >= m.ItemCount) throw new RequestException(404, "item", text, $"item {item} is not in the catalogue (items 0-{m.ItemCount - 1})");
            return Results.Ok(Describe(m, item));
        }
        finally { m.Release(); }
    }

    internal static ItemInfo Describe(ServedModel m, int item)
    {
        var shared = m.Catalog.ItemsOf(m.Catalog.KeyOfItem(item)).Where(i => i != item).ToArray();
        int trained = m.Run.Index.ItemCount;
        return new ItemInfo(item, m.Titles[item], m.Catalog.Index.Tokens(item), shared, item >= trained, item >= trained ? m.Added[item - trained].Id : null);
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
            return Results.Ok(new IdentifierItems(tokens, items.Select(i => new ItemSummary(i, m.Titles[i])).ToList()));
        }
        finally { m.Release(); }
    }
}
