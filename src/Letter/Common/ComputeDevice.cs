using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Letter.IO;
using TorchSharp;

namespace Letter.Common;

/// <summary>The kinds of processor Letter's models run on.</summary>
public enum DeviceKind
{
    Cpu,
    Cuda,
}

/// <summary>
/// Where a model and every tensor that works with it live: the CPU (the default, and what
/// <c>default(ComputeDevice)</c> is) or a CUDA GPU, spelled as PyTorch spells it: <c>cpu</c>,
/// <c>cuda</c> (libtorch's current GPU) or <c>cuda:N</c> (GPU N). Models are built and initialised on
/// the CPU, so a seed gives the same starting weights on every device, then moved here; decoding,
/// training and evaluation create their tensors on the device of the model they work with.
/// </summary>
[JsonConverter(typeof(ComputeDeviceJsonConverter))]
public readonly record struct ComputeDevice
{
    /// <summary>
    /// The runtime setting (runtimeconfig.json, written by the build from <c>LetterTorchBackend</c>) that
    /// says which native libtorch package the host was built with: <c>cpu</c> or <c>cuda</c>.
    /// </summary>
    public const string BackendSetting = "Letter.TorchBackend";

    private readonly int _index; // GPU number + 1; 0 = none given

    private ComputeDevice(DeviceKind kind, int? index)
    {
        Kind = kind;
        _index = index is int i ? i + 1 : 0;
    }

    /// <summary>The CPU.</summary>
    public static ComputeDevice Cpu => default;

    /// <summary>A CUDA GPU: <paramref name="index"/> N, or libtorch's current GPU when null.</summary>
    public static ComputeDevice Cuda(int? index = null)
    {
        if (index is < 0) throw new ArgumentOutOfRangeException(nameof(index), $"a GPU number is 0 or more (got {index})");
        return new ComputeDevice(DeviceKind.Cuda, index);
    }

    public DeviceKind Kind { get; }

    /// <summary>The GPU number of <c>cuda:N</c>; null for the CPU and for plain <c>cuda</c>.</summary>
    public int? Index => _index == 0 ? null : _index - 1;

    public bool IsCpu => Kind == DeviceKind.Cpu;

    /// <summary>
    /// Reads <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (letters in any case); anything else is a
    /// <see cref="LetterConfigException"/> that quotes the value and says what is accepted.
    /// </summary>
    public static ComputeDevice Parse(string? text) =>
        TryParse(text, out var device) ? device
            : throw new LetterConfigException($"device {Describe(text)} is not one Letter knows: use cpu, cuda or cuda:N (N = 0, 1, ...)");

    public static bool TryParse(string? text, out ComputeDevice device)
    {
        device = Cpu;
        if (text is null) return false;
        if (text.Equals("cpu", StringComparison.OrdinalIgnoreCase)) return true;
        if (text.Equals("cuda", StringComparison.OrdinalIgnoreCase))
        {
            device = Cuda();
            return true;
        }
        const string prefix = "cuda:";
        if (text.Length > prefix.Length && text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && text.AsSpan(prefix.Length).IndexOfAnyExceptInRange('0', '9') < 0
            && int.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            device = Cuda(index);
            return true;
        }
        return false;
    }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>: what <see cref="Parse"/> reads back.</summary>
    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu" : Index is int i ? $"cuda:{i}" : "cuda";

    /// <summary>The libtorch device. Does not check that it exists: see <see cref="EnsureAvailable"/>.</summary>
    public torch.Device ToTorch() => Kind == DeviceKind.Cpu ? torch.CPU : new torch.Device(DeviceType.CUDA, Index ?? -1);

    /// <summary>The device a tensor lives on (CPU or CUDA; anything else is refused).</summary>
    public static ComputeDevice Of(torch.Tensor tensor) => tensor.device_type switch
    {
        DeviceType.CPU => Cpu,
        DeviceType.CUDA => Cuda(tensor.device_index < 0 ? null : tensor.device_index),
        var other => throw new ArgumentException($"the tensor lives on {other}, a device Letter does not run on"),
    };

    /// <summary>
    /// Throws a <see cref="LetterConfigException"/> unless libtorch in this process can use the device: a
    /// CUDA device needs a host built with libtorch's CUDA package, a driver and the GPU itself. The CPU
    /// is always available.
    /// </summary>
    public void EnsureAvailable()
    {
        if (Kind == DeviceKind.Cpu) return;
        if (!torch.cuda.is_available())
        {
            var backend = AppContext.GetData(BackendSetting) as string;
            throw new LetterConfigException(backend switch
            {
                "cpu" => $"device {this}: this build of Letter uses libtorch's CPU package, which has no CUDA; use device cpu, " +
                         "or a build of Letter made with libtorch's CUDA package (LetterTorchBackend=cuda, see docs/architecture.md, Devices)",
                "cuda" => $"device {this}: libtorch's CUDA package is loaded but finds no usable GPU (no NVIDIA driver or GPU visible to this process)",
                _ => $"device {this}: CUDA is not available to libtorch in this process (a CPU-only libtorch package, or no GPU and driver)",
            });
        }
        int count = torch.cuda.device_count();
        if (Index is int i && i >= count)
            throw new LetterConfigException($"device {this}: there is no GPU {i}; libtorch sees {count} (cuda:0{(count > 1 ? $" to cuda:{count - 1}" : "")})");
    }

    /// <summary>A value quoted for a message: at most 40 characters, control characters escaped.</summary>
    private static string Describe(string? text)
    {
        if (text is null) return "(none)";
        var s = text.Length <= 40 ? text : text[..37] + "...";
        var escaped = new System.Text.StringBuilder(s.Length + 2).Append('\'');
        foreach (char c in s)
            escaped.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        return escaped.Append('\'').ToString();
    }
}

/// <summary>A <see cref="ComputeDevice"/> in JSON: its text, <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>.</summary>
public sealed class ComputeDeviceJsonConverter : JsonConverter<ComputeDevice>
{
    public override ComputeDevice Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("a device is a string: \"cpu\", \"cuda\" or \"cuda:N\"");
        var text = reader.GetString();
        return ComputeDevice.TryParse(text, out var device) ? device
            : throw new JsonException($"device \"{JsonEncodedText.Encode(text ?? "")}\" is not one Letter knows: use cpu, cuda or cuda:N");
    }

    public override void Write(Utf8JsonWriter writer, ComputeDevice value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
