#include "runtime.h"

struct lb_runtime lb_runtime;
