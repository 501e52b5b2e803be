using System.Globalization;
using System.Text;
using System.Text.Json;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// Writes an imported dataset in Letter's layout, byte for byte as the synthetic dataset writes
/// it: <c>NAME.inter.json</c> (one user a line), <c>NAME.item.json</c> (indented, only the fields
/// an item has; written when any item has text), and the id maps <c>NAME.user2id</c> and
/// <c>NAME.item2id</c>, into a new folder that <see cref="StagedFolder"/> then puts in place (so an
/// older import's <c>NAME.item.json</c> does not survive an import without text).
/// </summary>
internal static class DatasetWriter
{
    /// <summary>The files an import writes or, for the item text, may leave out.</summary>
    public static IEnumerable<string> FileNames(string name)
    {
        var folder = new DatasetFolder("", name);
        return new[] { folder.InterFile, folder.ItemFile, IdMaps.UserFile(folder), IdMaps.ItemFile(folder) }.Select(f => Path.GetFileName(f));
    }

    public static DatasetFolder Write(string directory, string name, FilteredInteractions data, InteractionTable table)
    {
        var folder = new DatasetFolder(directory, name);
        StagedFolder.Step("write interactions");
        AtomicFile.Write(folder.InterFile, s => WriteInter(s, data.Sequences));
        var text = table.Text;
        StagedFolder.Step("write item text");
        if (text is not null && data.ItemIndex.Any(i => ItemTextLoader.HasText(text[i])))
            AtomicFile.Write(folder.ItemFile, s => WriteItems(s, data.ItemIndex.Select(i => text[i]).ToArray()));
        StagedFolder.Step("write user ids");
        AtomicFile.Write(IdMaps.UserFile(folder), s => IdMaps.WriteMap(s, data.UserIndex.Select(u => table.Users[u])));
        StagedFolder.Step("write item ids");
        AtomicFile.Write(IdMaps.ItemFile(folder), s => IdMaps.WriteMap(s, data.ItemIndex.Select(i => table.Items[i])));
        return folder;
    }

    private static void WriteInter(Stream stream, int[][] sequences)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var sb = new StringBuilder();
        w.Write("{\n");
        for (int u = 0; u < sequences.Length; u++)
        {
            sb.Clear();
            sb.Append("  \"").Append(u.ToString(CultureInfo.InvariantCulture)).Append("\": [");
            sb.AppendJoin(", ", sequences[u]);
            sb.Append(u + 1 < sequences.Length ? "],\n" : "]\n");
            w.Write(sb);
        }
        w.Write("}\n");
    }

    private static void WriteItems(Stream stream, ItemText?[] items)
    {
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            for (int i = 0; i < items.Length; i++)
            {
                w.WriteStartObject(i.ToString(CultureInfo.InvariantCulture));
                if (items[i] is { } t)
                {
                    if (t.Title is not null) w.WriteString("title", t.Title);
                    if (t.Description is not null) w.WriteString("description", t.Description);
                    if (t.Categories is not null) w.WriteString("categories", t.Categories);
                    if (t.Brand is not null) w.WriteString("brand", t.Brand);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }

}
