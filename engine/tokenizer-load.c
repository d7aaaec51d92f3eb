/* tokenizer-load.c — reads a Gemma 4 tokenizer out of GGUF metadata.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "error.h"
#include "tokenizer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string array key as views into the mapping; NULL with a message if the
 * key is absent or not an array of strings. */
static gm_strview *
string_array (const gguf_file *f, const char *key, size_t *n, char *err, size_t err_size)
{
  int64_t k = gguf_find_key (f, key);
  gm_strview *v;
  uint64_t len;

  if (k < 0)
    {
      gm_err_printf (err, err_size, "%s is missing", key);
      return NULL;
    }
  if (gguf_kv_type (f, k) != GGUF_VT_ARRAY || gguf_arr_type (f, k) != GGUF_VT_STRING)
    {
      gm_err_printf (err, err_size, "%s is not an array of strings", key);
      return NULL;
    }
  len = gguf_arr_len (f, k);
  if (len > (1u << 30))
    {
      gm_err_printf (err, err_size, "%s has %llu entries, too many", key,
               (unsigned long long) len);
      return NULL;
    }
  v = malloc ((size_t) (len ? len : 1) * sizeof *v);
  if (v == NULL)
    {
      gm_err_printf (err, err_size, "out of memory reading %s", key);
      return NULL;
    }
  for (uint64_t i = 0; i < len; i++)
    {
      gguf_str s;
      if (!gguf_arr_get_str (f, k, i, &s))
        {
          gm_err_printf (err, err_size, "%s[%llu] cannot be read", key,
                   (unsigned long long) i);
          free (v);
          return NULL;
        }
      v[i] = (gm_strview) { s.ptr, (size_t) s.len };
    }
  *n = (size_t) len;
  return v;
}

static int32_t
special_id (const gguf_file *f, const char *key)
{
  uint32_t id;

  if (!gguf_get_u32 (f, key, &id) || id > INT32_MAX)
    return -1;
  return (int32_t) id;
}

gm_tokenizer *
gm_tokenizer_load (const gguf_file *f, char *err, size_t err_size)
{
  gm_tokenizer_params params;
  gm_strview *tokens = NULL, *merges = NULL;
  int32_t *types = NULL;
  size_t n_tokens = 0, n_merges = 0;
  gm_tokenizer *tok = NULL;
  gguf_str model, tmpl;
  int64_t k;
  bool add_eos = false;

  if (!gguf_get_str (f, "tokenizer.ggml.model", &model))
    {
      gm_err_printf (err, err_size, "tokenizer.ggml.model is missing");
      return NULL;
    }
  if (model.len != 6 || memcmp (model.ptr, "gemma4", 6) != 0)
    {
      const char *why = "";
      if (model.len == 5 && memcmp (model.ptr, "llama", 5) == 0)
        why = " (SentencePiece, as in Gemma 1-3 files)";
      else if (model.len == 4 && memcmp (model.ptr, "gpt2", 4) == 0)
        why = " (GPT-2 byte-level BPE)";
      gm_err_printf (err, err_size,
               "tokenizer.ggml.model is \"%.*s\"%s; only Gemma 4's \"gemma4\" "
               "tokenizer is supported",
               (int) (model.len > 64 ? 64 : model.len), model.ptr, why);
      return NULL;
    }

  tokens = string_array (f, "tokenizer.ggml.tokens", &n_tokens, err, err_size);
  if (tokens == NULL)
    goto out;
  merges = string_array (f, "tokenizer.ggml.merges", &n_merges, err, err_size);
  if (merges == NULL)
    goto out;

  k = gguf_find_key (f, "tokenizer.ggml.token_type");
  if (k >= 0)
    {
      const void *data = NULL;
      if (gguf_kv_type (f, k) == GGUF_VT_ARRAY && gguf_arr_type (f, k) == GGUF_VT_INT32
          && gguf_arr_len (f, k) >= n_tokens)
        data = gguf_arr_data (f, k);
      if (data == NULL)
        {
          gm_err_printf (err, err_size,
                   "tokenizer.ggml.token_type must be an int32 array with at least "
                   "%zu entries",
                   n_tokens);
          goto out;
        }
      /* Copied: the array need not be aligned in the file. */
      types = malloc (n_tokens * sizeof *types + 1);
      if (types == NULL)
        {
          gm_err_printf (err, err_size, "out of memory");
          goto out;
        }
      memcpy (types, data, n_tokens * sizeof *types);
    }

  gm_tokenizer_params_init (&params);
  params.bos_id = special_id (f, "tokenizer.ggml.bos_token_id");
  params.eos_id = special_id (f, "tokenizer.ggml.eos_token_id");
  params.unk_id = special_id (f, "tokenizer.ggml.unknown_token_id");
  params.pad_id = special_id (f, "tokenizer.ggml.padding_token_id");
  /* add_bos_token is ignored: Gemma 4 always starts with BOS (llama.cpp
   * overrides a false value too). */
  if (gguf_get_bool (f, "tokenizer.ggml.add_eos_token", &add_eos))
    params.add_eos = add_eos;
  if (gguf_get_str (f, "tokenizer.chat_template", &tmpl))
    params.chat_template = (gm_strview) { tmpl.ptr, (size_t) tmpl.len };

  tok = gm_tokenizer_new (tokens, types, n_tokens, merges, n_merges, &params, err, err_size);

out:
  free (tokens);
  free (merges);
  free (types);
  return tok;
}
