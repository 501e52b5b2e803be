namespace Letter.Models.LcRec;

/// <summary>What of the token embedding and the output head trains besides the LoRA adapters.</summary>
public enum EmbeddingTraining
{
    /// <summary>All rows train (the original's modules_to_save = embed_tokens, lm_head).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("all")] All,
    /// <summary>The new identifier-token rows keep their initial values; the base vocabulary's rows train.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("freeze-new")] FreezeNewTokens,
    /// <summary>Neither the embedding nor the head trains: only the adapters.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("frozen")] Frozen,
}

/// <summary>LoRA settings; the defaults are the paper's (LC-Rec's lora_finetune.py).</summary>
public sealed record LoraConfig
{
    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 32;
    public double Dropout { get; init; } = 0.05;
    public string[] TargetModules { get; init; } = ["q_proj", "v_proj", "k_proj", "o_proj", "gate_proj", "down_proj", "up_proj"];
    public EmbeddingTraining Embeddings { get; init; } = EmbeddingTraining.All;

    public void Validate()
    {
        if (Rank < 1) throw new ArgumentOutOfRangeException(nameof(Rank), "the LoRA rank must be at least 1");
        if (Alpha <= 0) throw new ArgumentOutOfRangeException(nameof(Alpha), "LoRA alpha must be positive");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), "LoRA dropout must be in [0, 1)");
        if (TargetModules.Length == 0) throw new ArgumentOutOfRangeException(nameof(TargetModules), "LoRA needs at least one target module");
    }
}
