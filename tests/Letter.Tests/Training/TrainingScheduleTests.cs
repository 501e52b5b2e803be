using System.Text.Json.Nodes;
using Letter.IO;
using Letter.Models.LcRec;
using Letter.Models.Tiger;
using Letter.Pipeline;

namespace Letter.Tests.Training;

/// <summary>The one schedule record: TIGER's config reads and writes as before it existed, and LC-Rec's run-only settings are marked by it.</summary>
public class TrainingScheduleTests
{
    [Fact]
    public void TigerConfig_KeepsItsKeyOrder_SoPipelineStageHashesOfEarlierRunsStillMatch()
    {
        // the keys of a TIGER run's config as the version before the schedule record wrote them
        string[] before =
        [
            "d_model", "d_ff", "d_kv", "heads", "encoder_layers", "decoder_layers", "relative_buckets", "relative_max_distance", "dropout",
            "layer_norm_epsilon", "text_tokens", "max_history", "temperature", "epochs", "batch_size", "gradient_accumulation", "batching",
            "learning_rate", "weight_decay", "warmup_fraction", "gradient_clip", "patience", "select_by", "validation_users",
            "time_budget_minutes", "checkpoint_minutes", "beam", "eval_batch_users", "seed", "threads", "bf16",
        ];
        Assert.Equal(before, JsonNode.Parse(LetterJson.Serialize(new TigerConfig()))!.AsObject().Select(kv => kv.Key));
        Assert.Equal(before, JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(new TigerConfig(), ConfigJson.Options))!.AsObject().Select(kv => kv.Key));
    }

    [Fact]
    public void RunOnlySettings_AreMarkedOnce_ForEveryKind()
    {
        Assert.Equal(["eval_max_users", "tiger.beam", "tiger.checkpoint_minutes", "tiger.eval_batch_users", "tiger.threads"],
            StageSettings.RunOnlyPaths(typeof(TigerStageSettings)).Order(StringComparer.Ordinal));
        Assert.Equal(["eval_max_users", "lc_rec.beam", "lc_rec.checkpoint_minutes", "lc_rec.eval_batch_users", "lc_rec.threads"],
            StageSettings.RunOnlyPaths(typeof(LcRecStageSettings)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void LcRecDefaults_AreThePapers_AndDifferFromTigersWhereTheyShould()
    {
        var c = new LcRecConfig();
        Assert.Equal((4, 32, 4, 1e-4, 1.0, 500, 16, 10.0), (c.Epochs, c.BatchSize, c.GradientAccumulation, c.LearningRate, c.Temperature, c.ValidationUsers, c.EvalBatchUsers, c.CheckpointMinutes));
        var t = new TigerConfig();
        Assert.Equal((200, 256, 1, 5e-4, 0.7, 2000, 64, 5.0), (t.Epochs, t.BatchSize, t.GradientAccumulation, t.LearningRate, t.Temperature, t.ValidationUsers, t.EvalBatchUsers, t.CheckpointMinutes));
    }
}
