using NetArchTest.Rules;

namespace Letter.Tests.Architecture;

/// <summary>
/// The library's namespaces in the order of the flow. A namespace may use its own layer's namespaces
/// and those of earlier layers, never a later one, so dependencies point one way.
/// </summary>
public class LayeringTests
{
    internal static readonly string[][] Layers =
    [
        ["Letter.Common", "Letter.IO", "Letter.Progress", "Letter.Reporting"],
        // file formats of tensors and checkpoints (npy, pt, safetensors, gguf)
        ["Letter.Formats"],
        ["Letter.Data"],
        ["Letter.Embeddings"],
        ["Letter.Tokenization"],
        // the generation seam, the identifier catalogue, the trie and the beam search
        ["Letter.Generation"],
        ["Letter.Evaluation"],
        // run folders: the run record, its files, the checkpoint choice
        ["Letter.Runs"],
        // the one trainer a recommender kind plugs into
        ["Letter.Training"],
        // the models, side by side: each is trained through Training, decoded through Generation, evaluated
        // through Evaluation, and none uses another (what two kinds share lives in an earlier layer)
        ["Letter.Models.SasRec", "Letter.Models.Tiger", "Letter.Models.LcRec"],
        // the registry of recommender kinds (the one place that lists them) and kind-neutral run opening
        ["Letter.Kinds"],
        ["Letter.Pipeline"],
    ];

    public static TheoryData<string> Namespaces() => new(Layers.SelectMany(l => l));

    [Theory]
    [MemberData(nameof(Namespaces))]
    public void A_namespace_uses_no_namespace_of_a_later_layer(string ns)
    {
        int layer = Array.FindIndex(Layers, l => l.Contains(ns));
        var later = Layers.Skip(layer + 1).SelectMany(l => l).ToList();
        // the models of one layer are peers: each is later than the others
        if (ns.StartsWith("Letter.Models.", StringComparison.Ordinal)) later.AddRange(Layers[layer].Where(n => n != ns));
        var result = Types.InAssembly(typeof(Letter.Generation.IIdentifierGenerator).Assembly)
            .That().ResideInNamespace(ns)
            .ShouldNot().HaveDependencyOnAny(later.ToArray())
            .GetResult();
        Assert.True(result.IsSuccessful,
            $"{ns} must not use {string.Join(", ", later)}; offending types: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void The_check_sees_a_dependency_that_exists()
    {
        // TIGER implements the generation seam, so Models.Tiger uses Generation: the rule above would catch the reverse
        var result = Types.InAssembly(typeof(Letter.Generation.IIdentifierGenerator).Assembly)
            .That().HaveName("TigerGenerator").Should().HaveDependencyOn("Letter.Generation").GetResult();
        Assert.True(result.IsSuccessful);
        var reverse = Types.InAssembly(typeof(Letter.Generation.IIdentifierGenerator).Assembly)
            .That().HaveName("TigerGenerator").ShouldNot().HaveDependencyOn("Letter.Generation").GetResult();
        Assert.False(reverse.IsSuccessful);
    }

    [Fact]
    public void Every_namespace_of_the_library_has_a_layer()
    {
        var known = Layers.SelectMany(l => l).ToHashSet();
        var namespaces = typeof(Letter.Generation.IIdentifierGenerator).Assembly.GetTypes()
            .Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("Letter.", StringComparison.Ordinal))
            .Distinct();
        Assert.All(namespaces, n => Assert.Contains(known, k => n == k || n.StartsWith(k + ".", StringComparison.Ordinal)));
    }

    /// <summary>The recommender kinds' own namespaces: hosts reach them only through Letter.Kinds and Letter.Training.</summary>
    internal static readonly string[] KindInternals = ["Letter.Models.Tiger", "Letter.Models.LcRec"];

    [Fact]
    public void The_CLI_uses_no_recommender_kind_directly()
    {
        var result = Types.InAssembly(typeof(Letter.Cli.CliApp).Assembly)
            .ShouldNot().HaveDependencyOnAny(KindInternals).GetResult();
        Assert.True(result.IsSuccessful, $"CLI types that use a kind's internals: {string.Join(", ", result.FailingTypeNames ?? [])}");
        // the check sees such a use: the library's own registry lists the kinds
        var registry = Types.InAssembly(typeof(Letter.Kinds.KindRegistry).Assembly).That().HaveName("KindRegistry")
            .ShouldNot().HaveDependencyOnAny(KindInternals).GetResult();
        Assert.False(registry.IsSuccessful);
    }

    [Fact]
    public void The_service_uses_no_recommender_kind_directly()
    {
        // the service serves whatever kind a run record names, through Letter.Kinds (OpenedRun) and the generation seam
        var result = Types.InAssembly(typeof(Letter.Service.ServeOptions).Assembly)
            .ShouldNot().HaveDependencyOnAny(KindInternals).GetResult();
        Assert.True(result.IsSuccessful, $"service types that use a kind's internals: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void The_library_does_not_write_to_the_console()
    {
        var result = Types.InAssembly(typeof(Letter.Generation.IIdentifierGenerator).Assembly)
            .ShouldNot().HaveDependencyOn("System.Console").GetResult();
        Assert.True(result.IsSuccessful, $"types that use System.Console: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }
}
