using System.CommandLine;
using System.Globalization;
using Letter.Data;
using Letter.IO;
using Letter.Progress;
using Letter.Tokenization;

using Letter.Cli.Progress;

using Letter.Common;
using Letter.Formats;

namespace Letter.Cli.Commands;

/// <summary><c>letter tokenize</c> (train and write identifiers), <c>tokenize assign</c> and <c>tokenize inspect</c>.</summary>
public static class TokenizeCommand
{
    private static readonly TokenizerConfig Defaults = new();

    public static Command Build()
    {
        var dir = new Argument<string>("DIR") { Description = "Dataset folder in the LETTER layout (gives the name, the item count and default embedding files)" };
        var semantic = new Option<string?>("--semantic") { Description = "Semantic item embeddings [items, D] (.npy or .pt); default DIR/NAME.emb-minilm.npy" };
        var cf = new Option<string?>("--cf") { Description = "Collaborative item embeddings [items, latent] (.npy or .pt); default DIR/NAME.cf-sasrec-32d.npy when present" };
        var output = new Option<string>("--out") { Description = "Output folder (created if missing)", Required = true };
        var mode = new Option<string>("--mode")
        {
            Description = "letter (alpha 0.02, beta 1e-4), rqvae (TIGER's tokenizer: alpha 0, beta 0), cf-only (beta 0), div-only (alpha 0), rkmeans (residual k-means on the raw vectors, no network)",
            DefaultValueFactory = _ => "letter",
        };
        mode.AcceptOnlyFromAmong("letter", "rqvae", "cf-only", "div-only", "rkmeans");
        var alpha = new Option<double?>("--alpha") { Description = "Collaborative loss weight (overrides --mode)" };
        var beta = new Option<double?>("--beta") { Description = "Diversity loss weight (overrides --mode)" };
        var epochs = new Option<int>("--epochs") { Description = "Maximum training epochs", DefaultValueFactory = _ => Defaults.MaxEpochs };
        var minEpochs = new Option<int>("--min-epochs") { Description = "Never stop before this many epochs", DefaultValueFactory = _ => Defaults.MinEpochs };
        var patience = new Option<int>("--patience") { Description = "Stop after this many evaluations without 1% loss or 0.001 collision-rate improvement (0: always run --epochs)", DefaultValueFactory = _ => Defaults.PlateauPatience };
        var evalEvery = new Option<int>("--eval-every") { Description = "Measure the collision rate every N epochs", DefaultValueFactory = _ => Defaults.EvalEvery };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => Defaults.Seed };
        var clusters = new Option<int>("--clusters") { Description = "K diversity clusters per codebook", DefaultValueFactory = _ => Defaults.Clusters };
        var levels = new Option<int?>("--levels") { Description = "Identifier length (codebooks); default 4" };
        var codebookSize = new Option<string?>("--codebook-size") { Description = "Codes per level: one number for all levels or a comma list (default 256)" };
        var latentDim = new Option<int>("--latent-dim") { Description = "Latent (code) dimension", DefaultValueFactory = _ => Defaults.LatentDim };
        var hidden = new Option<string?>("--hidden") { Description = "Encoder hidden sizes, comma separated (default 2048,1024,512,256,128,64)" };
        var batchSize = new Option<int>("--batch-size") { Description = "Batch size", DefaultValueFactory = _ => Defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate", DefaultValueFactory = _ => Defaults.LearningRate };
        var weightDecay = new Option<double>("--weight-decay") { Description = "AdamW weight decay", DefaultValueFactory = _ => Defaults.WeightDecay };
        var dropout = new Option<double>("--dropout") { Description = "Dropout before every Linear layer", DefaultValueFactory = _ => Defaults.Dropout };
        var skEpsilons = new Option<string?>("--sk-epsilons") { Description = "Sinkhorn epsilon per level, comma separated, as the original: in training batches and when colliding groups are re-coded (default 0,...,0,0.003)" };
        var firstLevel = new Option<double>("--first-level-epsilon")
        {
            Description = "Sinkhorn epsilon for level 1 inside training batches only: keeps level 1 from collapsing (docs/tokenizer.md); 0 = the original's nearest code",
            DefaultValueFactory = _ => Defaults.TrainingFirstLevelEpsilon,
        };
        var firstLevelBalance = new Option<double>("--first-level-balance")
        {
            Description = "How hard --first-level-epsilon balances level 1: 1 = equal code shares in every batch, 0 = nearest codes, between = a usage penalty (unbalanced Sinkhorn; docs/tokenizer.md)",
            DefaultValueFactory = _ => Defaults.FirstLevelBalance,
        };
        var skIters = new Option<int>("--sk-iters") { Description = "Sinkhorn iterations", DefaultValueFactory = _ => Defaults.SinkhornIterations };
        var skRounds = new Option<int>("--sk-rounds") { Description = "Sinkhorn re-assignment rounds on colliding groups", DefaultValueFactory = _ => Defaults.SinkhornRounds };
        var cfScore = new Option<string>("--cf-score")
        {
            Description = "Scoring inside the collaborative loss: dot (z_q . cf, the original's) or cosine (cos(z_q, cf) / --cf-temperature)",
            DefaultValueFactory = _ => Defaults.CfScore == CfScore.Cosine ? "cosine" : "dot",
        };
        cfScore.AcceptOnlyFromAmong("dot", "cosine");
        var cfTemperature = new Option<double>("--cf-temperature") { Description = "Temperature of the cosine CF score", DefaultValueFactory = _ => Defaults.CfTemperature };
        var revive = new Option<bool>("--revive-dead-codes") { Description = "After every epoch, move codes no item chose onto random items' residuals (keeps level 1 from collapsing; docs/tokenizer.md)" };
        var original = new Option<bool>("--original-collisions") { Description = "Keep the original behaviour: stop after the Sinkhorn rounds, collisions may remain" };
        var restarts = new Option<int>("--kmeans-restarts") { Description = "Restarts of the size-constrained k-means", DefaultValueFactory = _ => Defaults.KMeansRestarts };
        var assignment = new Option<string>("--kmeans-assignment")
        {
            Description = "Size-constrained k-means assignment: exact (min-cost flow, as the original) or greedy (faster)",
            DefaultValueFactory = _ => "exact",
        };
        assignment.AcceptOnlyFromAmong("exact", "greedy");
        var bf16 = new Option<bool>("--bf16") { Description = "Run the MLP matrix products in bfloat16" };
        var threads = new Option<int>("--threads") { Description = "Torch threads", DefaultValueFactory = _ => Defaults.Threads };
        var quiet = new Option<bool>("--quiet") { Description = "No progress output" };

        var cmd = new Command("tokenize", "Train the LETTER tokenizer (RQ-VAE with collaborative and diversity regularization) and write collision-free identifiers");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { semantic, cf, output, mode, alpha, beta, cfScore, cfTemperature, revive, firstLevel, firstLevelBalance, epochs, minEpochs, patience, evalEvery, seed, clusters, levels,
                     codebookSize, latentDim, hidden, batchSize, lr, weightDecay, dropout, skEpsilons, skIters, skRounds, original, restarts, assignment, bf16, threads, quiet })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var folder = DatasetFolder.Find(parse.GetValue(dir)!);
            var dataset = LetterDataset.Load(folder, loadIndex: false);
            var m = parse.GetValue(mode)!;
            var (modeAlpha, modeBeta) = m switch
            {
                "rqvae" or "rkmeans" => (0.0, 0.0),
                "cf-only" => (Defaults.Alpha, 0.0),
                "div-only" => (0.0, Defaults.Beta),
                _ => (Defaults.Alpha, Defaults.Beta),
            };
            int levelCount = parse.GetValue(levels) ?? (parse.GetValue(codebookSize)?.Contains(',') == true
                ? parse.GetValue(codebookSize)!.Split(',').Length : Defaults.Levels);
            if (levelCount is < 1 or > 26) throw new UsageException("--levels must be between 1 and 26");
            var config = new TokenizerConfig
            {
                Kind = m == "rkmeans" ? TokenizerKind.ResidualKMeans : TokenizerKind.RqVae,
                Alpha = parse.GetValue(alpha) ?? modeAlpha,
                Beta = parse.GetValue(beta) ?? modeBeta,
                CfScore = parse.GetValue(cfScore) == "cosine" ? CfScore.Cosine : CfScore.DotProduct,
                CfTemperature = parse.GetValue(cfTemperature),
                ReviveDeadCodes = parse.GetValue(revive),
                MaxEpochs = parse.GetValue(epochs),
                MinEpochs = Math.Min(parse.GetValue(minEpochs), parse.GetValue(epochs)),
                PlateauPatience = parse.GetValue(patience),
                EvalEvery = parse.GetValue(evalEvery),
                Seed = parse.GetValue(seed),
                Clusters = parse.GetValue(clusters),
                CodebookSizes = PerLevel(parse.GetValue(codebookSize), levelCount, 256, "--codebook-size", int.Parse),
                LatentDim = parse.GetValue(latentDim),
                HiddenLayers = parse.GetValue(hidden) is string h ? List(h, "--hidden", int.Parse) : Defaults.HiddenLayers,
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(lr),
                WeightDecay = parse.GetValue(weightDecay),
                Dropout = parse.GetValue(dropout),
                SinkhornEpsilons = parse.GetValue(skEpsilons) is string e
                    ? PerLevel(e, levelCount, 0.0, "--sk-epsilons", s => double.Parse(s, CultureInfo.InvariantCulture))
                    : Enumerable.Range(0, levelCount).Select(l => l == levelCount - 1 ? 0.003 : 0.0).ToArray(),
                TrainingFirstLevelEpsilon = parse.GetValue(firstLevel),
                FirstLevelBalance = parse.GetValue(firstLevelBalance),
                SinkhornIterations = parse.GetValue(skIters),
                SinkhornRounds = parse.GetValue(skRounds),
                ResolveCollisions = !parse.GetValue(original),
                KMeansRestarts = parse.GetValue(restarts),
                ExactKMeans = parse.GetValue(assignment) == "exact",
                Bf16 = HostCpu.Bf16(parse.GetValue(bf16), "tokenize", parse.InvocationConfiguration.Error),
                Threads = parse.GetValue(threads),
            };
            try { config.Validate(); }
            catch (ArgumentOutOfRangeException ex) { throw new UsageException($"bad tokenizer setting {ex.ParamName}: {ex.Message.Split(" (Parameter")[0]}"); }

            var semanticPath = parse.GetValue(semantic) ?? folder.SemanticEmbeddingFile;
            var x = EmbeddingFile.Read(semanticPath).RequireRows(dataset.ItemCount, semanticPath, "the semantic embedding");
            var inputs = new List<InputRecord> { InputRecord.Of("semantic", semanticPath, x) };
            FloatMatrix? cfMatrix = null;
            var cfPath = parse.GetValue(cf) ?? (File.Exists(folder.CfEmbeddingFile) ? folder.CfEmbeddingFile : null);
            if (cfPath is not null)
            {
                cfMatrix = ReadCf(cfPath).RequireRows(dataset.ItemCount, cfPath, "the CF embedding");
                inputs.Add(InputRecord.Of("cf", cfPath, cfMatrix));
                if (config.Alpha > 0 && config.Kind == TokenizerKind.RqVae && cfMatrix.Cols != config.LatentDim)
                    throw new LetterDataException(cfPath, null,
                        $"has {cfMatrix.Cols} columns but the latent dimension is {config.LatentDim}: the collaborative loss compares z_q with the CF embedding, so they must be equal (use --latent-dim {cfMatrix.Cols} or another CF file)");
            }
            else if (config.Alpha > 0)
                throw new UsageException($"alpha {config.Alpha} needs CF embeddings: pass --cf (no {Path.GetFileName(folder.CfEmbeddingFile)} in {folder.Directory}), or use --mode rqvae");

            var outDir = parse.GetValue(output)!;
            LetterRuntime.Apply(new RuntimeOptions(config.Threads, Fp32Products: !config.Bf16));
            var report = TokenizerPipeline.Run(x, cfMatrix, config, outDir, folder.Name, inputs, parse.GetValue(quiet) ? null : ConsoleProgress.Instance);
            var stdout = parse.InvocationConfiguration.Output;
            stdout.WriteLine(report.ToMarkdown());
            stdout.WriteLine($"wrote {Path.Combine(outDir, folder.Name + ".index.json")}, the tokenizer, {TokenizerPipeline.ReportJson}, {TokenizerPipeline.ReportMarkdown}, {TokenizerPipeline.CurveJson} and {TokenizerPipeline.RunConfig} to {outDir}");
            return 0;
        });
        cmd.Subcommands.Add(BuildAssign());
        cmd.Subcommands.Add(BuildInspect());
        return cmd;
    }

    private static Command BuildAssign()
    {
        var dir = new Argument<string>("OUT") { Description = "Folder of a trained tokenizer (the --out of 'letter tokenize')" };
        var semantic = new Option<string>("--semantic") { Description = "Semantic embeddings of the new items [items, D] (.npy)", Required = true };
        var output = new Option<string?>("--out") { Description = "Index file to write (LETTER format, keys 0..n-1 in row order); default: standard output" };
        var allowShared = new Option<bool>("--allow-existing") { Description = "Do not keep new identifiers distinct from the folder's index" };
        var cmd = new Command("assign", "Give identifiers to new items with a trained tokenizer (distinct from each other and from the trained index)");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(semantic);
        cmd.Options.Add(output);
        cmd.Options.Add(allowShared);
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(semantic)!;
            LetterRuntime.Apply(new RuntimeOptions());
            var codes = TokenizerPipeline.AssignNew(parse.GetValue(dir)!, EmbeddingFile.Read(path), !parse.GetValue(allowShared));
            var index = new ItemIndex(codes);
            if (parse.GetValue(output) is string file)
            {
                index.Save(file);
                parse.InvocationConfiguration.Output.WriteLine($"wrote identifiers for {codes.Length} items to {file}");
            }
            else parse.InvocationConfiguration.Output.WriteLine(index.ToJson());
            return 0;
        });
        return cmd;
    }

    private static Command BuildInspect()
    {
        var index = new Argument<string>("INDEX") { Description = "An identifier file in the LETTER format (NAME.index.json)" };
        var cf = new Option<string?>("--cf") { Description = "CF embeddings [items, d] for the collaborative alignment (.npy or .pt)" };
        var cmd = new Command("inspect", "Identifier statistics of any index (codes used, entropy, collisions) and its alignment with CF embeddings");
        cmd.Arguments.Add(index);
        cmd.Options.Add(cf);
        cmd.SetAction(parse =>
        {
            var codes = ItemIndexReader.Read(parse.GetValue(index)!).Codes;
            var stats = IndexStatistics.Compute(codes);
            var inv = CultureInfo.InvariantCulture;
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine(string.Format(inv, "items {0}, distinct {1}, collision rate {2:0.0000}, largest group {3}", stats.Items, stats.Distinct, stats.CollisionRate, stats.MaxGroup));
            foreach (var l in stats.PerLevel)
                o.WriteLine(string.Format(inv, "level {0}: {1} codes used, entropy {2:0.000} bits, largest code group {3}, distinct prefixes {4}",
                    l.Level + 1, l.CodesUsed, l.EntropyBits, l.LargestGroup, stats.DistinctPrefixes[l.Level]));
            if (parse.GetValue(cf) is string cfPath)
            {
                var a = CfAlignment.Compute(codes, ReadCf(cfPath).RequireRows(codes.Length, cfPath, "the CF embedding"));
                o.WriteLine(string.Format(inv, "CF nearest neighbour shares the first code: {0:0.0000} (chance {1:0.0000}); the first two codes: {2:0.0000}",
                    a.NeighbourFirstCodeShare, a.ChanceShare, a.NeighbourPrefix2Share));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>.npy, or a PyTorch .pt file holding one tensor (the LETTER repository's CF files).</summary>
    private static FloatMatrix ReadCf(string path) => EmbeddingFile.Read(path);

    private static T[] List<T>(string text, string option, Func<string, T> parse)
    {
        try { return text.Split(',', StringSplitOptions.TrimEntries).Select(parse).ToArray(); }
        catch (FormatException) { throw new UsageException($"{option}: '{text}' is not a comma-separated list of numbers"); }
    }

    private static T[] PerLevel<T>(string? text, int levels, T fallback, string option, Func<string, T> parse)
    {
        if (text is null) return Enumerable.Repeat(fallback, levels).ToArray();
        var values = List(text, option, s => parse(s));
        if (values.Length == 1) return Enumerable.Repeat(values[0], levels).ToArray();
        if (values.Length != levels) throw new UsageException($"{option} has {values.Length} values for {levels} levels");
        return values;
    }
}
