using System.Diagnostics;
using System.Text.Json;
using Letter.Generation;
using Microsoft.AspNetCore.Http;

namespace Letter.Service;

/// <summary><c>POST /v1/recommend</c> and <c>/v1/recommend:batch</c>: checked queries become decodings on the shared decoder.</summary>
internal static class RecommendEndpoints
{
    /// <summary>A checked query as a decoding on <paramref name="model"/> (the job holds its own reference to the model).</summary>
    internal static DecodeJob Prepare(ServedModel model, RecommendQuery q, string prefix, CancellationToken cancel, object request)
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
        // the library's one rule for the beam, the checks and the item filter (the CLI's and evaluation's too)
        var query = model.Recommender.Prepare(history, q.K, new RecommendOptions(q.Beam, ExcludeHistory: q.Exclude == ExcludeMode.Seen,
            Exclude: q.Exclude == ExcludeMode.List ? q.ExcludeItems : null, Candidates: q.Candidates));
        if (!model.TryAcquire()) throw new InvalidOperationException("the model was released while in use");
        return new DecodeJob(model, query, cancel, request);
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

    /// <summary>The answer: the items of the library's k best identifiers (only those the query allows), in order, the first k of them.</summary>
    internal static List<RecommendedItem> ItemsOf(DecodeJob job, Beam[] beams) =>
        job.Model.Recommender.Results(job.Query, beams)
            .SelectMany(r => r.Items.Select(item => new RecommendedItem(item, Math.Round(r.Score, 6), r.Identifier, job.Model.Titles[item])))
            .Take(job.Query.K).ToList();

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
            var job = Prepare(model, q, "", ctx.RequestAborted, ctx);
            Enqueue(host, [job], arriving);
            var beams = await job.Done.Task.WaitAsync(ctx.RequestAborted);
            return Results.Ok(new RecommendResponse(ItemsOf(job, beams), ServedModels.Info(model), ServedModels.Ms(start)));
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
        var prepared = new List<DecodeJob>();
        try
        {
            try
            {
                for (int i = 0; i < queries.Count; i++) prepared.Add(Prepare(model, queries[i], $"requests[{i}]", ctx.RequestAborted, ctx));
                CheckCost(host, prepared);
            }
            catch
            {
                foreach (var p in prepared) p.Model.Release();
                throw;
            }
            Enqueue(host, prepared);
            var results = new List<BatchResult>(prepared.Count);
            foreach (var job in prepared)
                results.Add(new BatchResult(ItemsOf(job, await job.Done.Task.WaitAsync(ctx.RequestAborted))));
            return Results.Ok(new BatchRecommendResponse(results, ServedModels.Info(model), ServedModels.Ms(start)));
        }
        finally { model.Release(); }
    }
}
