using Letter.Cli;
using Letter.Common;

// before libtorch's first allocation and MKL's first product (see TorchRuntime)
TorchRuntime.Prepare();
return CliApp.Run(args);
