/*
 * The frameflow subcommands. Each takes the arguments after the command name
 * (argv[0] is the command name) and returns the process exit status.
 */
#ifndef FRAMEFLOW_CLI_COMMANDS_H
#define FRAMEFLOW_CLI_COMMANDS_H

int cli_cmd_eval(int argc, char **argv);
int cli_cmd_export(int argc, char **argv);
int cli_cmd_plot(int argc, char **argv);
int cli_cmd_sample(int argc, char **argv);

#endif
