using System.Collections.Concurrent;
using TorchSharp;

namespace Letter.Generation;

/// <summary>
/// Decoder lanes: threads owned by this pool, each running torch work with its own intra-op thread count
/// (one by default). Two single-thread decoders on two cores decode more histories per second than one
/// two-thread decoder (no OpenMP synchronisation on the small matrices of a decoding step: about 1.35x
/// on TIGER batches on this project's 2-core machine, docs/benchmarks.md), and a service can keep one lane
/// free for small requests while a large one decodes on another.
/// </summary>
/// <remarks>
/// Under OpenMP, libtorch's intra-op count belongs to the calling thread, so each lane sets it on itself
/// when it starts; libtorch also keeps a default that threads starting torch work later begin with, and
/// that call moves it, so the constructor sets it back to the calling thread's count. The pool changes
/// nothing else of the process. Work posted to one lane runs there in order; lanes share nothing but
/// what the posted work shares, so decoding on several lanes at once needs a generator that says it can
/// (<see cref="IIdentifierGenerator.ConcurrentDecoding"/>). Dispose scopes and no-grad modes are per
/// thread: work opens its own on its lane.
/// </remarks>
public sealed class DecoderLanes : IDisposable
{
    private readonly BlockingCollection<Action>[] _work;
    private readonly Thread[] _threads;

    /// <param name="count">lanes (threads)</param>
    /// <param name="threadsPerLane">libtorch intra-op threads of each lane</param>
    /// <param name="name">the threads' name (a number is appended)</param>
    public DecoderLanes(int count, int threadsPerLane = 1, string name = "letter-lane")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threadsPerLane, 1);
        Count = count;
        ThreadsPerLane = threadsPerLane;
        // reading the count first makes libtorch set up this thread's own (else its first parallel op would take the default moved below)
        int callerThreads = torch.get_num_threads();
        _work = new BlockingCollection<Action>[count];
        _threads = new Thread[count];
        using var started = new CountdownEvent(count);
        for (int i = 0; i < count; i++)
        {
            var queue = _work[i] = new BlockingCollection<Action>();
            _threads[i] = new Thread(() => Loop(queue, started)) { Name = $"{name}-{i}", IsBackground = true };
            _threads[i].Start();
        }
        started.Wait();
        torch.set_num_threads(callerThreads); // the caller's own count is unchanged; the default threads start with is the caller's again
    }

    /// <summary>Lanes in the pool.</summary>
    public int Count { get; }

    /// <summary>libtorch intra-op threads of each lane.</summary>
    public int ThreadsPerLane { get; }

    private void Loop(BlockingCollection<Action> queue, CountdownEvent started)
    {
        torch.get_num_threads(); // this thread's OpenMP state set up from the default, then replaced by the lane's count
        torch.set_num_threads(ThreadsPerLane);
        started.Signal();
        foreach (var work in queue.GetConsumingEnumerable()) work();
    }

    /// <summary>Runs <paramref name="work"/> on lane <paramref name="lane"/>, after what was posted to it before.</summary>
    public Task<T> Run<T>(int lane, Func<T> work)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lane);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(lane, Count);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work[lane].Add(() =>
        {
            try { done.SetResult(work()); }
            catch (OperationCanceledException e) { done.SetCanceled(e.CancellationToken); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on lane <paramref name="lane"/>, after what was posted to it before.</summary>
    public Task Run(int lane, Action work) => Run(lane, () =>
    {
        work();
        return true;
    });

    /// <summary>Lets each lane finish what was posted to it, then ends the threads.</summary>
    public void Dispose()
    {
        foreach (var q in _work) q.CompleteAdding();
        foreach (var t in _threads) if (t != Thread.CurrentThread) t.Join();
        foreach (var q in _work) q.Dispose();
    }
}
