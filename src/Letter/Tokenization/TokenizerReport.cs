using System.Globalization;
using System.Text;
using System.Text.Json;
using Letter.Data;

namespace Letter.Tokenization;

/// <summary>Collision rate and largest group of one set of identifiers.</summary>
public sealed record CollisionSummary(double CollisionRate, int Distinct, int MaxGroup, int CollidingItems)
{
    public static CollisionSummary Of(IndexStatistics s) => new(s.CollisionRate, s.Distinct, s.MaxGroup, s.CollidingItems);
}

/// <summary>What <c>letter tokenize</c> measured: written as tokenizer-report.json and tokenizer-report.md.</summary>
public sealed record TokenizerReport(
    string Name,
    string Kind,
    int Items,
    double Alpha,
    double Beta,
    int EpochsRun,
    string StopReason,
    double InitSeconds,
    double TrainSeconds,
    double MedianEpochSeconds,
    double AssignSeconds,
    long PeakResidentBytes,
    double ReconstructionMse,
    double QuantizationError,
    CollisionSummary Nearest,
    CollisionSummary AfterSinkhorn,
    int SinkhornRoundsRun,
    CollisionSummary Final,
    int[]? ResolutionChangedAtLevel,
    int ResolutionItemsChanged,
    double ResolutionMeanExtraError,
    IndexStatistics Statistics,
    CfAlignmentResult? CfAlignment,
    string? CfNote,
    CodeUsage? InitialUsage = null)
{
    public string ToJson() => JsonSerializer.Serialize(this, TokenizerConfig.Json);

    public string ToMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"# Tokenizer report: {Name}");
        sb.AppendLine();
        sb.AppendLine(inv, $"- kind {Kind}, alpha {Alpha}, beta {Beta}; {Items} items");
        sb.AppendLine(inv, $"- epochs run {EpochsRun} ({StopReason})");
        sb.AppendLine(inv, $"- time: codebook init {InitSeconds:0.0} s, training {TrainSeconds:0.0} s (median epoch {MedianEpochSeconds:0.000} s), assignment {AssignSeconds:0.0} s; peak resident memory {PeakResidentBytes / 1048576.0:0} MB");
        sb.AppendLine(inv, $"- reconstruction MSE {ReconstructionMse:0.000000}, quantization error ||z - z_q||^2 {QuantizationError:0.000000}");
        if (InitialUsage is { } init)
            sb.AppendLine(inv, $"- after codebook init: nearest codes use {string.Join(" / ", init.CodesUsed)} codes per level ({string.Join(" / ", init.EntropyBits.Select(b => b.ToString("0.00", inv)))} bits), collision rate {init.CollisionRate:0.0000}, mean ||z|| {init.LatentNorm:0.0000}");
        sb.AppendLine();
        sb.AppendLine("| identifiers | collision rate | distinct | largest group | items in collisions |");
        sb.AppendLine("| --- | --- | --- | --- | --- |");
        void Row(string label, CollisionSummary c) =>
            sb.AppendLine(inv, $"| {label} | {c.CollisionRate:0.0000} | {c.Distinct} | {c.MaxGroup} | {c.CollidingItems} |");
        Row("nearest codes", Nearest);
        Row($"after Sinkhorn ({SinkhornRoundsRun} rounds)", AfterSinkhorn);
        Row("final", Final);
        sb.AppendLine();
        if (ResolutionChangedAtLevel is not null)
        {
            var levels = string.Join(", ", ResolutionChangedAtLevel.Select((c, l) => $"level {l + 1}: {c}"));
            sb.AppendLine(inv, $"Collision resolution re-coded {ResolutionItemsChanged} items; shallowest changed level: {levels}; mean extra quantization error {ResolutionMeanExtraError:0.000000}.");
            sb.AppendLine();
        }
        sb.AppendLine("| level | codes used | entropy (bits) | max entropy | largest code group | distinct prefixes |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var level in Statistics.PerLevel)
            sb.AppendLine(inv, $"| {level.Level + 1} | {level.CodesUsed} / {level.CodebookSize} | {level.EntropyBits:0.000} | {level.MaxEntropyBits:0.000} | {level.LargestGroup} | {Statistics.DistinctPrefixes[level.Level]} |");
        sb.AppendLine();
        if (CfAlignment is not null)
        {
            var cosine = CfAlignment.MeanCosine is double c ? c.ToString("0.0000", inv) : "not defined (dimensions differ)";
            sb.AppendLine(inv, $"Collaborative alignment: the nearest CF neighbour shares the first code for {CfAlignment.NeighbourFirstCodeShare:0.0000} of items (chance {CfAlignment.ChanceShare:0.0000}), the first two codes for {CfAlignment.NeighbourPrefix2Share:0.0000}; mean cos(z_q, cf) {cosine}.");
        }
        if (CfNote is not null) sb.AppendLine(CfNote);
        return sb.ToString();
    }
}
