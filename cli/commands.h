/*
 * The frameflow subcommands. Each takes the arguments after the command name
 * (argv[0] is the command name) and returns the process exit status.
 */
#ifndef FRAMEFLOW_CLI_COMMANDS_H
#define FRAMEFLOW_CLI_COMMANDS_H

int cmd_eval(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_frames(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_train(int argc, char **argv);

#endif
