/*
 * The iocm binary: everything lives in the libraries; this only enters.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
