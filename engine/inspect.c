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
#include "kv-cache.h"
#include "mobile-model.h"
#include "session.h"

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

static uint32_t
default_n_ctx (const gm_hparams *hp)
{
  return hp->n_ctx_train > 0 && hp->n_ctx_train < GM_DEFAULT_N_CTX ? hp->n_ctx_train
                                                                    : GM_DEFAULT_N_CTX;
}

/* KV bytes a session allocates: slot counts from gm_kv_caps (the function
 * gm_kv_init sizes the cache with), K and V of n_head_kv·head_dim values per
 * slot on each owning layer, nothing on layers that read another's cache. */
static uint64_t
kv_layout (const gm_hparams *hp, uint32_t n_ctx, uint32_t n_ubatch, bool f16, gm_kv_layout *out)
{
  gm_kv_layout l;
  const uint32_t bpv = f16 ? 2 : 4;

  memset (&l, 0, sizeof l);
  l.n_ctx = n_ctx;
  l.bytes_per_value = bpv;
  gm_kv_caps (hp, n_ctx, n_ubatch, GM_KV_SWA_SLACK, &l.swa_slots, &l.full_slots);
  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      const uint64_t per_token
        = 2ull * hp->n_head_kv[il] * gm_hparams_head_dim (hp, il) * bpv;

      if (hp->kv_source[il] != il)
        {
          if (hp->is_swa[il])
            l.n_layer_shared_swa++;
          else
            l.n_layer_shared_full++;
        }
      else if (hp->is_swa[il])
        {
          l.n_layer_swa++;
          l.bytes_per_token_swa += per_token;
        }
      else
        {
          l.n_layer_full++;
          l.bytes_per_token_full += per_token;
        }
    }
  l.bytes = (uint64_t) l.swa_slots * l.bytes_per_token_swa
            + (uint64_t) l.full_slots * l.bytes_per_token_full;
  if (out != NULL)
    *out = l;
  return l.bytes;
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

  info->default_n_ctx = default_n_ctx (hp);
  /* what a session with default options allocates (F32 K/V) */
  info->kv_cache_bytes = kv_layout (hp, info->default_n_ctx, GM_MAX_UBATCH, false, NULL);
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

/* Activation buffers of a session (session.c's scratch_init plus the
 * matrix-product scratch of matmul.c), for U-token micro-batches, n_slots
 * attention slots and n_threads threads. max_row is the widest weight input
 * the model registers: every matrix the forward pass multiplies by, and on
 * mobile checkpoints the per-layer embedding table too. */
static uint64_t
scratch_bytes (const gm_hparams *hp, bool mobile, uint32_t U, uint32_t n_slots, int n_threads,
               bool f16)
{
  const uint64_t dmax = hp->head_dim_full > hp->head_dim_swa ? hp->head_dim_full : hp->head_dim_swa;
  const uint64_t LP = (uint64_t) hp->n_embd_per_layer * hp->n_layer;
  uint64_t kvmax = 0, ffmax = 0, floats = 0, bytes, max_row = hp->n_embd, deq;

  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      kvmax = hp->n_head_kv[il] > kvmax ? hp->n_head_kv[il] : kvmax;
      ffmax = hp->n_ff[il] > ffmax ? hp->n_ff[il] : ffmax;
      if ((uint64_t) hp->n_head * gm_hparams_head_dim (hp, il) > max_row)
        max_row = (uint64_t) hp->n_head * gm_hparams_head_dim (hp, il);
    }
  if (ffmax > max_row)
    max_row = ffmax;
  if (hp->n_embd_per_layer > max_row)
    max_row = hp->n_embd_per_layer;
  if (mobile && hp->n_embd_per_layer > 0 && LP > max_row)
    max_row = LP;

  {
    const uint64_t sizes[] = {
      (uint64_t) U * hp->n_embd, (uint64_t) U * hp->n_embd,              /* x, xn */
      (uint64_t) U * hp->n_head * dmax,                                  /* q */
      (uint64_t) U * kvmax * dmax, (uint64_t) U * kvmax * dmax,          /* k, v */
      (uint64_t) U * hp->n_head * dmax,                                  /* att */
      (uint64_t) U * hp->n_embd,                                         /* o */
      (uint64_t) U * ffmax, (uint64_t) U * ffmax,                        /* gate, up */
      (uint64_t) U * LP, LP,                                             /* ple, ple_tok */
      (uint64_t) U * hp->n_embd_per_layer,                               /* pg */
      (uint64_t) U * hp->n_rot_swa, (uint64_t) U * hp->n_rot_full,      /* rope */
    };
    /* one float at least per buffer, as scratch_alloc does */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
      floats += sizes[i] > 0 ? sizes[i] : 1;
  }
  floats += (uint64_t) n_threads * GM_ATTN_QCHUNK * n_slots; /* scores */
  bytes = floats * sizeof (float);
  if (f16) /* F16 copies of Q / probabilities, and Q at F16 precision as floats */
    bytes += (uint64_t) n_threads * GM_ATTN_QCHUNK * (n_slots > dmax ? n_slots : dmax)
                 * sizeof (uint16_t)
             + (uint64_t) n_threads * GM_ATTN_QCHUNK * dmax * sizeof (float);
  /* matmul.c: per-thread dequantization blocks and the rounded activations */
  deq = max_row > 256 * 1024 ? max_row : 256 * 1024;
  bytes += (uint64_t) n_threads * deq * sizeof (float) + max_row * U * sizeof (float);
  return bytes;
}

/* Reads the hyper-parameters and resident/on-demand weight sizes of a GGUF
 * or mobile checkpoint. */
static gm_status
read_checkpoint (const char *path, gm_checkpoint_info *info, gm_hparams *hp, bool *mobile,
                 gm_error *err)
{
  char msg[256];
  gguf_file *f;

  *mobile = gm_path_is_mobile (path);
  if (*mobile)
    return gm_mobile_describe (path, info, hp, err);
  f = open_checked (path, err);
  if (f == NULL)
    return err ? err->code : GM_ERR_FORMAT;
  if (!gm_hparams_load (f, hp, msg, sizeof msg))
    {
      gguf_close (f);
      return gm_error_set (err, GM_ERR_UNSUPPORTED, "not a Gemma 4 model Gemlet can run: %s", msg);
    }
  describe_container (f, info);
  gguf_close (f);
  return GM_OK;
}

/* The estimate from parsed headers, sized exactly as gm_session_new sizes a
 * session with opts. */
static void
estimate (const gm_checkpoint_info *info, const gm_hparams *hp, bool mobile,
          const gm_session_opts *opts, gm_memory *out, gm_kv_layout *layout)
{
  const uint32_t n_ctx = opts->n_ctx > 0 ? opts->n_ctx : default_n_ctx (hp);
  /* session.c: 0 or ≥ GM_MAX_UBATCH means GM_MAX_UBATCH */
  const uint32_t U = opts->n_ubatch > 0 && opts->n_ubatch < GM_MAX_UBATCH ? opts->n_ubatch
                                                                          : GM_MAX_UBATCH;
  const int n_threads = opts->n_threads > 0 ? opts->n_threads : gm_physical_cores ();
  gm_kv_layout l;

  memset (out, 0, sizeof *out);
  out->weights_resident = info->weights_resident_bytes;
  out->weights_on_demand = info->weights_on_demand_bytes;
  out->kv_cache = kv_layout (hp, n_ctx, U, opts->kv_f16, &l);
  /* a score row spans every slot scanned, padding included */
  out->scratch = scratch_bytes (hp, mobile, U, l.full_slots > l.swa_slots ? l.full_slots : l.swa_slots,
                                n_threads, opts->kv_f16);
  out->system_available = mem_available ();
  if (layout != NULL)
    *layout = l;
}

static gm_status
check_n_ctx (const gm_hparams *hp, uint32_t n_ctx, gm_error *err)
{
  if (hp->n_ctx_train > 0 && n_ctx > hp->n_ctx_train)
    return gm_error_set (err, GM_ERR_INVALID, "n_ctx %u exceeds the model's trained context %u",
                         n_ctx, hp->n_ctx_train);
  return GM_OK;
}

static void
clear_error (gm_error *err)
{
  if (err != NULL)
    {
      err->code = GM_OK;
      err->message[0] = '\0';
    }
}

gm_status
gm_estimate_memory_opts (const char *path, const gm_session_opts *opts, gm_memory *out,
                         gm_kv_layout *layout, gm_error *err)
{
  gm_session_opts defaults;
  gm_checkpoint_info *info;
  gm_hparams *hp;
  bool mobile = false;
  gm_status st;

  if (path == NULL || out == NULL)
    return gm_error_set (err, GM_ERR_INVALID, "gm_estimate_memory: path and out are required");
  memset (out, 0, sizeof *out);
  if (opts == NULL)
    {
      gm_session_opts_init (&defaults);
      opts = &defaults;
    }
  info = calloc (1, sizeof *info);
  hp = malloc (sizeof *hp);
  if (info == NULL || hp == NULL)
    st = gm_error_set (err, GM_ERR_NOMEM, "out of memory");
  else if ((st = read_checkpoint (path, info, hp, &mobile, err)) == GM_OK
           && (st = check_n_ctx (hp, opts->n_ctx, err)) == GM_OK)
    estimate (info, hp, mobile, opts, out, layout);
  free (info);
  free (hp);
  if (st == GM_OK)
    clear_error (err);
  return st;
}

gm_status
gm_estimate_memory (const char *path, uint32_t n_ctx, gm_memory *out, gm_error *err)
{
  gm_session_opts opts;

  gm_session_opts_init (&opts);
  opts.n_ctx = n_ctx;
  return gm_estimate_memory_opts (path, &opts, out, NULL, err);
}

/* Contexts the suggestion steps through: powers of two from 2048 up, and the
 * trained context itself when that is not a power of two. */
#define GM_SUGGEST_MIN_N_CTX 2048u
/* When a file does not say how long its training context was. */
#define GM_SUGGEST_MAX_N_CTX 131072u

gm_status
gm_suggest_n_ctx_opts (const char *path, const gm_session_opts *opts, uint64_t budget_bytes,
                       uint32_t *n_ctx_out, gm_error *err)
{
  gm_session_opts o;
  gm_checkpoint_info *info;
  gm_hparams *hp;
  bool mobile = false;
  gm_status st;

  if (path == NULL || n_ctx_out == NULL)
    return gm_error_set (err, GM_ERR_INVALID, "gm_suggest_n_ctx: path and n_ctx_out are required");
  if (opts != NULL)
    o = *opts;
  else
    gm_session_opts_init (&o);
  info = calloc (1, sizeof *info);
  hp = malloc (sizeof *hp);
  if (info == NULL || hp == NULL)
    st = gm_error_set (err, GM_ERR_NOMEM, "out of memory");
  else if ((st = read_checkpoint (path, info, hp, &mobile, err)) == GM_OK)
    {
      const uint32_t max = hp->n_ctx_train > 0 ? hp->n_ctx_train : GM_SUGGEST_MAX_N_CTX;
      const uint32_t min = max < GM_SUGGEST_MIN_N_CTX ? max : GM_SUGGEST_MIN_N_CTX;
      uint32_t best = min;
      uint64_t n = min;

      /* the estimate grows with n_ctx: stop at the first step that does not fit */
      for (;;)
        {
          gm_memory m;

          o.n_ctx = (uint32_t) n;
          estimate (info, hp, mobile, &o, &m, NULL);
          if (m.weights_resident + m.kv_cache + m.scratch > budget_bytes)
            break;
          best = (uint32_t) n;
          if (n == max)
            break;
          n = n * 2 > max ? max : n * 2;
        }
      *n_ctx_out = best;
    }
  free (info);
  free (hp);
  if (st == GM_OK)
    clear_error (err);
  return st;
}

gm_status
gm_suggest_n_ctx (const char *path, uint64_t budget_bytes, uint32_t *n_ctx_out, gm_error *err)
{
  return gm_suggest_n_ctx_opts (path, NULL, budget_bytes, n_ctx_out, err);
}
