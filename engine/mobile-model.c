/* mobile-model.c — a Gemma 4 mobile (compressed-tensors) checkpoint loaded
 * into the engine's gm_model: the same hyper-parameters and weight slots as
 * a GGUF, with channel-wise integer weights left in the mapping (gm_weight.cw)
 * and float vectors converted to F32 once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "mobile-model.h"

#include "error.h"
#include "gemlet-kernels.h"
#include "litertlm.h"
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFAULT_CHUNK (32u << 20)

bool
gm_path_is_mobile (const char *path)
{
  struct stat st;
  char magic[4];
  FILE *fp;
  size_t got;

  if (path == NULL || stat (path, &st) != 0)
    return false;
  if (S_ISDIR (st.st_mode))
    return true;
  if (!S_ISREG (st.st_mode))
    return false;
  fp = fopen (path, "rb");
  if (fp == NULL)
    return false;
  got = fread (magic, 1, sizeof magic, fp);
  fclose (fp);
  if (got == sizeof magic && memcmp (magic, "GGUF", 4) == 0)
    return false;
  /* LiteRT-LM bundles come here too, so that inspecting and loading them
   * says what they are (gm_mobile_describe, gm_mobile_load) */
  return ltlm_is_candidate (path) || mobile_checkpoint_is_candidate (path);
}

/* Keeps a malloc'd buffer until the model is freed. */
static bool
own (gm_model *m, void *p)
{
  float **grown = realloc (m->owned, (m->n_owned + 1) * sizeof *m->owned);

  if (grown == NULL)
    {
      free (p);
      return false;
    }
  m->owned = grown;
  m->owned[m->n_owned++] = p;
  return true;
}

static bool
is_int (mobile_format f)
{
  return f == MOBILE_FMT_INT2 || f == MOBILE_FMT_INT4 || f == MOBILE_FMT_INT8;
}

/* Bytes of a tensor's codes (or values) plus its scales. */
static uint64_t
tensor_bytes (const mobile_tensor *t)
{
  uint64_t n = (uint64_t) t->rows * t->row_bytes;

  if (is_int (t->format))
    n += (uint64_t) t->rows * (uint64_t) t->n_groups * (t->scale_format == MOBILE_FMT_F32 ? 4 : 2);
  return n;
}

static gm_status
get_vector (gm_model *m, const mobile_tensor *t, const float **out, gm_error *err)
{
  float *v;

  *out = NULL;
  if (t == NULL)
    return GM_OK;
  v = malloc ((size_t) (t->rows * t->cols) * sizeof *v);
  if (v == NULL || !own (m, v))
    return gm_error_set (err, GM_ERR_NOMEM, "out of memory converting '%s'", t->name);
  for (int64_t r = 0; r < t->rows; r++)
    for (int64_t c = 0; c < t->cols; c++)
      v[r * t->cols + c] = mobile_tensor_value (t, r, c);
  /* counted as stored, as gm_inspect counts it */
  m->resident_bytes += tensor_bytes (t);
  *out = v;
  return GM_OK;
}

static gm_status
get_weight (gm_model *m, const mobile_tensor *t, gm_weight *w, bool resident, gm_error *err)
{
  memset (w, 0, sizeof *w);
  if (t == NULL)
    return GM_OK;
  w->ne0 = t->cols;
  w->ne1 = t->rows;
  w->row_bytes = (size_t) t->row_bytes;
  w->data = t->data;
  if (is_int (t->format))
    {
      struct gm_cw_weight *cw = &m->cw[m->n_cw++];

      cw->t = t;
      /* a zero scale means "uncalibrated": float activations (MOBILE-FORMAT §4) */
      cw->in_scale = m->weight_only ? 0.0f : t->input_scale;
      cw->out_scale = m->weight_only || cw->in_scale == 0.0f ? 0.0f : t->output_scale;
      cw->dynamic = !m->weight_only && cw->in_scale == 0.0f;
      w->type = GK_TYPE_COUNT;
      w->cw = cw;
    }
  else
    {
      const size_t esize = t->format == MOBILE_FMT_F32 ? 4 : 2;

      w->type = t->format == MOBILE_FMT_F32   ? GK_TYPE_F32
                : t->format == MOBILE_FMT_F16 ? GK_TYPE_F16
                                              : GK_TYPE_BF16;
      /* safetensors data need not be aligned; the kernels want elements aligned */
      if (((uintptr_t) t->data & (esize - 1)) != 0 || (t->row_bytes & (esize - 1)) != 0)
        {
          const size_t row = (size_t) t->cols * esize;
          uint8_t *copy = malloc ((size_t) t->rows * row + 4);

          if (copy == NULL || !own (m, copy))
            return gm_error_set (err, GM_ERR_NOMEM, "out of memory copying '%s'", t->name);
          for (int64_t r = 0; r < t->rows; r++)
            memcpy (copy + (size_t) r * row, t->data + (size_t) r * t->row_bytes, row);
          w->data = copy;
          w->row_bytes = row;
        }
    }
  if (w->ne0 > m->max_row)
    m->max_row = w->ne0;
  if (resident)
    m->resident_bytes += tensor_bytes (t);
  return GM_OK;
}

static gm_status
load_layer (gm_model *m, const mobile_checkpoint *ck, uint32_t il, gm_error *err)
{
  gm_layer *L = &m->layers[il];
  const mobile_tensor *scalar;
  gm_status st;

#define T(which) mobile_checkpoint_layer (ck, il, MOBILE_L_##which)
#define W(field, which)                                                         \
  if ((st = get_weight (m, T (which), &L->field, true, err)) != GM_OK)          \
    return st
#define V(field, which)                                                         \
  if ((st = get_vector (m, T (which), &L->field, err)) != GM_OK)                \
    return st

  V (attn_norm, ATTN_NORM);
  W (wq, Q);
  V (q_norm, Q_NORM);
  if (m->hp.kv_source[il] == il)
    {
      W (wk, K);
      W (wv, V);
      V (k_norm, K_NORM);
    }
  W (wo, O);
  V (post_attn_norm, POST_ATTN_NORM);
  V (ffn_norm, FFN_NORM);
  W (ffn_gate, GATE);
  W (ffn_up, UP);
  W (ffn_down, DOWN);
  V (post_ffw_norm, POST_FFN_NORM);
  if (m->hp.n_embd_per_layer > 0)
    {
      W (inp_gate, INP_GATE);
      W (proj, PROJ);
      V (post_norm, POST_NORM);
    }
  scalar = T (LAYER_SCALAR);
  L->out_scale = scalar != NULL ? mobile_tensor_value (scalar, 0, 0) : 1.0f;
  if (scalar != NULL)
    m->resident_bytes += tensor_bytes (scalar);
#undef T
#undef W
#undef V
  return GM_OK;
}

/* Proportional RoPE on full layers as llama.cpp's converter writes it:
 * the first partial·D/2 pairs rotate, the rest get a 1e30 divisor. */
static gm_status
make_rope_freqs (gm_model *m, float partial, gm_error *err)
{
  const uint32_t n_pairs = m->hp.head_dim_full / 2;
  const uint32_t n_rot = (uint32_t) (partial * (float) m->hp.head_dim_full) / 2;
  float *f = malloc ((n_pairs ? n_pairs : 1) * sizeof *f);

  if (f == NULL || !own (m, f))
    return gm_error_set (err, GM_ERR_NOMEM, "out of memory");
  for (uint32_t i = 0; i < n_pairs; i++)
    f[i] = i < n_rot ? 1.0f : 1e30f;
  m->rope_freqs = f;
  return GM_OK;
}

gm_status
gm_mobile_load (gm_model *m, const char *path, bool weight_only, gm_error *err)
{
  const mobile_checkpoint *ck;
  const gm_hparams *hp;
  char msg[512];
  gm_status st;

  msg[0] = '\0';
  if (ltlm_is_candidate (path))
    {
      /* a LiteRT-LM bundle: say what it is and why it is not run */
      ltlm_file lf;

      if (!ltlm_open (path, &lf, msg, sizeof msg))
        return gm_error_set (err, GM_ERR_FORMAT, "%s: %s", path, msg);
      ltlm_summary (path, &lf, msg, sizeof msg);
      ltlm_clear (&lf);
      return gm_error_set (err, GM_ERR_UNSUPPORTED, "%s", msg);
    }
  m->mobile = mobile_checkpoint_open (path, msg, sizeof msg);
  if (m->mobile == NULL)
    return gm_error_set (err, GM_ERR_UNSUPPORTED, "%s", msg);
  ck = m->mobile;
  m->hp = *mobile_checkpoint_hparams (ck);
  hp = &m->hp;
  m->weight_only = weight_only;
  m->cw = calloc (MOBILE_G_COUNT + (size_t) hp->n_layer * MOBILE_L_COUNT, sizeof *m->cw);
  if (m->cw == NULL)
    return gm_error_set (err, GM_ERR_NOMEM, "out of memory");

  if ((st = get_weight (m, mobile_checkpoint_global (ck, MOBILE_G_EMBED), &m->tok_embd, true, err))
      != GM_OK)
    return st;
  if (mobile_checkpoint_global (ck, MOBILE_G_LM_HEAD) != NULL)
    {
      if ((st = get_weight (m, mobile_checkpoint_global (ck, MOBILE_G_LM_HEAD), &m->output, true,
                            err)) != GM_OK)
        return st;
    }
  else
    m->output = m->tok_embd;  /* tied LM head */
  if (hp->n_embd_per_layer > 0)
    {
      /* the table is read one row per token: not counted as resident */
      if ((st = get_weight (m, mobile_checkpoint_global (ck, MOBILE_G_EMBED_PER_LAYER), &m->ple_tok,
                            false, err)) != GM_OK
          || (st = get_weight (m, mobile_checkpoint_global (ck, MOBILE_G_PER_LAYER_PROJ),
                               &m->ple_proj, true, err)) != GM_OK
          || (st = get_vector (m, mobile_checkpoint_global (ck, MOBILE_G_PER_LAYER_PROJ_NORM),
                               &m->ple_proj_norm, err)) != GM_OK)
        return st;
    }
  if ((st = get_vector (m, mobile_checkpoint_global (ck, MOBILE_G_OUTPUT_NORM), &m->output_norm,
                        err)) != GM_OK)
    return st;
  if ((st = make_rope_freqs (m, mobile_checkpoint_extra (ck)->rope_partial_factor_full, err))
      != GM_OK)
    return st;
  for (uint32_t il = 0; il < hp->n_layer; il++)
    if ((st = load_layer (m, ck, il, err)) != GM_OK)
      return st;

  m->tok = gm_tokenizer_load_hf (mobile_checkpoint_folder (ck), hp->n_vocab, msg, sizeof msg);
  if (m->tok == NULL)
    return gm_error_set (err, GM_ERR_UNSUPPORTED, "%s: tokenizer: %s", path, msg);
  return GM_OK;
}

/* ------------------------------------------------------------ prefault */

typedef struct {
  gm_progress_fn progress;
  void *user;
  uint64_t done, total, since;
  long page;
} touch_state;

static bool
touch (touch_state *ts, const uint8_t *p, uint64_t n)
{
  volatile uint8_t sink = 0;

  for (uint64_t off = 0; off < n; off += (uint64_t) ts->page)
    {
      sink ^= p[off];
      ts->since += (uint64_t) ts->page;
      if (ts->since >= PREFAULT_CHUNK)
        {
          ts->done += ts->since;
          ts->since = 0;
          if (ts->progress != NULL
              && !ts->progress (0.1f + 0.9f * (float) ts->done / (float) ts->total, ts->user))
            return false;
        }
    }
  (void) sink;
  return true;
}

static bool
touch_weight (touch_state *ts, const gm_weight *w)
{
  if (w->data == NULL)
    return true;
  if (!touch (ts, w->data, (uint64_t) w->row_bytes * (uint64_t) w->ne1))
    return false;
  if (w->cw != NULL)
    {
      const mobile_tensor *t = w->cw->t;

      return touch (ts, t->scale,
                    (uint64_t) t->rows * (uint64_t) t->n_groups
                      * (t->scale_format == MOBILE_FMT_F32 ? 4 : 2));
    }
  return true;
}

gm_status
gm_mobile_prefault (gm_model *m, gm_progress_fn progress, void *user, gm_error *err)
{
  touch_state ts = { progress, user, 0, m->resident_bytes > 0 ? m->resident_bytes : 1, 0, 4096 };
  bool ok = true;

  if (sysconf (_SC_PAGESIZE) > 0)
    ts.page = sysconf (_SC_PAGESIZE);
  if (m->ple_tok.data != NULL)
    {
      /* one row per token: read-ahead would only pull in rows never used */
      const uintptr_t mask = (uintptr_t) ts.page - 1;
      const uintptr_t a = ((uintptr_t) m->ple_tok.data + mask) & ~mask;
      const uintptr_t b = ((uintptr_t) m->ple_tok.data
                           + (uintptr_t) m->ple_tok.row_bytes * (uintptr_t) m->ple_tok.ne1)
                          & ~mask;

      if (b > a)
        madvise ((void *) a, b - a, MADV_RANDOM);
    }
  ok = touch_weight (&ts, &m->tok_embd) && (m->output.data == m->tok_embd.data
                                            || touch_weight (&ts, &m->output))
       && touch_weight (&ts, &m->ple_proj);
  for (uint32_t il = 0; ok && il < m->hp.n_layer; il++)
    {
      const gm_layer *L = &m->layers[il];

      ok = touch_weight (&ts, &L->wq) && touch_weight (&ts, &L->wk) && touch_weight (&ts, &L->wv)
           && touch_weight (&ts, &L->wo) && touch_weight (&ts, &L->ffn_gate)
           && touch_weight (&ts, &L->ffn_up) && touch_weight (&ts, &L->ffn_down)
           && touch_weight (&ts, &L->inp_gate) && touch_weight (&ts, &L->proj);
    }
  if (!ok)
    return gm_error_set (err, GM_ERR_CANCELLED, "loading was cancelled");
  if (progress != NULL && !progress (1.0f, user))
    return gm_error_set (err, GM_ERR_CANCELLED, "loading was cancelled");
  return GM_OK;
}
