using Letter.IO;

namespace Letter.Service;

/// <summary>Which ids a request speaks for items and users. Answers carry both (<c>item</c> and <c>id</c>) whatever the request spoke.</summary>
public enum IdSpace
{
    /// <summary>
    /// The dataset's own ids (the default): item ids as <c>letter import</c> found them (the run's item2id,
    /// and the ids of items added since), user ids through its user2id. A run without maps has the dense
    /// ids as its ids, written in decimal.
    /// </summary>
    Dataset,
    /// <summary>Dense item ids (integers 0..n-1, the model's own) and the inter file's user keys.</summary>
    Dense,
}

internal static class IdSpaces
{
    public const string Expected = "\"dataset\" (the dataset's own ids, the default) or \"dense\" (dense item ids 0..n-1 and the inter file's user keys)";

    /// <summary>A request's "ids" (body field or query parameter): null for the default.</summary>
    public static IdSpace Parse(string? text, string field, string? shown = null) => text switch
    {
        null or "dataset" => IdSpace.Dataset,
        "dense" => IdSpace.Dense,
        _ => throw new BadRequestException(field, shown ?? text, $"ids is {Expected}"),
    };
}

/// <summary>
/// Items a request names (history, exclude, candidates), as sent: dataset ids or dense ids, with each
/// one's JSON text for refusals. <see cref="Resolve"/> turns them into the model's dense items.
/// </summary>
internal sealed record RequestedItems(string Field, string[] Raw, string[]? DatasetIds, int[]? DenseIds)
{
    public int Length => Raw.Length;

    /// <summary>The dense items, or a 400 naming the first that the served catalogue does not hold (<c>history[2]</c>).</summary>
    public int[] Resolve(ServedModel model)
    {
        var items = new int[Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (DenseIds is not null)
            {
                items[i] = DenseIds[i];
                if (items[i] >= model.ItemCount)
                    throw new BadRequestException($"{Field}[{i}]", Raw[i], $"item {items[i]} is not in the catalogue (dense items 0-{model.ItemCount - 1})");
            }
            else
                items[i] = model.Ids.Item(DatasetIds![i])
                    ?? throw new BadRequestException($"{Field}[{i}]", Raw[i], $"item {Quoted.Quote(DatasetIds[i])} is not in the catalogue ({model.ItemIdsDescription})");
        }
        return items;
    }
}
