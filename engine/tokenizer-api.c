/* tokenizer-api.c — the public tokenizer, detokenizer and chat functions of
 * gemlet.h, on top of the model's tokenizer. Kept apart from the tokenizer
 * proper so that only this file needs a loaded model.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chat.h"
#include "model-internal.h"
#include "tokenizer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fail (gm_error *err, gm_status code, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL)
    return;
  err->code = code;
  va_start (ap, fmt);
  vsnprintf (err->message, sizeof err->message, fmt, ap);
  va_end (ap);
}

static const gm_tokenizer *
tokenizer_of (const gm_model *model)
{
  return model ? gm_model_tokenizer (model) : NULL;
}

int64_t
gm_tokenize (const gm_model *model, const char *text, size_t len, bool add_bos,
             bool parse_special, int32_t *out, size_t cap, gm_error *err)
{
  const gm_tokenizer *tok = tokenizer_of (model);
  gm_token_vec ids = { 0 };
  int64_t n;

  if (tok == NULL)
    {
      fail (err, GM_ERR_INVALID, "gm_tokenize: no model (or the model has no tokenizer)");
      return -1;
    }
  if ((text == NULL && len > 0) || (out == NULL && cap > 0))
    {
      fail (err, GM_ERR_INVALID, "gm_tokenize: NULL %s with a non-zero size",
            text == NULL && len > 0 ? "text" : "output buffer");
      return -1;
    }
  if (!gm_tokenizer_encode (tok, text, len, add_bos, parse_special, &ids))
    {
      gm_token_vec_free (&ids);
      fail (err, GM_ERR_NOMEM, "gm_tokenize: out of memory tokenizing %zu bytes", len);
      return -1;
    }
  if (ids.n > 0 && cap > 0)
    memcpy (out, ids.ids, (ids.n < cap ? ids.n : cap) * sizeof *out);
  n = (int64_t) ids.n;
  gm_token_vec_free (&ids);
  return n;
}

int64_t
gm_token_to_piece (const gm_model *model, int32_t token, bool with_special, char *buf,
                   size_t cap)
{
  const gm_tokenizer *tok = tokenizer_of (model);

  if (tok == NULL || (buf == NULL && cap > 0))
    return -1;
  return gm_tokenizer_piece (tok, token, with_special, buf, cap);
}

bool
gm_token_is_eog (const gm_model *model, int32_t token)
{
  const gm_tokenizer *tok = tokenizer_of (model);
  return tok != NULL && gm_tokenizer_is_eog (tok, token);
}

int32_t
gm_model_bos (const gm_model *model)
{
  const gm_tokenizer *tok = tokenizer_of (model);
  return tok ? gm_tokenizer_bos (tok) : -1;
}

gm_detok *
gm_detok_new (const gm_model *model, bool with_special)
{
  return gm_detok_new_for_tokenizer (tokenizer_of (model), with_special);
}

static void
format_of (const gm_tokenizer *tok, gm_chat_format *fmt)
{
  size_t len = 0;
  const char *tmpl = gm_tokenizer_chat_template (tok, &len);

  gm_chat_format_detect (tmpl, len, fmt);
}

char *
gm_chat_render (const gm_model *model, const gm_chat_message *msgs, size_t n_msgs,
                bool add_generation_prompt, bool enable_thinking, gm_error *err)
{
  const gm_tokenizer *tok = tokenizer_of (model);
  gm_chat_format fmt;
  const char *bos;
  size_t bos_len = 0;

  if (tok == NULL)
    {
      fail (err, GM_ERR_INVALID, "gm_chat_render: no model (or the model has no tokenizer)");
      return NULL;
    }
  format_of (tok, &fmt);
  bos = gm_tokenizer_text (tok, gm_tokenizer_bos (tok), &bos_len);
  return gm_chat_render_format (&fmt, bos, bos_len, msgs, n_msgs, add_generation_prompt,
                                enable_thinking, err);
}

const char *
gm_chat_template_family (const gm_model *model)
{
  const gm_tokenizer *tok = tokenizer_of (model);
  gm_chat_format fmt;

  if (tok == NULL)
    return "fallback (no model)";
  format_of (tok, &fmt);
  return fmt.family;
}
