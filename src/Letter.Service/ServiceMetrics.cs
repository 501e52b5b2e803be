using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Letter.Service;

/// <summary>A Prometheus histogram: cumulative bucket counts, sum and count (lock-free adds).</summary>
internal sealed class Histogram(double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1];
    private long _count;
    private double _sum;
    private readonly object _sumLock = new();

    public double[] Bounds { get; } = bounds;

    public void Observe(double value)
    {
        int i = 0;
        while (i < Bounds.Length && value > Bounds[i]) i++;
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Increment(ref _count);
        lock (_sumLock) _sum += value;
    }

    public long Count => Interlocked.Read(ref _count);

    public void Write(StringBuilder sb, string name, string labels)
    {
        long cumulative = 0;
        var sep = labels.Length > 0 ? "," : "";
        for (int i = 0; i < Bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _counts[i]);
            sb.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"").Append(Format(Bounds[i])).Append("\"} ").Append(cumulative).Append('\n');
        }
        cumulative += Interlocked.Read(ref _counts[^1]);
        sb.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"+Inf\"} ").Append(cumulative).Append('\n');
        double sum;
        lock (_sumLock) sum = _sum;
        sb.Append(name).Append("_sum").Append(labels.Length > 0 ? "{" + labels + "}" : "").Append(' ').Append(Format(sum)).Append('\n');
        sb.Append(name).Append("_count").Append(labels.Length > 0 ? "{" + labels + "}" : "").Append(' ').Append(cumulative).Append('\n');
    }

    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>The service's metrics in the Prometheus text format (version 0.0.4), written by hand: a few counters and histograms.</summary>
public sealed class ServiceMetrics
{
    private static readonly double[] LatencyBounds = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly ConcurrentDictionary<string, Histogram> _latency = new();
    private readonly ConcurrentDictionary<(string Endpoint, int Status), long[]> _requests = new();
    private readonly ConcurrentDictionary<string, long[]> _errors = new();
    private long _cancelled, _rejected, _reloads, _reloadFailures, _itemsAdded, _decodedHistories;

    internal Histogram BatchSizes { get; } = new(BatchBounds);
    internal Histogram DecodeSeconds { get; } = new(LatencyBounds);

    /// <summary>Decodings waiting for the decoder (set by the queue).</summary>
    public Func<int> QueueLength { get; set; } = () => 0;
    public Func<(int Items, bool Ready)> ModelState { get; set; } = () => (0, false);

    public void Request(string endpoint, int status, double seconds)
    {
        _latency.GetOrAdd(endpoint, _ => new Histogram(LatencyBounds)).Observe(seconds);
        Interlocked.Increment(ref _requests.GetOrAdd((endpoint, status), _ => new long[1])[0]);
    }

    /// <summary>An error by kind: bad_request, queue_full, not_ready, conflict, internal, decode.</summary>
    public void Error(string kind) => Interlocked.Increment(ref _errors.GetOrAdd(kind, _ => new long[1])[0]);
    public void Cancelled() => Interlocked.Increment(ref _cancelled);
    public void Rejected() => Interlocked.Increment(ref _rejected);
    public void Reloaded(bool ok)
    {
        if (ok) Interlocked.Increment(ref _reloads);
        else Interlocked.Increment(ref _reloadFailures);
    }
    public void ItemsAdded(int n) => Interlocked.Add(ref _itemsAdded, n);
    public void Decoded(int histories, double seconds)
    {
        BatchSizes.Observe(histories);
        DecodeSeconds.Observe(seconds);
        Interlocked.Add(ref _decodedHistories, histories);
    }

    public long CancelledCount => Interlocked.Read(ref _cancelled);
    public long DecodedHistories => Interlocked.Read(ref _decodedHistories);
    public long ErrorCount(string kind) => _errors.TryGetValue(kind, out var c) ? Interlocked.Read(ref c[0]) : 0;

    public string Render()
    {
        var sb = new StringBuilder();
        sb.Append("# HELP letter_request_duration_seconds Time from request start to response, by endpoint.\n# TYPE letter_request_duration_seconds histogram\n");
        foreach (var (endpoint, h) in _latency.OrderBy(p => p.Key, StringComparer.Ordinal)) h.Write(sb, "letter_request_duration_seconds", $"endpoint=\"{Escape(endpoint)}\"");
        sb.Append("# HELP letter_requests_total Requests answered, by endpoint and status code.\n# TYPE letter_requests_total counter\n");
        foreach (var ((endpoint, status), c) in _requests.OrderBy(p => p.Key.Endpoint, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
            sb.Append($"letter_requests_total{{endpoint=\"{Escape(endpoint)}\",status=\"{status}\"}} {Interlocked.Read(ref c[0])}\n");
        sb.Append("# HELP letter_errors_total Refused or failed requests, by kind.\n# TYPE letter_errors_total counter\n");
        foreach (var (kind, c) in _errors.OrderBy(p => p.Key, StringComparer.Ordinal))
            sb.Append($"letter_errors_total{{kind=\"{kind}\"}} {Interlocked.Read(ref c[0])}\n");
        sb.Append("# HELP letter_batch_size Histories decoded together in one call of the beam search.\n# TYPE letter_batch_size histogram\n");
        BatchSizes.Write(sb, "letter_batch_size", "");
        sb.Append("# HELP letter_decode_duration_seconds Time of one batched decoding.\n# TYPE letter_decode_duration_seconds histogram\n");
        DecodeSeconds.Write(sb, "letter_decode_duration_seconds", "");
        sb.Append("# HELP letter_queue_length Decodings waiting for the decoder.\n# TYPE letter_queue_length gauge\n");
        sb.Append($"letter_queue_length {QueueLength()}\n");
        sb.Append("# HELP letter_decoded_histories_total Histories decoded.\n# TYPE letter_decoded_histories_total counter\n");
        sb.Append($"letter_decoded_histories_total {DecodedHistories}\n");
        sb.Append("# HELP letter_queue_rejected_total Requests refused with 503 because the queue was full.\n# TYPE letter_queue_rejected_total counter\n");
        sb.Append($"letter_queue_rejected_total {Interlocked.Read(ref _rejected)}\n");
        sb.Append("# HELP letter_cancelled_total Decodings dropped because the client went away.\n# TYPE letter_cancelled_total counter\n");
        sb.Append($"letter_cancelled_total {CancelledCount}\n");
        sb.Append("# HELP letter_reloads_total Model reloads, by outcome.\n# TYPE letter_reloads_total counter\n");
        sb.Append($"letter_reloads_total{{outcome=\"ok\"}} {Interlocked.Read(ref _reloads)}\n");
        sb.Append($"letter_reloads_total{{outcome=\"failed\"}} {Interlocked.Read(ref _reloadFailures)}\n");
        sb.Append("# HELP letter_items_added_total Items added through POST /v1/items since start.\n# TYPE letter_items_added_total counter\n");
        sb.Append($"letter_items_added_total {Interlocked.Read(ref _itemsAdded)}\n");
        var (items, ready) = ModelState();
        sb.Append("# HELP letter_catalog_items Items the served model can recommend.\n# TYPE letter_catalog_items gauge\n");
        sb.Append($"letter_catalog_items {items}\n");
        sb.Append("# HELP letter_ready 1 once the model has loaded and decoded once.\n# TYPE letter_ready gauge\n");
        sb.Append($"letter_ready {(ready ? 1 : 0)}\n");
        sb.Append("# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\n");
        sb.Append($"process_resident_memory_bytes {Environment.WorkingSet}\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
