using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.Common;
using Letter.IO;

namespace Letter.Runs;

/// <summary>
/// The kind-neutral part of a run's record (config.json): which recommender kind made the run, the
/// record's schema version, the dataset and index it trained on, its user sample, the versions that
/// made it, and the kind's settings as JSON (the kind reads them as its config type).
/// </summary>
/// <remarks>
/// Schema 1 is every record written before the record named its kind: TIGER runs (no kind; camelCase
/// keys in the oldest) and LC-Rec runs (<c>"recommender": "lc-rec"</c>). Schema 2 adds <c>kind</c> and
/// <c>schema_version</c>. Both load.
/// </remarks>
public sealed record RunRecord(
    string Kind,
    int SchemaVersion,
    string DatasetDirectory,
    string? IndexFile,
    string IndexSha256,
    int ItemCount,
    int? MaxUsers,
    string? Created,
    RunVersions? Versions,
    JsonObject Settings)
{
    /// <summary>The schema this version writes.</summary>
    public const int CurrentSchema = 2;

    /// <summary>The kind of a schema-1 record that names none: the first recommender, TIGER.</summary>
    public const string LegacyKind = "tiger";

    public static RunRecord Read(RunFolder run) => Read(run.ConfigFile);

    public static RunRecord Read(string configFile)
    {
        if (!File.Exists(configFile)) throw new LetterDataException(configFile, null, "is missing: not a run folder (train one with 'letter train')");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(configFile)) as JsonObject
                   ?? throw new LetterDataException(configFile, null, "is not a JSON object (a run record)");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(configFile, null, $"is not a valid run record: {e.Message}");
        }
        JsonNode? Get(string snake, string camel) => root[snake] ?? root[camel];
        T Required<T>(string snake, string camel)
        {
            var node = Get(snake, camel) ?? throw new LetterDataException(configFile, null, $"has no \"{snake}\": not a run record");
            try { return node.GetValue<T>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new LetterDataException(configFile, snake, $"has a value of the wrong type ({node.ToJsonString()})");
            }
        }
        int schema = root["schema_version"] is { } v ? Required<int>("schema_version", "schemaVersion") : 1;
        if (schema is < 1 or > CurrentSchema)
            throw new LetterDataException(configFile, "schema_version", $"is {schema}: this version of Letter reads run records of schema 1 to {CurrentSchema}");
        string kind = (string?)root["kind"] ?? (string?)root["recommender"] ?? LegacyKind;
        RunVersions? versions = null;
        if (Get("versions", "versions") is JsonObject vo)
        {
            try { versions = LetterJson.Deserialize<RunVersions>(vo.ToJsonString()); }
            catch (JsonException e) { throw new LetterDataException(configFile, "versions", $"is not a versions record: {e.Message}"); }
        }
        var settings = Get("config", "config") as JsonObject ?? throw new LetterDataException(configFile, null, "has no \"config\" object: not a run record");
        return new RunRecord(kind, schema, Required<string>("dataset_directory", "datasetDirectory"), (string?)Get("index_file", "indexFile"),
            Required<string>("index_sha256", "indexSha256"), Required<int>("item_count", "itemCount"), (int?)Get("max_users", "maxUsers"),
            (string?)Get("created", "created"), versions, (JsonObject)settings.DeepClone());
    }
}
