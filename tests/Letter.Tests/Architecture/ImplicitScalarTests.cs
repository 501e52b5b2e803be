using Microsoft.CodeAnalysis;
using TorchSharp;

namespace Letter.Tests.Architecture;

/// <summary>
/// No TorchSharp Scalar that the code passes to libtorch may be a temporary: TorchSharp takes its native handle
/// and leaves the managed object unreachable, so a collection on another thread can run its finalizer and free
/// the scalar while libtorch reads it (the service's rare 500s, "Expected false to be true" from
/// Scalar::toFloat). Scalars must be static (Common/TorchScalars), fields of a module, or
/// <c>using var s = value.ToScalar()</c> for the call's scope. See docs/architecture.md.
/// </summary>
public class ImplicitScalarTests
{
    static readonly string RepoRoot = FindRepoRoot();

    /// <summary>The projects whose code calls TorchSharp: the library, its hosts and the sample.</summary>
    static readonly (string Dir, string Assembly)[] Projects =
    [
        ("src/Letter", "Letter"),
        ("src/Letter.Cli", "Letter.Cli"),
        ("src/Letter.Service", "Letter.Service"),
        ("samples/Letter.Sample", "Letter.Sample"),
    ];

    static readonly Lazy<ImplicitScalarFinder> Finder = new(() =>
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var output = Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll");
        var references = trusted.Concat(output)
            .GroupBy(Path.GetFileName).Select(g => g.First())
            .Where(IsManagedAssembly)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
        return new ImplicitScalarFinder(references, ScalarMakingMethods.Read(typeof(torch).Assembly.Location));
    });

    [Fact]
    public void No_call_passes_libtorch_a_Scalar_that_nobody_keeps_alive()
    {
        var hits = Projects.SelectMany(p => Finder.Value.Find(Path.Combine(RepoRoot, p.Dir), p.Assembly, RepoRoot)).ToList();
        Assert.True(hits.Count == 0,
            $"{hits.Count} temporary TorchSharp Scalars (use TorchScalars, a module's Scalar field, or `using var s = v.ToScalar()`):\n"
            + string.Join("\n", hits));
    }

    [Fact]
    public void The_search_sees_each_kind_of_temporary_Scalar()
    {
        string dir = Path.Combine(Path.GetTempPath(), "letter-scalar-probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "Probe.cs"), """
                using TorchSharp;
                using static TorchSharp.torch;
                static class Probe
                {
                    static readonly Scalar Kept = 1e-6;               // a field keeps it: not reported
                    static Tensor Bad(Tensor t, Tensor u, double eps)
                    {
                        var a = t.add(eps);                           // implicit double -> Scalar
                        var b = t + eps;                              // TorchSharp's operator makes it
                        var c = t + u;                                // add(Tensor) makes alpha 1
                        using var s = eps.ToScalar();
                        var d = t.add(s, Kept).mul(Kept);             // kept alive, alpha given: not reported
                        return arange(10);                            // implicit int -> Scalar, and arange(stop) makes start and step
                    }
                }
                """);
            var hits = Finder.Value.Find(dir, "Probe", dir);
            Assert.Equal([8, 8, 9, 10, 13, 13], hits.Select(h => h.Line).Order().ToArray());
            Assert.Contains(hits, h => h.Line == 8 && h.Why == "implicit Double -> Scalar" && h.Expression == "eps");
            Assert.Contains(hits, h => h.Line == 8 && h.Why == "add makes a Scalar inside TorchSharp"); // add(Scalar) makes alpha 1
            Assert.Contains(hits, h => h.Line == 9 && h.Why == "operator op_Addition makes a Scalar inside TorchSharp");
            Assert.Contains(hits, h => h.Line == 10 && h.Why == "operator op_Addition makes a Scalar inside TorchSharp");
            Assert.Contains(hits, h => h.Line == 13 && h.Why == "implicit Int32 -> Scalar" && h.Expression == "10");
            Assert.Contains(hits, h => h.Line == 13 && h.Why == "arange makes a Scalar inside TorchSharp");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    static bool IsManagedAssembly(string path)
    {
        try { System.Reflection.AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Letter.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Letter.slnx not found above " + AppContext.BaseDirectory);
    }
}
