/* test-session.c — sessions on generated tiny Gemma 4 models:
 * batch vs token-by-token vs odd chunks, truncate (with and without a
 * wrapped sliding-window ring, forcing a replay), abort, context limits, two
 * models at once, prefix reuse in generate, load cancellation, memory report.
 *
 *   test-session GEN_MODEL_BINARY
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet.h"
#include "session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine-check.h"

#define N_TOK 300

static int32_t n_vocab;
static int32_t prompt[N_TOK];

/* max|a − b| / RMS(b) over n values */
static double
rel_diff (const float *a, const float *b, size_t n)
{
  double ss = 0.0, mx = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      ss += (double) b[i] * b[i];
      mx = fmax (mx, fabs ((double) a[i] - b[i]));
    }
  return mx / sqrt (ss / (double) n + 1e-30);
}

static bool use_kv_f16;

static gm_session *
new_session (gm_model *m, uint32_t n_ctx, uint32_t n_ubatch, uint32_t slack)
{
  gm_session_opts so;
  gm_error err;
  gm_session *s;

  gm_session_opts_init (&so);
  so.n_ctx = n_ctx;
  so.n_ubatch = n_ubatch;
  so.n_threads = 2;
  so.kv_f16 = use_kv_f16;
  s = gm_session_new_full (m, &so, slack, &err);
  CHECK (s != NULL, "session: %s", err.message);
  return s;
}

/* logits of the last token after evaluating ids in chunks of `chunk` */
static void
eval_chunks (gm_session *s, const int32_t *ids, size_t n, size_t chunk, float *out)
{
  gm_error err;

  for (size_t i = 0; i < n; i += chunk)
    {
      const size_t c = n - i < chunk ? n - i : chunk;
      gm_status st = gm_session_eval (s, ids + i, c, i + c == n ? out : NULL, false, &err);
      CHECK (st == GM_OK, "eval: %s", err.message);
    }
}

static void
test_batching (gm_model *m)
{
  float *all = malloc (sizeof (float) * N_TOK * (size_t) n_vocab);
  float *one = malloc (sizeof (float) * (size_t) n_vocab);
  float *last = malloc (sizeof (float) * (size_t) n_vocab);
  gm_session *s = new_session (m, 512, 0, GM_KV_SWA_SLACK);
  gm_error err;
  const size_t chunks[] = { 1, 7, 13, N_TOK };

  CHECK (gm_session_eval (s, prompt, N_TOK, all, true, &err) == GM_OK, "%s", err.message);
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++)
    {
      gm_session_truncate (s, 0);
      eval_chunks (s, prompt, N_TOK, chunks[c], last);
      CHECK (rel_diff (last, all + (size_t) (N_TOK - 1) * n_vocab, (size_t) n_vocab) < 1e-5,
             "chunks of %zu: last logits differ by %g", chunks[c],
             rel_diff (last, all + (size_t) (N_TOK - 1) * n_vocab, (size_t) n_vocab));
    }

  /* every position, token by token, against the all-logits batch */
  gm_session_truncate (s, 0);
  for (int i = 0; i < N_TOK; i++)
    {
      CHECK (gm_session_eval (s, prompt + i, 1, one, false, &err) == GM_OK, "%s", err.message);
      CHECK (rel_diff (one, all + (size_t) i * n_vocab, (size_t) n_vocab) < 1e-5,
             "position %d token by token differs by %g", i,
             rel_diff (one, all + (size_t) i * n_vocab, (size_t) n_vocab));
    }
  gm_session_free (s);

  /* small micro-batches, a ring with no slack (one pad block of slots) */
  s = new_session (m, 512, 5, 0);
  CHECK (s->kv.swa.cap < N_TOK, "ring should wrap (cap %u)", s->kv.swa.cap);
  eval_chunks (s, prompt, N_TOK, N_TOK, last);
  CHECK (rel_diff (last, all + (size_t) (N_TOK - 1) * n_vocab, (size_t) n_vocab) < 1e-5,
         "wrapped ring: last logits differ by %g",
         rel_diff (last, all + (size_t) (N_TOK - 1) * n_vocab, (size_t) n_vocab));
  gm_session_free (s);

  free (all);
  free (one);
  free (last);
}

/* After truncating to `keep` and evaluating other tokens, logits must equal
 * a fresh session's on the same sequence. */
static void
test_truncate_case (gm_model *m, uint32_t ubatch, uint32_t slack, size_t keep, bool expect_replay)
{
  int32_t other[N_TOK];
  float *a = malloc (sizeof (float) * (size_t) n_vocab);
  float *b = malloc (sizeof (float) * (size_t) n_vocab);
  gm_session *s = new_session (m, 512, ubatch, slack);
  gm_session *fresh = new_session (m, 512, ubatch, slack);
  size_t n;

  memcpy (other, prompt, sizeof other);
  for (size_t i = keep; i < N_TOK; i++)
    other[i] = (prompt[i] * 7 + 3) % n_vocab;

  eval_chunks (s, prompt, N_TOK, N_TOK, a);
  gm_session_truncate (s, keep);
  gm_session_tokens (s, &n);
  CHECK (n == keep, "truncate kept %zu tokens, wanted %zu", n, keep);
  CHECK (s->need_replay == expect_replay, "keep %zu: replay %d, expected %d", keep, s->need_replay,
         expect_replay);
  eval_chunks (s, other + keep, N_TOK - keep, 11, a);
  eval_chunks (fresh, other, N_TOK, N_TOK, b);
  CHECK (rel_diff (a, b, (size_t) n_vocab) < 1e-5, "truncate to %zu (ubatch %u slack %u): %g", keep,
         ubatch, slack, rel_diff (a, b, (size_t) n_vocab));
  gm_session_free (s);
  gm_session_free (fresh);
  free (a);
  free (b);
}

static void
test_truncate (gm_model *m)
{
  test_truncate_case (m, 0, GM_KV_SWA_SLACK, 30, false);
  /* ring of 256 slots holding 44..299: keeping 298 needs 283..297 */
  test_truncate_case (m, 5, 0, 298, false);
  /* keeping 40 needs 25..39, long overwritten: the session replays */
  test_truncate_case (m, 5, 0, 40, true);
  test_truncate_case (m, 5, 0, 0, false);
}

static int abort_after;

static bool
abort_cb (void *user)
{
  (void) user;
  return --abort_after < 0;
}

static void
test_errors_and_abort (gm_model *m)
{
  float *a = malloc (sizeof (float) * (size_t) n_vocab);
  float *b = malloc (sizeof (float) * (size_t) n_vocab);
  gm_session *s = new_session (m, 32, 0, GM_KV_SWA_SLACK);
  gm_error err;
  int32_t bad = n_vocab;
  size_t n;

  CHECK (gm_session_eval (s, &bad, 1, a, false, &err) == GM_ERR_INVALID, "id n_vocab accepted");
  bad = -1;
  CHECK (gm_session_eval (s, &bad, 1, a, false, &err) == GM_ERR_INVALID, "id -1 accepted");
  CHECK (gm_session_eval (s, prompt, 33, a, false, &err) == GM_ERR_CONTEXT_FULL,
         "33 tokens in a 32 context");
  CHECK (gm_session_eval (s, prompt, 20, a, false, &err) == GM_OK, "%s", err.message);
  CHECK (gm_session_eval (s, prompt, 13, a, false, &err) == GM_ERR_CONTEXT_FULL, "overflow");
  gm_session_tokens (s, &n);
  CHECK (n == 20, "failed eval changed the context (%zu)", n);

  /* abort in the middle of a batch, then finish: same as uninterrupted */
  gm_session_truncate (s, 10);
  abort_after = 3;
  gm_session_set_abort (s, abort_cb, NULL);
  CHECK (gm_session_eval (s, prompt + 10, 10, a, false, &err) == GM_ERR_CANCELLED, "abort ignored");
  gm_session_set_abort (s, NULL, NULL);
  gm_session_tokens (s, &n);
  CHECK (n == 10, "aborted eval left %zu tokens", n);
  CHECK (gm_session_eval (s, prompt + 10, 10, a, false, &err) == GM_OK, "%s", err.message);
  gm_session_truncate (s, 0);
  CHECK (gm_session_eval (s, prompt, 20, b, false, &err) == GM_OK, "%s", err.message);
  CHECK (rel_diff (a, b, (size_t) n_vocab) < 1e-5, "after abort: %g", rel_diff (a, b, (size_t) n_vocab));

  gm_session_free (s);
  free (a);
  free (b);
}

static void
test_generate (gm_model *m)
{
  gm_session *s = new_session (m, 128, 0, GM_KV_SWA_SLACK);
  gm_sampling sp;
  gm_generate_stats st;
  gm_error err;
  const int32_t *toks;
  int32_t first[16], again[16];
  size_t n;

  gm_sampling_init (&sp);
  sp.greedy = true;
  CHECK (gm_session_generate (s, prompt, 20, &sp, 8, NULL, NULL, &st, &err) == GM_OK, "%s",
         err.message);
  CHECK (st.n_prompt_tokens == 20, "first generate evaluated %llu", (unsigned long long) st.n_prompt_tokens);
  toks = gm_session_tokens (s, &n);
  CHECK (n >= 20 && n <= 28, "context after generate: %zu", n);
  memcpy (first, toks + 20, (n - 20) * sizeof *toks);

  /* the same prompt again: only its last token is re-run */
  CHECK (gm_session_generate (s, prompt, 20, &sp, 8, NULL, NULL, &st, &err) == GM_OK, "%s",
         err.message);
  CHECK (st.n_prompt_tokens == 1, "repeat evaluated %llu", (unsigned long long) st.n_prompt_tokens);
  toks = gm_session_tokens (s, &n);
  memcpy (again, toks + 20, (n - 20) * sizeof *toks);
  CHECK (memcmp (first, again, (n - 20) * sizeof *toks) == 0, "greedy repeat differs");

  /* extending the prompt evaluates only the new tokens */
  CHECK (gm_session_generate (s, prompt, 25, &sp, 2, NULL, NULL, &st, &err) == GM_OK, "%s",
         err.message);
  CHECK (st.n_prompt_tokens <= 5 + 1, "extension evaluated %llu", (unsigned long long) st.n_prompt_tokens);
  gm_session_free (s);
}

/* Streamed text must equal the detokenized reply, also when sampling stops
 * in the middle of a multi-byte character (the tail arrives as U+FFFD with
 * GM_TOKEN_NONE). Sampling hot over the small vocabulary (256 byte tokens)
 * makes such endings common; the test demands at least one. */
typedef struct {
  char text[1024];
  size_t len;
  int32_t ids[64];
  size_t n_ids;
  int n_tail_calls;
} stream_rec;

static bool
record_token (int32_t token, const char *text, size_t len, void *user)
{
  stream_rec *r = user;

  if (token == GM_TOKEN_NONE)
    r->n_tail_calls++;
  else if (r->n_ids < 64)
    r->ids[r->n_ids++] = token;
  if (r->len + len < sizeof r->text)
    {
      memcpy (r->text + r->len, text, len);
      r->len += len;
    }
  return true;
}

static void
test_stream_text (gm_model *m)
{
  gm_session *s = new_session (m, 128, 0, GM_KV_SWA_SLACK);
  int with_tail = 0;

  for (uint64_t seed = 1; seed <= 300; seed++)
    {
      gm_sampling sp;
      gm_error err;
      stream_rec r = { .len = 0 };
      gm_detok *d = gm_detok_new (m, false);
      char want[1024];
      size_t want_len = 0, len;
      const char *t;

      gm_sampling_init (&sp);
      sp.temperature = 8.0f;
      sp.top_k = 0;
      sp.top_p = 1.0f;
      sp.seed = seed;
      CHECK (gm_session_generate (s, prompt, 10, &sp, 3, record_token, &r, NULL, &err) == GM_OK,
             "%s", err.message);
      for (size_t i = 0; i <= r.n_ids; i++)
        {
          t = i < r.n_ids ? gm_detok_push (d, r.ids[i], &len) : gm_detok_flush (d, &len);
          if (want_len + len < sizeof want)
            {
              memcpy (want + want_len, t, len);
              want_len += len;
            }
        }
      gm_detok_free (d);
      CHECK (r.len == want_len && memcmp (r.text, want, want_len) == 0,
             "seed %llu: streamed text differs from the detokenized reply",
             (unsigned long long) seed);
      CHECK (r.n_tail_calls <= 1, "seed %llu: %d tail calls", (unsigned long long) seed,
             r.n_tail_calls);
      with_tail += r.n_tail_calls;
    }
  fprintf (stderr, "stream text: %d of 300 replies ended inside a character\n", with_tail);
  CHECK (with_tail > 0, "no reply ended inside a character; the tail path went untested");
  gm_session_free (s);
}

/* F16 cache: consistent with itself across batching and wrap-around, and
 * close to the F32 cache. */
static void
test_kv_f16 (gm_model *m)
{
  const size_t n = 100;
  float *a = malloc (sizeof (float) * (size_t) n_vocab);
  float *b = malloc (sizeof (float) * (size_t) n_vocab);
  float *c = malloc (sizeof (float) * (size_t) n_vocab);
  gm_session *s;
  gm_memory m32, m16;

  s = new_session (m, 512, 0, GM_KV_SWA_SLACK);
  eval_chunks (s, prompt, n, n, a);
  gm_memory_report (m, s, &m32);
  gm_session_free (s);

  use_kv_f16 = true;
  s = new_session (m, 512, 0, GM_KV_SWA_SLACK);
  eval_chunks (s, prompt, n, n, b);
  gm_memory_report (m, s, &m16);
  gm_session_free (s);
  s = new_session (m, 512, 5, 0);
  eval_chunks (s, prompt, n, 3, c);
  gm_session_free (s);
  use_kv_f16 = false;

  CHECK (m16.kv_cache * 2 == m32.kv_cache, "F16 cache bytes %llu vs F32 %llu",
         (unsigned long long) m16.kv_cache, (unsigned long long) m32.kv_cache);
  CHECK (rel_diff (c, b, (size_t) n_vocab) < 1e-5, "F16 cache: chunks differ by %g",
         rel_diff (c, b, (size_t) n_vocab));
  CHECK (rel_diff (b, a, (size_t) n_vocab) < 0.1, "F16 cache far from F32: %g",
         rel_diff (b, a, (size_t) n_vocab));
  CHECK (rel_diff (b, a, (size_t) n_vocab) > 0.0, "F16 cache identical to F32");
  free (a);
  free (b);
  free (c);
}

static bool
cancel_at_half (float f, void *user)
{
  (void) user;
  return f < 0.5f;
}

static void
test_two_models (gm_model *m1, const char *path2)
{
  gm_error err;
  gm_model *m2 = gm_model_load (path2, NULL, NULL, NULL, &err);
  float *a1 = malloc (sizeof (float) * (size_t) n_vocab), *a2 = malloc (sizeof (float) * (size_t) n_vocab);
  float *b1 = malloc (sizeof (float) * (size_t) n_vocab), *b2 = malloc (sizeof (float) * (size_t) n_vocab);
  gm_session *s1, *s2;

  CHECK (m2 != NULL, "second model: %s", err.message);
  if (m2 == NULL)
    return;
  /* separately */
  s1 = new_session (m1, 64, 0, GM_KV_SWA_SLACK);
  eval_chunks (s1, prompt, 30, 30, a1);
  gm_session_free (s1);
  s2 = new_session (m2, 64, 0, GM_KV_SWA_SLACK);
  eval_chunks (s2, prompt, 30, 30, a2);
  gm_session_free (s2);
  /* interleaved */
  s1 = new_session (m1, 64, 0, GM_KV_SWA_SLACK);
  s2 = new_session (m2, 64, 0, GM_KV_SWA_SLACK);
  for (int i = 0; i < 30; i += 10)
    {
      eval_chunks (s1, prompt + i, 10, 10, b1);
      eval_chunks (s2, prompt + i, 10, 10, b2);
    }
  CHECK (rel_diff (a1, b1, (size_t) n_vocab) < 1e-5, "model 1 interleaved");
  CHECK (rel_diff (a2, b2, (size_t) n_vocab) < 1e-5, "model 2 interleaved");
  CHECK (rel_diff (a1, a2, (size_t) n_vocab) > 1e-3, "two different files gave the same logits");
  gm_session_free (s1);
  gm_session_free (s2);
  gm_model_free (m2);
  free (a1);
  free (a2);
  free (b1);
  free (b2);
}

static void
test_memory (gm_model *m)
{
  gm_session *s = new_session (m, 64, 0, GM_KV_SWA_SLACK);
  gm_memory mem;

  eval_chunks (s, prompt, 10, 10, NULL);
  gm_memory_report (m, s, &mem);
  CHECK (mem.weights_resident > 0, "resident weights");
  CHECK (mem.weights_on_demand > 0, "on-demand weights");
  CHECK (mem.weights_on_demand_touched <= mem.weights_on_demand, "touched > on demand");
  CHECK (mem.kv_cache > 0 && mem.kv_cache_used > 0 && mem.kv_cache_used <= mem.kv_cache, "kv");
  CHECK (mem.scratch > 0 && mem.process_rss > 0 && mem.system_available > 0, "rss/available");
  gm_session_free (s);
}

int
main (int argc, char **argv)
{
  char dir[] = "/tmp/gemlet-test-session.XXXXXX";
  char cmd[4096], f32[512], q8[512];
  gm_error err;
  gm_model *m;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s GEN_MODEL\n", argv[0]);
      return 2;
    }
  if (mkdtemp (dir) == NULL)
    return 2;
  snprintf (f32, sizeof f32, "%s/tiny-f32.gguf", dir);
  snprintf (q8, sizeof q8, "%s/tiny-q8_0.gguf", dir);
  snprintf (cmd, sizeof cmd, "'%s' --shape tiny --type f32 -o '%s' >/dev/null && "
            "'%s' --shape tiny --type q8_0 --seed 2 -o '%s' >/dev/null", argv[1], f32, argv[1], q8);
  if (system (cmd) != 0)
    {
      fprintf (stderr, "cannot generate models: %s\n", cmd);
      return 1;
    }

  /* exact GELU keeps the comparisons free of fp16 table-rounding flips */
  setenv ("GEMLET_GELU_EXACT", "1", 1);
  CHECK (gm_model_load (f32, NULL, cancel_at_half, NULL, &err) == NULL && err.code == GM_ERR_CANCELLED,
         "load cancellation: %d %s", err.code, err.message);
  CHECK (gm_model_load ("/nonexistent.gguf", NULL, NULL, NULL, &err) == NULL && err.code == GM_ERR_IO,
         "missing file: %d", err.code);

  m = gm_model_load (f32, NULL, NULL, NULL, &err);
  CHECK (m != NULL, "load: %s", err.message);
  if (m != NULL)
    {
      n_vocab = gm_model_n_vocab (m);
      for (int i = 0; i < N_TOK; i++)
        prompt[i] = i == 0 ? 2 : (int32_t) ((i * 7919u + 13u) % (uint32_t) n_vocab);
      test_batching (m);
      test_truncate (m);
      test_errors_and_abort (m);
      test_generate (m);
      test_stream_text (m);
      test_kv_f16 (m);
      test_two_models (m, q8);
      test_memory (m);
      gm_model_free (m);
    }

  unlink (f32);
  unlink (q8);
  rmdir (dir);
  if (failures)
    fprintf (stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
