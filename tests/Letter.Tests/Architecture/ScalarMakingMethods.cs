using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Letter.Tests.Architecture;

/// <summary>
/// The TorchSharp methods that make a <c>Scalar</c> inside their own body (an implicit conversion such as
/// <c>add(Tensor other) => add(other, 1)</c>, or <c>ToScalar()</c>) and pass it to libtorch without keeping it
/// alive, found by reading TorchSharp.dll's IL: a method is listed when it calls <c>Scalar.op_Implicit</c> or
/// <c>ScalarExtensionMethods.ToScalar</c>, or calls (call, callvirt, newobj) a listed method. No TorchSharp
/// method disposes a Scalar it made, so each of these has the hazard that our call sites cannot see.
/// Keys are <c>Namespace.Type+Nested::Name(ParamType,...)</c>, as <see cref="ScalarKeys"/> writes them.
/// </summary>
internal static class ScalarMakingMethods
{
    public static IReadOnlySet<string> Read(string torchSharpPath)
    {
        using var stream = File.OpenRead(torchSharpPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var signatures = new SignatureNames();
        var callers = new Dictionary<string, List<string>>();
        var makers = new HashSet<string>();
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            string caller = Key(md, signatures, handle);
            var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader();
            foreach (var (opcode, token) in MethodOperands(il))
            {
                if (opcode == OpCodes.Ldftn || opcode == OpCodes.Ldvirtftn) continue; // a delegate is made, not a call
                var target = MetadataTokens.EntityHandle(token);
                if (target.Kind == HandleKind.MethodSpecification) target = md.GetMethodSpecification((MethodSpecificationHandle)target).Method;
                if (target.Kind != HandleKind.MethodDefinition) continue; // other assemblies make no TorchSharp scalars
                var callee = (MethodDefinitionHandle)target;
                string calleeKey = Key(md, signatures, callee);
                if (MakesScalar(calleeKey)) { if (!IsScalarType(caller)) makers.Add(caller); continue; }
                if (!callers.TryGetValue(calleeKey, out var list)) callers[calleeKey] = list = [];
                list.Add(caller);
            }
        }
        // every caller of a maker makes (through it) a scalar that nobody keeps alive
        var pending = new Queue<string>(makers);
        while (pending.TryDequeue(out var m))
            foreach (var caller in callers.GetValueOrDefault(m) ?? [])
                if (!IsScalarType(caller) && makers.Add(caller)) pending.Enqueue(caller);
        return makers;
    }

    static bool MakesScalar(string key) =>
        key.StartsWith("TorchSharp.Scalar::op_Implicit(", StringComparison.Ordinal)
        || key.StartsWith("TorchSharp.ScalarExtensionMethods::ToScalar(", StringComparison.Ordinal);

    static bool IsScalarType(string key) =>
        key.StartsWith("TorchSharp.Scalar::", StringComparison.Ordinal) || key.StartsWith("TorchSharp.ScalarExtensionMethods::", StringComparison.Ordinal);

    static string Key(MetadataReader md, SignatureNames signatures, MethodDefinitionHandle handle)
    {
        var method = md.GetMethodDefinition(handle);
        var signature = method.DecodeSignature(signatures, null);
        return $"{TypeName(md, method.GetDeclaringType())}::{md.GetString(method.Name)}({string.Join(",", signature.ParameterTypes)})";
    }

    static string TypeName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var outer = type.GetDeclaringType();
        return outer.IsNil ? $"{md.GetString(type.Namespace)}.{md.GetString(type.Name)}" : $"{TypeName(md, outer)}+{md.GetString(type.Name)}";
    }

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields()
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The method-token operands of an IL body (call, callvirt, newobj, ldftn, ...).</summary>
    static IEnumerable<(OpCode Opcode, int Token)> MethodOperands(BlobReader il)
    {
        var found = new List<(OpCode, int)>();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE) value = unchecked((short)(0xFE00 | il.ReadByte()));
            var opcode = OpCodesByValue[value];
            switch (opcode.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.ReadByte(); break;
                case OperandType.InlineVar: il.ReadInt16(); break;
                case OperandType.InlineI8 or OperandType.InlineR: il.ReadInt64(); break;
                case OperandType.InlineSwitch: int n = il.ReadInt32(); for (int i = 0; i < n; i++) il.ReadInt32(); break;
                case OperandType.InlineMethod: found.Add((opcode, il.ReadInt32())); break;
                default: il.ReadInt32(); break;
            }
        }
        return found;
    }

    /// <summary>Parameter type names as <see cref="ScalarKeys.TypeName"/> writes Roslyn's: Double, Tensor, Nullable`1&lt;ScalarType&gt;.</summary>
    sealed class SignatureNames : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string element, ArrayShape shape) => element + "[" + new string(',', shape.Rank - 1) + "]";
        public string GetByReferenceType(string element) => element + "&";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericInstantiation(string generic, ImmutableArray<string> arguments) => $"{generic}<{string.Join(",", arguments)}>";
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodified, bool isRequired) => unmodified;
        public string GetPinnedType(string element) => element;
        public string GetPointerType(string element) => element + "*";
        public string GetPrimitiveType(PrimitiveTypeCode code) => code.ToString();
        public string GetSZArrayType(string element) => element + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte kind) => reader.GetString(reader.GetTypeDefinition(handle).Name);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte kind) => reader.GetString(reader.GetTypeReference(handle).Name);
        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte kind) => "spec";
    }
}
