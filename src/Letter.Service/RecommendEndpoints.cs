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
        if (q.User is not null) history = UserHistory(model, q.User, q.Ids, RequestParser.Path(prefix, "user"));
        else history = q.History!.Resolve(model);
        var exclude = q.ExcludeItems?.Resolve(model);
        var candidates = q.Candidates?.Resolve(model);
        // the library's one rule for the beam, the checks and the item filter (the CLI's and evaluation's too)
        var query = model.Recommender.Prepare(history, q.K, new RecommendOptions(q.Beam, ExcludeHistory: q.Exclude == ExcludeMode.Seen,
            Exclude: q.Exclude == ExcludeMode.List ? exclude : null, Candidates: candidates));
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

    /// <summary>A known user's whole history: the user named by their dataset id (through the run's user2id) or, under dense ids, by the inter file's key.</summary>
    private static int[] UserHistory(ServedModel model, string user, IdSpace ids, string field)
    {
        var users = model.Run.Users ?? throw new BadRequestException(field, user, model.Run.UsersUnavailable!);
        var key = ids == IdSpace.Dense ? user : model.Ids.DenseUser(user);
        if (key is not null && users.TryGetValue(key, out var history)) return history;
        throw new BadRequestException(field, user, ids == IdSpace.Dense
            ? $"user {Letter.IO.Quoted.Quote(user)} is not a user key of the run's dataset (its inter file)"
            : model.Ids.HasUserMap
                ? $"user {Letter.IO.Quoted.Quote(user)} is not a user id of the run's dataset (its user2id)"
                : $"user {Letter.IO.Quoted.Quote(user)} is not in the run's dataset");
    }

    /// <summary>The answer: the items of the library's k best identifiers (only those the query allows), in order, the first k of them.</summary>
    internal static List<RecommendedItem> ItemsOf(DecodeJob job, Beam[] beams) =>
        job.Model.Recommender.Results(job.Query, beams)
            .SelectMany(r => r.Items.Select(item => new RecommendedItem(item, job.Model.Ids.ItemId(item), Math.Round(r.Score, 6), r.Identifier, job.Model.Titles[item])))
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
            var key = host.Answers.Enabled ? AnswerCache.Key(job.Query) : null;
            if (key is not null && host.Answers.Get(job.Model.Generation, key) is { } kept)
            {
                arriving.Dispose();
                job.Model.Release();
                return Results.Ok(new RecommendResponse(kept, ServedModels.Info(model), ServedModels.Ms(start)));
            }
            Enqueue(host, [job], arriving);
            var beams = await job.Done.Task.WaitAsync(ctx.RequestAborted);
            var items = ItemsOf(job, beams);
            if (key is not null) host.Answers.Put(job.Model.Generation, key, items);
            return Results.Ok(new RecommendResponse(items, ServedModels.Info(model), ServedModels.Ms(start)));
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
        RequestParser.OnlyKnown(root, "", "ids", "requests");
        if (!root.TryGetProperty("requests", out var list) || list.ValueKind != JsonValueKind.Array)
            throw list.ValueKind == JsonValueKind.Undefined
                ? new BadRequestException("requests", null, "give 'requests': a list of recommendation requests")
                : RequestParser.Wrong("requests", list, "a list of recommendation requests");
        int count = list.GetArrayLength();
        if (count == 0 || count > host.Options.MaxBatchRequests)
            throw new BadRequestException("requests", $"{count} requests", $"a batch holds 1 to {host.Options.MaxBatchRequests} requests");
        var ids = RequestParser.Ids(root, "", IdSpace.Dataset); // the batch's default; a request may name its own
        var queries = list.EnumerateArray().Select((e, i) => RequestParser.Recommend(e, $"requests[{i}]", host.Options, ids)).ToList();
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
