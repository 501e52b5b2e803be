using System.Text.Encodings.Web;
using System.Text.Json;
using Letter.IO;
using Letter.Runs;
using Parquet;
using Parquet.Schema;

namespace Letter.Cli.Commands;

/// <summary>The layouts of <c>letter recommend --out</c>, chosen by the file's extension.</summary>
public enum RecommendationsFormat
{
    /// <summary>JSON lines (.jsonl): one object per recommended item.</summary>
    JsonLines,
    /// <summary>Apache Parquet (.parquet): one row per recommended item, one row group per chunk of users.</summary>
    Parquet,
}

/// <summary>
/// Writes users' top-k lists as a flat table, one row per recommended item: user (the dataset's id),
/// rank (1-based), item (the dataset's id), dense_item, score (the beam's log-probability), title
/// (null when the run has no titles). Written to a temporary file and renamed, so a failed or
/// interrupted run leaves no file, and an earlier one at the path stays intact.
/// </summary>
public static class RecommendationsFile
{
    private static readonly DataField<string> User = new("user", nullable: false);
    private static readonly DataField<int> Rank = new("rank");
    private static readonly DataField<string> Item = new("item", nullable: false);
    private static readonly DataField<int> DenseItem = new("dense_item");
    private static readonly DataField<float> Score = new("score");
    private static readonly DataField<string> Title = new("title", nullable: true);

    /// <summary>Users per Parquet row group (row groups are what readers load at once).</summary>
    private const int UsersPerRowGroup = 4096;

    /// <summary>The format a path's extension names, or null.</summary>
    public static RecommendationsFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" => RecommendationsFormat.JsonLines,
        ".parquet" => RecommendationsFormat.Parquet,
        _ => null,
    };

    /// <summary>Writes every user's list; returns the users and rows written.</summary>
    /// <param name="title">a dense item's title, or null</param>
    public static (int Users, long Rows) Write(string path, RecommendationsFormat format, IEnumerable<UserRecommendations> users, Func<int, string?> title)
    {
        (int Users, long Rows) written = default;
        AtomicFile.Write(path, stream => written = format == RecommendationsFormat.Parquet
            ? WriteParquet(stream, users, title).GetAwaiter().GetResult()
            : WriteJsonLines(stream, users, title));
        return written;
    }

    private static (int, long) WriteJsonLines(Stream stream, IEnumerable<UserRecommendations> users, Func<int, string?> title)
    {
        int count = 0;
        long rows = 0;
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (var user in users)
        {
            foreach (var r in user.Items)
            {
                json.WriteStartObject();
                json.WriteString("user", user.UserId);
                json.WriteNumber("rank", r.Rank);
                json.WriteString("item", r.ItemId);
                json.WriteNumber("dense_item", r.Item);
                json.WriteNumber("score", r.Score);
                if (title(r.Item) is { } t) json.WriteString("title", t);
                else json.WriteNull("title");
                json.WriteEndObject();
                json.Flush();
                stream.WriteByte((byte)'\n');
                json.Reset();
                rows++;
            }
            count++;
        }
        return (count, rows);
    }

    private static async Task<(int, long)> WriteParquet(Stream stream, IEnumerable<UserRecommendations> users, Func<int, string?> title)
    {
        int count = 0;
        long rows = 0;
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(User, Rank, Item, DenseItem, Score, Title), stream);
        var group = new List<UserRecommendations>(UsersPerRowGroup);
        foreach (var user in users)
        {
            group.Add(user);
            count++;
            if (group.Count == UsersPerRowGroup) rows += await WriteGroup(writer, group, title);
        }
        if (group.Count > 0 || count == 0) rows += await WriteGroup(writer, group, title);
        return (count, rows);
    }

    private static async Task<long> WriteGroup(ParquetWriter writer, List<UserRecommendations> users, Func<int, string?> title)
    {
        var rows = users.SelectMany(u => u.Items.Select(r => (u.UserId, r))).ToList();
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(User, rows.Select(x => x.UserId).ToList());
        await group.WriteAsync(Rank, (ReadOnlyMemory<int>)rows.Select(x => x.r.Rank).ToArray());
        await group.WriteAsync(Item, rows.Select(x => x.r.ItemId).ToList());
        await group.WriteAsync(DenseItem, (ReadOnlyMemory<int>)rows.Select(x => x.r.Item).ToArray());
        await group.WriteAsync(Score, (ReadOnlyMemory<float>)rows.Select(x => x.r.Score).ToArray());
        await group.WriteAsync(Title, rows.Select(x => title(x.r.Item)).ToList());
        users.Clear();
        return rows.Count;
    }
}
