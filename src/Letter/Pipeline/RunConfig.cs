using Letter.Models.SasRec;
using Letter.Embeddings;
using Letter.Models.Tiger;
using Letter.Tokenization;

namespace Letter.Pipeline;

/// <summary>
/// Everything <c>letter run</c> does, as one JSON document (snake_case keys; every key is also a
/// flag, e.g. <c>--tokenizer.max_epochs 100</c>). Stage sections default to the paper's settings.
/// </summary>
/// <summary>Which generative recommender a run trains.</summary>
public enum RecommenderKind
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("tiger")] Tiger,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("lc-rec")] LcRec,
}

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

    /// <summary>Evaluate on a fixed seeded sample of this many test users (null: all).</summary>
    public int? EvalMaxUsers { get; init; }

    public TextEmbedderOptions Embed { get; init; } = new();
    public SasRecConfig Sasrec { get; init; } = new();
    public TokenizerConfig Tokenizer { get; init; } = new();
    public TigerConfig Tiger { get; init; } = new();
    /// <summary>The generative recommender trained on the identifiers: TIGER (from scratch) or LC-Rec (a language model fine-tuned with LoRA).</summary>
    public RecommenderKind Recommender { get; init; } = RecommenderKind.Tiger;
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

    /// <summary>The stage configs with the run's seed applied.</summary>
    public RunConfig WithSeedApplied() => this with
    {
        Sasrec = Sasrec with { Seed = Seed },
        Tokenizer = Tokenizer with { Seed = Seed },
        Tiger = Tiger with { Seed = Seed },
        LcRec = LcRec with { Seed = Seed },
    };
}
