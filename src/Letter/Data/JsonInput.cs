using System.Globalization;
using System.Text.Json;
using Letter.IO;

namespace Letter.Data;

/// <summary>
/// Shared helpers for the forward-only (Utf8JsonReader) parsing of the LETTER JSON files: syntax
/// errors become one-line data errors with the line number, and object keys are checked as ids.
/// </summary>
internal static class JsonInput
{
    public delegate void ReaderAction(ref Utf8JsonReader reader);

    public static void Parse(string file, byte[] bytes, ReaderAction action)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            action(ref reader);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is long line ? $"line {line + 1}" : null;
            var problem = "malformed JSON";
            if (reader.IsFinalBlock && reader.BytesConsumed >= bytes.Length - 1)
                problem += " (the file ends too early: truncated?)";
            throw new LetterDataException(file, where, $"{problem}: {Quoted.Escape(FirstSentence(e.Message), 200)}");
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader.GetString on bytes that are not UTF-8 or an escaped lone surrogate
            long line = 1 + bytes.AsSpan(0, (int)Math.Min(reader.BytesConsumed, bytes.Length)).Count((byte)'\n');
            throw new LetterDataException(file, $"line {line}", "a string is not text: it holds bytes that are not UTF-8 or an escaped lone surrogate (\\uD800-\\uDFFF without its pair)");
        }
    }

    public static void Read(string file, ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            throw new LetterDataException(file, null, "the file ends too early: truncated?");
    }

    public static void Expect(string file, ref Utf8JsonReader reader, JsonTokenType type, string? record, string what)
    {
        Read(file, ref reader);
        if (reader.TokenType != type)
            throw new LetterDataException(file, record, $"expected {what}, found {Describe(ref reader)}");
    }

    /// <summary>Parses an object key that must be a non-negative integer item id.</summary>
    public static int ItemKey(string file, string key)
    {
        if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            throw new LetterDataException(file, $"item {Quoted.Quote(key)}", "item id is not a non-negative integer");
        return id;
    }

    /// <summary>Ids read as object keys must be exactly 0..n-1, each once.</summary>
    public static void RequireContiguous(string file, List<int> ids)
    {
        var seen = new bool[ids.Count];
        foreach (var id in ids)
        {
            if (id >= ids.Count)
                throw new LetterDataException(file, $"item \"{id}\"",
                    $"item ids must be contiguous 0..{ids.Count - 1} ({ids.Count} items), found id {id}");
            if (seen[id])
                throw new LetterDataException(file, $"item \"{id}\"", "item id appears twice");
            seen[id] = true;
        }
    }

    public static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"the string {Quoted.Quote(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan)}",
        JsonTokenType.Number => $"the number {Quoted.Escape(reader.ValueSpan)}",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => reader.TokenType.ToString(),
    };

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Trim().TrimEnd('.');
    }
}
