using Letter.Data;
using Letter.Evaluation;
using Letter.Generation;
using Letter.IO;
using Letter.Runs;
using Letter.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>LC-Rec as a recommender kind: a LLaMA-family language model fine-tuned with LoRA on LC-Rec's prompt.</summary>
public sealed class LcRecKind : RecommenderKind
{
    public const string KindName = "lc-rec";
    public static readonly LcRecKind Instance = new();

    public override string Name => KindName;
    public override string Description => "a LLaMA-family language model (--base) fine-tuned with LoRA on LC-Rec's prompt (docs/llm.md)";
    public override TrainingSchedule DefaultConfig { get; } = new LcRecConfig();
    public override RunFolder Folder(string directory) => new LcRecRunFolder(directory);
    public override TrainingSchedule ReadConfig(RunFolder run) => new LcRecRunFolder(run.Directory).ReadInfo().Config;

    /// <summary>Loads a checkpoint with its adapters merged into the base weights (decoding runs no extra products).</summary>
    public override RunModel Load(RunFolder run, CheckpointChoice checkpoint = CheckpointChoice.Best) => Load(run, checkpoint, merge: true);

    public static RunModel Load(RunFolder run, CheckpointChoice checkpoint, bool merge)
    {
        var folder = new LcRecRunFolder(run.Directory);
        var info = folder.ReadInfo();
        var index = folder.ReadIndex();
        var adapter = folder.CheckpointFolder(checkpoint);
        if (!Directory.Exists(adapter)) throw new LetterDataException(adapter, null, "is missing: the run has no checkpoint yet");
        if (!File.Exists(info.BaseModel) && !Directory.Exists(info.BaseModel))
            throw new LetterDataException(info.BaseModel, null, $"is missing: the run in {folder.Directory} was trained on this base model");
        var lc = LcRecTrainer.Build(info.BaseModel, index, info.Config);
        try
        {
            LcRecCheckpoint.Load(adapter, lc);
            if (merge) LoraAdapters.Merge(lc.Model);
            lc.Model.eval();
            return new LcRecRunModel(lc, info, adapter);
        }
        catch
        {
            lc.Dispose();
            throw;
        }
    }

    private sealed class LcRecRunModel(LcRecModel lc, LcRecRunInfo info, string checkpoint) : RunModel
    {
        public override TrainingSchedule Schedule => info.Config;
        public override string Checkpoint => checkpoint;
        public override int[] CodebookSizes => lc.Index.CodebookSizes();

        public override GenerativeRecommender Recommender(ItemIndex index, int[] popularity)
        {
            // items added after training are spelt with the run's identifier tokens: a view of the same weights
            var model = ReferenceEquals(index, lc.Index) ? lc : lc.WithIndex(index);
            return LcRecRecommender.Create(model, popularity, info.Config.Beam, info.Config.MaxHistory);
        }

        public override void UseBf16() => lc.Model.to(ScalarType.BFloat16);

        public override double TeacherForcedLoss(IReadOnlyList<Sample> samples) =>
            LcRecTrainer.ValidationLoss(lc.Model, samples.Select(s => LcRecTrainer.Encode(lc, s)).ToList(), info.Config);

        protected override void DisposeModel() => lc.Dispose();
    }
}
