using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;

namespace Letter.Tests.Architecture;

/// <summary>
/// Finds, in one project's sources, every <c>TorchSharp.Scalar</c> that a call makes and nobody keeps alive:
/// an implicit conversion to Scalar at our call site (<c>t.add(1e-6)</c>, <c>arange(n)</c>), and a call of a
/// TorchSharp method that makes one inside (<c>t + 1e-6</c>, <c>a + b</c>: <see cref="ScalarMakingMethods"/>).
/// A conversion that initializes or is assigned to a field or property is kept alive by it, so it is not reported.
/// </summary>
internal sealed class ImplicitScalarFinder(IReadOnlyList<MetadataReference> references, IReadOnlySet<string> scalarMakingMethods)
{
    /// <summary>The SDK's implicit global usings (ImplicitUsings enable, Microsoft.NET.Sdk).</summary>
    const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>Errors only because source generators do not run here ([GeneratedRegex] partial members).</summary>
    static readonly HashSet<string> GeneratorErrors = ["CS8795", "CS9248"];

    public sealed record Hit(string File, int Line, string Expression, string Why)
    {
        public override string ToString() => $"{File}:{Line}: {Expression}  ({Why})";
    }

    /// <summary>The hits of the project whose sources are the .cs files under <paramref name="projectDir"/> (bin and obj excluded).</summary>
    public IReadOnlyList<Hit> Find(string projectDir, string assemblyName, string repoRoot)
    {
        var options = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);
        var trees = Directory.EnumerateFiles(projectDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), options, Path.GetRelativePath(repoRoot, f)))
            .Append(CSharpSyntaxTree.ParseText(GlobalUsings, options, "GlobalUsings.g.cs"))
            .ToList();
        var compilation = CSharpCompilation.Create(assemblyName, trees,
            references.Where(r => Path.GetFileNameWithoutExtension(r.Display) is { } name && name != assemblyName
                // its namespace Scalar would hide TorchSharp's type in projects that do not reference it
                && (name != "Scalar.AspNetCore" || assemblyName == "Letter.Service")),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        var hits = new List<Hit>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            var errors = model.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && !GeneratorErrors.Contains(d.Id)).Take(5).ToList();
            if (errors.Count > 0)
                throw new InvalidOperationException($"{assemblyName} does not compile here, so the search would be blind: {string.Join("; ", errors)}");
            // the outermost operations (member bodies, initializers): their trees hold every operation of the file
            var roots = new HashSet<IOperation>();
            var pending = new Stack<SyntaxNode>([tree.GetRoot()]);
            while (pending.TryPop(out var node))
            {
                if (model.GetOperation(node) is { } op)
                {
                    while (op.Parent is not null) op = op.Parent;
                    roots.Add(op);
                    continue;
                }
                foreach (var child in node.ChildNodes()) pending.Push(child);
            }
            foreach (var op in roots.SelectMany(r => r.DescendantsAndSelf()))
                if (Why(op) is { } why)
                    hits.Add(new Hit(tree.FilePath, op.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1, op.Syntax.ToString(), why));
        }
        return hits.Distinct().OrderBy(h => h.File, StringComparer.Ordinal).ThenBy(h => h.Line).ToList();
    }

    string? Why(IOperation op)
    {
        switch (op)
        {
            case IConversionOperation { OperatorMethod: { } conversion } c when IsScalar(conversion.ReturnType) && !KeptAlive(c):
                return $"implicit {ScalarKeys.TypeName(c.Operand.Type!)} -> Scalar";
            case IInvocationOperation i when MakesScalar(i.TargetMethod):
                return $"{i.TargetMethod.Name} makes a Scalar inside TorchSharp";
            case IBinaryOperation { OperatorMethod: { } m } when MakesScalar(m):
                return $"operator {m.Name} makes a Scalar inside TorchSharp";
            case IUnaryOperation { OperatorMethod: { } m } when MakesScalar(m):
                return $"operator {m.Name} makes a Scalar inside TorchSharp";
            case ICompoundAssignmentOperation { OperatorMethod: { } m } when MakesScalar(m):
                return $"operator {m.Name} makes a Scalar inside TorchSharp";
            case IObjectCreationOperation { Constructor: { } m } when MakesScalar(m):
                return $"constructor of {m.ContainingType.Name} makes a Scalar inside TorchSharp";
            case IPropertyReferenceOperation p when p.Property.GetMethod is { } get && MakesScalar(get):
                return $"{p.Property.Name} makes a Scalar inside TorchSharp";
            default:
                return null;
        }
    }

    bool MakesScalar(IMethodSymbol method) => scalarMakingMethods.Contains(ScalarKeys.Of(method));

    static bool IsScalar(ITypeSymbol type) => type is { Name: "Scalar", ContainingNamespace.Name: "TorchSharp" };

    /// <summary>A field or property that holds the scalar keeps it alive for as long as its owner lives.</summary>
    static bool KeptAlive(IConversionOperation c) => c.Parent switch
    {
        IFieldInitializerOperation or IPropertyInitializerOperation => true,
        ISimpleAssignmentOperation a => a.Target is IFieldReferenceOperation or IPropertyReferenceOperation,
        _ => false,
    };
}
