using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Letter.Common;

namespace Letter.Pipeline;

/// <summary>
/// A stage's settings split in two (see <see cref="RunOnlyAttribute"/>): those that change what the
/// stage trains, whose JSON is the stage's identity (hashed into its manifest), and the run-only ones,
/// kept by dotted path (<c>tiger.beam</c>) so a rerun can say which of them changed.
/// </summary>
public sealed record StageSettings(string TrainedJson, IReadOnlyDictionary<string, string> RunOnly, string FullJson)
{
    public static StageSettings Of(object settings)
    {
        var options = ConfigJson.Options;
        var full = JsonSerializer.Serialize(settings, settings.GetType(), options);
        var node = JsonSerializer.SerializeToNode(settings, settings.GetType(), options)!.AsObject();
        var runOnly = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in RunOnlyPaths(settings.GetType()))
        {
            var parts = path.Split('.');
            JsonObject? parent = node;
            for (int i = 0; i < parts.Length - 1 && parent is not null; i++) parent = parent[parts[i]] as JsonObject;
            if (parent is null || !parent.ContainsKey(parts[^1])) continue;
            runOnly[path] = parent[parts[^1]]?.ToJsonString() ?? "null";
            parent.Remove(parts[^1]);
        }
        return new StageSettings(node.ToJsonString(options), runOnly, full);
    }

    /// <summary>The dotted JSON paths of every run-only setting of <paramref name="type"/>, nested sections included.</summary>
    public static IReadOnlyList<string> RunOnlyPaths(Type type)
    {
        var paths = new List<string>();
        // GetTypeInfo needs the options' resolver, which only a first serialization sets otherwise (no-op once read-only)
        ConfigJson.Options.MakeReadOnly(populateMissingResolver: true);
        Collect(ConfigJson.Options.GetTypeInfo(type), "", paths, depth: 0);
        return paths;
    }

    private static void Collect(JsonTypeInfo info, string prefix, List<string> paths, int depth)
    {
        if (info.Kind != JsonTypeInfoKind.Object || depth > 8) return;
        foreach (var p in info.Properties)
        {
            var path = prefix + p.Name;
            if (p.AttributeProvider is MemberInfo m && m.GetCustomAttribute<RunOnlyAttribute>() is not null)
                paths.Add(path);
            else
                Collect(ConfigJson.Options.GetTypeInfo(p.PropertyType), path + ".", paths, depth + 1);
        }
    }

    /// <summary>The run-only settings whose values differ between two runs (present in only one counts as differing).</summary>
    public static IReadOnlyList<string> Changed(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> now) =>
        before.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Where(k => !before.TryGetValue(k, out var a) || !now.TryGetValue(k, out var b) || a != b)
            .ToList();
}
