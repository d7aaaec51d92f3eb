/* placeholder: replaced by the writer */
#include "gguf-writer.h"
