/* placeholder: replaced by gm_inspect */
#include "gemlet.h"
