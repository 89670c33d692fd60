#ifndef IOCM_TESTS_FS_TESTLIB_H
#define IOCM_TESTS_FS_TESTLIB_H

/* What tests that make temporary folders share. */

/* Removes the folder dir and all it holds, depth first, following no
 * links. */
void remove_tree(const char *dir);

#endif
