/* model-internal.h — what engine modules may ask of a loaded gm_model.
 * Kept tiny so the tokenizer/chat code does not depend on the forward pass.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"
#include "gguf.h"
#include "hparams.h"

struct gm_tokenizer;

const gguf_file *gm_model_gguf (const gm_model *model);
const gm_hparams *gm_model_hparams (const gm_model *model);
const struct gm_tokenizer *gm_model_tokenizer (const gm_model *model);
