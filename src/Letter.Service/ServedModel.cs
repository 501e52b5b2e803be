using Letter.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Runs;
using Letter.Tokenization;

namespace Letter.Service;

/// <summary>An item added to a served run without retraining (<c>POST /v1/items</c>), as kept in <c>added-items.json</c>.</summary>
/// <param name="Id">
/// the caller's id for it, its dataset item id (adding the same id with the same content again returns this item);
/// null only in a run without an item map, where the item's id is then its dense number
/// </param>
/// <param name="Content">SHA-256 of what it was made from (embedding or text, and title), to tell a retry from a different item under the same id</param>
public sealed record AddedItem(int Item, int[] Codes, string Title, string Added, string? Id = null, string? Content = null);

/// <summary>One item asked for by <c>POST /v1/items</c>: its embedding, or its text for the run's text encoder; its title; the caller's id; the request field it came from.</summary>
public sealed record NewItemSpec(float[]? Embedding, string? Text, string Title, string? Id, string Field)
{
    /// <summary>SHA-256 of the content (the embedding's float bits or the text, then the title).</summary>
    public string ContentHash()
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        if (Embedding is not null) sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Embedding.AsSpan()));
        else sha.AppendData(System.Text.Encoding.UTF8.GetBytes("text:" + Text));
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes("\ntitle:" + Title));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>
/// One opened run (its loaded model, whatever the kind), shared by every catalogue generation built on it
/// (items added later share the weights); disposed when the last generation that uses it is gone.
/// </summary>
internal sealed class SharedModel(ServedRun run)
{
    private int _refs = 1;
    public ServedRun Run { get; } = run;
    public void AddRef() => Interlocked.Increment(ref _refs);
    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0) Run.Dispose();
    }
}

/// <summary>
/// What the service decodes with: a recommender over the run's catalogue (trained items plus the
/// items added since), the titles, the known users' histories and the run's tokenizer. Immutable: adding
/// items or reloading builds a new one and swaps it in. Reference-counted so that a decoding queued on
/// a model that has since been replaced still finds it alive.
/// </summary>
public sealed class ServedModel
{
    public const string AddedItemsFileName = "added-items.json";

    private static long _generations;
    private readonly SharedModel _model;
    private int _refs = 1;

    /// <summary>A number that grows with every model built in this process (a load, a reload, items added): answers are valid for one.</summary>
    public long Generation { get; } = Interlocked.Increment(ref _generations);

    internal ServedModel(SharedModel model, GenerativeRecommender recommender, ServedRun run, IReadOnlyList<AddedItem> added)
    {
        _model = model;
        Recommender = recommender;
        Run = run;
        Added = added;
        Titles = run.BaseTitles.Concat(added.Select(a => a.Title)).ToArray();
        Ids = added.Count == 0 ? run.Ids : run.Ids.WithAddedItems(added.Select(IdOf).ToList());
        Version = run.CheckpointHash[..12] + (added.Count > 0 ? $"+{added.Count}items" : "");
    }

    public GenerativeRecommender Recommender { get; }
    public IdentifierCatalog Catalog => Recommender.Catalog;
    internal ServedRun Run { get; }
    public IReadOnlyList<AddedItem> Added { get; }
    public string[] Titles { get; }
    /// <summary>The dataset ids of every item in the catalogue (the run's, then the added items') and of users.</summary>
    public RunIds Ids { get; }
    /// <summary>Whether a new item must bring its own id: the run's items have dataset ids (an item map), so the new one needs one too.</summary>
    public bool NeedsItemIds => Run.Ids.HasItemMap;
    /// <summary>What the catalogue's item ids are, for a refusal of one it does not hold.</summary>
    public string ItemIdsDescription => Run.Ids.HasItemMap
        ? $"the run's item ids are its dataset's, from {(Run.Ids.ItemSource == IdMapSource.RunFolder ? "the run folder's item2id" : "the dataset's item2id")}{(Added.Count > 0 ? ", and those of the items added since" : "")}; dense ids are taken with ids=dense"
        : $"this run has no item map: its item ids are the dense ids 0-{Run.Index.ItemCount - 1}{(Added.Count > 0 ? " and those of the items added since" : "")}";

    /// <summary>
    /// What an id asked for a new item names already: null when it is free; the earlier added item when the
    /// same content was added under it before (a retry: answered with that item); otherwise a 409 naming
    /// the id (a trained item's id, or an added item with other content). In a run without an item map the
    /// item ids are dense numbers, so a number that is no item yet is refused (it would be a later item's id).
    /// </summary>
    /// <param name="field">the request field of the id (<c>id</c>, <c>items[2].id</c>)</param>
    internal AddedItem? Existing(string id, string content, string field)
    {
        if (Ids.Item(id) is not int item)
        {
            if (!Run.Ids.HasItemMap && id.All(char.IsAsciiDigit))
                throw new BadRequestException(field, id, $"this run has no item map, so its item ids are dense numbers: a new item's id may not be a number " +
                    "(leave 'id' out to give the item its number as its id)");
            return null;
        }
        int trained = Run.Index.ItemCount;
        if (item < trained)
            throw new ConflictException(field, id, $"item id {Quoted.Quote(id)} is trained item {item}'s: an id names one item; give the new one another id");
        var before = Added[item - trained];
        if (before.Content != content)
            throw new ConflictException(field, id, $"item id {Quoted.Quote(id)} was added before (item {before.Item}) with other content: an id names one item; give the new one another id");
        return before;
    }

    /// <summary>An added item's dataset id: the caller's, or (a run without an item map) its dense number.</summary>
    internal static string IdOf(AddedItem a) => a.Id ?? a.Item.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public int ItemCount => Catalog.ItemCount;
    /// <summary>The run's recommender kind (its run record's), e.g. "tiger", "lc-rec".</summary>
    public string Name => Run.KindName;
    /// <summary>The checkpoint's SHA-256 prefix, with the number of items added since training.</summary>
    public string Version { get; }
    public string RunName => Run.Name;

    internal bool TryAcquire()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _refs);
            if (refs == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, refs + 1, refs) == refs) return true;
        }
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        Recommender.Dispose();   // the catalogue's trie; the model is not owned by the recommender
        _model.Release();
    }

    /// <summary>The same run with more items: the model is shared, the catalogue rebuilt.</summary>
    internal ServedModel WithAdded(IReadOnlyList<AddedItem> added)
    {
        _model.AddRef();
        try { return Build(_model, added); }
        catch { _model.Release(); throw; }
    }

    internal static ServedModel Build(SharedModel model, IReadOnlyList<AddedItem> added)
    {
        var run = model.Run;
        var codes = run.Index.Codes.Concat(added.Select(a => a.Codes)).ToArray();
        var index = new ItemIndex(codes, run.Index.LevelPrefixes);
        var popularity = run.Popularity.Concat(Enumerable.Repeat(0, added.Count)).ToArray();
        var recommender = run.Opened.Model.Recommender(index, popularity);
        // concurrent requests rarely share a history length: a generator that can pads them into one batch
        if (recommender.Generator is IMixedLengthGenerator mixed) mixed.PadInputs = true;
        return new ServedModel(model, recommender, run, added);
    }

    /// <summary>Loads a run folder of any registered kind (a 'letter run' folder with its model and tokenizer/, or a 'letter train' folder) with the items added to it.</summary>
    public static ServedModel Load(string runDirectory, bool bf16 = false, ComputeDevice device = default)
    {
        var shared = new SharedModel(ServedRun.Read(runDirectory, bf16, device));
        try
        {
            var model = Build(shared, ReadAdded(shared.Run));
            SyncItemMap(model);
            return model;
        }
        catch
        {
            shared.Release();
            throw;
        }
    }

    internal static IReadOnlyList<AddedItem> ReadAdded(ServedRun run)
    {
        var file = run.AddedItemsFile;
        if (!File.Exists(file)) return [];
        List<AddedItem>? items;
        try { items = JsonSerializer.Deserialize<List<AddedItem>>(File.ReadAllText(file), JsonOptions); }
        catch (JsonException e) { throw new LetterDataException(file, null, $"is not a list of added items: {e.Message}"); }
        items ??= [];
        var sizes = run.CodebookSizes;
        for (int i = 0; i < items.Count; i++)
        {
            var a = items[i];
            if (a.Item != run.Index.ItemCount + i)
                throw new LetterDataException(file, $"entry {i}", $"has item {a.Item}, expected {run.Index.ItemCount + i} (items are added after the {run.Index.ItemCount} trained ones, in order)");
            if (a.Codes is null || a.Codes.Length != run.Index.Levels || a.Codes.Select((c, l) => c < 0 || c >= sizes[l]).Any(b => b))
                throw new LetterDataException(file, $"item {a.Item}", $"has no valid identifier of {run.Index.Levels} codes within the model's codebooks");
            if (a.Id is null && run.Ids.HasItemMap)
                throw new LetterDataException(file, $"item {a.Item}", "has no id, but the run's items have dataset ids (an item map)");
        }
        // ids name one item each: none taken by a trained item or by an earlier added one
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in items)
        {
            var id = IdOf(a);
            if (run.Ids.Item(id) is int trained)
                throw new LetterDataException(file, $"item {a.Item}", $"has the id {Quoted.Quote(id)} of trained item {trained}");
            if (!taken.Add(id)) throw new LetterDataException(file, $"item {a.Item}", $"has the id {Quoted.Quote(id)} of an earlier added item");
        }
        return items;
    }

    /// <summary>
    /// Persists the added items: first the run folder's item map grown by their ids (when the run's items
    /// have dataset ids), so the CLI on the folder sees them, then <c>added-items.json</c>, the source of
    /// truth every load replays. Each file is written atomically; a failure between the two leaves only
    /// map entries beyond what is added, which no reader takes (they are rewritten at the next load or addition).
    /// </summary>
    internal static void WriteAdded(ServedRun run, IReadOnlyList<AddedItem> items, RunIds ids)
    {
        if (run.Ids.HasItemMap) ids.WriteItemMap(run.Opened.Folder);
        AtomicFile.WriteAllText(run.AddedItemsFile, JsonSerializer.Serialize(items, JsonOptions));
    }

    /// <summary>
    /// At load: the run folder's item map brought in line with <c>added-items.json</c> when they differ (the
    /// map was written, the additions not; or an older service kept no map). A run whose map is its
    /// dataset's and that has no added items is left alone. A folder the server may not write is left as it
    /// is: the map is a copy, the added items file is what the service reads.
    /// </summary>
    private static void SyncItemMap(ServedModel model)
    {
        var run = model.Run;
        if (!run.Ids.HasItemMap) return;
        var file = run.Opened.Folder.ItemIdsFile;
        bool own = File.Exists(file);
        if (!own && model.Added.Count == 0) return;
        try
        {
            if (own && IdMaps.ReadMap(file).SequenceEqual(model.Ids.ItemIds(), StringComparer.Ordinal)) return;
        }
        catch (LetterDataException) { } // a damaged copy: written again below
        try { model.Ids.WriteItemMap(run.Opened.Folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Letter's one JSON dialect for the files it writes (snake_case); the fields are single words, so files written before read alike.</summary>
    internal static readonly JsonSerializerOptions JsonOptions = new(LetterJson.Options) { PropertyNameCaseInsensitive = true };
}
