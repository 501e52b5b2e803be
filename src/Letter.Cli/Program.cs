using Letter.Cli;

return CliApp.Run(args);
