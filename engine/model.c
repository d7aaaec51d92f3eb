/* model.c — loading a Gemma 4 GGUF: hyper-parameters, tokenizer and typed
 * views of every weight inside the file mapping (nothing is copied except
 * non-F32 1-D tensors, converted to F32 once).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "model.h"

#include "error.h"
#include "gemlet-kernels.h"
#include "mobile-model.h"
#include "ops.h"
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Resident weights are touched in chunks of this size between progress
 * reports, so a cancel request is seen quickly. */
#define PREFAULT_CHUNK (32u << 20)

void
gm_load_opts_init (gm_load_opts *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->text_only = true;
}

int
gm_physical_cores (void)
{
  long n_cpu = sysconf (_SC_NPROCESSORS_ONLN);
  int n_cores = 0;
  /* (package, core) pairs seen; 1024 logical CPUs is plenty here */
  static const int max_seen = 1024;
  long seen[1024];

  if (n_cpu < 1)
    n_cpu = 1;
  for (long cpu = 0; cpu < n_cpu && cpu < max_seen; cpu++)
    {
      char path[128];
      FILE *fp;
      long core = -1, pkg = 0, key;
      bool dup = false;

      snprintf (path, sizeof path, "/sys/devices/system/cpu/cpu%ld/topology/core_id", cpu);
      fp = fopen (path, "r");
      if (fp == NULL)
        return (int) n_cpu;
      if (fscanf (fp, "%ld", &core) != 1)
        core = -1;
      fclose (fp);
      snprintf (path, sizeof path, "/sys/devices/system/cpu/cpu%ld/topology/physical_package_id",
                cpu);
      fp = fopen (path, "r");
      if (fp != NULL)
        {
          if (fscanf (fp, "%ld", &pkg) != 1)
            pkg = 0;
          fclose (fp);
        }
      if (core < 0)
        return (int) n_cpu;
      key = pkg * 65536 + core;
      for (int i = 0; i < n_cores; i++)
        if (seen[i] == key)
          dup = true;
      if (!dup)
        seen[n_cores++] = key;
    }
  return n_cores > 0 ? n_cores : (int) n_cpu;
}

/* ------------------------------------------------------------- tensors */

static gm_status
get_weight (gm_model *m, const char *name, int64_t ne0, int64_t ne1, bool required, gm_weight *w,
            gm_error *err)
{
  const gguf_tensor *t = gguf_find_tensor (m->gguf, name);
  const gk_type_info *ti;

  memset (w, 0, sizeof *w);
  if (t == NULL)
    return required ? gm_error_set (err, GM_ERR_UNSUPPORTED, "tensor '%s' is missing", name)
                    : GM_OK;
  if (t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != 1 || t->ne[3] != 1)
    return gm_error_set (err, GM_ERR_UNSUPPORTED,
                        "tensor '%s' has shape (%lld, %lld, %lld, %lld), expected (%lld, %lld)",
                        name, (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2],
                        (long long) t->ne[3], (long long) ne0, (long long) ne1);
  ti = gk_type_get (t->type);
  if (ti == NULL || !ti->supported)
    return gm_error_set (err, GM_ERR_UNSUPPORTED, "tensor '%s' has type %s, which Gemlet cannot run",
                        name, ti != NULL && ti->name != NULL ? ti->name : "unknown");
  w->type = t->type;
  w->ne0 = ne0;
  w->ne1 = ne1;
  w->row_bytes = gk_row_size (t->type, ne0);
  w->data = t->data;
  if (w->row_bytes == 0 || (uint64_t) w->row_bytes * (uint64_t) ne1 > t->n_bytes)
    return gm_error_set (err, GM_ERR_FORMAT, "tensor '%s': %lld values per row do not fit type %s",
                        name, (long long) ne0, ti->name);
  if (t->type == GK_TYPE_F32 && ((uintptr_t) t->data & 3) != 0)
    return gm_error_set (err, GM_ERR_FORMAT, "tensor '%s' is not aligned", name);
  return GM_OK;
}

/* A 1-D F32 vector of n values (converted from another type if needed). */
static gm_status
get_vector (gm_model *m, const char *name, int64_t n, bool required, const float **out,
            gm_error *err)
{
  gm_weight w;
  gm_status st = get_weight (m, name, n, 1, required, &w, err);
  float *copy, **grown;

  *out = NULL;
  if (st != GM_OK || w.data == NULL)
    return st;
  if (w.type == GK_TYPE_F32)
    {
      *out = (const float *) w.data;
      return GM_OK;
    }
  grown = realloc (m->owned, (m->n_owned + 1) * sizeof *m->owned);
  if (grown == NULL)
    return gm_error_set (err, GM_ERR_NOMEM, "out of memory converting '%s'", name);
  m->owned = grown;
  copy = malloc ((size_t) n * sizeof (float));
  if (copy == NULL)
    return gm_error_set (err, GM_ERR_NOMEM, "out of memory converting '%s'", name);
  gk_dequantize_row (w.type, w.data, copy, n);
  m->owned[m->n_owned++] = copy;
  *out = copy;
  return GM_OK;
}

static void
note_weight (gm_model *m, const gm_weight *w)
{
  if (w->data == NULL)
    return;
  if (w->ne0 > m->max_row)
    m->max_row = w->ne0;
  m->resident_bytes += (uint64_t) w->row_bytes * (uint64_t) w->ne1;
}

static gm_status
load_layer (gm_model *m, uint32_t il, gm_error *err)
{
  const gm_hparams *hp = &m->hp;
  gm_layer *L = &m->layers[il];
  const int64_t H = hp->n_embd, D = gm_hparams_head_dim (hp, il), P = hp->n_embd_per_layer;
  const int64_t nq = D * hp->n_head, nkv = D * hp->n_head_kv[il], F = hp->n_ff[il];
  const bool owns = hp->kv_source[il] == il;
  char name[96];
  gm_status st = GM_OK;

#define W(field, suffix, ne0, ne1, req)                                         \
  do {                                                                          \
    snprintf (name, sizeof name, "blk.%u." suffix ".weight", il);               \
    if ((st = get_weight (m, name, ne0, ne1, req, &L->field, err)) != GM_OK)    \
      return st;                                                                \
    note_weight (m, &L->field);                                                 \
  } while (0)
#define V(field, suffix, n, req)                                                \
  do {                                                                          \
    snprintf (name, sizeof name, "blk.%u." suffix ".weight", il);               \
    if ((st = get_vector (m, name, n, req, &L->field, err)) != GM_OK)           \
      return st;                                                                \
  } while (0)

  V (attn_norm, "attn_norm", H, true);
  W (wq, "attn_q", H, nq, true);
  V (q_norm, "attn_q_norm", D, true);
  if (owns)
    {
      /* V falls back to K when attn_v is absent, as in llama.cpp */
      W (wk, "attn_k", H, nkv, true);
      W (wv, "attn_v", H, nkv, false);
      V (k_norm, "attn_k_norm", D, true);
    }
  W (wo, "attn_output", nq, H, true);
  V (post_attn_norm, "post_attention_norm", H, true);
  V (ffn_norm, "ffn_norm", H, true);
  W (ffn_gate, "ffn_gate", H, F, true);
  W (ffn_up, "ffn_up", H, F, true);
  W (ffn_down, "ffn_down", F, H, true);
  V (post_ffw_norm, "post_ffw_norm", H, true);
  if (P > 0)
    {
      W (inp_gate, "inp_gate", H, P, true);
      W (proj, "proj", P, H, true);
      V (post_norm, "post_norm", H, true);
    }
  {
    const float *scale = NULL;
    snprintf (name, sizeof name, "blk.%u.layer_output_scale.weight", il);
    if ((st = get_vector (m, name, 1, false, &scale, err)) != GM_OK)
      return st;
    L->out_scale = scale != NULL ? scale[0] : 1.0f;
  }
#undef W
#undef V
  return GM_OK;
}

static gm_status
load_tensors (gm_model *m, gm_error *err)
{
  const gm_hparams *hp = &m->hp;
  const int64_t H = hp->n_embd, LP = (int64_t) hp->n_embd_per_layer * hp->n_layer;
  gm_status st;

  if ((st = get_weight (m, "token_embd.weight", H, hp->n_vocab, true, &m->tok_embd, err)) != GM_OK)
    return st;
  note_weight (m, &m->tok_embd);
  if ((st = get_weight (m, "output.weight", H, hp->n_vocab, false, &m->output, err)) != GM_OK)
    return st;
  if (m->output.data == NULL)
    m->output = m->tok_embd;  /* tied LM head */
  else
    note_weight (m, &m->output);
  if (hp->n_embd_per_layer > 0)
    {
      /* the table is read one row per token: not counted as resident */
      if ((st = get_weight (m, "per_layer_token_embd.weight", LP, hp->n_vocab, true, &m->ple_tok,
                            err)) != GM_OK)
        return st;
      if ((st = get_weight (m, "per_layer_model_proj.weight", H, LP, true, &m->ple_proj, err))
          != GM_OK)
        return st;
      note_weight (m, &m->ple_proj);
      if ((st = get_vector (m, "per_layer_proj_norm.weight", hp->n_embd_per_layer, true,
                            &m->ple_proj_norm, err)) != GM_OK)
        return st;
    }
  if ((st = get_vector (m, "output_norm.weight", H, true, &m->output_norm, err)) != GM_OK)
    return st;
  if ((st = get_vector (m, "rope_freqs.weight", hp->head_dim_full / 2, false, &m->rope_freqs, err))
      != GM_OK)
    return st;
  if (m->rope_freqs != NULL && hp->n_rot_full / 2 > hp->head_dim_full / 2)
    return gm_error_set (err, GM_ERR_UNSUPPORTED, "rope_freqs is shorter than n_rot/2");

  for (uint32_t il = 0; il < hp->n_layer; il++)
    if ((st = load_layer (m, il, err)) != GM_OK)
      return st;
  return GM_OK;
}

/* Reads every page of the weights used on each token, reporting progress:
 * the first reply then does not stall on disk, and a cancel is honoured. */
static gm_status
prefault (gm_model *m, gm_progress_fn progress, void *user, float from, float to, gm_error *err)
{
  const uint8_t *base = gguf_base (m->gguf);
  const uint64_t size = gguf_file_size (m->gguf);
  const long page = sysconf (_SC_PAGESIZE) > 0 ? sysconf (_SC_PAGESIZE) : 4096;
  uint64_t ple_lo = 0, ple_hi = 0, done = 0;
  volatile uint8_t sink = 0;

  if (m->ple_tok.data != NULL)
    {
      uintptr_t a, b;

      ple_lo = (uint64_t) (m->ple_tok.data - base);
      ple_hi = ple_lo + (uint64_t) m->ple_tok.row_bytes * (uint64_t) m->ple_tok.ne1;
      /* one row per token: read-ahead would only pull in rows never used */
      a = ((uintptr_t) base + ple_lo + (uintptr_t) page - 1) & ~((uintptr_t) page - 1);
      b = ((uintptr_t) base + ple_hi) & ~((uintptr_t) page - 1);
      if (b > a)
        madvise ((void *) a, b - a, MADV_RANDOM);
    }
  for (uint64_t off = 0; off < size; off += PREFAULT_CHUNK)
    {
      uint64_t end = off + PREFAULT_CHUNK < size ? off + PREFAULT_CHUNK : size;

      for (uint64_t p = off; p < end; p += (uint64_t) page)
        if (p < ple_lo || p >= ple_hi)
          sink ^= base[p];
      done = end;
      if (progress != NULL && !progress (from + (to - from) * (float) done / (float) size, user))
        return gm_error_set (err, GM_ERR_CANCELLED, "loading was cancelled");
    }
  (void) sink;
  return GM_OK;
}

gm_model *
gm_model_load (const char *path, const gm_load_opts *opts, gm_progress_fn progress, void *user,
               gm_error *err)
{
  gm_load_opts defaults;
  gm_model *m;
  char msg[256];
  bool io_error = false;
  gm_error ierr;
  const char *env;

  if (err != NULL)
    {
      err->code = GM_OK;
      err->message[0] = '\0';
    }
  if (path == NULL)
    {
      gm_error_set (err, GM_ERR_INVALID, "no model path given");
      return NULL;
    }
  if (opts == NULL)
    {
      gm_load_opts_init (&defaults);
      opts = &defaults;
    }
  if (progress != NULL && !progress (0.0f, user))
    {
      gm_error_set (err, GM_ERR_CANCELLED, "loading was cancelled");
      return NULL;
    }

  m = calloc (1, sizeof *m);
  if (m == NULL)
    {
      gm_error_set (err, GM_ERR_NOMEM, "out of memory");
      return NULL;
    }
  msg[0] = '\0';
  if (gm_path_is_mobile (path))
    {
      /* a compressed-tensors folder (mobile-model.c) */
      if (gm_mobile_load (m, path, opts->weight_only, err) != GM_OK)
        goto fail;
    }
  else
    {
      m->gguf = gguf_open_full (path, &io_error, msg, sizeof msg);
      if (m->gguf == NULL)
        {
          gm_error_set (err, io_error ? GM_ERR_IO : GM_ERR_FORMAT, "%s: %s", path, msg);
          goto fail;
        }
      if (!gm_hparams_load (m->gguf, &m->hp, msg, sizeof msg))
        {
          gm_error_set (err, GM_ERR_UNSUPPORTED, "%s: %s", path, msg);
          goto fail;
        }
      if (load_tensors (m, err) != GM_OK)
        goto fail;
      m->tok = gm_tokenizer_load (m->gguf, msg, sizeof msg);
      if (m->tok == NULL)
        {
          gm_error_set (err, GM_ERR_UNSUPPORTED, "%s: tokenizer: %s", path, msg);
          goto fail;
        }
    }
  if (gm_tokenizer_n_vocab (m->tok) != (int32_t) m->hp.n_vocab)
    {
      gm_error_set (err, GM_ERR_UNSUPPORTED, "%s: tokenizer has %d tokens, token_embd has %u rows",
                   path, gm_tokenizer_n_vocab (m->tok), m->hp.n_vocab);
      goto fail;
    }
  if (gm_inspect (path, &m->info, &ierr) != GM_OK)
    {
      gm_error_set (err, ierr.code, "%s", ierr.message);
      goto fail;
    }

  m->n_threads = opts->n_threads > 0 ? opts->n_threads : gm_physical_cores ();
  env = getenv ("GEMLET_REFERENCE");
  m->reference = env != NULL && env[0] != '\0' && strcmp (env, "0") != 0;
  env = getenv ("GEMLET_GELU_EXACT");
  m->gelu_exact = env != NULL && env[0] != '\0' && strcmp (env, "0") != 0;

  if (progress != NULL && !progress (0.1f, user))
    {
      gm_error_set (err, GM_ERR_CANCELLED, "loading was cancelled");
      goto fail;
    }
  if (m->mobile == NULL && !opts->text_only)
    {
      char proj[4096];

      if (gm_projector_find (path, proj, sizeof proj))
        {
          m->projector_path = strdup (proj);
          if (m->projector_path == NULL)
            {
              gm_error_set (err, GM_ERR_NOMEM, "out of memory");
              goto fail;
            }
        }
    }
  if (m->mobile != NULL)
    {
      if (gm_mobile_prefault (m, progress, user, err) != GM_OK)
        goto fail;
    }
  else if (m->projector_path != NULL)
    {
      /* the projector is ~1 GB beside 3–5 GB of text weights */
      if (gm_projector_load (m->projector_path, m->hp.n_embd, &m->projector, progress, user,
                             0.1f, 0.3f, err) != GM_OK
          || prefault (m, progress, user, 0.3f, 1.0f, err) != GM_OK)
        goto fail;
    }
  else if (prefault (m, progress, user, 0.1f, 1.0f, err) != GM_OK)
    goto fail;
  return m;

fail:
  gm_model_free (m);
  return NULL;
}

void
gm_model_free (gm_model *m)
{
  if (m == NULL)
    return;
  if (m->tok != NULL)
    gm_tokenizer_free (m->tok);
  if (m->gguf != NULL)
    gguf_close (m->gguf);
  if (m->mobile != NULL)
    mobile_checkpoint_close (m->mobile);
  gm_projector_close (&m->projector);
  free (m->projector_path);
  free (m->cw);
  for (size_t i = 0; i < m->n_owned; i++)
    free (m->owned[i]);
  free (m->owned);
  free (m);
}

const char *
gm_model_projector_path (const gm_model *m)
{
  return m != NULL && m->projector.gguf != NULL ? m->projector_path : NULL;
}

const gm_checkpoint_info *
gm_model_info (const gm_model *m)
{
  return &m->info;
}

int32_t
gm_model_n_vocab (const gm_model *m)
{
  return (int32_t) m->hp.n_vocab;
}

const gguf_file *
gm_model_gguf (const gm_model *m)
{
  return m->gguf;
}

const gm_hparams *
gm_model_hparams (const gm_model *m)
{
  return &m->hp;
}

const struct gm_tokenizer *
gm_model_tokenizer (const gm_model *m)
{
  return m->tok;
}
