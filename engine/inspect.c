/* inspect.c — describe a checkpoint from its headers: gm_inspect and
 * gm_estimate_memory. No tensor data is touched, so this is fast even for
 * multi-gigabyte files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "error.h"
#include "gemlet.h"
#include "gemlet-kernels.h"
#include "gguf.h"
#include "hparams.h"
#include "mobile-model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keep the estimate's context modest: the KV cache of a full 128K context
 * would dwarf the weights and is not what a desktop chat needs. */
#define GM_DEFAULT_N_CTX 8192


/* Copies a file string into a fixed field, replacing control bytes so a
 * hostile name cannot mess with a terminal or a JSON consumer. */
static void
copy_str (char *dst, size_t size, const gguf_str *s)
{
  size_t n = s->len < size - 1 ? (size_t) s->len : size - 1;

  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) s->ptr[i];
      dst[i] = c < 0x20 || c == 0x7f ? '?' : (char) c;
    }
  dst[n] = '\0';
}

static void
add_type_stat (gm_checkpoint_info *info, const gguf_tensor *t)
{
  gm_type_stat *st = NULL;
  uint32_t i;

  for (i = 0; i < info->n_type_stats; i++)
    if (info->type_stats[i].type_id == t->type)
      {
        st = &info->type_stats[i];
        break;
      }
  if (st == NULL)
    {
      const gk_type_info *ti = gk_type_get (t->type);
      if (info->n_type_stats == GM_MAX_TYPE_STATS)
        return; /* more distinct types than any real file has */
      /* keep the table sorted by type id */
      for (i = info->n_type_stats; i > 0 && info->type_stats[i - 1].type_id > t->type; i--)
        info->type_stats[i] = info->type_stats[i - 1];
      st = &info->type_stats[i];
      memset (st, 0, sizeof *st);
      st->type_id = t->type;
      if (ti != NULL && ti->name != NULL)
        snprintf (st->name, sizeof st->name, "%s", ti->name);
      else
        snprintf (st->name, sizeof st->name, "type %u", t->type);
      info->n_type_stats++;
    }
  st->n_tensors++;
  st->n_bytes += t->n_bytes;
}

/* What every valid GGUF gets, gemma4 or not. */
static void
describe_container (const gguf_file *f, gm_checkpoint_info *info)
{
  gguf_str s;
  int64_t n = gguf_n_tensors (f);

  snprintf (info->format, sizeof info->format, "GGUF v%u", gguf_version (f));
  if (gguf_get_str (f, "general.architecture", &s))
    copy_str (info->architecture, sizeof info->architecture, &s);
  if (gguf_get_str (f, "general.name", &s))
    copy_str (info->name, sizeof info->name, &s);
  if (gguf_get_str (f, "tokenizer.ggml.model", &s))
    copy_str (info->tokenizer_model, sizeof info->tokenizer_model, &s);
  info->has_chat_template = gguf_get_str (f, "tokenizer.chat_template", &s);
  info->file_bytes = gguf_file_size (f);
  info->n_tensors = (uint64_t) n;

  for (int64_t i = 0; i < n; i++)
    {
      const gguf_tensor *t = gguf_tensor_at (f, i);
      add_type_stat (info, t);
      /* The per-layer embedding table is gathered one row per token, so
       * only the touched pages need to be resident. */
      if (strcmp (t->name, "per_layer_token_embd.weight") == 0)
        info->weights_on_demand_bytes += t->n_bytes;
      else
        info->weights_resident_bytes += t->n_bytes;
    }

  /* Best effort for other architectures: "<arch>.context_length" and the
   * tokenizer's vocabulary. */
  if (info->architecture[0] != '\0')
    {
      char key[128];
      uint64_t v;
      int64_t tokens = gguf_find_key (f, "tokenizer.ggml.tokens");
      const gguf_tensor *emb = gguf_find_tensor (f, "token_embd.weight");

      snprintf (key, sizeof key, "%s.context_length", info->architecture);
      if (gguf_get_u64 (f, key, &v))
        info->n_ctx_train = v;
      if (emb != NULL && emb->n_dims == 2)
        info->n_vocab = (uint64_t) emb->ne[1];
      else if (tokens >= 0)
        info->n_vocab = gguf_arr_len (f, tokens);
    }
}

static void
describe_gemma4 (const gm_hparams *hp, gm_checkpoint_info *info)
{
  info->n_layer = hp->n_layer;
  info->n_embd = hp->n_embd;
  info->n_head = hp->n_head;
  info->n_head_kv = hp->n_head_kv[0];
  info->n_embd_per_layer = hp->n_embd_per_layer;
  info->head_dim_swa = hp->head_dim_swa;
  info->head_dim_full = hp->head_dim_full;
  info->n_swa = hp->n_swa;
  info->n_shared_kv_layers = hp->n_shared_kv;
  info->n_layer_full = 0;
  for (uint32_t il = 0; il < hp->n_layer; il++)
    info->n_layer_full += !hp->is_swa[il];
  info->n_ctx_train = hp->n_ctx_train;
  info->n_vocab = hp->n_vocab;

  if (hp->n_layer == 35 && hp->n_embd == 1536)
    info->variant = GM_VARIANT_E2B;
  else if (hp->n_layer == 42 && hp->n_embd == 2560)
    info->variant = GM_VARIANT_E4B;
  else
    info->variant = GM_VARIANT_GEMMA4_OTHER;
  snprintf (info->variant_reason, sizeof info->variant_reason, "%s%u layers, hidden size %u",
            info->variant == GM_VARIANT_GEMMA4_OTHER ? "not a known Gemma 4 size: " : "",
            hp->n_layer, hp->n_embd);

  info->default_n_ctx = hp->n_ctx_train > 0 && hp->n_ctx_train < GM_DEFAULT_N_CTX
                          ? hp->n_ctx_train
                          : GM_DEFAULT_N_CTX;
  /* The engine's KV cache is F32 for now. */
  info->kv_cache_bytes = gm_hparams_kv_bytes (hp, info->default_n_ctx, 4);
}

/* Opens path; on failure fills err (I/O vs malformed). */
static gguf_file *
open_checked (const char *path, gm_error *err)
{
  char msg[sizeof err->message];
  bool io = false;
  gguf_file *f;

  f = gguf_open_full (path, &io, msg, sizeof msg);
  if (f == NULL)
    gm_error_set (err, io ? GM_ERR_IO : GM_ERR_FORMAT, "%s", msg);
  return f;
}

gm_status
gm_inspect (const char *path, gm_checkpoint_info *info, gm_error *err)
{
  gm_hparams *hp;
  gguf_file *f;
  char msg[256];

  if (path == NULL || info == NULL)
    return gm_error_set (err, GM_ERR_INVALID, "gm_inspect: path and info are required");
  memset (info, 0, sizeof *info);
  if (gm_path_is_mobile (path))
    {
      gm_status st;

      hp = malloc (sizeof *hp);
      if (hp == NULL)
        return gm_error_set (err, GM_ERR_NOMEM, "out of memory");
      st = gm_mobile_describe (path, info, hp, err);
      if (st == GM_OK)
        describe_gemma4 (hp, info);
      free (hp);
      if (st == GM_OK && err != NULL)
        {
          err->code = GM_OK;
          err->message[0] = '\0';
        }
      return st;
    }
  f = open_checked (path, err);
  if (f == NULL)
    return err ? err->code : GM_ERR_FORMAT;

  describe_container (f, info);
  hp = malloc (sizeof *hp);
  if (hp == NULL)
    {
      gguf_close (f);
      return gm_error_set (err, GM_ERR_NOMEM, "out of memory");
    }
  if (gm_hparams_load (f, hp, msg, sizeof msg))
    describe_gemma4 (hp, info);
  else
    {
      /* Valid GGUF, but nothing Gemlet can run: describe it, say why. */
      info->variant = GM_VARIANT_NOT_GEMMA4;
      /* messages longer than the field are cut, which is fine here */
      if (snprintf (info->variant_reason, sizeof info->variant_reason, "%s", msg)
          >= (int) sizeof info->variant_reason)
        info->variant_reason[sizeof info->variant_reason - 1] = '\0';
    }
  free (hp);
  gguf_close (f);
  if (err != NULL)
    {
      err->code = GM_OK;
      err->message[0] = '\0';
    }
  return GM_OK;
}

static uint64_t
mem_available (void)
{
  FILE *fp = fopen ("/proc/meminfo", "r");
  char line[256];
  unsigned long long kb = 0;

  if (fp == NULL)
    return 0;
  while (fgets (line, sizeof line, fp) != NULL)
    if (sscanf (line, "MemAvailable: %llu kB", &kb) == 1)
      break;
  fclose (fp);
  return (uint64_t) kb * 1024;
}

gm_status
gm_estimate_memory (const char *path, uint32_t n_ctx, gm_memory *out, gm_error *err)
{
  gm_checkpoint_info *info;
  gm_hparams *hp;
  gguf_file *f;
  char msg[256];
  gm_status st = GM_OK;

  if (path == NULL || out == NULL)
    return gm_error_set (err, GM_ERR_INVALID, "gm_estimate_memory: path and out are required");
  memset (out, 0, sizeof *out);
  f = gm_path_is_mobile (path) ? NULL : open_checked (path, err);
  if (f == NULL && !gm_path_is_mobile (path))
    return err ? err->code : GM_ERR_FORMAT;
  info = calloc (1, sizeof *info);
  hp = malloc (sizeof *hp);
  if (info == NULL || hp == NULL)
    st = gm_error_set (err, GM_ERR_NOMEM, "out of memory");
  else if (f == NULL)
    {
      /* mobile checkpoint (mobile-inspect.c) */
      st = gm_mobile_describe (path, info, hp, err);
      if (st == GM_OK)
        {
          out->weights_resident = info->weights_resident_bytes;
          out->weights_on_demand = info->weights_on_demand_bytes;
          if (n_ctx == 0)
            n_ctx = hp->n_ctx_train > 0 && hp->n_ctx_train < GM_DEFAULT_N_CTX ? hp->n_ctx_train
                                                                              : GM_DEFAULT_N_CTX;
          out->kv_cache = gm_hparams_kv_bytes (hp, n_ctx, 4);
          out->system_available = mem_available ();
        }
    }
  else if (!gm_hparams_load (f, hp, msg, sizeof msg))
    st = gm_error_set (err, GM_ERR_UNSUPPORTED, "not a Gemma 4 model Gemlet can run: %s", msg);
  else
    {
      describe_container (f, info);
      out->weights_resident = info->weights_resident_bytes;
      out->weights_on_demand = info->weights_on_demand_bytes;
      if (n_ctx == 0)
        n_ctx = hp->n_ctx_train > 0 && hp->n_ctx_train < GM_DEFAULT_N_CTX ? hp->n_ctx_train
                                                                          : GM_DEFAULT_N_CTX;
      out->kv_cache = gm_hparams_kv_bytes (hp, n_ctx, 4);
      out->system_available = mem_available ();
    }
  free (info);
  free (hp);
  if (f != NULL)
    gguf_close (f);
  if (st == GM_OK && err != NULL)
    {
      err->code = GM_OK;
      err->message[0] = '\0';
    }
  return st;
}
