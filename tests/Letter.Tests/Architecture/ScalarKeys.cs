using Microsoft.CodeAnalysis;

namespace Letter.Tests.Architecture;

/// <summary>A Roslyn method's key in the form <see cref="ScalarMakingMethods"/> reads from IL.</summary>
internal static class ScalarKeys
{
    public static string Of(IMethodSymbol method)
    {
        method = (method.ReducedFrom ?? method).OriginalDefinition;
        var parameters = method.Parameters.Select(p => TypeName(p.Type) + (p.RefKind == RefKind.None ? "" : "&"));
        return $"{ContainingName(method.ContainingType)}::{method.MetadataName}({string.Join(",", parameters)})";
    }

    static string ContainingName(INamedTypeSymbol type) => type.ContainingType is { } outer
        ? $"{ContainingName(outer)}+{type.MetadataName}"
        : $"{type.ContainingNamespace.ToDisplayString()}.{type.MetadataName}";

    public static string TypeName(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol a => TypeName(a.ElementType) + "[" + new string(',', a.Rank - 1) + "]",
        IPointerTypeSymbol p => TypeName(p.PointedAtType) + "*",
        ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method } t => "!!" + t.Ordinal,
        ITypeParameterSymbol t => "!" + t.Ordinal,
        INamedTypeSymbol { IsGenericType: true } n => $"{n.MetadataName}<{string.Join(",", n.TypeArguments.Select(TypeName))}>",
        _ => type.MetadataName,
    };
}
