using System.Text;

namespace Letter.Data.Import;

/// <summary>
/// One item-file column for a text field; <see cref="Clean"/> rewrites its value (MovieLens
/// genres, LC-Rec's text cleaning). A blank result counts as absent.
/// </summary>
internal sealed record TextSource(string Column, ItemField Field, string ListSeparator = ", ", Func<string, string>? Clean = null);

/// <summary>
/// Reads item records into <see cref="InteractionTable.Text"/>, only for items that occur in the
/// interactions (so memory follows the items used, not the catalogue). Several columns for one
/// field are joined by a space (categories by a comma and a space); a later record of the same item replaces an earlier one.
/// Unlike ids, text may hold bytes that were not UTF-8: they are written as U+FFFD.
/// </summary>
internal static class ItemTextLoader
{
    public static void Load(RecordReader r, string idColumn, IReadOnlyList<TextSource> sources, InteractionTable table, BadRows bad)
    {
        int id = InteractionLoader.Required(r, idColumn, "item id");
        var columns = sources.Select(s =>
        {
            int c = r.Column(s.Column, s.ListSeparator);
            if (c < 0)
                throw new IO.LetterDataException(r.File, null, $"has no text column {IO.Quoted.Quote(s.Column)} ({r.ColumnHint})");
            return c;
        }).ToArray();
        table.Text ??= new ItemText?[table.Items.Count];
        var parts = new StringBuilder[4];
        for (int f = 0; f < 4; f++) parts[f] = new StringBuilder();
        while (r.Next(bad))
        {
            var key = r.Field(id);
            if (key.IsEmpty) { bad.Add(r.File, r.Line, $"no item id (column {IO.Quoted.Quote(idColumn)})"); continue; }
            int item = table.Items.Find(key);
            if (item < 0) continue;
            foreach (var p in parts) p.Clear();
            for (int s = 0; s < sources.Count; s++)
            {
                if (!r.Has(columns[s])) continue;
                var value = r.Field(columns[s]);
                // text is not looked up, so a byte that is not UTF-8 may become U+FFFD here (Utf8Text)
                var text = Utf8Text.Replace(sources[s].Clean is { } clean ? clean(value.ToString()).Trim() : value.Trim().ToString());
                if (text.Length == 0) continue;
                var sb = parts[(int)sources[s].Field];
                if (sb.Length > 0) sb.Append(sources[s].Field == ItemField.Categories ? ", " : " ");
                sb.Append(text);
            }
            table.Text[item] = new ItemText(Part(parts[0]), Part(parts[1]), Part(parts[2]), Part(parts[3]));
        }
    }

    private static string? Part(StringBuilder sb) => sb.Length == 0 ? null : sb.ToString();

    public static bool HasText(ItemText? t) =>
        t is not null && !(string.IsNullOrWhiteSpace(t.Title) && string.IsNullOrWhiteSpace(t.Description)
                           && string.IsNullOrWhiteSpace(t.Categories) && string.IsNullOrWhiteSpace(t.Brand));
}
