#include "cli.h"
int lbc_attach_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}
int lbc_dump_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}
