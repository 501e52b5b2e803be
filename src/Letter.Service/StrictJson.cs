using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Letter.IO;

namespace Letter.Service;

/// <summary>
/// The wire-format checks a JSON parser leaves to its caller, made before a body is read: a field given
/// twice in one object (System.Text.Json would keep the last one silently), and strings or field names
/// that are not valid UTF-8 or hold an unpaired surrogate escape (<c>"\ud800"</c>), which would fail only
/// later, where the string is read, as an internal error. Every refusal names the field by its path
/// (<c>requests[2].exclude[0]</c>) and shows the offending text escaped (<see cref="Quoted"/>).
/// </summary>
internal static class StrictJson
{
    private sealed class Frame(bool isObject)
    {
        public bool IsObject { get; } = isObject;
        public HashSet<string>? Names { get; } = isObject ? new(StringComparer.Ordinal) : null;
        public string? Name { get; set; }
        public int Index { get; set; } = -1;
    }

    /// <summary>Checks a body that already parsed as JSON (its syntax and depth are known to be fine).</summary>
    public static void Check(ReadOnlySpan<byte> body, int maxDepth)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = maxDepth });
        var frames = new List<Frame>();
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                frames.RemoveAt(frames.Count - 1);
                continue;
            }
            if (token == JsonTokenType.PropertyName)
            {
                var frame = frames[^1];
                var name = Text(ref reader, () => PathOf(frames, innermost: "") is { Length: > 0 } p ? p + "." : "", isName: true);
                if (!frame.Names!.Add(name))
                    throw new BadRequestException(PathOf(frames, innermost: name), name,
                        $"the field {Quoted.Quote(name)} is given twice in the same object: give it once");
                frame.Name = name;
                continue;
            }
            if (frames.Count > 0 && !frames[^1].IsObject) frames[^1].Index++;
            if (token == JsonTokenType.String) Text(ref reader, () => PathOf(frames), isName: false);
            else if (token is JsonTokenType.StartObject or JsonTokenType.StartArray) frames.Add(new Frame(token == JsonTokenType.StartObject));
        }
    }

    /// <summary>A string token as .NET text, or a refusal naming where it is (<paramref name="where"/>: its path, or the object's path prefix for a name).</summary>
    private static string Text(ref Utf8JsonReader reader, Func<string> where, bool isName)
    {
        try { return reader.GetString()!; }
        catch (InvalidOperationException)
        {
            var raw = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray();
            var shown = Quoted.Escape(raw, 200);
            bool utf8 = Utf8.IsValid(raw);
            var problem = utf8 ? "holds an unpaired surrogate escape (\\uD800-\\uDFFF not part of a pair)" : "is not valid UTF-8 (the bytes that are not are shown as \\xNN)";
            if (isName)
            {
                var field = where() + shown;
                throw new BadRequestException(field, shown, $"the field name {problem}") { Escaped = true };
            }
            var path = where();
            throw new BadRequestException(path.Length == 0 ? "body" : path, shown, $"{(path.Length == 0 ? "the body" : path)} {problem}") { Escaped = true };
        }
    }

    /// <param name="innermost">the name to use for the innermost object instead of its current field ("" for none: the object's own path)</param>
    private static string PathOf(List<Frame> frames, string? innermost = null)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            if (f.IsObject)
            {
                var name = i == frames.Count - 1 && innermost is not null ? innermost : f.Name;
                if (string.IsNullOrEmpty(name)) continue;
                if (sb.Length > 0) sb.Append('.');
                sb.Append(name);
            }
            else sb.Append('[').Append(f.Index).Append(']');
        }
        return sb.ToString();
    }
}
