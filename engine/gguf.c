/* placeholder: replaced by the GGUF reader */
#include "gguf.h"
