using System.Text.Json;

namespace Letter.Service;

// The JSON shapes of the API (camelCase on the wire). Request bodies are read by RequestParser, which
// names the field and the value of every refusal; these records describe them to the OpenAPI document.

/// <summary>A recommendation request: exactly one of history or user.</summary>
/// <param name="History">item ids, oldest first</param>
/// <param name="User">a user id of the run's dataset (their whole history is used)</param>
/// <param name="K">items to return, 1-100 (default 10)</param>
/// <param name="Beam">beams to search (default the run's, never fewer than k)</param>
/// <param name="Exclude">"seen" (the history's items, the default), "none", or a list of item ids</param>
/// <param name="Candidates">when given, only these items may be returned</param>
public sealed record RecommendRequest(int[]? History, string? User, int? K, int? Beam, JsonElement? Exclude, int[]? Candidates);

public sealed record BatchRecommendRequest(RecommendRequest[] Requests);

/// <param name="Score">the beam's log-probability (higher is better)</param>
/// <param name="Identifier">the item's identifier tokens, e.g. ["&lt;a_12&gt;", "&lt;b_3&gt;", ...]</param>
public sealed record RecommendedItem(int Item, double Score, string[] Identifier, string Title);

/// <param name="Name">the generator ("tiger")</param>
/// <param name="Run">the run folder's name</param>
/// <param name="Version">the checkpoint's SHA-256 prefix, with "+Nitems" when items were added since training</param>
/// <param name="Items">items in the catalogue</param>
public sealed record ModelInfo(string Name, string Run, string Version, int Items);

public sealed record RecommendResponse(IReadOnlyList<RecommendedItem> Items, ModelInfo Model, double TookMs);

public sealed record BatchResult(IReadOnlyList<RecommendedItem> Items);

public sealed record BatchRecommendResponse(IReadOnlyList<BatchResult> Results, ModelInfo Model, double TookMs);

/// <param name="SharedWith">other items with the same identifier (most popular first)</param>
/// <param name="Added">true for an item added through POST /v1/items</param>
/// <param name="Id">the id its caller gave an added item, or null</param>
public sealed record ItemInfo(int Item, string Title, string[] Identifier, int[] SharedWith, bool Added, string? Id = null);

public sealed record IdentifierItems(string[] Identifier, IReadOnlyList<ItemSummary> Items);

public sealed record ItemSummary(int Item, string Title);

/// <summary>A new item: its semantic embedding (as the tokenizer was trained on: same model, same dimension) and a title.</summary>
/// <param name="Text">instead of the embedding, when the run embedded its item text with the built-in encoder: the item's text</param>
/// <param name="Id">your id for the item: adding it again with the same content returns the first answer (200); other content under it is a 409</param>
public sealed record NewItem(string? Id, float[]? Embedding, string? Text, string? Title);

/// <summary>One new item (embedding or text, title) or several (items).</summary>
public sealed record NewItemsRequest(string? Id, float[]? Embedding, string? Text, string? Title, NewItem[]? Items);

public sealed record NewItemsResponse(IReadOnlyList<ItemInfo> Items, ModelInfo Model);

public sealed record ReloadResponse(ModelInfo Model, double TookMs);

public sealed record Health(string Status, string? Detail = null, ModelInfo? Model = null);
