using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace Letter.Tests.Data.Import;

/// <summary>
/// Damaged versions of input files, by class rather than by case: cut at many points, bytes
/// flipped, compressed and re-compressed, nested past any sane depth, re-encoded. Every choice is a
/// function of its arguments (cut points spread evenly plus the edges of each format's frame), so a
/// failing case can be named and rerun.
/// </summary>
internal static class FaultInput
{
    /// <summary>The first <paramref name="length"/> bytes.</summary>
    public static byte[] Cut(byte[] bytes, int length) => bytes[..length];

    /// <summary>
    /// Lengths to cut a file of <paramref name="length"/> bytes to, short of its end: the first
    /// <paramref name="head"/> and last <paramref name="tail"/> lengths one by one (where a frame's
    /// header and trailer are), and <paramref name="spread"/> lengths evenly in between.
    /// </summary>
    public static IEnumerable<int> CutPoints(int length, int head = 12, int tail = 10, int spread = 16)
    {
        var points = new SortedSet<int>();
        for (int i = 0; i < Math.Min(head, length); i++) points.Add(i);
        for (int i = Math.Max(0, length - tail); i < length; i++) points.Add(i);
        for (int k = 1; k < spread; k++) points.Add((int)((long)length * k / spread));
        points.Remove(length);
        return points;
    }

    /// <summary>A copy with byte <paramref name="index"/> XORed with <paramref name="mask"/>.</summary>
    public static byte[] Flip(byte[] bytes, int index, byte mask = 0xFF)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= mask;
        return copy;
    }

    /// <summary>Positions to flip: every byte of the first and last <paramref name="edge"/>, and <paramref name="spread"/> evenly in between.</summary>
    public static IEnumerable<int> FlipPoints(int length, int edge = 12, int spread = 16) =>
        CutPoints(length, edge, edge, spread).Where(i => i < length);

    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(data);
        return ms.ToArray();
    }

    public static byte[] Gzip(string text) => Gzip(Encoding.UTF8.GetBytes(text));

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A Python dict literal whose <c>related</c> value is <paramref name="depth"/> lists deep.</summary>
    public static string NestedPythonLists(string asin, int depth) =>
        $"{{'asin': '{asin}', 'related': {new string('[', depth)}{new string(']', depth)}}}";

    /// <summary>A Python dict literal holding dicts <paramref name="depth"/> deep.</summary>
    public static string NestedPythonDicts(string asin, int depth) =>
        $"{{'asin': '{asin}', 'x': {string.Concat(Enumerable.Repeat("{'a': ", depth))}1{new string('}', depth)}}}";

    /// <summary>A JSON object with an array <paramref name="depth"/> deep in a field beside the ids.</summary>
    public static string NestedJson(string user, string item, int depth) =>
        $"{{\"user_id\": \"{user}\", \"item_id\": \"{item}\", \"extra\": {new string('[', depth)}{new string(']', depth)}}}";

    /// <summary>The text as UTF-16 little-endian, with or without its byte-order mark.</summary>
    public static byte[] Utf16(string text, bool bom) =>
        bom ? [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text)] : Encoding.Unicode.GetBytes(text);

    /// <summary>A Parquet file of (user_id, item_id, timestamp) rows in row groups of <paramref name="groupRows"/>.</summary>
    public static async Task<byte[]> Parquet((string User, string Item, long Time)[] rows, int groupRows = 1000)
    {
        var user = new DataField<string>("user_id");
        var item = new DataField<string>("item_id");
        var time = new DataField<long>("timestamp");
        var ms = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(user, item, time), ms))
        {
            foreach (var chunk in rows.Chunk(groupRows))
            {
                using var g = writer.CreateRowGroup();
                await g.WriteAsync(user, chunk.Select(r => r.User).ToArray());
                await g.WriteAsync(item, chunk.Select(r => r.Item).ToArray());
                await g.WriteAsync(time, (ReadOnlyMemory<long>)chunk.Select(r => r.Time).ToArray());
            }
        }
        return ms.ToArray();
    }

    /// <summary>Every file under a folder (relative path to SHA-256), to show a folder left byte-identical.</summary>
    public static SortedDictionary<string, string> Snapshot(string folder)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(folder)) return result;
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            result[Path.GetRelativePath(folder, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        foreach (var dir in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories))
            result[Path.GetRelativePath(folder, dir) + "/"] = "folder";
        return result;
    }

    /// <summary>Temporary folders an import left beside <paramref name="folder"/>.</summary>
    public static string[] LeftoverTemporaries(string folder) =>
        Directory.GetDirectories(Path.GetDirectoryName(Path.GetFullPath(folder))!, $".{Path.GetFileName(folder)}.*");
}
