using Letter.Data;
using Letter.Evaluation;
using Letter.Generation;
using Letter.Runs;
using Letter.Training;
using TorchSharp;

namespace Letter.Models.Tiger;

/// <summary>TIGER as a recommender kind: a T5 encoder-decoder trained from scratch on the identifiers.</summary>
public sealed class TigerKind : RecommenderKind
{
    public const string KindName = "tiger";
    public static readonly TigerKind Instance = new();

    public override string Name => KindName;
    public override string Description => "a T5 encoder-decoder trained from scratch";
    public override TrainingSchedule DefaultConfig { get; } = new TigerConfig();
    public override RunFolder Folder(string directory) => new TigerRunFolder(directory);
    public override TrainingSchedule ReadConfig(RunFolder run) => new TigerRunFolder(run.Directory).ReadInfo().Config;

    public override RunModel Load(RunFolder run, CheckpointChoice checkpoint = CheckpointChoice.Best)
    {
        var folder = new TigerRunFolder(run.Directory);
        var info = folder.ReadInfo();
        var file = folder.CheckpointFile(checkpoint);
        if (!File.Exists(file)) throw new IO.LetterDataException(file, null, "is missing: the run has no trained checkpoint yet");
        var model = new TigerModel(info.Config, info.VocabularySize);
        try
        {
            TigerCheckpoint.Load(file, model);
            return new TigerRunModel(model, info, folder.ReadIndex(), file);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private sealed class TigerRunModel(TigerModel model, TigerRunInfo info, ItemIndex runIndex, string checkpoint) : RunModel
    {
        private bool _bf16;
        private readonly List<WeakReference<TigerGenerator>> _generators = [];
        public override TrainingSchedule Schedule => info.Config;
        public override string Checkpoint => checkpoint;
        public override int[] CodebookSizes => info.CodebookSizes;

        public override GenerativeRecommender Recommender(ItemIndex index, int[] popularity)
        {
            var recommender = TigerRecommender.Create(model, index, popularity, info.Config.Beam, ownsModel: false);
            if (_bf16) recommender.Tiger().UseBf16();
            lock (_generators) _generators.Add(new WeakReference<TigerGenerator>(recommender.Tiger()));
            return recommender;
        }

        public override void UseBf16()
        {
            // each generator records its precision beside the metrics it decodes
            lock (_generators)
                foreach (var g in _generators)
                    if (g.TryGetTarget(out var generator)) generator.UseBf16();
            model.to(TorchSharp.torch.ScalarType.BFloat16);
            _bf16 = true;
        }

        public override double TeacherForcedLoss(IReadOnlyList<Sample> samples)
        {
            var (inputs, targets) = TigerVocabulary.For(runIndex, info.Config.TextTokens).EncodeSamples(runIndex, samples);
            return Letter.Models.Tiger.TeacherForcedLoss.Compute(model, inputs, targets, info.Config.Temperature, info.Config.BatchSize);
        }

        protected override void DisposeModel() => model.Dispose();
    }
}
