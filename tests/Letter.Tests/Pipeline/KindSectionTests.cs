using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.IO;
using Letter.Kinds;
using Letter.Models.LcRec;
using Letter.Models.Tiger;
using Letter.Pipeline;
using Letter.Tests.Kinds;

namespace Letter.Tests.Pipeline;

/// <summary>
/// Each kind describes its own stage of a run config (<see cref="Letter.Training.RecommenderKind.PipelineSection"/>); the
/// stage settings keep the JSON the pipeline hashed before kinds described them, so earlier stages stay valid.
/// </summary>
public class KindSectionTests
{
    private static readonly RunConfig Config = new RunConfig { Seed = 9, EvalMaxUsers = 30, Tiger = new TigerConfig { DModel = 48 } }.WithSeedApplied();

    private static JsonObject Json(object settings) => JsonSerializer.SerializeToNode(settings, settings.GetType(), ConfigJson.Options)!.AsObject();

    private static JsonNode Node(object value) => JsonSerializer.SerializeToNode(value, value.GetType(), ConfigJson.Options)!;

    [Fact]
    public void Tiger_TrainsItsSection_HashedAsTigerAndEvalMaxUsers()
    {
        var section = Config.Section(KindRegistry.Default.Find(TigerKind.KindName, "test"));
        Assert.Same(Config.Tiger, section.Config);
        Assert.Empty(section.Options);
        Assert.Empty(section.Inputs);
        var json = Json(section.StageSettings);
        Assert.Equal(["tiger", "eval_max_users"], json.Select(kv => kv.Key));
        Assert.True(JsonNode.DeepEquals(Node(Config.Tiger), json["tiger"]));
        Assert.Equal(30, json["eval_max_users"]!.GetValue<int>());
    }

    [Fact]
    public void LcRec_NeedsTheTopLevelBaseModel_AndHashesItWithItsSection()
    {
        var kind = KindRegistry.Default.Find(LcRecKind.KindName, "test");
        var e = Assert.Throws<LetterConfigException>(() => Config.Section(kind));
        Assert.Equal("base_model: recommender lc-rec needs a base language model (a Hugging Face folder or a GGUF file)", e.Message);

        using var tmp = new TempDir();
        var file = tmp.File("model.gguf");
        File.WriteAllText(file, "weights");
        var section = (Config with { BaseModel = file }).Section(kind);
        Assert.Same(Config.LcRec, section.Config);
        Assert.Equal(new Dictionary<string, string> { ["base"] = file }, section.Options);
        // a file is a stage input (its hash reruns the stage when it changes); a folder is named only
        Assert.Equal(new Dictionary<string, string> { ["base_model"] = file }, section.Inputs);
        var json = Json(section.StageSettings);
        Assert.Equal(["lc_rec", "base_model", "eval_max_users"], json.Select(kv => kv.Key));
        Assert.True(JsonNode.DeepEquals(Node(Config.LcRec), json["lc_rec"]));
        Assert.Equal(file, json["base_model"]!.GetValue<string>());

        Assert.Empty((Config with { BaseModel = tmp.Path }).Section(kind).Inputs);
    }

    [Fact]
    public void AKindWithoutASection_TrainsItsDefaultsUnderTheRunsSeed()
    {
        var section = Config.Section(StubBagKind.Instance);
        Assert.Equal(StubBagKind.Instance.DefaultConfig with { Seed = 9 }, section.Config);
        var json = Json(section.StageSettings);
        Assert.Equal(["config", "eval_max_users"], json.Select(kv => kv.Key));
        Assert.Equal(9, json["config"]!["seed"]!.GetValue<int>());
    }
}
