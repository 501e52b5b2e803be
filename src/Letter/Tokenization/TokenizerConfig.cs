using System.Text.Json;
using System.Text.Json.Serialization;
using Letter.IO;
using Letter.Common;

namespace Letter.Tokenization;

/// <summary>How identifiers are produced: a trained RQ-VAE, or residual k-means on the raw vectors (no network).</summary>
public enum TokenizerKind
{
    RqVae,
    ResidualKMeans,
}

/// <summary>How the collaborative loss scores an item's z_q against a CF vector.</summary>
public enum CfScore
{
    /// <summary>Raw dot product z_q . cf, as the original rqvae.py CF_loss (paper eq. 4): its scale is free.</summary>
    DotProduct,

    /// <summary>cos(z_q, cf) / <see cref="TokenizerConfig.CfTemperature"/>: the loss no longer depends on the lengths of z_q and cf.</summary>
    Cosine,
}

/// <summary>
/// Every setting of the LETTER tokenizer. Defaults are the paper's / the original RQ-VAE/main.py's
/// (HonghuiBao2000/LETTER 8d0154e), except the epoch budget: the original runs 20,000 GPU epochs,
/// here training stops by <see cref="MaxEpochs"/> or the plateau rule (<see cref="PlateauPatience"/>).
/// </summary>
public sealed record TokenizerConfig
{
    public TokenizerKind Kind { get; init; } = TokenizerKind.RqVae;

    /// <summary>Encoder hidden sizes; the decoder mirrors them.</summary>
    public int[] HiddenLayers { get; init; } = [2048, 1024, 512, 256, 128, 64];

    public int LatentDim { get; init; } = 32;
    public double Dropout { get; init; }

    /// <summary>Codes per level; the number of entries is the identifier length.</summary>
    public int[] CodebookSizes { get; init; } = [256, 256, 256, 256];

    /// <summary>Commitment weight mu in ||sg[r] - e||^2 + mu ||r - sg[e]||^2.</summary>
    public double Mu { get; init; } = 0.25;

    /// <summary>Weight of the collaborative (in-batch contrastive) loss; 0 disables it.</summary>
    public double Alpha { get; init; } = 0.02;

    /// <summary>Scoring inside the collaborative loss (docs/tokenizer.md, "The first level").</summary>
    public CfScore CfScore { get; init; } = CfScore.DotProduct;

    /// <summary>Temperature of the cosine CF score (ignored for the dot product).</summary>
    public double CfTemperature { get; init; } = 0.1;

    /// <summary>
    /// After every epoch, move each code that no item chose onto the residual of a random item
    /// (<see cref="DeadCodeRevival"/>); false is the original's behaviour, where such codes stay unused.
    /// </summary>
    public bool ReviveDeadCodes { get; init; }

    /// <summary>Weight of the code diversity loss, added inside each level's loss as the original does; 0 disables it.</summary>
    public double Beta { get; init; } = 1e-4;

    /// <summary>K: size-constrained clusters of each codebook's codes for the diversity loss.</summary>
    public int Clusters { get; init; } = 10;

    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1e-4;
    public int BatchSize { get; init; } = 1024;

    /// <summary>Upper bound on training epochs (CPU default; the original's 20,000 are GPU epochs).</summary>
    public int MaxEpochs { get; init; } = 300;

    /// <summary>Never stop before this many epochs.</summary>
    public int MinEpochs { get; init; } = 60;

    /// <summary>Collision rate (nearest codes, all items) is measured every this many epochs.</summary>
    public int EvalEvery { get; init; } = 10;

    /// <summary>
    /// Stopping rule: stop when, over this many consecutive evaluations, neither the epoch loss
    /// improved by more than <see cref="PlateauTolerance"/> (relative) nor the collision rate by more
    /// than 0.001 (absolute). 0 turns the rule off (train exactly MaxEpochs).
    /// </summary>
    public int PlateauPatience { get; init; } = 3;

    public double PlateauTolerance { get; init; } = 0.01;

    /// <summary>
    /// Sinkhorn-Knopp epsilon per level (0 = plain nearest code at that level), as the original: used
    /// inside training batches (with <see cref="TrainingFirstLevelEpsilon"/> at level 1) and when the
    /// colliding groups are re-coded.
    /// </summary>
    public double[] SinkhornEpsilons { get; init; } = [0, 0, 0, 0.003];

    /// <summary>
    /// Sinkhorn epsilon for level 1 inside training batches only: every first-level code keeps winning
    /// items, and so keeps its gradient, while the encoder moves the latents, which stops level 1 from
    /// collapsing (docs/tokenizer.md, "The first level"). Identifiers are still nearest codes, and
    /// colliding groups are re-coded with <see cref="SinkhornEpsilons"/> only. 0 is the original's
    /// behaviour (nearest codes at level 1).
    /// </summary>
    public double TrainingFirstLevelEpsilon { get; init; } = 0.003;

    /// <summary>
    /// How hard level 1 is balanced inside training batches, from 1 (Sinkhorn with equal code shares,
    /// the default since issue 32) to 0 (nearest codes, as <see cref="TrainingFirstLevelEpsilon"/> 0).
    /// Between, the equal-share constraint becomes a usage penalty (a KL term, unbalanced Sinkhorn):
    /// every code keeps a share of each batch, and so its gradient, but crowded regions of the latent
    /// space keep more items per code (docs/tokenizer.md, "The first-level dial"). Only acts where
    /// <see cref="TrainingFirstLevelEpsilon"/> &gt; 0.
    /// </summary>
    public double FirstLevelBalance { get; init; } = 1;

    /// <summary>The code-constraint strength per level inside training batches: <see cref="FirstLevelBalance"/> at level 1 when it is balanced by <see cref="TrainingFirstLevelEpsilon"/>, 1 elsewhere.</summary>
    public double[] TrainingBalances()
    {
        var balances = Enumerable.Repeat(1.0, CodebookSizes.Length).ToArray();
        if (TrainingFirstLevelEpsilon > 0) balances[0] = FirstLevelBalance;
        return balances;
    }

    /// <summary>The epsilons used inside training batches: <see cref="SinkhornEpsilons"/> (when <see cref="SinkhornInTraining"/>) with level 1 balanced by <see cref="TrainingFirstLevelEpsilon"/>.</summary>
    public double[] TrainingEpsilons()
    {
        var epsilons = SinkhornInTraining ? (double[])SinkhornEpsilons.Clone() : new double[SinkhornEpsilons.Length];
        if (TrainingFirstLevelEpsilon > 0) epsilons[0] = TrainingFirstLevelEpsilon;
        return epsilons;
    }

    public int SinkhornIterations { get; init; } = 50;

    /// <summary>Rounds of Sinkhorn re-assignment of colliding groups (the original's generate_indices.py).</summary>
    public int SinkhornRounds { get; init; } = 20;

    /// <summary>The original also uses Sinkhorn at levels with epsilon &gt; 0 inside training batches.</summary>
    public bool SinkhornInTraining { get; init; } = true;

    /// <summary>After the Sinkhorn rounds, make every identifier unique (false keeps the original behaviour).</summary>
    public bool ResolveCollisions { get; init; } = true;

    /// <summary>Size-constrained k-means restarts and Lloyd rounds (codebook init and diversity clusters), as the original.</summary>
    public int KMeansRestarts { get; init; } = 10;

    public int KMeansIterations { get; init; } = 10;

    /// <summary>
    /// The size-constrained k-means assigns by exact min-cost flow, as the original's k-means-constrained
    /// package; false: a greedy assignment, faster and slightly worse (docs/tokenizer.md).
    /// </summary>
    public bool ExactKMeans { get; init; } = true;

    /// <summary>Run the MLP matrix products in bfloat16 (fp32 master weights, fp32 losses).</summary>
    public bool Bf16 { get; init; }

    [RunOnly] public int Threads { get; init; } = 2;
    public int Seed { get; init; } = 42;

    [JsonIgnore]
    public int Levels => CodebookSizes.Length;

    public void Validate()
    {
        if (HiddenLayers.Any(h => h <= 0)) throw new ArgumentOutOfRangeException(nameof(HiddenLayers), "hidden sizes must be positive");
        if (LatentDim <= 0) throw new ArgumentOutOfRangeException(nameof(LatentDim), "must be positive");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), "must be in [0, 1)");
        if (CodebookSizes.Length is 0 or > 26) throw new ArgumentOutOfRangeException(nameof(CodebookSizes), "1 to 26 levels");
        if (CodebookSizes.Any(k => k < 2)) throw new ArgumentOutOfRangeException(nameof(CodebookSizes), "each codebook needs at least 2 codes");
        if (SinkhornEpsilons.Length != CodebookSizes.Length)
            throw new ArgumentOutOfRangeException(nameof(SinkhornEpsilons), $"one epsilon per level ({CodebookSizes.Length}) is needed");
        if (!(TrainingFirstLevelEpsilon >= 0) || !double.IsFinite(TrainingFirstLevelEpsilon))
            throw new ArgumentOutOfRangeException(nameof(TrainingFirstLevelEpsilon), "must be a finite number >= 0");
        if (!(FirstLevelBalance is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(FirstLevelBalance), "must be in [0, 1] (0: nearest codes, 1: equal code shares)");
        if (SinkhornEpsilons.Any(e => e < 0)) throw new ArgumentOutOfRangeException(nameof(SinkhornEpsilons), "must be >= 0");
        if (Alpha < 0 || Beta < 0) throw new ArgumentOutOfRangeException(Alpha < 0 ? nameof(Alpha) : nameof(Beta), "must be >= 0");
        if (Beta > 0 && (Clusters < 2 || CodebookSizes.Any(k => k < 2 * Clusters)))
            throw new ArgumentOutOfRangeException(nameof(Clusters), "needs 2 <= clusters and at least 2 codes per cluster in every codebook");
        if (!(CfTemperature > 0) || !double.IsFinite(CfTemperature)) throw new ArgumentOutOfRangeException(nameof(CfTemperature), "must be a positive finite number");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), "must be at least 2");
        if (MaxEpochs < 0 || MinEpochs < 0) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), "must be >= 0");
        if (EvalEvery < 1) throw new ArgumentOutOfRangeException(nameof(EvalEvery), "must be >= 1");
        if (LearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), "must be positive");
        if (KMeansRestarts < 1 || KMeansIterations < 1) throw new ArgumentOutOfRangeException(nameof(KMeansRestarts), "must be >= 1");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), "must be >= 1");
    }

    public static JsonSerializerOptions Json => LetterJson.Options;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TokenizerConfig FromJson(string json) =>
        LetterJson.Deserialize<TokenizerConfig>(json) ?? throw new JsonException("empty tokenizer config");
}
