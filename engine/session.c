/* session.c — a conversation's state: KV cache, token history, buffers and
 * threads, all allocated once at creation; evaluation in micro-batches and
 * the generate loop with prefix reuse.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "session.h"

#include "error.h"
#include "gemlet-kernels.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_N_CTX 8192

void
gm_session_opts_init (gm_session_opts *opts)
{
  memset (opts, 0, sizeof *opts);
}

static void
scratch_free (gm_scratch *scr, int n_threads)
{
  free (scr->x);
  free (scr->xn);
  free (scr->q);
  free (scr->k);
  free (scr->v);
  free (scr->att);
  free (scr->o);
  free (scr->gate);
  free (scr->up);
  free (scr->ple);
  free (scr->ple_tok);
  free (scr->pg);
  free (scr->rope_swa);
  free (scr->rope_full);
  if (scr->scores != NULL)
    for (int i = 0; i < n_threads; i++)
      free (scr->scores[i]);
  free (scr->scores);
  if (scr->half != NULL)
    for (int i = 0; i < n_threads; i++)
      free (scr->half[i]);
  free (scr->half);
  if (scr->qf != NULL)
    for (int i = 0; i < n_threads; i++)
      free (scr->qf[i]);
  free (scr->qf);
  free (scr->pos);
  memset (scr, 0, sizeof *scr);
}

static float *
scratch_alloc (gm_scratch *scr, size_t n_floats)
{
  if (n_floats == 0)
    n_floats = 1;
  scr->bytes += n_floats * sizeof (float);
  return malloc (n_floats * sizeof (float));
}

static bool
scratch_init (gm_scratch *scr, const gm_hparams *hp, uint32_t U, uint32_t n_slots, int n_threads,
              bool f16)
{
  uint32_t dmax = hp->head_dim_full > hp->head_dim_swa ? hp->head_dim_full : hp->head_dim_swa;
  uint32_t kvmax = 0, ffmax = 0;
  const size_t LP = (size_t) hp->n_embd_per_layer * hp->n_layer;

  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      if (hp->n_head_kv[il] > kvmax)
        kvmax = hp->n_head_kv[il];
      if (hp->n_ff[il] > ffmax)
        ffmax = hp->n_ff[il];
    }
  memset (scr, 0, sizeof *scr);
  scr->x = scratch_alloc (scr, (size_t) U * hp->n_embd);
  scr->xn = scratch_alloc (scr, (size_t) U * hp->n_embd);
  scr->q = scratch_alloc (scr, (size_t) U * hp->n_head * dmax);
  scr->k = scratch_alloc (scr, (size_t) U * kvmax * dmax);
  scr->v = scratch_alloc (scr, (size_t) U * kvmax * dmax);
  scr->att = scratch_alloc (scr, (size_t) U * hp->n_head * dmax);
  scr->o = scratch_alloc (scr, (size_t) U * hp->n_embd);
  scr->gate = scratch_alloc (scr, (size_t) U * ffmax);
  scr->up = scratch_alloc (scr, (size_t) U * ffmax);
  scr->ple = scratch_alloc (scr, (size_t) U * LP);
  scr->ple_tok = scratch_alloc (scr, LP);
  scr->pg = scratch_alloc (scr, (size_t) U * hp->n_embd_per_layer);
  scr->rope_swa = scratch_alloc (scr, (size_t) U * hp->n_rot_swa);
  scr->rope_full = scratch_alloc (scr, (size_t) U * hp->n_rot_full);
  scr->pos = malloc ((size_t) U * sizeof (int32_t));
  scr->scores = calloc ((size_t) n_threads, sizeof *scr->scores);
  scr->half = calloc ((size_t) n_threads, sizeof *scr->half);
  scr->qf = calloc ((size_t) n_threads, sizeof *scr->qf);
  if (scr->x == NULL || scr->xn == NULL || scr->q == NULL || scr->k == NULL || scr->v == NULL
      || scr->att == NULL || scr->o == NULL || scr->gate == NULL || scr->up == NULL
      || scr->ple == NULL || scr->ple_tok == NULL || scr->pg == NULL || scr->rope_swa == NULL
      || scr->rope_full == NULL || scr->pos == NULL || scr->scores == NULL || scr->half == NULL
      || scr->qf == NULL)
    return false;
  for (int i = 0; i < n_threads; i++)
    {
      scr->scores[i] = scratch_alloc (scr, (size_t) GM_ATTN_QCHUNK * n_slots);
      if (scr->scores[i] == NULL)
        return false;
      if (f16)
        {
          const size_t n = (size_t) GM_ATTN_QCHUNK * (n_slots > dmax ? n_slots : dmax);

          scr->half[i] = malloc (n * sizeof (uint16_t));
          scr->bytes += n * sizeof (uint16_t);
          scr->qf[i] = malloc ((size_t) GM_ATTN_QCHUNK * dmax * sizeof (float));
          scr->bytes += (size_t) GM_ATTN_QCHUNK * dmax * sizeof (float);
          if (scr->half[i] == NULL || scr->qf[i] == NULL)
            return false;
        }
    }
  return true;
}

gm_session *
gm_session_new (gm_model *model, const gm_session_opts *opts, gm_error *err)
{
  return gm_session_new_full (model, opts, GM_KV_SWA_SLACK, err);
}

gm_session *
gm_session_new_full (gm_model *model, const gm_session_opts *opts, uint32_t swa_slack,
                     gm_error *err)
{
  const gm_hparams *hp;
  gm_session_opts defaults;
  gm_session *s;
  uint32_t n_ctx;
  int64_t max_row;

  if (model == NULL)
    {
      gm_error_set (err, GM_ERR_INVALID, "gm_session_new: no model");
      return NULL;
    }
  if (opts == NULL)
    {
      gm_session_opts_init (&defaults);
      opts = &defaults;
    }
  hp = &model->hp;
  n_ctx = opts->n_ctx;
  if (n_ctx == 0)
    n_ctx = hp->n_ctx_train > 0 && hp->n_ctx_train < DEFAULT_N_CTX ? hp->n_ctx_train
                                                                    : DEFAULT_N_CTX;
  if (hp->n_ctx_train > 0 && n_ctx > hp->n_ctx_train)
    {
      gm_error_set (err, GM_ERR_INVALID, "n_ctx %u exceeds the model's trained context %u", n_ctx,
                   hp->n_ctx_train);
      return NULL;
    }

  s = calloc (1, sizeof *s);
  if (s == NULL)
    {
      gm_error_set (err, GM_ERR_NOMEM, "out of memory");
      return NULL;
    }
  s->model = model;
  s->n_ctx = n_ctx;
  atomic_init (&s->n_tokens_pub, 0);
  s->n_ubatch = opts->n_ubatch > 0 && opts->n_ubatch < GM_MAX_UBATCH ? opts->n_ubatch
                                                                     : GM_MAX_UBATCH;
  s->n_threads = opts->n_threads > 0 ? opts->n_threads : model->n_threads;

  max_row = model->max_row;
  if ((int64_t) hp->n_embd > max_row)
    max_row = hp->n_embd;
  s->pool = gm_pool_new (s->n_threads);
  if (s->pool == NULL)
    goto nomem;
  s->mm = gm_mm_new (s->pool, max_row, s->n_ubatch, model->reference);
  s->tokens = malloc ((size_t) n_ctx * sizeof *s->tokens);
  if (s->mm == NULL || s->tokens == NULL)
    goto nomem;
  if (!gm_kv_init (&s->kv, hp, n_ctx, s->n_ubatch, swa_slack, opts->kv_f16))
    {
      gm_error_set (err, GM_ERR_NOMEM, "cannot allocate the KV cache for %u tokens", n_ctx);
      gm_session_free (s);
      return NULL;
    }
  /* a score row spans every slot scanned, padding included */
  if (!scratch_init (&s->scr, hp, s->n_ubatch,
                     s->kv.full.cap > s->kv.swa.cap ? s->kv.full.cap : s->kv.swa.cap, s->n_threads,
                     opts->kv_f16))
    goto nomem;
  return s;

nomem:
  gm_error_set (err, GM_ERR_NOMEM, "out of memory creating a session (n_ctx %u)", n_ctx);
  gm_session_free (s);
  return NULL;
}

void
gm_session_free (gm_session *s)
{
  if (s == NULL)
    return;
  scratch_free (&s->scr, s->n_threads);
  gm_kv_free (&s->kv);
  gm_mm_free (s->mm);
  gm_pool_free (s->pool);
  free (s->tokens);
  free (s);
}

uint32_t
gm_session_n_ctx (const gm_session *s)
{
  return s->n_ctx;
}

int
gm_session_n_threads (const gm_session *s)
{
  return s->n_threads;
}

const int32_t *
gm_session_tokens (const gm_session *s, size_t *n)
{
  if (n != NULL)
    *n = s->n_tokens;
  return s->tokens;
}

/* The token count, also published for gm_memory_report, which the app may
 * call from another thread while this session evaluates. */
static void
set_n_tokens (gm_session *s, size_t n)
{
  s->n_tokens = n;
  atomic_store_explicit (&s->n_tokens_pub, n, memory_order_relaxed);
}

void
gm_session_truncate (gm_session *s, size_t n)
{
  if (n >= s->n_tokens)
    return;
  set_n_tokens (s, n);
  if (s->need_replay)
    return;
  if (!gm_kv_truncate (&s->kv, (int32_t) n))
    s->need_replay = true;  /* rebuilt lazily by the next evaluation */
}

void
gm_session_set_abort (gm_session *s, gm_abort_fn fn, void *user)
{
  s->abort_fn = fn;
  s->abort_user = user;
}

/* Runs tokens [from, to) of s->tokens (already stored there) through the
 * model. logits: last row (or every row when all) of the range. */
static gm_status
eval_range (gm_session *s, size_t from, size_t to, float *logits, bool all, gm_error *err)
{
  const size_t n_vocab = s->model->hp.n_vocab;

  for (size_t b = from; b < to; b += s->n_ubatch)
    {
      const size_t n = to - b < s->n_ubatch ? to - b : s->n_ubatch;
      const bool last = b + n == to;
      float *out = NULL;
      gm_status st;

      if (all && logits != NULL)
        out = logits + (b - from) * n_vocab;
      else if (last)
        out = logits;
      st = gm_forward (s, s->tokens + b, (int32_t) n, (int32_t) b, out, all && out != NULL);
      if (st != GM_OK)
        {
          set_n_tokens (s, b);
          if (!gm_kv_truncate (&s->kv, (int32_t) b))
            s->need_replay = true;
          return gm_error_set (err, st, "evaluation was cancelled");
        }
      set_n_tokens (s, b + n);
      s->n_evaluated += n;
    }
  return GM_OK;
}

/* Re-evaluates the kept tokens from scratch after a truncation that lost
 * sliding-window keys (correct first; rare with the ring's slack). */
static gm_status
replay (gm_session *s, gm_error *err)
{
  size_t n = s->n_tokens;

  gm_status st;

  s->need_replay = false;
  gm_kv_clear (&s->kv);
  set_n_tokens (s, 0);
  st = eval_range (s, 0, n, NULL, false, err);
  if (st != GM_OK)
    {
      /* keep the history; the next evaluation tries again */
      set_n_tokens (s, n);
      s->need_replay = true;
    }
  return st;
}

gm_status
gm_session_eval (gm_session *s, const int32_t *tokens, size_t n, float *logits, bool all_logits,
                 gm_error *err)
{
  const int32_t n_vocab = (int32_t) s->model->hp.n_vocab;
  size_t start;
  gm_status st;

  if (err != NULL)
    {
      err->code = GM_OK;
      err->message[0] = '\0';
    }
  if (n == 0)
    return tokens == NULL && logits == NULL ? GM_OK
                                            : gm_error_set (err, GM_ERR_INVALID, "no tokens to evaluate");
  if (tokens == NULL)
    return gm_error_set (err, GM_ERR_INVALID, "tokens is NULL");
  for (size_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= n_vocab)
      return gm_error_set (err, GM_ERR_INVALID, "token %zu has id %d, outside the vocabulary (0..%d)",
                          i, tokens[i], n_vocab - 1);
  if (n > s->n_ctx - s->n_tokens)
    return gm_error_set (err, GM_ERR_CONTEXT_FULL,
                        "%zu tokens do not fit: the context holds %zu of %u", n, s->n_tokens,
                        s->n_ctx);
  if (s->need_replay && (st = replay (s, err)) != GM_OK)
    return st;

  start = s->n_tokens;
  memcpy (s->tokens + start, tokens, n * sizeof *tokens);
  return eval_range (s, start, start + n, logits, all_logits, err);
}

/* ------------------------------------------------------------- generate */

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

gm_status
gm_session_generate (gm_session *s, const int32_t *prompt, size_t n_prompt,
                     const gm_sampling *sampling, int32_t max_tokens, gm_token_fn cb, void *user,
                     gm_generate_stats *stats, gm_error *err)
{
  const gm_model *m = s->model;
  const int32_t n_vocab = (int32_t) m->hp.n_vocab;
  gm_generate_stats st_local;
  gm_sampling defaults;
  gm_sampler *sampler = NULL;
  gm_detok *detok = NULL;
  float *logits = NULL;
  size_t lcp = 0;
  uint64_t evaluated0;
  double t0;
  gm_status st = GM_OK;

  if (stats == NULL)
    stats = &st_local;
  memset (stats, 0, sizeof *stats);
  if (err != NULL)
    {
      err->code = GM_OK;
      err->message[0] = '\0';
    }
  if (prompt == NULL || n_prompt == 0)
    return gm_error_set (err, GM_ERR_INVALID, "the prompt is empty");
  if (n_prompt > s->n_ctx)
    return gm_error_set (err, GM_ERR_CONTEXT_FULL, "the prompt has %zu tokens, the context holds %u",
                        n_prompt, s->n_ctx);
  for (size_t i = 0; i < n_prompt; i++)
    if (prompt[i] < 0 || prompt[i] >= n_vocab)
      return gm_error_set (err, GM_ERR_INVALID, "prompt token %zu has id %d, outside the vocabulary",
                          i, prompt[i]);
  if (sampling == NULL)
    {
      gm_sampling_init (&defaults);
      sampling = &defaults;
    }

  logits = malloc ((size_t) n_vocab * sizeof (float));
  sampler = gm_sampler_new (sampling);
  detok = gm_detok_new (m, false);
  if (logits == NULL || sampler == NULL || detok == NULL)
    {
      st = gm_error_set (err, GM_ERR_NOMEM, "out of memory starting generation");
      goto out;
    }

  /* reuse the cached prefix; the last prompt token is always re-run so its
   * logits are available */
  while (lcp < s->n_tokens && lcp < n_prompt && s->tokens[lcp] == prompt[lcp])
    lcp++;
  if (lcp == n_prompt)
    lcp--;
  gm_session_truncate (s, lcp);

  evaluated0 = s->n_evaluated;
  t0 = now_seconds ();
  st = gm_session_eval (s, prompt + lcp, n_prompt - lcp, logits, false, err);
  stats->prompt_seconds = now_seconds () - t0;
  stats->n_prompt_tokens = s->n_evaluated - evaluated0;
  if (st != GM_OK)
    goto out;

  t0 = now_seconds ();
  for (int32_t i = 0; max_tokens < 0 || i < max_tokens; i++)
    {
      const size_t n_hist = s->n_tokens < (size_t) 1024 ? s->n_tokens : 1024;
      int32_t tok;
      const char *text;
      size_t len = 0;

      if (s->abort_fn != NULL && s->abort_fn (s->abort_user))
        {
          st = gm_error_set (err, GM_ERR_CANCELLED, "generation was cancelled");
          break;
        }
      tok = gm_sampler_sample (sampler, logits, n_vocab, s->tokens + s->n_tokens - n_hist, n_hist);
      if (gm_token_is_eog (m, tok))
        {
          stats->stopped_by_eog = true;
          break;
        }
      stats->n_generated++;
      text = gm_detok_push (detok, tok, &len);
      if (cb != NULL && !cb (tok, text != NULL ? text : "", len, user))
        {
          stats->stopped_by_callback = true;
          break;
        }
      if (max_tokens >= 0 && i + 1 >= max_tokens)
        break;
      if (s->n_tokens >= s->n_ctx)
        {
          stats->stopped_by_context_full = true;
          break;
        }
      st = gm_session_eval (s, &tok, 1, logits, false, err);
      if (st != GM_OK)
        break;
    }
  stats->generate_seconds = now_seconds () - t0;
  if (st == GM_OK && !stats->stopped_by_callback && cb != NULL)
    {
      size_t len = 0;
      const char *tail = gm_detok_flush (detok, &len);

      if (len > 0)
        cb (GM_TOKEN_NONE, tail, len, user);
    }

out:
  free (logits);
  gm_sampler_free (sampler);
  gm_detok_free (detok);
  return st;
}
