using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Letter.IO;

/// <summary>
/// The one JSON dialect of every file Letter writes (run configs, run records, training curves,
/// checkpoint state, tokenizer files, metrics): snake_case keys and enum values, indented, NaN and
/// infinities as named literals, non-ASCII text unescaped, nulls written (a record written with it
/// shows every setting, so it cannot fall behind the record type), unknown keys rejected on reading.
/// </summary>
public static class LetterJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// The dialects of files written before there was one: TIGER's run records in camelCase (enums as
    /// numbers), the tokenizer's files with kebab-case enums. Read only, as a fallback.
    /// </summary>
    private static readonly JsonSerializerOptions[] Legacy =
    [
        new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        },
        new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        },
    ];

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>A record as a JSON tree (to nest inside a larger document).</summary>
    public static JsonNode? Node<T>(T value) => JsonSerializer.SerializeToNode(value, Options);

    /// <summary>Reads a record in the dialect, or in the dialect of an older Letter that wrote it; throws the dialect's error when neither fits.</summary>
    public static T? Deserialize<T>(string json)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo first;
        try { return JsonSerializer.Deserialize<T>(json, Options); }
        catch (JsonException e) { first = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
        foreach (var legacy in Legacy)
        {
            try { return JsonSerializer.Deserialize<T>(json, legacy); }
            catch (JsonException) { }
        }
        first.Throw();
        return default;
    }
}
