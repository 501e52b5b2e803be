using Letter.Cli;
using Letter.Common;

// before libtorch's first allocation: it reads the huge-page setting once (the trainers then
// choose MKL's kernels by their precision through LetterRuntime.Apply)
TensorMemory.Tune();
return CliApp.Run(args);
