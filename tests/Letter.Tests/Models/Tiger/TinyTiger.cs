using System.Text;
using Letter.Data;
using Letter.Models.Tiger;

namespace Letter.Tests.Models.Tiger;

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
        return WriteDataset(dir, rng, Enumerable.Range(0, users).Select(_ =>
        {
            int start = rng.Next(items);
            return Enumerable.Range(0, length).Select(i => (start + i) % items).ToArray();
        }).ToList(), items);
    }

    /// <summary>
    /// A dataset whose next item repeats the one <paramref name="period"/> positions back: each user
    /// cycles through <paramref name="period"/> random items, so only copying from the history predicts it.
    /// </summary>
    public static string WriteCopyDataset(string dir, int users, int items = 24, int length = 9, int period = 3, int seed = 5)
    {
        var rng = new Letter.Common.SplitMix64((ulong)seed);
        return WriteDataset(dir, rng, Enumerable.Range(0, users).Select(_ =>
        {
            var cycle = Enumerable.Range(0, period).Select(_ => rng.Next(items)).ToArray();
            return Enumerable.Range(0, length).Select(i => cycle[i % period]).ToArray();
        }).ToList(), items);
    }

    private static string WriteDataset(string dir, Letter.Common.SplitMix64 rng, IReadOnlyList<int[]> sequences, int items)
    {
        WriteInteractions(dir, sequences);
        var codes = Enumerable.Range(0, 64).OrderBy(_ => rng.NextUInt64()).Take(items)
            .Select(x => new[] { x / 16, (x / 4) % 4, x % 4 }).ToArray();
        new ItemIndex(codes).Save(Path.Combine(dir, "Rule.index.json"));
        return dir;
    }

    /// <summary>Every parameter of the model a checkpoint holds, as flat arrays in module order.</summary>
    public static List<float[]> Parameters(string checkpoint, TigerConfig config, ItemIndex index)
    {
        var model = new TigerModel(config, TigerVocabulary.For(index).Size);
        TigerCheckpoint.Load(checkpoint, model);
        return model.parameters().Select(p => p.data<float>().ToArray()).ToList();
    }

    /// <summary>Writes <c>Rule.inter.json</c>: user "u" has <paramref name="sequences"/>[u].</summary>
    public static void WriteInteractions(string dir, IReadOnlyList<int[]> sequences)
    {
        var inter = new StringBuilder("{");
        for (int u = 0; u < sequences.Count; u++)
        {
            if (u > 0) inter.Append(", ");
            inter.Append($"\"{u}\": [{string.Join(", ", sequences[u])}]");
        }
        inter.Append('}');
        File.WriteAllText(Path.Combine(dir, "Rule.inter.json"), inter.ToString());
    }
}
