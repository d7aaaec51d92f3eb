/* placeholder: replaced by the type table */
#include "gemlet-kernels.h"
