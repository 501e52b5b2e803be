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
    /// <summary>Its request asks for more beams in all than the queue's large-request budget: it may hold one lane at a time (set when queued).</summary>
    public bool Large { get; internal set; }
    /// <summary>Its model's generator decodes on one lane at a time (<see cref="IIdentifierGenerator.ConcurrentDecoding"/> false).</summary>
    public bool Solo => !Model.Recommender.Generator.ConcurrentDecoding;
}

/// <summary>What a lane starts or ends (the test hook <see cref="DecodeQueue.Observer"/>).</summary>
internal enum LaneEventKind
{
    BatchStart,
    BatchEnd,
    ExclusiveStart,
    ExclusiveEnd,
}

/// <param name="Jobs">the batch's decodings (empty for an exclusive job)</param>
internal sealed record LaneEvent(int Lane, LaneEventKind Kind, IReadOnlyList<DecodeJob> Jobs);

/// <summary>
/// The decoder lanes of the service and the one queue they pull from. Each lane is a thread of a
/// <see cref="DecoderLanes"/> pool with its own torch thread count; a free lane gathers waiting decodings
/// into a batch (at most <c>maxBatch</c> histories and <c>maxBeams</c> beams, waiting at most <c>maxWait</c>
/// after the first for requests being read), taking turns between the requests that wait (one history of
/// each in turn), and decodes it while the other lanes decode theirs on the same model. A large request
/// (more than <c>largeBeams</c> beams in all) is decoded on at most one lane at a time, and large requests
/// together hold at most all lanes but one, so a small request sent meanwhile finds a lane. Exclusive jobs
/// (warm-up, adding items) run when no lane decodes: lanes start nothing new while one waits at the head of
/// the queue, then one lane runs it and the others resume after. A model whose generator cannot decode
/// concurrently is decoded on one lane at a time. After a large decoding, once nothing waits or decodes,
/// the memory it freed is handed back to the system (<see cref="MemoryTrim"/>). The queue of decodings is
/// bounded: a full queue refuses at once, so the caller can answer 503. Jobs whose client went away are
/// dropped before decoding. Disposing drains what is queued, then stops the lanes.
/// </summary>
internal sealed class DecodeQueue : IDisposable
{
    private readonly object _lock = new();
    private readonly LinkedList<object> _queue = new(); // DecodeJob or Exclusive
    private readonly int _maxBatch, _maxBeams, _capacity, _largeBeams, _maxLargeLanes;
    private readonly TimeSpan _maxWait;
    private readonly ServiceMetrics _metrics;
    private readonly DecoderLanes _lanes;
    private readonly Task[] _loops;
    private readonly List<DecodeJob>?[] _decoding; // per lane, the batch it decodes, or null
    private bool _paused;
    private bool _exclusiveRuns;
    private int _decodes;
    private int _arriving;
    private bool _closed;

    private sealed record Exclusive(Action Run, TaskCompletionSource Done);

    /// <param name="lanes">decoder lanes (threads)</param>
    /// <param name="laneThreads">torch intra-op threads of each lane</param>
    /// <param name="largeBeams">beams in all above which a request is large (decoded on one lane at a time)</param>
    public DecodeQueue(int maxBatch, int maxBeams, TimeSpan maxWait, int capacity, int lanes, int laneThreads, int largeBeams, ServiceMetrics metrics)
    {
        _maxBatch = maxBatch;
        _maxBeams = maxBeams;
        _maxWait = maxWait;
        _capacity = capacity;
        _largeBeams = largeBeams;
        _maxLargeLanes = Math.Max(1, lanes - 1);
        _metrics = metrics;
        _decoding = new List<DecodeJob>?[lanes];
        metrics.QueueLength = () => Volatile.Read(ref _decodes);
        metrics.BusyLanes = () => { lock (_lock) return _decoding.Count(b => b is not null) + (_exclusiveRuns ? 1 : 0); };
        _lanes = new DecoderLanes(lanes, laneThreads, "letter-decoder");
        _loops = Enumerable.Range(0, lanes).Select(lane => _lanes.Run(lane, () => Loop(lane))).ToArray();
    }

    public int Length => Volatile.Read(ref _decodes);

    /// <summary>Decoder lanes.</summary>
    public int Lanes => _decoding.Length;

    /// <summary>
    /// Test hook: called on the lane's thread after a lane has taken a batch or an exclusive job and before it
    /// lets it go, so what it sees lies within what the queue holds (occupancy checks, holding a lane).
    /// </summary>
    internal Action<LaneEvent>? Observer { get; set; }

    /// <summary>
    /// A request is being read and checked and will likely queue a decoding: while any is, a lane waits
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
                lock (queue._lock) Monitor.PulseAll(queue._lock); // a lane waiting for it decodes now
        }
    }

    /// <summary>Queues the decodings of one request; false (nothing queued) when they do not all fit or the queue is closed.</summary>
    /// <param name="arrival">the request's <see cref="Arriving"/> token, ended here with the queueing (atomically for the lanes)</param>
    public bool TryEnqueue(IReadOnlyList<DecodeJob> jobs, IDisposable? arrival = null)
    {
        bool large = jobs.Sum(j => (long)j.Beam) > _largeBeams;
        lock (_lock)
        {
            if (_closed || _decodes + jobs.Count > _capacity) return false;
            foreach (var j in jobs)
            {
                j.Large = large;
                _queue.AddLast(j);
            }
            _decodes += jobs.Count;
            arrival?.Dispose();
            Monitor.PulseAll(_lock);
            return true;
        }
    }

    /// <summary>Runs <paramref name="action"/> on a lane while no lane decodes, after the decodings queued before it (not counted against the capacity).</summary>
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

    /// <summary>Holds every lane before its next batch (tests: fill the queue, cancel a waiting request).</summary>
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

    private int Busy => _decoding.Count(b => b is not null);

    /// <summary>Whether this job may start a batch on a free lane now (under the lock).</summary>
    private bool MayStart(DecodeJob job) =>
        (job.Solo ? Busy == 0 : !_decoding.Any(b => b is { Count: > 0 } && b[0].Solo)) && (!job.Large || MayTakeLarge(job));

    /// <summary>
    /// Whether a large request may join a batch that holds no large request yet: no lane holds it and the
    /// lanes that hold large requests are fewer than all but one (under the lock).
    /// </summary>
    private bool MayTakeLarge(DecodeJob job)
    {
        int largeLanes = 0;
        foreach (var b in _decoding)
        {
            if (b is null || !b.Any(j => j.Large)) continue;
            if (b.Any(j => ReferenceEquals(j.Request, job.Request))) return false;
            largeLanes++;
        }
        return largeLanes < _maxLargeLanes;
    }

    /// <summary>The first queued decoding (before the first exclusive job) that may start now, or null.</summary>
    private LinkedListNode<object>? FirstStartable()
    {
        for (var node = _queue.First; node is not null && node.Value is DecodeJob job; node = node.Next)
            if (MayStart(job)) return node;
        return null;
    }

    /// <summary>The lane's next work: an exclusive job, a batch's first decoding, or null once closed and drained.</summary>
    private object? Next(int lane)
    {
        lock (_lock)
        {
            while (true)
            {
                if (!_paused && !_exclusiveRuns && _queue.First is { } head)
                {
                    if (head.Value is Exclusive ex)
                    {
                        if (Busy == 0) // drained: it runs with every other lane held
                        {
                            _queue.RemoveFirst();
                            _exclusiveRuns = true;
                            return ex;
                        }
                    }
                    else if (FirstStartable() is { } first)
                    {
                        _queue.Remove(first);
                        _decodes--;
                        var batch = new List<DecodeJob> { (DecodeJob)first.Value };
                        _decoding[lane] = batch;
                        return batch;
                    }
                }
                if (_closed && _queue.Count == 0) return null;
                Monitor.Wait(_lock);
            }
        }
    }

    private void Loop(int lane)
    {
        while (Next(lane) is { } work)
        {
            if (work is Exclusive ex)
            {
                Observer?.Invoke(new LaneEvent(lane, LaneEventKind.ExclusiveStart, []));
                try
                {
                    ex.Run();
                    ex.Done.SetResult();
                }
                catch (Exception e) { ex.Done.SetException(e); }
                finally
                {
                    Observer?.Invoke(new LaneEvent(lane, LaneEventKind.ExclusiveEnd, []));
                    lock (_lock)
                    {
                        _exclusiveRuns = false;
                        Monitor.PulseAll(_lock);
                    }
                }
                continue;
            }
            var batch = (List<DecodeJob>)work;
            Gather(lane, batch);
            Observer?.Invoke(new LaneEvent(lane, LaneEventKind.BatchStart, batch));
            var clock = Stopwatch.StartNew();
            try { Decode(batch); }
            finally
            {
                _metrics.LaneBusy(lane, clock.Elapsed.TotalSeconds);
                Observer?.Invoke(new LaneEvent(lane, LaneEventKind.BatchEnd, batch));
                bool idle;
                lock (_lock)
                {
                    _decoding[lane] = null;
                    idle = _decodes == 0 && Busy == 0;
                    Monitor.PulseAll(_lock); // a large request, a solo model or an exclusive job may start now
                }
                if (idle && batch.Sum(j => j.Beam) >= MemoryTrim.AfterBeams) MemoryTrim.Trim();
            }
        }
    }

    /// <summary>Fills the lane's batch (its first job taken) while requests being read may still join, up to the maximum wait.</summary>
    private void Gather(int lane, List<DecodeJob> batch)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_maxWait.TotalSeconds * Stopwatch.Frequency);
        lock (_lock)
        {
            while (true)
            {
                var taken = Take(batch);
                bool exclusiveWaits = _queue.Any(o => o is Exclusive);
                long left = deadline - Stopwatch.GetTimestamp();
                if (Full(batch, taken) || exclusiveWaits || _closed || Volatile.Read(ref _arriving) == 0 || left <= 0)
                {
                    Remove(taken, batch);
                    return;
                }
                Monitor.Wait(_lock, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
            }
        }
    }

    private bool Full(List<DecodeJob> batch, List<LinkedListNode<object>> taken) =>
        batch.Count + taken.Count >= _maxBatch || batch.Sum(j => j.Beam) + taken.Sum(n => ((DecodeJob)n.Value).Beam) >= _maxBeams;

    /// <summary>
    /// The queued decodings (before the first exclusive job) that join <paramref name="batch"/>: one history of
    /// each waiting request in turn, in the order the requests queued, within the history and beam budgets.
    /// A batch holds at most one large request, and takes a large request only if no other lane holds it and
    /// the large lanes allow one more; decodings of a model that decodes alone join only such batches (under the lock).
    /// </summary>
    private List<LinkedListNode<object>> Take(List<DecodeJob> batch)
    {
        bool solo = batch[0].Solo;
        object? largeRequest = batch.FirstOrDefault(j => j.Large)?.Request;
        var perRequest = new List<Queue<LinkedListNode<object>>>();
        var index = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        var refused = new HashSet<object>(ReferenceEqualityComparer.Instance);
        for (var node = _queue.First; node is not null && node.Value is DecodeJob job; node = node.Next)
        {
            if (job.Solo != solo || refused.Contains(job.Request)) continue;
            if (!index.TryGetValue(job.Request, out var r))
            {
                if (job.Large && !ReferenceEquals(job.Request, largeRequest) && (largeRequest is not null || !MayTakeLarge(job)))
                {
                    refused.Add(job.Request);
                    continue;
                }
                index[job.Request] = r = perRequest.Count;
                perRequest.Add(new Queue<LinkedListNode<object>>());
            }
            perRequest[r].Enqueue(node);
        }
        // the first job's own request goes last in the first turn: the others have waited behind it
        var firstRequest = batch[0].Request;
        if (index.TryGetValue(firstRequest, out var first) && perRequest.Count > 1)
        {
            var q = perRequest[first];
            perRequest.RemoveAt(first);
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
                if (next.Large)
                {
                    if (largeRequest is null) largeRequest = next.Request;
                    else if (!ReferenceEquals(largeRequest, next.Request)) continue; // one large request per batch
                }
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
        Task.WaitAll(_loops);
        _lanes.Dispose();
    }
}
