using System.Text;
using Letter.Data;
using Letter.Recommender;

namespace Letter.Tests.Recommender;

/// <summary>Tiny configurations and datasets that make TIGER tests fast.</summary>
internal static class TinyTiger
{
    public static TigerConfig Config(int seed = 1) => new()
    {
        DModel = 32, DFf = 64, DKv = 8, Heads = 3, EncoderLayers = 2, DecoderLayers = 2,
        Dropout = 0.1, Seed = seed, Beam = 5, BatchSize = 32, ValidationUsers = 0, CheckpointMinutes = 0,
        EvalBatchUsers = 16, Threads = 2,
    };

    /// <summary>
    /// A dataset whose next item follows a planted rule, next = (previous + 1) mod items, with random
    /// starts; identifiers of 3 levels x 4 codes, distinct for every item.
    /// </summary>
    public static string WriteRuleDataset(string dir, int users = 120, int items = 24, int length = 7, int seed = 5)
    {
        var rng = new Letter.Common.SplitMix64((ulong)seed);
        var inter = new StringBuilder("{");
        for (int u = 0; u < users; u++)
        {
            int start = rng.Next(items);
            if (u > 0) inter.Append(", ");
            inter.Append($"\"{u}\": [{string.Join(", ", Enumerable.Range(0, length).Select(i => (start + i) % items))}]");
        }
        inter.Append('}');
        File.WriteAllText(Path.Combine(dir, "Rule.inter.json"), inter.ToString());
        var codes = Enumerable.Range(0, 64).OrderBy(_ => rng.NextUInt64()).Take(items)
            .Select(x => new[] { x / 16, (x / 4) % 4, x % 4 }).ToArray();
        new ItemIndex(codes).Save(Path.Combine(dir, "Rule.index.json"));
        return dir;
    }
}
