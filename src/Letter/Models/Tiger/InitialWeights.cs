using System.Text.Json.Serialization;
using Letter.IO;

namespace Letter.Models.Tiger;

/// <summary>
/// The checkpoint a run's model starts from instead of a fresh initialisation (<c>--init-from</c>);
/// its optimizer, schedule, epochs and validation start afresh. Why: to train a finished run for
/// more epochs (a new warm-up and cosine) without repeating what it already learned.
/// </summary>
/// <param name="Checkpoint">the checkpoint file, full path</param>
/// <param name="Sha256">its hash when the run started, so a resume before the first checkpoint loads the same weights</param>
public sealed record InitialWeights(string Checkpoint, string Sha256)
{
    private const string Takes = "initial weights come from a TIGER run folder or one of its checkpoints";

    /// <summary>A run folder (its best checkpoint: the chosen model) or a checkpoint file in a run's <c>checkpoints/</c>.</summary>
    public static InitialWeights Resolve(string source)
    {
        var path = Path.GetFullPath(source);
        if (Directory.Exists(path))
        {
            var run = new TigerRunFolder(path);
            if (!run.Exists) throw new LetterDataException(run.ConfigFile, null, $"is missing: {Takes}");
            if (!File.Exists(run.BestCheckpoint))
                throw new LetterDataException(run.BestCheckpoint, null, "is missing: the run has not finished an epoch (pass its checkpoints/last.ckpt to start from its latest weights)");
            path = run.BestCheckpoint;
        }
        if (!File.Exists(path)) throw new LetterDataException(path, null, $"is missing: {Takes}");
        return new InitialWeights(path, FileHash.Sha256(path));
    }

    /// <summary>The run the checkpoint belongs to (the folder above <c>checkpoints/</c>).</summary>
    [JsonIgnore]
    public TigerRunFolder SourceRun => new(Path.GetDirectoryName(Path.GetDirectoryName(Checkpoint)!)!);

    /// <summary>
    /// Refuses a source trained on another index (its codes would name other items) or with another
    /// model shape, naming the source's config.json and what differs.
    /// </summary>
    public void CheckFits(TigerConfig config, string indexSha256, int vocabularySize)
    {
        var run = SourceRun;
        if (!run.Exists) throw new LetterDataException(Checkpoint, null, $"has no config.json in {run.Directory}: {Takes}");
        var source = run.ReadInfo();
        if (source.IndexSha256 != indexSha256)
            throw new LetterDataException(run.ConfigFile, null, $"was trained on another index (SHA-256 {source.IndexSha256[..12]}...): its codes would stand for other items; train from scratch or use the same index");
        var s = source.Config;
        (string Name, int Source, int This)[] shape =
        [
            ("d_model", s.DModel, config.DModel), ("d_ff", s.DFf, config.DFf), ("d_kv", s.DKv, config.DKv), ("heads", s.Heads, config.Heads),
            ("encoder layers", s.EncoderLayers, config.EncoderLayers), ("decoder layers", s.DecoderLayers, config.DecoderLayers),
            ("relative buckets", s.RelativeBuckets, config.RelativeBuckets), ("relative max distance", s.RelativeMaxDistance, config.RelativeMaxDistance),
            ("vocabulary size", source.VocabularySize, vocabularySize),
        ];
        foreach (var (name, from, to) in shape)
            if (from != to) throw new LetterDataException(run.ConfigFile, null, $"describes a model with {name} {from}, this run's has {to} (initial weights need the same model shape)");
    }

    /// <summary>Copies the checkpoint's parameters into <paramref name="model"/> after checking the file is the one the run started from.</summary>
    public void LoadInto(TigerModel model)
    {
        if (!File.Exists(Checkpoint)) throw new LetterDataException(Checkpoint, null, "is missing: this run starts from its weights (config.json, initFrom)");
        if (FileHash.Sha256(Checkpoint) != Sha256)
            throw new LetterDataException(Checkpoint, null, $"has changed since this run started from it (SHA-256 was {Sha256[..12]}...)");
        TigerCheckpoint.Load(Checkpoint, model);
    }
}
