using Letter.IO;
using Letter.Tokenization;
using Microsoft.Extensions.Logging;

namespace Letter.Service;

/// <summary>
/// The served model and everything that replaces it: the first load (in the background, so
/// <c>/health/live</c> answers at once), reloads and added items. A replacement is loaded and decodes
/// once before it is swapped in; decodings already queued finish on the model they were checked
/// against, so no request fails across a swap.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly ServeOptions _options;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _changes = new(1, 1);
    private volatile ServedModel? _current;
    private volatile string? _loadError;
    private Task? _initial;
    private readonly object _initialLock = new();

    internal DecodeQueue Queue { get; }
    /// <summary>Answers of repeated requests, valid for one model generation (a reload or new items start afresh).</summary>
    internal AnswerCache Answers { get; }
    public ServiceMetrics Metrics { get; }

    public ModelHost(ServeOptions options, ServiceMetrics metrics, ILogger<ModelHost> log)
    {
        _options = options;
        _log = log;
        Metrics = metrics;
        Queue = new DecodeQueue(options.MaxBatch, options.MaxBatchBeams, TimeSpan.FromMilliseconds(options.MaxWaitMs), options.QueueCapacity,
            options.EffectiveLanes, options.EffectiveLaneThreads, options.LargeRequestBeams, metrics);
        Answers = new AnswerCache(options.AnswerCacheEntries, metrics);
        metrics.ModelState = () => (_current?.ItemCount ?? 0, _current is not null);
    }

    public ServeOptions Options => _options;
    public bool Ready => _current is not null;
    /// <summary>Why the first load failed, or null.</summary>
    public string? LoadError => _loadError;

    /// <summary>Starts the first load (once); the task ends when the model has decoded once (or failed).</summary>
    public Task StartLoading()
    {
        lock (_initialLock) _initial ??= Task.Run(async () =>
        {
            try
            {
                await SwapInAsync(() => ServedModel.Load(_options.RunDirectory, _options.Bf16, _options.Device));
                _log.LogInformation("serving {Run}: {Items} items, model version {Version}", _current!.RunName, _current.ItemCount, _current.Version);
            }
            catch (Exception e)
            {
                _loadError = e is LetterDataException ? e.Message : $"{e.GetType().Name}: {e.Message}";
                _log.LogError(e, "loading {Run} failed", _options.RunDirectory);
                throw;
            }
        });
        return _initial;
    }

    /// <summary>The current model with a reference held (release it), or null while none is loaded.</summary>
    internal ServedModel? Acquire()
    {
        while (true)
        {
            var m = _current;
            if (m is null) return null;
            if (m.TryAcquire()) return m;
        }
    }

    /// <summary>Loads the run folder again (a new checkpoint, a new run put in its place) and swaps it in.</summary>
    public async Task<ServedModel> ReloadAsync(CancellationToken cancel = default)
    {
        await _changes.WaitAsync(cancel);
        try
        {
            await SwapInAsync(() => ServedModel.Load(_options.RunDirectory, _options.Bf16, _options.Device));
            Metrics.Reloaded(true);
            return _current!;
        }
        catch
        {
            Metrics.Reloaded(false);
            throw;
        }
        finally { _changes.Release(); }
    }

    /// <summary>
    /// Gives new items identifiers from the run's tokenizer, persists them, and swaps in the extended catalogue.
    /// Idempotent per caller id: an item whose id was added before with the same content is answered with that
    /// item (nothing added); the same id with other content is a conflict. Additions run one at a time and are
    /// persisted before they are served, so an interrupted request leaves its items all added or all absent.
    /// </summary>
    /// <returns>per asked item the item that answers it, and whether any was new</returns>
    public async Task<(IReadOnlyList<AddedItem> Items, bool Added)> AddItemsAsync(IReadOnlyList<NewItemSpec> asked, CancellationToken cancel = default)
    {
        await _changes.WaitAsync(cancel);
        try
        {
            var current = Acquire() ?? throw new ServiceUnavailableException("the model is still loading");
            try
            {
                var run = current.Run;
                var answers = new AddedItem?[asked.Count];
                var contents = asked.Select(a => a.ContentHash()).ToArray();
                for (int i = 0; i < asked.Count; i++)
                {
                    if (asked[i].Id is { } id) answers[i] = current.Existing(id, contents[i], IdField(asked[i].Field));
                    else if (current.NeedsItemIds)
                        throw new BadRequestException(IdField(asked[i].Field), null,
                            "the run's items have dataset ids (an item map, item2id): give the new item its id, the id your data knows it by");
                }
                var fresh = Enumerable.Range(0, asked.Count).Where(i => answers[i] is null).ToList();
                if (fresh.Count == 0) return (answers!, false);
                var items = fresh.Select(i => asked[i]).ToList();
                var tokenizer = run.Tokenizer ?? throw new ConflictException("embedding", null, run.TokenizerUnavailable!);
                int dim = tokenizer.InputDim;
                var data = new float[items.Count * dim];
                for (int i = 0; i < items.Count; i++) items[i].Embedding?.CopyTo(data, i * dim);
                var texts = Enumerable.Range(0, items.Count).Where(i => items[i].Embedding is null).ToList();
                if (texts.Count > 0 && run.TextEncoder is null) throw new ConflictException("text", null, run.TextUnavailable!);
                List<AddedItem>? added = null;
                ServedModel? next = null;
                await Queue.RunExclusive(() =>
                {
                    if (texts.Count > 0)
                    {
                        // the run's own encoder settings, on the decoder thread: ONNX Runtime and libtorch never run at once
                        using var encoder = new Letter.Embeddings.BertEncoder(run.TextEncoder!.Options with { Threads = _options.Threads });
                        var vectors = encoder.Encode(texts.Select(i => items[i].Text!).ToList());
                        for (int j = 0; j < texts.Count; j++) vectors.Row(j).CopyTo(data.AsSpan(texts[j] * dim, dim));
                    }
                    // torch work on the decoder thread, between batches
                    EmbeddingCheck.Check(tokenizer.Directory, data, items.Select(x => x.Embedding is null ? x.Field + "text" : x.Field + "embedding").ToList());
                    var codes = TokenizerPipeline.AssignNew(tokenizer.Directory, new FloatMatrix(data, items.Count, dim),
                        keepDistinctFromIndex: true, alsoOccupied: current.Catalog.Index.Codes);
                    for (int i = 0; i < codes.Length; i++)
                        for (int l = 0; l < codes[i].Length; l++)
                            if (codes[i][l] >= run.CodebookSizes[l])
                                throw new ConflictException("embedding", null,
                                    $"the tokenizer gave item {i} code {codes[i][l]} at level {l}, which the model never saw in training (its index uses codes 0-{run.CodebookSizes[l] - 1} there)");
                    var stamp = DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
                    added = current.Added.Concat(codes.Select((c, i) => new AddedItem(current.ItemCount + i, c,
                        items[i].Title.Length > 0 ? items[i].Title : $"item {current.ItemCount + i}", stamp, items[i].Id, contents[fresh[i]]))).ToList();
                    next = current.WithAdded(added);
                    Warm(next);
                });
                try { ServedModel.WriteAdded(run, added!, next!.Ids); } // persisted before it is served: a restart replays it
                catch
                {
                    next!.Release();
                    throw;
                }
                Swap(next!);
                Metrics.ItemsAdded(items.Count);
                var made = added!.Skip(current.Added.Count).ToList();
                for (int j = 0; j < fresh.Count; j++) answers[fresh[j]] = made[j];
                return (answers!, true);
            }
            finally { current.Release(); }
        }
        finally { _changes.Release(); }
    }

    private static string IdField(string prefix) => prefix + "id";

    private async Task SwapInAsync(Func<ServedModel> load)
    {
        var next = await Task.Run(load); // off the decoder thread: decoding goes on meanwhile
        try { await Queue.RunExclusive(() => Warm(next)); }
        catch
        {
            next.Release();
            throw;
        }
        Swap(next);
    }

    /// <summary>One decoding on a model before it serves (readiness means it has decoded once).</summary>
    private static void Warm(ServedModel model) =>
        model.Recommender.Decode([[0]], Math.Min(model.Recommender.Beam, model.Catalog.IdentifierCount), batchUsers: 1);

    private void Swap(ServedModel next)
    {
        var old = Interlocked.Exchange(ref _current, next);
        old?.Release(); // freed once the decodings queued on it are done
    }

    public void Dispose()
    {
        Queue.Dispose(); // drains queued decodings first
        Interlocked.Exchange(ref _current, null)?.Release();
    }
}
