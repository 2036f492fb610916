#include "frameflow/version.h"

const char *
ff_version(void)
{
    return FF_VERSION_STRING;
}
