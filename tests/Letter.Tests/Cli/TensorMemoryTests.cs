using System.Runtime.InteropServices;
using Letter.Common;

namespace Letter.Tests.Cli;

public class TensorMemoryTests
{
    [DllImport("libc.so.6", EntryPoint = "getenv")]
    private static extern IntPtr NativeGetenv([MarshalAs(UnmanagedType.LPStr)] string name);

    [Fact]
    public void Tune_turns_on_libtorch_huge_pages_in_the_native_environment_unless_already_set()
    {
        // .NET's Environment reads a snapshot taken at start-up: what the user set, if anything
        string? preset = Environment.GetEnvironmentVariable("THP_MEM_ALLOC_ENABLE");
        TensorMemory.Tune();
        Assert.Equal(preset ?? "1", Marshal.PtrToStringAnsi(NativeGetenv("THP_MEM_ALLOC_ENABLE")));
    }
}
