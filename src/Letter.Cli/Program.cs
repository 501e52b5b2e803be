using Letter.Cli;
using Letter.Common;

// before libtorch's first allocation: it reads the huge-page setting once
TensorMemory.Tune();
return CliApp.Run(args);
