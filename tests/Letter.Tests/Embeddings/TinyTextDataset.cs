using System.Text.Json;

namespace Letter.Tests.Embeddings;

/// <summary>A small dataset folder with item text of varied lengths and fields (some absent).</summary>
internal static class TinyTextDataset
{
    private static readonly string[] Words = ["guitar", "strings", "amplifier", "cable", "pedal", "microphone", "stand", "tuner", "drum", "stick"];

    public static void Write(string dir, string name, int items)
    {
        var inter = new Dictionary<string, int[]>();
        for (int u = 0; u < 10; u++) inter[u.ToString()] = [u % items, (u + 1) % items, (u + 2) % items, (u + 3) % items];
        var text = new Dictionary<string, Dictionary<string, string>>();
        for (int i = 0; i < items; i++)
        {
            var item = new Dictionary<string, string> { ["title"] = $"{Words[i % Words.Length]} model {i}" };
            if (i % 3 != 0) item["description"] = string.Join(' ', Enumerable.Range(0, 1 + i % 9 * 4).Select(k => Words[(i + k) % Words.Length]));
            if (i % 2 == 0) item["categories"] = "Musical Instruments, Accessories";
            if (i % 5 == 0) item["brand"] = "Acme";
            text[i.ToString()] = item;
        }
        File.WriteAllText(Path.Combine(dir, $"{name}.inter.json"), JsonSerializer.Serialize(inter));
        File.WriteAllText(Path.Combine(dir, $"{name}.item.json"), JsonSerializer.Serialize(text));
    }
}
