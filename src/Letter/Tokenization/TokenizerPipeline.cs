using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.Common;
using Letter.Data;
using Letter.IO;
using Letter.Progress;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>An input file of a run, identified by its content hash (recorded in config.json).</summary>
public sealed record InputRecord(string Role, string Path, string Sha256, int Rows, int Cols)
{
    public static InputRecord Of(string role, string path, FloatMatrix m) =>
        new(role, System.IO.Path.GetFullPath(path), FileHash.Sha256(path), m.Rows, m.Cols);
}

/// <summary>
/// The tokenize stage: train, assign identifiers, write everything into the output folder
/// (NAME.index.json, tokenizer.json + tokenizer.weights, tokenizer-report.json/.md,
/// training-curve.json/.csv, config.json).
/// </summary>
public static class TokenizerPipeline
{
    public const string ReportJson = "tokenizer-report.json";
    public const string ReportMarkdown = "tokenizer-report.md";
    public const string CurveJson = "training-curve.json";
    public const string CurveCsv = "training-curve.csv";
    public const string RunConfig = "config.json";

    public static TokenizerReport Run(FloatMatrix semantic, FloatMatrix? cf, TokenizerConfig config, string outDir, string name,
        IReadOnlyList<InputRecord> inputs, IProgress<ProgressUpdate>? progress = null)
    {
        OutputPath.RequireFolder(outDir, "the tokenizer's output folder");
        Directory.CreateDirectory(outDir);
        WriteRunConfig(outDir, name, config, inputs);
        var training = TokenizerTrainer.Train(semantic, config.Alpha > 0 ? cf : null, config, progress);
        var model = training.Model;
        var clock = Stopwatch.StartNew();
        var latents = model.EncodeAll(semantic.Data, semantic.Rows);
        var codebooks = TokenizerTrainer.Codebooks(model);
        var assignment = IdentifierAssigner.Assign(latents, semantic.Rows, codebooks, model.LatentDim, config);
        double assignSeconds = clock.Elapsed.TotalSeconds;

        var (recon, quantError) = ReconstructionErrors(model, semantic, latents, assignment.Nearest, codebooks);
        var finalStats = IndexStatistics.Compute(assignment.Final, config.CodebookSizes);
        CfAlignmentResult? alignment = null;
        string? cfNote = null;
        if (cf is not null)
        {
            var quantized = Quantized(assignment.Final, codebooks, model.LatentDim);
            alignment = CfAlignment.Compute(assignment.Final, cf, quantized);
            if (cf.Cols != model.LatentDim)
                cfNote = $"The CF embeddings have {cf.Cols} dimensions and the latent {model.LatentDim}: the cosine between z_q and CF is not defined.";
        }
        var times = training.Curve.Select(c => c.Seconds).Order().ToArray();
        var report = new TokenizerReport(
            name, config.Kind == TokenizerKind.RqVae ? "rq-vae" : "residual-k-means", semantic.Rows, config.Alpha, config.Beta,
            training.Curve.Count, training.StopReason, training.InitSeconds, training.TrainSeconds,
            times.Length == 0 ? 0 : times[times.Length / 2], assignSeconds,
            Process.GetCurrentProcess().PeakWorkingSet64, recon, quantError,
            CollisionSummary.Of(IndexStatistics.Compute(assignment.Nearest, config.CodebookSizes)),
            CollisionSummary.Of(IndexStatistics.Compute(assignment.AfterSinkhorn, config.CodebookSizes)),
            assignment.SinkhornRoundsRun, CollisionSummary.Of(finalStats),
            assignment.Resolution?.ChangedAtLevel, assignment.Resolution?.ItemsChanged ?? 0, assignment.Resolution?.MeanExtraError ?? 0,
            finalStats, alignment, cfNote, training.Initial);

        new ItemIndex(assignment.Final).Save(Path.Combine(outDir, $"{name}.index.json"));
        TokenizerStore.Save(model, outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, ReportJson), report.ToJson());
        AtomicFile.WriteAllText(Path.Combine(outDir, ReportMarkdown), report.ToMarkdown());
        AtomicFile.WriteAllText(Path.Combine(outDir, CurveJson), JsonSerializer.Serialize(training.Curve, TokenizerConfig.Json));
        AtomicFile.WriteAllText(Path.Combine(outDir, CurveCsv), CurveToCsv(training.Curve));
        model.Dispose();
        return report;
    }

    /// <summary>
    /// Identifiers for new items from a trained tokenizer folder: nearest codes, the Sinkhorn rounds
    /// among the new items, then collision resolution against each other and against the
    /// identifiers already in the folder's index (when <paramref name="keepDistinctFromIndex"/>).
    /// </summary>
    public static int[][] AssignNew(string tokenizerDir, FloatMatrix semantic, bool keepDistinctFromIndex = true) =>
        AssignNew(tokenizerDir, semantic, keepDistinctFromIndex, alsoOccupied: null);

    /// <param name="alsoOccupied">further identifiers (codes per level) the new ones must differ from, e.g. items added since training</param>
    public static int[][] AssignNew(string tokenizerDir, FloatMatrix semantic, bool keepDistinctFromIndex, IEnumerable<int[]>? alsoOccupied)
    {
        using var model = TokenizerStore.Load(tokenizerDir);
        if (semantic.Cols != model.InputDim)
            throw new LetterDataException("the new items' embeddings", null, $"have {semantic.Cols} columns but the tokenizer was trained on {model.InputDim}");
        HashSet<string>? occupied = null;
        if (keepDistinctFromIndex)
        {
            var index = Directory.GetFiles(tokenizerDir, "*.index.json").Order(StringComparer.Ordinal).FirstOrDefault();
            if (index is not null) occupied = ItemIndexReader.Read(index).Codes.Select(CollisionResolver.Key).ToHashSet();
            if (alsoOccupied is not null) (occupied ??= []).UnionWith(alsoOccupied.Select(CollisionResolver.Key));
        }
        var latents = model.EncodeAll(semantic.Data, semantic.Rows);
        return IdentifierAssigner.Assign(latents, semantic.Rows, TokenizerTrainer.Codebooks(model), model.LatentDim,
            model.Config, occupied).Final;
    }

    /// <summary>z_q of the given identifiers: the sum of their codes. [N, Dz]</summary>
    public static FloatMatrix Quantized(int[][] codes, IReadOnlyList<float[]> codebooks, int dim)
    {
        var data = new float[codes.Length * dim];
        for (int i = 0; i < codes.Length; i++)
            for (int l = 0; l < codebooks.Count; l++)
                for (int j = 0; j < dim; j++)
                    data[i * dim + j] += codebooks[l][codes[i][l] * dim + j];
        return new FloatMatrix(data, codes.Length, dim);
    }

    /// <summary>Decoder MSE on z_q of the nearest codes, and the mean ||z - z_q||^2 over items.</summary>
    private static (double Reconstruction, double Quantization) ReconstructionErrors(RqVae model, FloatMatrix semantic,
        float[] latents, int[][] nearest, IReadOnlyList<float[]> codebooks)
    {
        var quantized = Quantized(nearest, codebooks, model.LatentDim);
        double quant = 0;
        for (int i = 0; i < quantized.Data.Length; i++)
        {
            double d = latents[i] - quantized.Data[i];
            quant += d * d;
        }
        using var _ = no_grad();
        double sse = 0;
        const int batch = 4096;
        for (int start = 0; start < semantic.Rows; start += batch)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(batch, semantic.Rows - start);
            var zq = tensor(quantized.Data.AsSpan(start * model.LatentDim, count * model.LatentDim).ToArray(), [count, model.LatentDim]);
            var x = tensor(semantic.Data.AsSpan(start * semantic.Cols, count * semantic.Cols).ToArray(), [count, semantic.Cols]);
            sse += (model.Decode(zq) - x).Squared().sum().item<float>();
        }
        return (sse / ((double)semantic.Rows * semantic.Cols), quant / semantic.Rows);
    }

    private static void WriteRunConfig(string outDir, string name, TokenizerConfig config, IReadOnlyList<InputRecord> inputs)
    {
        var node = new JsonObject
        {
            ["name"] = name,
            ["created_utc"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["seed"] = config.Seed,
            ["config"] = JsonNode.Parse(config.ToJson()),
            ["inputs"] = JsonNode.Parse(JsonSerializer.Serialize(inputs, TokenizerConfig.Json)),
            ["torch_threads"] = config.Threads,
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            ["cpu_kernels"] = MklCpuDispatch.Status,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, RunConfig), node.ToJsonString(TokenizerConfig.Json));
    }

    private static string CurveToCsv(IReadOnlyList<EpochRecord> curve)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("epoch,loss,reconstruction,quantization,collaborative,diversity,clustering_seconds,seconds,collision_rate,codes_used,entropy_bits,latent_norm,quantized_norm,codes_revived\n");
        foreach (var r in curve)
            sb.AppendLine(string.Join(',', r.Epoch.ToString(inv), r.Loss.ToString("R", inv), r.Reconstruction.ToString("R", inv),
                r.Quantization.ToString("R", inv), r.Collaborative.ToString("R", inv), r.Diversity.ToString("R", inv),
                r.ClusteringSeconds.ToString("0.####", inv), r.Seconds.ToString("0.####", inv), r.CollisionRate?.ToString("R", inv) ?? "",
                r.CodesUsed is null ? "" : string.Join(';', r.CodesUsed),
                r.EntropyBits is null ? "" : string.Join(';', r.EntropyBits.Select(b => b.ToString("0.####", inv))),
                r.LatentNorm?.ToString("R", inv) ?? "", r.QuantizedNorm?.ToString("R", inv) ?? "",
                r.CodesRevived is null ? "" : string.Join(';', r.CodesRevived)));
        return sb.ToString();
    }
}
