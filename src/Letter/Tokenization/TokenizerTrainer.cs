using System.Diagnostics;
using System.Globalization;
using Letter.Common;
using Letter.Data;
using Letter.IO;
using Letter.Progress;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>A trained tokenizer with its training history.</summary>
/// <param name="Initial">the nearest-code identifiers right after codebook initialisation (null without a network)</param>
public sealed record TrainingResult(RqVae Model, IReadOnlyList<EpochRecord> Curve, string StopReason, double InitSeconds, double TrainSeconds,
    CodeUsage? Initial = null);

/// <summary>Nearest-code identifiers of all items at one epoch (see <see cref="TokenizerTrainer.NearestCodeUsage"/>).</summary>
public sealed record CodeUsage(double CollisionRate, int[] CodesUsed, double[] EntropyBits, double LatentNorm, double QuantizedNorm);

/// <summary>
/// Trains the LETTER RQ-VAE (original RQ-VAE/trainer.py): codebooks from size-constrained k-means
/// of the encoded latents, then per epoch a size-constrained clustering of every codebook for the
/// diversity loss and AdamW steps on L_sem + alpha L_cf (+ beta L_div inside each level's loss).
/// </summary>
public static class TokenizerTrainer
{
    /// <param name="semantic">item semantic embeddings [N, D]</param>
    /// <param name="cf">item CF embeddings [N, Dz]; required when alpha &gt; 0</param>
    public static TrainingResult Train(FloatMatrix semantic, FloatMatrix? cf, TokenizerConfig config, IProgress<ProgressUpdate>? progress = null)
    {
        config.Validate();
        int n = semantic.Rows;
        if (config.Alpha > 0)
        {
            if (cf is null) throw new ArgumentException("alpha > 0 needs CF embeddings");
            if (cf.Rows != n) throw new ArgumentException($"CF embeddings have {cf.Rows} rows, semantic embeddings {n}");
            if (config.Kind == TokenizerKind.RqVae && cf.Cols != config.LatentDim)
                throw new ArgumentException($"CF dimension {cf.Cols} differs from the latent dimension {config.LatentDim}");
        }
        using var seed = new TorchSeed(config.Seed);
        var model = new RqVae(semantic.Cols, config);
        var clock = Stopwatch.StartNew();
        InitCodebooks(model, semantic, config);
        double initSeconds = clock.Elapsed.TotalSeconds;
        if (config.Kind == TokenizerKind.ResidualKMeans)
            return new TrainingResult(model, [], "no network to train", initSeconds, 0);
        var initial = NearestCodeUsage(model, semantic);
        if (config.MaxEpochs == 0)
            return new TrainingResult(model, [], "max epochs 0", initSeconds, 0, initial);

        var curve = new List<EpochRecord>();
        var optimizer = optim.AdamW(model.parameters(), config.LearningRate, weight_decay: config.WeightDecay);
        using var x = tensor(semantic.Data, [n, semantic.Cols]);
        using var cfAll = config.Alpha > 0 ? tensor(cf!.Data, [n, cf.Cols]) : null;
        var generator = new Generator((ulong)config.Seed);
        double[] epsilons = config.TrainingEpsilons();
        double[] balances = config.TrainingBalances();
        string stop = $"reached max epochs {config.MaxEpochs}";
        var trainClock = Stopwatch.StartNew();
        var revival = config.ReviveDeadCodes ? new DeadCodeRevival(config.CodebookSizes, (ulong)config.Seed * 7_777_777UL + 5) : null;
        using var bar = new ProgressTask(progress, "tokenize", config.MaxEpochs);
        for (int epoch = 0; epoch < config.MaxEpochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            DiversityTargets? diversity = null;
            if (config.Beta > 0)
                diversity = DiversityTargets.Cluster(Codebooks(model), model.LatentDim, config.Clusters,
                    config.KMeansRestarts, config.KMeansIterations, (ulong)config.Seed * 1_000_003UL + (ulong)epoch, config.ExactKMeans);
            double clusteringSeconds = epochClock.Elapsed.TotalSeconds;
            model.train();
            double sumLoss = 0, sumRecon = 0, sumQuant = 0, sumCf = 0, sumDiv = 0;
            int batches = 0;
            using (var permutation = randperm(n, generator: generator))
            {
                for (int start = 0; start < n; start += config.BatchSize)
                {
                    using var scope = NewDisposeScope();
                    var ids = permutation.narrow(0, start, Math.Min(config.BatchSize, n - start));
                    var batch = x.index_select(0, ids);
                    var latent = model.Encode(batch);
                    var q = model.Quantizer.Forward(latent, config.Mu, config.Beta, epsilons, config.SinkhornIterations, diversity, balances);
                    var recon = nn.functional.mse_loss(model.Decode(q.Quantized), batch);
                    var loss = recon.Plus(q.Loss);
                    Tensor? cfLoss = null;
                    if (cfAll is not null)
                    {
                        cfLoss = TokenizerLosses.Collaborative(q.Quantized, cfAll.index_select(0, ids), config.CfScore, config.CfTemperature);
                        loss = loss.Plus(cfLoss.Times(config.Alpha));
                    }
                    double lossValue = loss.item<float>();
                    if (!double.IsFinite(lossValue))
                        throw new TrainingDivergedException($"tokenizer training stopped in epoch {epoch + 1}: the loss became {lossValue}; no index or tokenizer was written. A lower learning rate usually avoids this");
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    revival?.Count(q.Codes);
                    sumLoss += lossValue;
                    sumRecon += recon.item<float>();
                    sumQuant += q.Loss.item<float>();
                    sumCf += cfLoss?.item<float>() ?? 0;
                    sumDiv += q.Diversity.item<float>();
                    batches++;
                }
            }
            int[]? revived = revival?.Revive(model, x, epsilons, config.SinkhornIterations, balances);
            CodeUsage? usage = null;
            bool last = epoch + 1 == config.MaxEpochs;
            if ((epoch + 1) % config.EvalEvery == 0 || last) usage = NearestCodeUsage(model, semantic);
            curve.Add(new EpochRecord(epoch, sumLoss / batches, sumRecon / batches, sumQuant / batches, sumCf / batches,
                sumDiv / batches, clusteringSeconds, epochClock.Elapsed.TotalSeconds, usage?.CollisionRate, usage?.CodesUsed,
                usage?.EntropyBits, usage?.LatentNorm, usage?.QuantizedNorm, revived));
            var r = curve[^1];
            var measured = curve.LastOrDefault(c => c.CollisionRate is not null);
            bar.Report(epoch + 1, string.Format(CultureInfo.InvariantCulture,
                "loss {0:0.0000} recon {1:0.00000} quant {2:0.00000} cf {3:0.000} div {4:0.000} collisions {5} codes {6} bits1 {7} |z_q| {8}",
                r.Loss, r.Reconstruction, r.Quantization, r.Collaborative, r.Diversity,
                measured?.CollisionRate?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "-",
                measured?.CodesUsed is { } used ? string.Join('/', used) : "-",
                measured?.EntropyBits is { } bits ? bits[0].ToString("0.00", CultureInfo.InvariantCulture) : "-",
                measured?.QuantizedNorm?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"));
            if (usage is not null && epoch + 1 >= config.MinEpochs && Plateaued(curve, config, out var why))
            {
                stop = why;
                break;
            }
        }
        if (curve.Count < config.MaxEpochs) bar.Stop(stop);
        else bar.Finish();
        model.eval();
        return new TrainingResult(model, curve, stop, initSeconds, trainClock.Elapsed.TotalSeconds, initial);
    }

    /// <summary>
    /// The stopping rule: over the last <c>PlateauPatience</c> evaluations, neither the epoch loss
    /// fell below (1 - tolerance) times its value at the evaluation before them, nor the collision
    /// rate by more than 0.001.
    /// </summary>
    public static bool Plateaued(IReadOnlyList<EpochRecord> curve, TokenizerConfig config, out string reason)
    {
        reason = "";
        int patience = config.PlateauPatience;
        if (patience <= 0) return false;
        var evals = curve.Where(c => c.CollisionRate is not null).ToList();
        if (evals.Count <= patience) return false;
        var reference = evals[^(patience + 1)];
        var recent = evals.Skip(evals.Count - patience).ToList();
        double bestLoss = recent.Min(e => e.Loss), bestCollision = recent.Min(e => e.CollisionRate!.Value);
        if (bestLoss < reference.Loss * (1 - config.PlateauTolerance)) return false;
        if (bestCollision < reference.CollisionRate!.Value - 0.001) return false;
        reason = string.Format(CultureInfo.InvariantCulture,
            "plateau at epoch {0}: over the last {1} evaluations the loss stayed within {2:0.#}% of {3:0.00000} and the collision rate did not fall below {4:0.0000} - 0.001",
            curve[^1].Epoch + 1, patience, config.PlateauTolerance * 100, reference.Loss, reference.CollisionRate!.Value);
        return true;
    }

    /// <summary>Codebooks from size-constrained k-means of the encoded latents of all items, level by level on the residuals.</summary>
    public static void InitCodebooks(RqVae model, FloatMatrix semantic, TokenizerConfig config)
    {
        int n = semantic.Rows, dim = model.LatentDim;
        var residual = model.EncodeAll(semantic.Data, n);
        for (int l = 0; l < config.Levels; l++)
        {
            int k = config.CodebookSizes[l];
            // The original's bounds (vq.py init_emb): size_min = min(N / 2K, 50), size_max = 4 size_min.
            int sizeMin = Math.Min(n / (2 * k), 50);
            int sizeMax = Math.Max(4 * sizeMin, (n + k - 1) / k);
            var fit = SizeConstrainedKMeans.Fit(residual, n, dim, k, sizeMin, sizeMax,
                config.KMeansRestarts, config.KMeansIterations, (ulong)config.Seed + 101UL * (ulong)(l + 1), config.ExactKMeans);
            model.Quantizer.SetCodebook(l, fit.Centers);
            var codes = IdentifierAssigner.Codes(residual, Enumerable.Range(0, n).ToArray(), [fit.Centers], dim, null, 0);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < dim; j++)
                    residual[i * dim + j] -= fit.Centers[codes[i][0] * dim + j];
        }
    }

    public static float[][] Codebooks(RqVae model) =>
        Enumerable.Range(0, model.Quantizer.Levels).Select(model.Quantizer.CodebookValues).ToArray();

    /// <summary>The nearest-code identifiers of all items: their collision rate, codes used and entropy per level, mean ||z|| and ||z_q||.</summary>
    public static CodeUsage NearestCodeUsage(RqVae model, FloatMatrix semantic)
    {
        int n = semantic.Rows, dim = model.LatentDim;
        var latents = model.EncodeAll(semantic.Data, n);
        var codebooks = Codebooks(model);
        var codes = IdentifierAssigner.Codes(latents, Enumerable.Range(0, n).ToArray(), codebooks, dim, null, 0);
        var statistics = IndexStatistics.Compute(codes);
        var quantized = TokenizerPipeline.Quantized(codes, codebooks, dim);
        double latentNorm = 0, quantizedNorm = 0;
        for (int i = 0; i < n; i++)
        {
            latentNorm += Norm(latents.AsSpan(i * dim, dim));
            quantizedNorm += Norm(quantized.Row(i));
        }
        return new CodeUsage(statistics.CollisionRate, statistics.PerLevel.Select(level => level.CodesUsed).ToArray(),
            statistics.PerLevel.Select(level => level.EntropyBits).ToArray(), latentNorm / n, quantizedNorm / n);
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (float x in v) sum += (double)x * x;
        return Math.Sqrt(sum);
    }
}
