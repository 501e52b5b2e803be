using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.Data;

namespace Letter.Cli.Commands;

/// <summary>Renders <see cref="DatasetStatistics"/> as a readable table or as one JSON object.</summary>
public static class StatsFormatter
{
    public static string Json(DatasetStatistics s)
    {
        var o = new JsonObject
        {
            ["name"] = s.Name,
            ["users"] = s.Users,
            ["items"] = s.Items,
            ["interactions"] = s.Interactions,
            ["density"] = s.Density,
            ["sequence_length"] = new JsonObject
            {
                ["min"] = s.SequenceLength.Min,
                ["median"] = s.SequenceLength.Median,
                ["mean"] = s.SequenceLength.Mean,
                ["max"] = s.SequenceLength.Max,
            },
            ["items_never_seen"] = s.ItemsNeverSeen,
            ["train_samples"] = s.TrainSamples,
            ["valid_samples"] = s.ValidSamples,
            ["test_samples"] = s.TestSamples,
            ["users_under_3_items"] = s.ShortUsers,
            ["target_in_history"] = new JsonObject
            {
                ["train"] = s.RepeatTargets.Train,
                ["valid"] = s.RepeatTargets.Valid,
                ["test"] = s.RepeatTargets.Test,
            },
        };
        if (s.Index is { } ix) o["index"] = IndexJson(ix);
        o["embeddings"] = new JsonArray(s.Embeddings.Select(e => (JsonNode)new JsonObject
        {
            ["file"] = e.File,
            ["rows"] = e.Rows,
            ["dim"] = e.Cols,
        }).ToArray());
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static JsonObject IndexJson(IndexStatistics ix) => new()
    {
        ["items"] = ix.Items,
        ["distinct"] = ix.Distinct,
        ["collision_rate"] = ix.CollisionRate,
        ["max_group"] = ix.MaxGroup,
        ["colliding_items"] = ix.CollidingItems,
        ["codes_used"] = new JsonArray(ix.PerLevel.Select(l => (JsonNode)l.CodesUsed).ToArray()),
        ["codebook_size"] = new JsonArray(ix.PerLevel.Select(l => (JsonNode)l.CodebookSize).ToArray()),
        ["entropy_bits"] = new JsonArray(ix.PerLevel.Select(l => (JsonNode)Math.Round(l.EntropyBits, 4)).ToArray()),
        ["largest_code_group"] = new JsonArray(ix.PerLevel.Select(l => (JsonNode)l.LargestGroup).ToArray()),
        ["distinct_prefixes"] = new JsonArray(ix.DistinctPrefixes.Select(p => (JsonNode)p).ToArray()),
    };

    public static string Table(DatasetStatistics s)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void Row(string k, string v) => sb.AppendLine(inv, $"  {k,-28}{v}");
        sb.AppendLine(inv, $"dataset {s.Name}");
        Row("users", s.Users.ToString("N0", inv));
        Row("items", s.Items.ToString("N0", inv));
        Row("interactions", s.Interactions.ToString("N0", inv));
        Row("density", s.Density.ToString("0.00000", inv));
        Row("sequence length", string.Format(inv, "min {0}, median {1}, mean {2:0.00}, max {3}",
            s.SequenceLength.Min, s.SequenceLength.Median, s.SequenceLength.Mean, s.SequenceLength.Max));
        Row("items never seen", s.ItemsNeverSeen.ToString("N0", inv));
        Row("samples train/valid/test", string.Format(inv, "{0:N0} / {1:N0} / {2:N0}", s.TrainSamples, s.ValidSamples, s.TestSamples));
        if (s.ShortUsers > 0) Row("users under 3 items", s.ShortUsers.ToString("N0", inv));
        Row("target already in history", string.Format(inv, "{0:P1} / {1:P1} / {2:P1} (train/valid/test)",
            s.RepeatTargets.Train, s.RepeatTargets.Valid, s.RepeatTargets.Test));
        foreach (var e in s.Embeddings) Row("embedding file", $"{e.File} [{e.Rows:N0} x {e.Cols}]");
        if (s.Index is { } ix)
        {
            sb.AppendLine("index");
            AppendIndex(sb, ix);
        }
        return sb.ToString().TrimEnd();
    }

    public static void AppendIndex(StringBuilder sb, IndexStatistics ix)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"  {"distinct identifiers",-28}{ix.Distinct:N0} of {ix.Items:N0}");
        sb.AppendLine(inv, $"  {"collision rate",-28}{ix.CollisionRate:0.0000} ({ix.CollidingItems:N0} items share an identifier)");
        sb.AppendLine(inv, $"  {"largest shared group",-28}{ix.MaxGroup}");
        sb.AppendLine(inv, $"  {"distinct prefixes by length",-28}{string.Join(" / ", ix.DistinctPrefixes)}");
        sb.AppendLine("  level  codes used  entropy (bits, max)  largest code group");
        foreach (var l in ix.PerLevel)
            sb.AppendLine(inv, $"  {l.Level + 1,5}  {l.CodesUsed,4} / {l.CodebookSize,-4}  {l.EntropyBits,6:0.000} ({l.MaxEntropyBits:0.00})       {l.LargestGroup,8:N0}");
    }
}
