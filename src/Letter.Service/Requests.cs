using System.Text.Json;
using Letter.IO;

namespace Letter.Service;

/// <summary>Which items a recommendation may not return.</summary>
public enum ExcludeMode
{
    /// <summary>The items of the history (the default).</summary>
    Seen,
    None,
    /// <summary>The items listed.</summary>
    List,
}

/// <summary>
/// A parsed <c>POST /v1/recommend</c> body (syntax checked; items and the user are resolved against the
/// model later, <see cref="RecommendEndpoints.Prepare"/>): <paramref name="User"/> is a dataset user id
/// or, under <see cref="IdSpace.Dense"/>, the inter file's user key.
/// </summary>
internal sealed record RecommendQuery(IdSpace Ids, RequestedItems? History, string? User, int K, int? Beam, ExcludeMode Exclude,
    RequestedItems? ExcludeItems, RequestedItems? Candidates);

/// <summary>Strict readers of request bodies: every refusal names the field (a JSON path) and the value.</summary>
internal static class RequestParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    public static JsonDocument Parse(byte[] body)
    {
        if (body.Length == 0) throw new BadRequestException("body", null, "the request body is empty: send a JSON object");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body, DocumentOptions); }
        catch (JsonException e)
        {
            throw new BadRequestException("body", Quoted.Escape(body.AsSpan(0, Math.Min(body.Length, 200)), 200), $"the body is not valid JSON: {e.Message}") { Escaped = true };
        }
        try { StrictJson.Check(body, DocumentOptions.MaxDepth); }
        catch
        {
            doc.Dispose();
            throw;
        }
        return doc;
    }

    public static JsonElement Object(JsonElement e, string field)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Wrong(field, e, "a JSON object");
        return e;
    }

    public static void OnlyKnown(JsonElement obj, string prefix, params string[] known)
    {
        foreach (var p in obj.EnumerateObject())
            if (!known.Contains(p.Name))
                throw new BadRequestException(Path(prefix, p.Name), Raw(p.Value), $"unknown field {Quoted.Quote(p.Name)} (expected {string.Join(", ", known)})");
    }

    /// <param name="ids">the id space when the request names none (a batch's own "ids", else the dataset's)</param>
    public static RecommendQuery Recommend(JsonElement e, string prefix, ServeOptions limits, IdSpace ids = IdSpace.Dataset)
    {
        Object(e, prefix.Length == 0 ? "body" : prefix);
        OnlyKnown(e, prefix, "ids", "history", "user", "k", "beam", "exclude", "candidates");
        ids = Ids(e, prefix, ids);
        RequestedItems? history = e.TryGetProperty("history", out var h) && h.ValueKind != JsonValueKind.Null ? Items(h, Path(prefix, "history"), ids) : null;
        string? user = null;
        if (e.TryGetProperty("user", out var u) && u.ValueKind != JsonValueKind.Null)
            user = u.ValueKind switch
            {
                JsonValueKind.String => u.GetString(),
                JsonValueKind.Number when u.TryGetInt64(out var n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => throw Wrong(Path(prefix, "user"), u, "a user id (a string, or an integer)"),
            };
        if ((history is null) == (user is null))
            throw new BadRequestException(prefix.Length == 0 ? "history" : Path(prefix, "history"), history is null ? null : Raw(h),
                "give exactly one of 'history' (item ids, oldest first) or 'user' (a user id of the run's dataset)");
        if (history is { Length: 0 }) throw new BadRequestException(Path(prefix, "history"), "[]", "the history is empty: give at least one item id");
        int k = Int(e, prefix, "k", 10, 1, limits.MaxK);
        int? beam = e.TryGetProperty("beam", out var b) && b.ValueKind != JsonValueKind.Null ? Int(e, prefix, "beam", 0, 1, limits.MaxBeam) : null;
        var mode = ExcludeMode.Seen;
        RequestedItems? excludeItems = null;
        if (e.TryGetProperty("exclude", out var x) && x.ValueKind != JsonValueKind.Null)
        {
            if (x.ValueKind == JsonValueKind.String)
                mode = x.GetString() switch
                {
                    "seen" => ExcludeMode.Seen,
                    "none" => ExcludeMode.None,
                    _ => throw new BadRequestException(Path(prefix, "exclude"), Raw(x), "exclude is \"seen\" (the history's items, the default), \"none\" or a list of item ids"),
                };
            else if (x.ValueKind == JsonValueKind.Array)
            {
                mode = ExcludeMode.List;
                excludeItems = Items(x, Path(prefix, "exclude"), ids);
            }
            else throw Wrong(Path(prefix, "exclude"), x, "\"seen\", \"none\" or a list of item ids");
        }
        RequestedItems? candidates = null;
        if (e.TryGetProperty("candidates", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            candidates = Items(c, Path(prefix, "candidates"), ids);
            if (candidates.Length == 0) throw new BadRequestException(Path(prefix, "candidates"), "[]", "the candidate list is empty: leave it out to allow every item");
        }
        return new RecommendQuery(ids, history, user, k, beam, mode, excludeItems, candidates);
    }

    /// <summary>The object's "ids" field (<c>"dataset"</c> or <c>"dense"</c>), or <paramref name="fallback"/> when it has none.</summary>
    public static IdSpace Ids(JsonElement obj, string prefix, IdSpace fallback)
    {
        if (!obj.TryGetProperty("ids", out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind == JsonValueKind.String ? IdSpaces.Parse(v.GetString(), Path(prefix, "ids"), Raw(v)) : throw Wrong(Path(prefix, "ids"), v, IdSpaces.Expected);
    }

    public static int Int(JsonElement obj, string prefix, string name, int fallback, int min, int max)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        var field = Path(prefix, name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n)) throw Wrong(field, v, $"an integer between {min} and {max}");
        if (n < min || n > max) throw new BadRequestException(field, Raw(v), $"{name} must be between {min} and {max}");
        return n;
    }

    /// <summary>
    /// A list of items: under <see cref="IdSpace.Dataset"/> dataset item ids (strings; an integer is read as
    /// its decimal text), under <see cref="IdSpace.Dense"/> dense item ids (integers >= 0). Whether each is
    /// in the catalogue is checked against the model (<see cref="RequestedItems.Resolve"/>).
    /// </summary>
    public static RequestedItems Items(JsonElement v, string field, IdSpace ids)
    {
        bool dense = ids == IdSpace.Dense;
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(field, v, dense ? "a list of dense item ids (integers)" : "a list of item ids (strings)");
        int n = v.GetArrayLength();
        var raw = new string[n];
        var datasetIds = dense ? null : new string[n];
        var denseIds = dense ? new int[n] : null;
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (dense)
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id) || id < 0)
                    throw Wrong($"{field}[{i}]", item, "a dense item id (an integer >= 0)");
                denseIds![i] = id;
            }
            else
                datasetIds![i] = item.ValueKind switch
                {
                    JsonValueKind.String => item.GetString()!,
                    JsonValueKind.Number when item.TryGetInt64(out var number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => throw Wrong($"{field}[{i}]", item, "an item id (a string, or an integer read as its decimal text)"),
                };
            raw[i++] = Raw(item);
        }
        return new RequestedItems(field, raw, datasetIds, denseIds);
    }

    public static float[] Floats(JsonElement v, string field)
    {
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(field, v, "a list of numbers");
        var values = new float[v.GetArrayLength()];
        int i = 0;
        foreach (var x in v.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetDouble(out var d) || !double.IsFinite(d) || Math.Abs(d) > float.MaxValue)
                throw Wrong($"{field}[{i}]", x, "a finite number");
            values[i++] = (float)d;
        }
        return values;
    }

    public static BadRequestException Wrong(string field, JsonElement value, string expected) =>
        new(field, Raw(value), $"{field} must be {expected}, not {Describe(value)}");

    public static string Raw(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 200 ? raw : raw[..197] + "...";
    }

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static string Path(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";
}
