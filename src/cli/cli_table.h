/*
 * Aligned text tables for listings in a terminal: rows of cells, column
 * widths computed over all rows (in UTF-8 characters), long cells cut.
 */
#ifndef IOCM_CLI_CLI_TABLE_H
#define IOCM_CLI_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct cli_table {
    size_t ncols;
    char **cells; /* rows * ncols, owned */
    size_t nrows;
    size_t alloc;
    size_t max_width; /* per cell, in characters; 0 = no limit */
};

void cli_table_init(struct cli_table *t, size_t ncols, size_t max_width);
void cli_table_release(struct cli_table *t);
/* Adds a row of ncols strings (copied; NULL prints as empty). */
void cli_table_add(struct cli_table *t, const char *const *cells);
/* Prints the rows, the first being the header. */
void cli_table_print(const struct cli_table *t, FILE *fp);

#endif
