/* cli.h — shared declarations of gemlet-cli's commands.
 * Each command lives in its own file and parses its own options.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cli_info (int argc, char **argv);
int cli_tokenize (int argc, char **argv);
int cli_logits (int argc, char **argv);
int cli_generate (int argc, char **argv);
int cli_chat (int argc, char **argv);
int cli_bench (int argc, char **argv);

/* Prints "gemlet-cli: <message>" to stderr; returns the exit status 1. */
int cli_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Parses a decimal integer option value in [min, max]; false on junk. */
bool cli_parse_int (const char *s, long long min, long long max, long long *out);
bool cli_parse_float (const char *s, double *out);

/* Parses "ID ID ..." (spaces/commas) into a malloc'd array; false on junk. */
bool cli_parse_ids (const char *s, int32_t **ids, size_t *n);

/* Reads a whole file into a malloc'd NUL-terminated buffer. */
char *cli_read_file (const char *path, size_t *len);
