using Letter.Cli;
using Letter.Data;
using Letter.IO;
using Letter.Cli.Progress;
using Letter.Formats;
using Letter.Tokenization;

namespace Letter.Tests.Tokenization;

public class TokenizeCommandTests
{
    private static readonly string[] TinyOptions =
    [
        "--hidden", "16,8", "--latent-dim", "4", "--levels", "3", "--codebook-size", "16", "--clusters", "2",
        "--epochs", "2", "--min-epochs", "2", "--batch-size", "128", "--kmeans-restarts", "1", "--quiet",
    ];

    private static (TempDir Dir, string Data, int Items) Dataset(int cfCols = 4)
    {
        var tmp = new TempDir();
        var data = Path.Combine(tmp.Path, "data");
        var folder = SyntheticDataset.Write(data, SynthOptions.Default with { Users = 30 });
        NpyFile.Write(folder.SemanticEmbeddingFile, TinyTokenizer.Random(600, 6, 1));
        NpyFile.Write(folder.CfEmbeddingFile, TinyTokenizer.Random(600, cfCols, 2));
        return (tmp, data, 600);
    }

    /// <summary>`letter tokenize DATA --out OUTPUT EXTRA.. TinyOptions`: exit code and standard error (the progress bar, which the CLI turns off, back on).</summary>
    private static (int Code, string Stderr) Tokenize(string data, string output, params string[] extra)
    {
        var stderr = new StringWriter();
        int code = CliApp.Run(["tokenize", data, "--out", output, .. extra, .. TinyOptions], new StringWriter(), stderr);
        ProgressBar.Enabled = true;
        return (code, stderr.ToString());
    }

    [Fact]
    public void Tokenize_TinyDataset_WritesCollisionFreeIndexReportAndReloadableTokenizer()
    {
        var (tmp, data, items) = Dataset();
        using var _ = tmp;
        var output = tmp.File("out");
        var (code, err) = Tokenize(data, output);
        Assert.True(code == 0, err);

        var index = ItemIndexReader.Read(Path.Combine(output, "Synth.index.json"));
        Assert.Equal(items, index.ItemCount);
        Assert.Equal(items, index.Codes.Select(CollisionResolver.Key).Distinct().Count());
        foreach (var f in new[] { "tokenizer.json", "tokenizer.weights", "tokenizer-report.json", "tokenizer-report.md", "training-curve.json", "training-curve.csv", "config.json" })
            Assert.True(File.Exists(Path.Combine(output, f)), f);
        Assert.Contains("\"sha256\"", File.ReadAllText(Path.Combine(output, "config.json")));
        Assert.Contains("\"exact_k_means\": true", File.ReadAllText(Path.Combine(output, "config.json")));
        Assert.Contains("collision_rate", File.ReadAllText(Path.Combine(output, "tokenizer-report.json")));

        // New items get identifiers distinct from each other and from the trained index.
        var fresh = tmp.File("new.npy");
        NpyFile.Write(fresh, TinyTokenizer.Random(5, 6, 1)); // the first 5 rows again: same vectors as items 0-4
        var assigned = tmp.File("new.index.json");
        var stderr = new StringWriter();
        code = CliApp.Run(["tokenize", "assign", output, "--semantic", fresh, "--out", assigned], new StringWriter(), stderr);
        Assert.True(code == 0, stderr.ToString());
        var newCodes = ItemIndexReader.Read(assigned).Codes.Select(CollisionResolver.Key).ToList();
        Assert.Equal(5, newCodes.Distinct().Count());
        Assert.Empty(newCodes.Intersect(index.Codes.Select(CollisionResolver.Key)));
    }

    [Fact]
    public void Tokenize_Defaults_BalanceTheFirstLevel_TheOriginalsEpsilonsAndTheNewOptionsAreReachable()
    {
        var (tmp, data, _) = Dataset();
        using var _ = tmp;
        string Config(string dir) => File.ReadAllText(Path.Combine(dir, "config.json")).Replace("\n", "").Replace(" ", "");
        var (code, err) = Tokenize(data, tmp.File("default"));
        Assert.True(code == 0, err);
        Assert.Contains("\"sinkhorn_epsilons\":[0,0,0.003]", Config(tmp.File("default")));
        Assert.Contains("\"training_first_level_epsilon\":0.003", Config(tmp.File("default")));
        Assert.Contains("\"first_level_balance\":1,", Config(tmp.File("default")));
        Assert.Contains("\"cf_score\":\"dot_product\"", Config(tmp.File("default")));

        (code, err) = Tokenize(data, tmp.File("original"), "--first-level-epsilon", "0");
        Assert.True(code == 0, err);
        Assert.Contains("\"training_first_level_epsilon\":0,", Config(tmp.File("original")));

        (code, err) = Tokenize(data, tmp.File("options"), "--cf-score", "cosine", "--cf-temperature", "0.2", "--revive-dead-codes");
        Assert.True(code == 0, err);
        var options = Config(tmp.File("options"));
        Assert.Contains("\"cf_score\":\"cosine\"", options);
        Assert.Contains("\"cf_temperature\":0.2", options);
        Assert.Contains("\"revive_dead_codes\":true", options);
        var curve = File.ReadAllText(Path.Combine(tmp.File("options"), "training-curve.csv")).Split('\n')[0];
        Assert.EndsWith("entropy_bits,latent_norm,quantized_norm,codes_revived", curve);

        // the first-level dial: recorded, and the identifiers stay collision-free at a partial balance
        (code, err) = Tokenize(data, tmp.File("half"), "--first-level-balance", "0.5");
        Assert.True(code == 0, err);
        Assert.Contains("\"first_level_balance\":0.5,", Config(tmp.File("half")));
        var half = ItemIndexReader.Read(Path.Combine(tmp.File("half"), "Synth.index.json"));
        Assert.Equal(half.ItemCount, half.Codes.Select(CollisionResolver.Key).Distinct().Count());
        (code, err) = Tokenize(data, tmp.File("too-much"), "--first-level-balance", "1.5");
        Assert.Equal(2, code);
        Assert.Equal("letter: bad tokenizer setting FirstLevelBalance: must be in [0, 1] (0: nearest codes, 1: equal code shares)", err.Trim());

        (code, err) = Tokenize(data, tmp.File("bad"), "--cf-score", "cosine", "--cf-temperature", "0");
        Assert.Equal(2, code);
        Assert.Contains("CfTemperature", err);
    }

    [Fact]
    public void Tokenize_CfDimensionDiffersFromLatent_FailsWithOneLine()
    {
        var (tmp, data, _) = Dataset(cfCols: 5);
        using var _ = tmp;
        var (code, err) = Tokenize(data, tmp.File("out"));
        Assert.Equal(2, code);
        Assert.Contains("latent dimension is 4", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Config_JsonRoundTrip_KeepsEverySetting()
    {
        var config = TinyTokenizer.Config with { Kind = TokenizerKind.ResidualKMeans, Alpha = 0.5, Bf16 = true };
        var back = TokenizerConfig.FromJson(config.ToJson());
        Assert.Equal(config.ToJson(), back.ToJson());
        Assert.Contains("\"kind\": \"residual_k_means\"", config.ToJson());
        // tokenizers saved before the one JSON dialect spelled enums in kebab case
        Assert.Equal(config, TokenizerConfig.FromJson(config.ToJson().Replace("residual_k_means", "residual-k-means").Replace("dot_product", "dot-product")) with
            { HiddenLayers = config.HiddenLayers, CodebookSizes = config.CodebookSizes, SinkhornEpsilons = config.SinkhornEpsilons });
    }

    [Fact]
    public void Tokenize_GreedyAssignment_IsRecorded_AndAnUnknownOneIsRefused()
    {
        var (tmp, data, _) = Dataset();
        using var _ = tmp;
        var output = tmp.File("out");
        var (code, err) = Tokenize(data, output, "--kmeans-assignment", "greedy");
        Assert.True(code == 0, err);
        Assert.Contains("\"exact_k_means\": false", File.ReadAllText(Path.Combine(output, "config.json")));

        (code, err) = Tokenize(data, tmp.File("out2"), "--kmeans-assignment", "optimal");
        Assert.NotEqual(0, code);
        Assert.Contains("optimal", err);
        Assert.False(Directory.Exists(tmp.File("out2")));
    }
}
