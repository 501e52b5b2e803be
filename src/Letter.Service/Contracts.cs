using System.Text.Json;

namespace Letter.Service;

// The JSON shapes of the API (camelCase on the wire). Request bodies are read by RequestParser, which
// names the field and the value of every refusal; these records describe them to the OpenAPI document.

/// <summary>A recommendation request: exactly one of history or user.</summary>
/// <param name="Ids">"dataset" (the default): items and the user are the dataset's own ids (item ids as strings; an integer is read as its decimal text);
/// "dense": items are dense ids (integers 0..n-1) and the user is the inter file's user key</param>
/// <param name="History">item ids, oldest first</param>
/// <param name="User">a user id of the run's dataset (their whole history is used)</param>
/// <param name="K">items to return, 1-100 (default 10)</param>
/// <param name="Beam">beams to search (default the run's, never fewer than k)</param>
/// <param name="Exclude">"seen" (the history's items, the default), "none", or a list of item ids</param>
/// <param name="Candidates">when given, only these items may be returned</param>
public sealed record RecommendRequest(string? Ids, JsonElement[]? History, string? User, int? K, int? Beam, JsonElement? Exclude, JsonElement[]? Candidates);

/// <param name="Ids">the id space of every request that names none ("dataset", the default, or "dense")</param>
public sealed record BatchRecommendRequest(string? Ids, RecommendRequest[] Requests);

/// <param name="Item">the dense item id (the model's)</param>
/// <param name="Id">the item's dataset id (as the data had it before import; the dense id in decimal for a run without an item map)</param>
/// <param name="Score">the beam's log-probability (higher is better)</param>
/// <param name="Identifier">the item's identifier tokens, e.g. ["&lt;a_12&gt;", "&lt;b_3&gt;", ...]</param>
public sealed record RecommendedItem(int Item, string Id, double Score, string[] Identifier, string Title);

/// <param name="Name">the generator ("tiger")</param>
/// <param name="Run">the run folder's name</param>
/// <param name="Version">the checkpoint's SHA-256 prefix, with "+Nitems" when items were added since training</param>
/// <param name="Items">items in the catalogue</param>
public sealed record ModelInfo(string Name, string Run, string Version, int Items);

public sealed record RecommendResponse(IReadOnlyList<RecommendedItem> Items, ModelInfo Model, double TookMs);

public sealed record BatchResult(IReadOnlyList<RecommendedItem> Items);

public sealed record BatchRecommendResponse(IReadOnlyList<BatchResult> Results, ModelInfo Model, double TookMs);

/// <param name="Item">the dense item id</param>
/// <param name="Id">the item's dataset id (for an added item, the id its caller gave it)</param>
/// <param name="SharedWith">other items with the same identifier (most popular first), dense ids</param>
/// <param name="SharedWithIds">the same items' dataset ids</param>
/// <param name="Added">true for an item added through POST /v1/items</param>
public sealed record ItemInfo(int Item, string Id, string Title, string[] Identifier, int[] SharedWith, string[] SharedWithIds, bool Added);

public sealed record IdentifierItems(string[] Identifier, IReadOnlyList<ItemSummary> Items);

/// <param name="Item">the dense item id</param>
/// <param name="Id">the item's dataset id</param>
public sealed record ItemSummary(int Item, string Id, string Title);

/// <summary>A new item: its semantic embedding (as the tokenizer was trained on: same model, same dimension) and a title.</summary>
/// <param name="Text">instead of the embedding, when the run embedded its item text with the built-in encoder: the item's text</param>
/// <param name="Id">the new item's dataset id (required when the run's items have dataset ids, an item map; otherwise its id is its dense number):
/// adding it again with the same content returns the first answer (200); other content under it, or the id of a trained item, is a 409</param>
public sealed record NewItem(string? Id, float[]? Embedding, string? Text, string? Title);

/// <summary>One new item (embedding or text, title) or several (items).</summary>
public sealed record NewItemsRequest(string? Id, float[]? Embedding, string? Text, string? Title, NewItem[]? Items);

public sealed record NewItemsResponse(IReadOnlyList<ItemInfo> Items, ModelInfo Model);

public sealed record ReloadResponse(ModelInfo Model, double TookMs);

public sealed record Health(string Status, string? Detail = null, ModelInfo? Model = null);
