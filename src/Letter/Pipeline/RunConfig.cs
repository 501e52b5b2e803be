using Letter.Models.SasRec;
using Letter.Embeddings;
using Letter.Models.Tiger;
using Letter.Tokenization;
using Letter.Training;
using Letter.Kinds;
using System.Text.Json;

namespace Letter.Pipeline;

/// <summary>
/// Everything <c>letter run</c> does, as one JSON document (snake_case keys; every key is also a
/// flag, e.g. <c>--tokenizer.max_epochs 100</c>). Stage sections default to the paper's settings.
/// </summary>
public sealed record RunConfig
{
    /// <summary>Dataset folder in the LETTER layout.</summary>
    public string Data { get; init; } = "";

    /// <summary>Run folder: every stage writes into its own subfolder here.</summary>
    public string Out { get; init; } = "runs/run";

    /// <summary>One seed for every stage (it replaces the stages' own seed settings).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Semantic item embeddings (.npy). Null: embed the item text, or use NAME.emb-minilm.npy when the dataset has no text.</summary>
    public string? Semantic { get; init; }

    /// <summary>Collaborative item embeddings (.npy or .pt). Null: train SASRec on the training split.</summary>
    public string? Cf { get; init; }

    /// <summary>Also tokenize with the plain RQ-VAE (alpha = beta = 0) and train TIGER on it, for comparison.</summary>
    public bool CompareRqVae { get; init; }

    /// <summary>Where the recommender trains and decodes: cpu, cuda or cuda:N (run-only: results agree up to float rounding).</summary>
    public Letter.Common.ComputeDevice Device { get; init; }

    /// <summary>Evaluate on a fixed seeded sample of this many test users (null: all).</summary>
    public int? EvalMaxUsers { get; init; }

    public TextEmbedderOptions Embed { get; init; } = new();
    public SasRecConfig Sasrec { get; init; } = new();
    public TokenizerConfig Tokenizer { get; init; } = new();
    public TigerConfig Tiger { get; init; } = new();
    /// <summary>The recommender kind trained on the identifiers (a registered kind's name): tiger (from scratch) or lc-rec (a language model fine-tuned with LoRA).</summary>
    public string Recommender { get; init; } = KindRegistry.DefaultKind;
    /// <summary>LC-Rec's base language model: a Hugging Face folder or a GGUF file (needed with recommender lc-rec).</summary>
    public string? BaseModel { get; init; }
    public Letter.Models.LcRec.LcRecConfig LcRec { get; init; } = new();

    /// <summary>Settings sized for 2 cores on the built-in dataset: the demo's configuration.</summary>
    public static RunConfig Demo(string dataDir, string outDir, int seed) => new()
    {
        Data = dataDir,
        Out = outDir,
        Seed = seed,
        CompareRqVae = true,
        Sasrec = new SasRecConfig { Epochs = 60, Patience = 5, BatchSize = 256, LearningRate = 2e-3 },
        Tokenizer = new TokenizerConfig
        {
            CodebookSizes = [32, 32, 32],
            SinkhornEpsilons = [0, 0, 0.003],
            Clusters = 4,
            MaxEpochs = 150,
            MinEpochs = 40,
            BatchSize = 256,
        },
        Tiger = new TigerConfig
        {
            DModel = 64,
            DFf = 256,
            DKv = 32,
            Heads = 4,
            EncoderLayers = 2,
            DecoderLayers = 2,
            Epochs = 15,
            Patience = 4,
            LearningRate = 2e-3,
            BatchSize = 256,
            ValidationUsers = 500,
        },
    };

    /// <summary>
    /// A kind's part of this config file, as the kind describes it (<see cref="RecommenderKind.PipelineSection"/>):
    /// the section of the kind's config type (<c>tiger</c>, <c>lc_rec</c>; a kind without one trains its
    /// defaults under the run's seed), its own options, extra stage inputs, and the settings the pipeline
    /// hashes into the stage's identity (run-only ones marked, see <see cref="StageSettings"/>).
    /// </summary>
    public KindSection Section(RecommenderKind kind)
    {
        var configType = kind.DefaultConfig.GetType();
        var section = (TrainingSchedule?)typeof(RunConfig).GetProperties().SingleOrDefault(p => p.PropertyType == configType)?.GetValue(this);
        return kind.PipelineSection(section, Seed, EvalMaxUsers, TopLevelSetting);
    }

    /// <summary>A top-level text setting by its key (<c>base_model</c>), null when absent or not text.</summary>
    private string? TopLevelSetting(string key) =>
        typeof(RunConfig).GetProperties().SingleOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == key)?.GetValue(this) as string;

    /// <summary>Whether any stage asks for bfloat16 products (the host checks the CPU pays for it).</summary>
    public bool AnyBf16 => Tokenizer.Bf16 || Tiger.Bf16;

    /// <summary>Every stage in fp32 (the host's answer on a CPU without native bf16).</summary>
    public RunConfig WithoutBf16() => this with { Tokenizer = Tokenizer with { Bf16 = false }, Tiger = Tiger with { Bf16 = false } };

    /// <summary>The stage configs with the run's seed applied.</summary>
    public RunConfig WithSeedApplied() => this with
    {
        Sasrec = Sasrec with { Seed = Seed },
        Tokenizer = Tokenizer with { Seed = Seed },
        Tiger = Tiger with { Seed = Seed },
        LcRec = LcRec with { Seed = Seed },
    };
}
