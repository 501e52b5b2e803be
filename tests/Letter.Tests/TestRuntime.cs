using System.Runtime.CompilerServices;
using Letter.Common;

namespace Letter.Tests;

internal static class TestRuntime
{
    /// <summary>
    /// The test host prepares libtorch as an fp32 trainer does, before any test touches a tensor: MKL
    /// decides its kernels at the first matrix product, whichever test runs first.
    /// </summary>
    [ModuleInitializer]
    internal static void Prepare() => LetterRuntime.Apply(new RuntimeOptions());
}
