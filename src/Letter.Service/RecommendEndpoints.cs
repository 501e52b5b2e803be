using System.Diagnostics;
using System.Text.Json;
using Letter.Generation;
using Microsoft.AspNetCore.Http;

namespace Letter.Service;

/// <summary><c>POST /v1/recommend</c> and <c>/v1/recommend:batch</c>: checked queries become decodings on the shared decoder.</summary>
internal static class RecommendEndpoints
{
    /// <summary>A checked query as a decoding on <paramref name="model"/> (the job holds its own reference to the model).</summary>
    internal static (DecodeJob Job, ItemFilter? Filter, int K) Prepare(ServedModel model, RecommendQuery q, string prefix, CancellationToken cancel, object request)
    {
        int[] history;
        if (q.User is not null)
        {
            if (model.Run.Users is null) throw new BadRequestException(RequestParser.Path(prefix, "user"), q.User, model.Run.UsersUnavailable!);
            if (!model.Run.Users.TryGetValue(q.User, out history!))
                throw new BadRequestException(RequestParser.Path(prefix, "user"), q.User, $"user {Letter.IO.Quoted.Quote(q.User)} is not in the run's dataset");
        }
        else
        {
            history = q.History!;
            CheckItems(model, history, RequestParser.Path(prefix, "history"));
        }
        if (q.ExcludeItems is not null) CheckItems(model, q.ExcludeItems, RequestParser.Path(prefix, "exclude"));
        if (q.Candidates is not null) CheckItems(model, q.Candidates, RequestParser.Path(prefix, "candidates"));
        var exclude = q.Exclude switch
        {
            ExcludeMode.Seen => history.ToHashSet(),
            ExcludeMode.List => q.ExcludeItems!.ToHashSet(),
            _ => null,
        };
        var filter = new ItemFilter(exclude is { Count: > 0 } ? exclude : null, q.Candidates?.ToHashSet());
        var used = filter.Exclude is null && filter.Only is null ? null : filter;
        int beam = Math.Min(Math.Max(q.Beam ?? model.Recommender.Beam, q.K), model.Catalog.IdentifierCount);
        if (!model.TryAcquire()) throw new InvalidOperationException("the model was released while in use");
        return (new DecodeJob(model, history, beam, used, cancel, request), used, q.K);
    }

    /// <summary>
    /// The cost limit: a request's beams in all (histories x beam) bound its decoding work and memory. Above
    /// the limit the request is refused as a whole, before anything is decoded.
    /// </summary>
    internal static void CheckCost(ModelHost host, IReadOnlyList<DecodeJob> jobs)
    {
        long beams = jobs.Sum(j => (long)j.Beam);
        int limit = host.Options.MaxRequestBeams;
        if (beams <= limit) return;
        host.Metrics.Refused("cost_limit");
        throw new BadRequestException("requests", $"{jobs.Count} histories, {beams} beams",
            $"the batch asks for {beams} beams in all ({jobs.Count} histories at their beam, never fewer than k), over the limit of {limit} per request " +
            $"(--max-request-beams): send it in smaller batches or with a smaller beam") { Counted = true };
    }

    internal static void CheckItems(ServedModel model, int[] items, string field)
    {
        for (int i = 0; i < items.Length; i++)
            if (items[i] >= model.ItemCount)
                throw new BadRequestException($"{field}[{i}]", items[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"item {items[i]} is not in the catalogue (items 0-{model.ItemCount - 1})");
    }

    internal static List<RecommendedItem> ItemsOf(ServedModel m, Beam[] beams, ItemFilter? filter, int k)
    {
        var list = new List<RecommendedItem>(k);
        foreach (var b in beams)
        {
            var identifier = m.Catalog.IdentifierOf(b);
            foreach (var item in m.Catalog.ItemsOf(b))
            {
                if (filter is not null && !filter.Allows(item)) continue;
                list.Add(new RecommendedItem(item, Math.Round(b.Score, 6), identifier, m.Titles[item]));
                if (list.Count == k) return list;
            }
        }
        return list;
    }

    internal static async Task<IResult> Recommend(HttpContext ctx, ModelHost host)
    {
        long start = Stopwatch.GetTimestamp();
        var arriving = host.Queue.Arriving();
        try { return await RecommendArriving(ctx, host, start, arriving); }
        finally { arriving.Dispose(); }
    }

    internal static async Task<IResult> RecommendArriving(HttpContext ctx, ModelHost host, long start, IDisposable arriving)
    {
        using var doc = await RequestBody.ReadJson(ctx, host);
        var q = RequestParser.Recommend(doc.RootElement, "", host.Options);
        var model = ServedModels.Current(host);
        try
        {
            var (job, filter, k) = Prepare(model, q, "", ctx.RequestAborted, ctx);
            Enqueue(host, [job], arriving);
            var beams = await job.Done.Task.WaitAsync(ctx.RequestAborted);
            return Results.Ok(new RecommendResponse(ItemsOf(model, beams, filter, k), ServedModels.Info(model), ServedModels.Ms(start)));
        }
        finally { model.Release(); }
    }

    internal static void Enqueue(ModelHost host, IReadOnlyList<DecodeJob> jobs, IDisposable? arriving = null)
    {
        if (host.Queue.TryEnqueue(jobs, arriving)) return;
        foreach (var j in jobs) j.Model.Release();
        host.Metrics.Rejected();
        throw new ServiceUnavailableException($"the decoding queue is full ({host.Options.QueueCapacity} waiting): retry shortly");
    }

    internal static async Task<IResult> RecommendBatch(HttpContext ctx, ModelHost host)
    {
        long start = Stopwatch.GetTimestamp();
        using var doc = await RequestBody.ReadJson(ctx, host);
        var root = RequestParser.Object(doc.RootElement, "body");
        RequestParser.OnlyKnown(root, "", "requests");
        if (!root.TryGetProperty("requests", out var list) || list.ValueKind != JsonValueKind.Array)
            throw list.ValueKind == JsonValueKind.Undefined
                ? new BadRequestException("requests", null, "give 'requests': a list of recommendation requests")
                : RequestParser.Wrong("requests", list, "a list of recommendation requests");
        int count = list.GetArrayLength();
        if (count == 0 || count > host.Options.MaxBatchRequests)
            throw new BadRequestException("requests", $"{count} requests", $"a batch holds 1 to {host.Options.MaxBatchRequests} requests");
        var queries = list.EnumerateArray().Select((e, i) => RequestParser.Recommend(e, $"requests[{i}]", host.Options)).ToList();
        var model = ServedModels.Current(host);
        var prepared = new List<(DecodeJob Job, ItemFilter? Filter, int K)>();
        try
        {
            try
            {
                for (int i = 0; i < queries.Count; i++) prepared.Add(Prepare(model, queries[i], $"requests[{i}]", ctx.RequestAborted, ctx));
                CheckCost(host, prepared.Select(p => p.Job).ToList());
            }
            catch
            {
                foreach (var p in prepared) p.Job.Model.Release();
                throw;
            }
            Enqueue(host, prepared.Select(p => p.Job).ToList());
            var results = new List<BatchResult>(prepared.Count);
            foreach (var (job, filter, k) in prepared)
                results.Add(new BatchResult(ItemsOf(model, await job.Done.Task.WaitAsync(ctx.RequestAborted), filter, k)));
            return Results.Ok(new BatchRecommendResponse(results, ServedModels.Info(model), ServedModels.Ms(start)));
        }
        finally { model.Release(); }
    }
}
