using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Letter.IO;

namespace Letter.Pipeline;

/// <summary>One leaf setting of a config record: its dotted snake_case path, type and default.</summary>
public sealed record SettingInfo(string Path, Type Type, object? Default);

/// <summary>
/// Config records as JSON: snake_case keys, defaults from the records themselves, strict loading
/// (an unknown key or a value of the wrong type is an error that names it), and overrides by dotted
/// path (<c>tokenizer.epochs=50</c>) for command-line flags. Effective config = defaults, then the
/// file, then the overrides.
/// </summary>
public static class ConfigJson
{
    public static JsonSerializerOptions Options => Letter.IO.LetterJson.Options;

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Load<T>(T defaults, string? file, IEnumerable<KeyValuePair<string, string>>? overrides = null) where T : notnull
    {
        var merged = JsonSerializer.SerializeToNode(defaults, Options)!.AsObject();
        var source = file ?? "defaults";
        if (file is not null)
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(InputFile.ReadAllBytes(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (JsonException e)
            {
                throw new LetterDataException(file, e.LineNumber is long l ? $"line {l + 1}" : null, $"malformed JSON: {Quoted.Escape(e.Message.Split(" Path:")[0].Split(" LineNumber:")[0], 200)}");
            }
            if (node is not JsonObject obj) throw new LetterConfigException($"{file}: the config must be a JSON object");
            CheckKeys(file, obj, typeof(T), "");
            Merge(merged, obj);
        }
        if (overrides is not null)
        {
            var settings = Settings(typeof(T), defaults).ToDictionary(s => s.Path);
            foreach (var (path, text) in overrides)
            {
                if (!settings.TryGetValue(path, out var setting))
                    throw new LetterConfigException($"unknown setting '{Quoted.Escape(path)}'");
                SetPath(merged, path, ParseValue(setting, text));
            }
        }
        try
        {
            return merged.Deserialize<T>(Options) ?? throw new LetterConfigException($"{source}: empty config");
        }
        catch (JsonException e)
        {
            var at = e.Path is { Length: > 2 } p ? $" at '{Quoted.Escape(p[2..])}'" : "";
            throw new LetterConfigException($"{source}: bad value{at}: {Quoted.Escape(e.Message.Split(" Path:")[0], 200)}");
        }
    }

    /// <summary>Every leaf setting of <paramref name="type"/>, nested records flattened to dotted paths.</summary>
    public static IEnumerable<SettingInfo> Settings(Type type, object? instance, string prefix = "")
    {
        foreach (var p in Properties(type))
        {
            var path = prefix + JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name);
            var value = instance is null ? null : p.GetValue(instance);
            if (IsSection(p.PropertyType))
                foreach (var s in Settings(p.PropertyType, value, path + ".")) yield return s;
            else
                yield return new SettingInfo(path, p.PropertyType, value);
        }
    }

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null
                        && p.Name != "EqualityContract");

    private static bool IsSection(Type t) =>
        t.IsClass && t != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(t);

    private static void CheckKeys(string file, JsonObject obj, Type type, string prefix)
    {
        var known = Properties(type).ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));
        foreach (var (key, value) in obj)
        {
            if (!known.TryGetValue(key, out var property))
                throw new LetterConfigException(
                    $"{file}: unknown key '{Quoted.Escape(prefix + key)}' (known keys here: {string.Join(", ", known.Keys)})");
            if (IsSection(property.PropertyType) && value is JsonObject child)
                CheckKeys(file, child, property.PropertyType, $"{prefix}{key}.");
        }
    }

    private static void Merge(JsonObject target, JsonObject source)
    {
        foreach (var (key, value) in source)
        {
            if (value is JsonObject child && target[key] is JsonObject existing) Merge(existing, child);
            else target[key] = value?.DeepClone();
        }
    }

    private static void SetPath(JsonObject root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (node[parts[i]] is not JsonObject next)
            {
                next = new JsonObject();
                node[parts[i]] = next;
            }
            node = next;
        }
        node[parts[^1]] = value;
    }

    /// <summary>Parses a flag's text by the setting's type: numbers, booleans, strings, enums and comma-separated lists.</summary>
    public static JsonNode? ParseValue(SettingInfo setting, string text)
    {
        var t = Nullable.GetUnderlyingType(setting.Type) ?? setting.Type;
        bool nullable = !setting.Type.IsValueType || Nullable.GetUnderlyingType(setting.Type) is not null;
        if (nullable && text is "null" or "none" or "") return null;
        var inv = CultureInfo.InvariantCulture;
        try
        {
            if (t == typeof(string)) return JsonValue.Create(text);
            if (t == typeof(bool)) return JsonValue.Create(bool.Parse(text));
            if (t == typeof(int)) return JsonValue.Create(int.Parse(text, inv));
            if (t == typeof(long)) return JsonValue.Create(long.Parse(text, inv));
            if (t == typeof(float)) return JsonValue.Create(float.Parse(text, inv));
            if (t == typeof(double)) return JsonValue.Create(double.Parse(text, inv));
            if (t.IsEnum)
            {
                var names = EnumNames(t);
                if (!names.Contains(text)) throw new FormatException($"expected one of {string.Join(", ", names)}");
                return JsonValue.Create(text);
            }
            if (ElementType(t) is { } elementType)
            {
                var element = new SettingInfo(setting.Path, elementType, null);
                return new JsonArray(text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(part => ParseValue(element, part)).ToArray());
            }
        }
        catch (FormatException e)
        {
            throw new LetterConfigException($"setting '{setting.Path}': '{Quoted.Escape(text)}' is not a valid {Describe(t)} ({Quoted.Escape(e.Message, 200)})");
        }
        catch (OverflowException)
        {
            throw new LetterConfigException($"setting '{setting.Path}': '{Quoted.Escape(text)}' is out of range");
        }
        throw new LetterConfigException($"setting '{setting.Path}' cannot be set from the command line");
    }

    /// <summary>The element type of an array or a generic list interface (IReadOnlyList&lt;T&gt;, ...), else null.</summary>
    private static Type? ElementType(Type t) =>
        t.IsArray ? t.GetElementType()
        : t.IsGenericType && t.GetGenericArguments().Length == 1 && t.IsAssignableFrom(t.GetGenericArguments()[0].MakeArrayType()) ? t.GetGenericArguments()[0]
        : null;

    /// <summary>An enum's values as JSON spells them: a [JsonStringEnumMemberName] where given (by-length, lc-rec), else snake_case.</summary>
    private static string[] EnumNames(Type t) => t.GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => f.GetCustomAttribute<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(f.Name))
        .ToArray();

    public static string Describe(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(int) || t == typeof(long)) return "integer";
        if (t == typeof(float) || t == typeof(double)) return "number";
        if (t == typeof(bool)) return "true|false";
        if (t.IsEnum) return string.Join('|', EnumNames(t));
        if (ElementType(t) is { } e) return $"comma-separated {Describe(e)}s";
        return "text";
    }
}
