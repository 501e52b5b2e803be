using System.Globalization;
using System.Text;
using System.Text.Json;
using Letter.Common;
using Letter.Data.Synthetic;
using Letter.IO;

namespace Letter.Data;

/// <summary>
/// The built-in dataset. Items get text from a department > category > product type hierarchy with
/// brands and attributes. Users browse with two kinds of regularity: semantic (the next item often
/// shares the current one's category or the user's departments, which the text reveals) and
/// collaborative (items form hidden "kits" of three from different departments, and the next item
/// is often the current item's kit successor, which no text reveals). Both signals matter.
/// </summary>
public static class SyntheticDataset
{
    public static DatasetFolder Write(string directory, SynthOptions options)
    {
        options.Validate();
        var (items, kitNext, deptOf, catOf, popularity) = MakeItems(options);
        var users = MakeUsers(options, items.Length, kitNext, deptOf, catOf, popularity);
        Directory.CreateDirectory(directory);
        var folder = new DatasetFolder(directory, options.Name);
        AtomicFile.WriteAllText(folder.ItemFile, ItemJson(items));
        AtomicFile.WriteAllText(folder.InterFile, InterJson(users));
        return folder;
    }

    private static (ItemText[] Items, int[] KitNext, int[] Dept, int[] Cat, double[] Popularity) MakeItems(SynthOptions o)
    {
        var rng = new SplitMix64((ulong)o.Seed * 2654435761UL + 1);
        var types = Catalog.Departments
            .SelectMany((d, di) => d.Categories.SelectMany((c, ci) => c.Types.Select(t => (Dept: di, Cat: di * 8 + ci, Type: t))))
            .ToArray();
        var items = new ItemText[o.Items];
        var dept = new int[o.Items];
        var cat = new int[o.Items];
        var titles = new HashSet<string>();
        for (int i = 0; i < o.Items; i++)
        {
            // Every product type is used before any repeats, then types are drawn at random.
            var t = i < types.Length ? types[i] : rng.Pick(types);
            var d = Catalog.Departments[t.Dept];
            var category = d.Categories[t.Cat - t.Dept * 8];
            string title;
            string brand;
            do
            {
                brand = rng.Pick(d.Brands);
                title = string.Create(CultureInfo.InvariantCulture,
                    $"{brand} {rng.Pick(Catalog.Adjectives)} {rng.Pick(Catalog.Colors)} {t.Type} {(char)('A' + rng.Next(26))}{rng.Next(900) + 100}");
            } while (!titles.Add(title));
            var description = string.Create(CultureInfo.InvariantCulture,
                $"A {rng.Pick(Catalog.Materials)} {t.Type.ToLowerInvariant()} from the {brand} {category.Name.ToLowerInvariant()} range, made for {rng.Pick(Catalog.Uses)}.");
            items[i] = new ItemText(title, description, $"{d.Name}, {category.Name}, {t.Type}", brand);
            dept[i] = t.Dept;
            cat[i] = t.Cat;
        }

        // Hidden kits: cycles of three items from three different departments.
        var kitNext = Enumerable.Range(0, o.Items).ToArray();
        var order = Enumerable.Range(0, o.Items).ToList();
        rng.Shuffle(order);
        var pool = new List<int>(order);
        while (pool.Count >= 3)
        {
            int a = pool[0];
            int bi = pool.FindIndex(1, x => dept[x] != dept[a]);
            if (bi < 0) break;
            int b = pool[bi];
            int ci = pool.FindIndex(1, x => dept[x] != dept[a] && dept[x] != dept[b]);
            if (ci < 0) break;
            int c = pool[ci];
            kitNext[a] = b;
            kitNext[b] = c;
            kitNext[c] = a;
            pool.Remove(a);
            pool.Remove(b);
            pool.Remove(c);
        }

        // Zipf-like popularity over a random permutation of the items.
        var popularity = new double[o.Items];
        rng.Shuffle(order);
        for (int r = 0; r < order.Count; r++) popularity[order[r]] = 1.0 / Math.Pow(r + 1, 0.7);
        return (items, kitNext, dept, cat, popularity);
    }

    private static List<int[]> MakeUsers(SynthOptions o, int itemCount, int[] kitNext, int[] dept, int[] cat, double[] popularity)
    {
        var rng = new SplitMix64((ulong)o.Seed * 0x9E3779B97F4A7C15UL + 2);
        Sampler Group(Func<int, int> key) => new(Enumerable.Range(0, itemCount).GroupBy(key)
            .ToDictionary(g => g.Key, g => (g.ToArray(), Cumulative(g.Select(i => popularity[i])))));
        var byCat = Group(i => cat[i]);
        var byDept = Group(i => dept[i]);
        var all = Cumulative(popularity);

        var users = new List<int[]>(o.Users);
        // Small catalogues may leave a department without items: users only prefer stocked ones.
        var departments = Enumerable.Range(0, Catalog.Departments.Length).Where(byDept.Has).ToArray();
        for (int u = 0; u < o.Users; u++)
        {
            var prefs = new[] { rng.Pick(departments), rng.Pick(departments) };
            // Lengths from 5 up, geometric tail (mean about 11), capped at 50.
            int length = 5;
            while (length < 50 && rng.NextDouble() < 0.86) length++;
            var seq = new List<int>(length);
            var seen = new HashSet<int>();
            int current = byDept.Draw(rng, prefs[0]);
            for (int attempts = 0; seq.Count < length && attempts < length * 20; attempts++)
            {
                if (seen.Add(current)) seq.Add(current);
                double r = rng.NextDouble();
                if (r < o.KitProbability && !seen.Contains(kitNext[current])) current = kitNext[current];
                else if (r < o.KitProbability + o.CategoryProbability) current = byCat.Draw(rng, cat[current]);
                else if (r < o.KitProbability + o.CategoryProbability + o.DepartmentProbability) current = byDept.Draw(rng, rng.Pick(prefs));
                else current = rng.PickWeighted(all);
            }
            users.Add(seq.ToArray());
        }
        return users;
    }

    private static double[] Cumulative(IEnumerable<double> weights)
    {
        var list = new List<double>();
        double sum = 0;
        foreach (var w in weights) list.Add(sum += w);
        return list.ToArray();
    }

    private sealed class Sampler(Dictionary<int, (int[] Items, double[] Cumulative)> groups)
    {
        public bool Has(int key) => groups.ContainsKey(key);

        public int Draw(SplitMix64 rng, int key)
        {
            var (items, cumulative) = groups[key];
            return items[rng.PickWeighted(cumulative)];
        }
    }

    private static string ItemJson(ItemText[] items)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            for (int i = 0; i < items.Length; i++)
            {
                w.WriteStartObject(i.ToString(CultureInfo.InvariantCulture));
                w.WriteString("title", items[i].Title);
                w.WriteString("description", items[i].Description);
                w.WriteString("categories", items[i].Categories);
                w.WriteString("brand", items[i].Brand);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string InterJson(List<int[]> users)
    {
        var sb = new StringBuilder();
        sb.Append("{\n");
        for (int u = 0; u < users.Count; u++)
        {
            sb.Append("  \"").Append(u.ToString(CultureInfo.InvariantCulture)).Append("\": [");
            sb.AppendJoin(", ", users[u]);
            sb.Append(u + 1 < users.Count ? "],\n" : "]\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }
}
