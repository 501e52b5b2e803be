using System.Diagnostics.Metrics;

namespace Letter.Service;

/// <summary>
/// The service's own instruments (<see cref="System.Diagnostics.Metrics"/>, meter <c>Letter.Service</c>),
/// exported at <c>/metrics</c> by OpenTelemetry's Prometheus exporter beside ASP.NET Core's request metrics
/// (<c>http.server.request.duration</c> by route and status) and the runtime's (<c>dotnet.process.memory.working_set</c>).
/// What ASP.NET Core measures (requests, their duration and status) is not measured again here.
/// </summary>
public sealed class ServiceMetrics : IDisposable
{
    public const string MeterName = "Letter.Service";

    private readonly Meter _meter;
    private readonly Counter<long> _refused, _clientGone, _cancelled, _rejected, _reloads, _itemsAdded, _decodedHistories;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _decodeSeconds;
    private readonly Counter<double> _laneBusy;
    private readonly Counter<long> _cacheHits, _cacheMisses;
    private long _decoded, _cancelledCount, _hits, _misses;

    /// <summary>Decodings waiting for the decoder (set by the queue).</summary>
    public Func<int> QueueLength { get; set; } = () => 0;
    /// <summary>Decoder lanes decoding (or running an exclusive job) now (set by the queue).</summary>
    public Func<int> BusyLanes { get; set; } = () => 0;
    public Func<(int Items, bool Ready)> ModelState { get; set; } = () => (0, false);

    public ServiceMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _refused = _meter.CreateCounter<long>("letter.service.refusals", "{request}", "Requests refused or failed, by reason (bad_request, conflict, not_found, cost_limit, queue_full, not_ready, internal, decode).");
        _clientGone = _meter.CreateCounter<long>("letter.service.client_gone", "{request}", "Requests whose client went away (reset or closed) before they were read or answered, by endpoint: not errors of the server.");
        _cancelled = _meter.CreateCounter<long>("letter.service.decodings.cancelled", "{history}", "Queued decodings dropped because their client went away.");
        _rejected = _meter.CreateCounter<long>("letter.service.queue.rejected", "{request}", "Requests refused with 503 because the decoding queue was full.");
        _reloads = _meter.CreateCounter<long>("letter.service.reloads", "{reload}", "Model reloads, by outcome (ok, failed).");
        _itemsAdded = _meter.CreateCounter<long>("letter.service.items.added", "{item}", "Items added through POST /v1/items since start.");
        _decodedHistories = _meter.CreateCounter<long>("letter.service.decoded_histories", "{history}", "Histories decoded.");
        _batchSize = _meter.CreateHistogram<int>("letter.service.decode.batch_size", "{history}", "Histories decoded together in one call of the beam search.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        _decodeSeconds = _meter.CreateHistogram<double>("letter.service.decode.duration", "s", "Time of one batched decoding.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10] });
        _laneBusy = _meter.CreateCounter<double>("letter.service.lane.busy", "s", "Time each decoder lane spent decoding, by lane: busy share = rate of this.");
        _meter.CreateObservableGauge("letter.service.lanes.busy", () => BusyLanes(), "{lane}", "Decoder lanes decoding or running an exclusive job now.");
        _cacheHits = _meter.CreateCounter<long>("letter.service.answer_cache.hits", "{request}", "Recommendations answered from the answer cache (the same history or user and options on the same model).");
        _cacheMisses = _meter.CreateCounter<long>("letter.service.answer_cache.misses", "{request}", "Recommendations looked up in the answer cache and decoded.");
        _meter.CreateObservableGauge("letter.service.answer_cache.hit_ratio", () => HitRatio, null, "Share of cache look-ups answered from the cache since start (0 before any).");
        _meter.CreateObservableGauge("letter.service.queue.length", () => QueueLength(), "{history}", "Decodings waiting for the decoder.");
        _meter.CreateObservableGauge("letter.service.catalog.items", () => ModelState().Items, "{item}", "Items the served model can recommend.");
        _meter.CreateObservableGauge("letter.service.ready", () => ModelState().Ready ? 1 : 0, null, "1 once the model has loaded and decoded once.");
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
    public void ClientGone(string endpoint) => _clientGone.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));
    public void Cancelled()
    {
        Interlocked.Increment(ref _cancelledCount);
        _cancelled.Add(1);
    }
    public void Rejected() => _rejected.Add(1);
    public void Reloaded(bool ok) => _reloads.Add(1, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));
    public void ItemsAdded(int n) => _itemsAdded.Add(n);
    public void Decoded(int histories, double seconds)
    {
        _batchSize.Record(histories);
        _decodeSeconds.Record(seconds);
        _decodedHistories.Add(histories);
        Interlocked.Add(ref _decoded, histories);
    }

    public void LaneBusy(int lane, double seconds) => _laneBusy.Add(seconds, new KeyValuePair<string, object?>("lane", lane));

    public void AnswerCacheLookup(bool hit)
    {
        if (hit)
        {
            Interlocked.Increment(ref _hits);
            _cacheHits.Add(1);
        }
        else
        {
            Interlocked.Increment(ref _misses);
            _cacheMisses.Add(1);
        }
    }

    /// <summary>Share of answer-cache look-ups answered from it since start (0 before any).</summary>
    public double HitRatio
    {
        get
        {
            long hits = Interlocked.Read(ref _hits), all = hits + Interlocked.Read(ref _misses);
            return all == 0 ? 0 : (double)hits / all;
        }
    }

    public long CacheHits => Interlocked.Read(ref _hits);

    /// <summary>Read back in process (tests, the log): the exported counters are write-only.</summary>
    public long CancelledCount => Interlocked.Read(ref _cancelledCount);
    public long DecodedHistories => Interlocked.Read(ref _decoded);

    public void Dispose() => _meter.Dispose();
}
