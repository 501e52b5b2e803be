namespace Letter.Reporting;

/// <summary>Published full-ranking results (LETTER paper, CIKM 2024, beam 20, history 20) for the paper's datasets.</summary>
public static class PaperResults
{
    public sealed record Row(string Method, double? Recall10, double? Ndcg10);

    public static IReadOnlyList<Row>? For(string datasetName) => datasetName.ToLowerInvariant() switch
    {
        "instruments" =>
        [
            new("SASRec", 0.0947, 0.0690),
            new("TIGER", 0.1058, null),
            new("LC-Rec", 0.1006, 0.0772),
            new("LETTER-TIGER", 0.1122, 0.0831),
            new("LETTER-LC-Rec", 0.1115, 0.0854),
        ],
        "yelp" =>
        [
            new("SASRec", 0.0296, 0.0152),
            new("TIGER", 0.0407, 0.0213),
            new("LC-Rec", 0.0359, 0.0199),
            new("LETTER-TIGER", 0.0426, 0.0231),
            new("LETTER-LC-Rec", 0.0393, 0.0211),
        ],
        _ => null,
    };
}
