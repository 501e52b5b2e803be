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
        ["Letter.Data"],
        ["Letter.Embeddings"],
        ["Letter.Tokenization"],
        ["Letter.Decoding"],
        ["Letter.Evaluation"],
        // trained models: each is evaluated through Evaluation and decoded through Decoding; neither uses the other
        ["Letter.Collaborative"],
        ["Letter.Recommender"],
        ["Letter.Pipeline"],
    ];

    public static TheoryData<string> Namespaces() => new(Layers.SelectMany(l => l));

    [Theory]
    [MemberData(nameof(Namespaces))]
    public void A_namespace_uses_no_namespace_of_a_later_layer(string ns)
    {
        int layer = Array.FindIndex(Layers, l => l.Contains(ns));
        // Collaborative and Recommender sit side by side: treat each as later than the other
        var later = Layers.Skip(layer + 1).SelectMany(l => l).ToList();
        if (ns == "Letter.Collaborative") later.Remove("Letter.Collaborative");
        var result = Types.InAssembly(typeof(Letter.Decoding.IIdentifierGenerator).Assembly)
            .That().ResideInNamespace(ns)
            .ShouldNot().HaveDependencyOnAny(later.ToArray())
            .GetResult();
        Assert.True(result.IsSuccessful,
            $"{ns} must not use {string.Join(", ", later)}; offending types: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void The_check_sees_a_dependency_that_exists()
    {
        // TIGER implements the generation seam, so Recommender uses Decoding: the rule above would catch the reverse
        var result = Types.InAssembly(typeof(Letter.Decoding.IIdentifierGenerator).Assembly)
            .That().HaveName("TigerGenerator").Should().HaveDependencyOn("Letter.Decoding").GetResult();
        Assert.True(result.IsSuccessful);
        var reverse = Types.InAssembly(typeof(Letter.Decoding.IIdentifierGenerator).Assembly)
            .That().HaveName("TigerGenerator").ShouldNot().HaveDependencyOn("Letter.Decoding").GetResult();
        Assert.False(reverse.IsSuccessful);
    }

    [Fact]
    public void Every_namespace_of_the_library_has_a_layer()
    {
        var known = Layers.SelectMany(l => l).ToHashSet();
        var namespaces = typeof(Letter.Decoding.IIdentifierGenerator).Assembly.GetTypes()
            .Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("Letter.", StringComparison.Ordinal))
            .Select(n => string.Join('.', n.Split('.').Take(2))).Distinct();
        Assert.All(namespaces, n => Assert.Contains(n, known));
    }

    [Fact]
    public void The_library_does_not_write_to_the_console()
    {
        var result = Types.InAssembly(typeof(Letter.Decoding.IIdentifierGenerator).Assembly)
            .ShouldNot().HaveDependencyOn("System.Console").GetResult();
        Assert.True(result.IsSuccessful, $"types that use System.Console: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }
}
