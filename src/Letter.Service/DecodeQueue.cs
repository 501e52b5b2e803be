using System.Diagnostics;
using Letter.Generation;

namespace Letter.Service;

/// <summary>One history to decode, on the model it was validated against.</summary>
/// <param name="request">the request it belongs to (its identity only): the decoder takes turns between requests</param>
/// <param name="query">the library's checked query (<see cref="GenerativeRecommender.Prepare"/>)</param>
internal sealed class DecodeJob(ServedModel model, RecommendationQuery query, CancellationToken cancel, object request)
{
    public object Request { get; } = request;
    public ServedModel Model { get; } = model;
    public RecommendationQuery Query { get; } = query;
    public int[] History => Query.History;
    public int Beam => Query.Beam;
    public ItemFilter? Filter => Query.Filter;
    public CancellationToken Cancel { get; } = cancel;
    public TaskCompletionSource<Beam[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The one thread that runs torch work: it gathers waiting decodings into batches (at most
/// <c>maxBatch</c> histories and <c>maxBeams</c> beams in all, waiting at most <c>maxWait</c> after the
/// first for more), taking turns between the requests that wait (one history of each in turn), so a large
/// batch request is decoded in parts and a small request sent meanwhile waits for one part, not for the
/// whole batch. After a large decoding, once nothing waits, the memory it freed is handed back to the
/// system (<see cref="MemoryTrim"/>). It runs the
/// exclusive jobs (warm-up, adding items) between batches. The queue of decodings is bounded: a full
/// queue refuses at once, so the caller can answer 503. Jobs whose client went away are dropped before
/// decoding. Disposing drains what is queued, then stops the thread.
/// </summary>
internal sealed class DecodeQueue : IDisposable
{
    private readonly object _lock = new();
    private readonly LinkedList<object> _queue = new(); // DecodeJob or Exclusive
    private readonly int _maxBatch, _maxBeams, _capacity, _threads;
    private readonly TimeSpan _maxWait;
    private readonly ServiceMetrics _metrics;
    private readonly Thread _thread;
    private bool _paused;
    private int _decodes;
    private int _arriving;
    private bool _closed;

    private sealed record Exclusive(Action Run, TaskCompletionSource Done);

    public DecodeQueue(int maxBatch, int maxBeams, TimeSpan maxWait, int capacity, int threads, ServiceMetrics metrics)
    {
        _maxBatch = maxBatch;
        _maxBeams = maxBeams;
        _maxWait = maxWait;
        _capacity = capacity;
        _threads = threads;
        _metrics = metrics;
        metrics.QueueLength = () => Volatile.Read(ref _decodes);
        _thread = new Thread(Loop) { Name = "letter-decoder", IsBackground = true };
        _thread.Start();
    }

    public int Length => Volatile.Read(ref _decodes);

    /// <summary>
    /// A request is being read and checked and will likely queue a decoding: while any is, the decoder waits
    /// (up to the maximum wait) for it to join the batch; when none is, it decodes at once, so a lone request
    /// pays no batching delay.
    /// </summary>
    public IDisposable Arriving()
    {
        Interlocked.Increment(ref _arriving);
        return new ArrivalToken(this);
    }

    private sealed class ArrivalToken(DecodeQueue queue) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            if (Interlocked.Decrement(ref queue._arriving) == 0)
                lock (queue._lock) Monitor.PulseAll(queue._lock); // a decoder waiting for it decodes now
        }
    }

    /// <summary>Queues decodings; false (nothing queued) when they do not all fit or the queue is closed.</summary>
    /// <param name="arrival">the request's <see cref="Arriving"/> token, ended here with the queueing (atomically for the decoder)</param>
    public bool TryEnqueue(IReadOnlyList<DecodeJob> jobs, IDisposable? arrival = null)
    {
        lock (_lock)
        {
            if (_closed || _decodes + jobs.Count > _capacity) return false;
            foreach (var j in jobs) _queue.AddLast(j);
            _decodes += jobs.Count;
            arrival?.Dispose();
            Monitor.PulseAll(_lock);
            return true;
        }
    }

    /// <summary>Runs <paramref name="action"/> on the decoder thread, between batches (not counted against the capacity).</summary>
    public Task RunExclusive(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_closed) throw new ObjectDisposedException(nameof(DecodeQueue), "the server is shutting down");
            _queue.AddLast(new Exclusive(action, done));
            Monitor.PulseAll(_lock);
        }
        return done.Task;
    }

    /// <summary>Holds the decoder before its next batch (tests: fill the queue, cancel a waiting request).</summary>
    internal void Pause()
    {
        lock (_lock) _paused = true;
    }

    internal void Resume()
    {
        lock (_lock)
        {
            _paused = false;
            Monitor.PulseAll(_lock);
        }
    }

    private void Loop()
    {
        TorchSharp.torch.set_num_threads(_threads); // intra-op threads are set per calling thread under OpenMP
        while (true)
        {
            object first;
            lock (_lock)
            {
                while ((_queue.Count == 0 || _paused) && !_closed) Monitor.Wait(_lock);
                if (_queue.Count == 0) return; // closed and drained
                first = _queue.First!.Value;
                _queue.RemoveFirst();
                if (first is DecodeJob) _decodes--;
            }
            if (first is Exclusive ex)
            {
                try
                {
                    ex.Run();
                    ex.Done.SetResult();
                }
                catch (Exception e) { ex.Done.SetException(e); }
                finally { TorchSharp.torch.set_num_threads(_threads); } // e.g. the tokenizer sets its own
                continue;
            }
            var batch = new List<DecodeJob> { (DecodeJob)first };
            var deadline = Stopwatch.GetTimestamp() + (long)(_maxWait.TotalSeconds * Stopwatch.Frequency);
            lock (_lock)
            {
                while (true)
                {
                    var taken = Take(batch);
                    bool exclusiveWaits = _queue.Any(o => o is Exclusive);
                    if (Full(batch, taken) || exclusiveWaits || _closed || Volatile.Read(ref _arriving) == 0)
                    {
                        Remove(taken, batch);
                        break;
                    }
                    var left = deadline - Stopwatch.GetTimestamp();
                    if (left <= 0)
                    {
                        Remove(taken, batch);
                        break;
                    }
                    Monitor.Wait(_lock, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
                }
            }
            Decode(batch);
            if (batch.Sum(j => j.Beam) >= MemoryTrim.AfterBeams && Length == 0) MemoryTrim.Trim();
        }
    }

    private bool Full(List<DecodeJob> batch, List<LinkedListNode<object>> taken) =>
        batch.Count + taken.Count >= _maxBatch || batch.Sum(j => j.Beam) + taken.Sum(n => ((DecodeJob)n.Value).Beam) >= _maxBeams;

    /// <summary>
    /// The queued decodings (before the first exclusive job) that join <paramref name="batch"/>: one history of
    /// each waiting request in turn, in the order the requests queued, within the history and beam budgets.
    /// </summary>
    private List<LinkedListNode<object>> Take(List<DecodeJob> batch)
    {
        var perRequest = new List<Queue<LinkedListNode<object>>>();
        var index = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        for (var node = _queue.First; node is not null && node.Value is DecodeJob job; node = node.Next)
        {
            if (!index.TryGetValue(job.Request, out var r))
            {
                index[job.Request] = r = perRequest.Count;
                perRequest.Add(new Queue<LinkedListNode<object>>());
            }
            perRequest[r].Enqueue(node);
        }
        // the first job's own request goes last in the first turn: the others have waited behind it
        var firstRequest = batch[0].Request;
        if (index.TryGetValue(firstRequest, out var own) && perRequest.Count > 1)
        {
            var q = perRequest[own];
            perRequest.RemoveAt(own);
            perRequest.Add(q);
        }
        var taken = new List<LinkedListNode<object>>();
        int count = batch.Count, beams = batch.Sum(j => j.Beam);
        bool any = true;
        while (any && count < _maxBatch)
        {
            any = false;
            foreach (var q in perRequest)
            {
                if (q.Count == 0 || count >= _maxBatch) continue;
                var next = (DecodeJob)q.Peek().Value;
                if (beams + next.Beam > _maxBeams) continue;
                taken.Add(q.Dequeue());
                count++;
                beams += next.Beam;
                any = true;
            }
        }
        return taken;
    }

    private void Remove(List<LinkedListNode<object>> taken, List<DecodeJob> batch)
    {
        foreach (var node in taken)
        {
            _queue.Remove(node);
            _decodes--;
            batch.Add((DecodeJob)node.Value);
        }
    }

    private void Decode(List<DecodeJob> batch)
    {
        var live = new List<DecodeJob>(batch.Count);
        foreach (var job in batch)
        {
            if (job.Cancel.IsCancellationRequested)
            {
                _metrics.Cancelled();
                job.Done.TrySetCanceled(job.Cancel);
                job.Model.Release();
            }
            else live.Add(job);
        }
        // one beam search per (model, beam): a reload or new item mid-batch leaves jobs on the model they were checked against
        foreach (var group in live.GroupBy(j => (j.Model, j.Beam)))
        {
            var jobs = group.ToList();
            try
            {
                var clock = Stopwatch.StartNew();
                var filters = jobs.Any(j => j.Filter is not null) ? jobs.Select(j => j.Filter).ToList() : null;
                var result = group.Key.Model.Recommender.Decode(jobs.Select(j => j.History).ToList(), group.Key.Beam, batchUsers: _maxBatch, filters: filters);
                _metrics.Decoded(jobs.Count, clock.Elapsed.TotalSeconds);
                for (int i = 0; i < jobs.Count; i++) jobs[i].Done.TrySetResult(result[i]);
            }
            catch (Exception e)
            {
                _metrics.Refused("decode");
                foreach (var j in jobs) j.Done.TrySetException(e);
            }
            finally
            {
                foreach (var j in jobs) j.Model.Release();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true;
            _paused = false;
            Monitor.PulseAll(_lock);
        }
        _thread.Join();
    }
}
