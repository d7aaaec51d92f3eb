/* gemlet-fake-engine.c — a stand-in for the engine behind gemlet.h, for the
 * app tests: no weights, deterministic, fast. A "model" is a text file whose
 * first line names it ("FAKE-GEMMA4 E2B Q4_0"), or a folder (a mobile
 * checkpoint) whose config.json starts with such a line; generation streams
 * a canned Markdown reply a few characters at a time.
 *
 * With GEMLET_FAKE_RECORD=FILE, every generation writes what the engine was
 * given into FILE: the sampling values, the context and the rendered
 * prompt, so the tests can check what reached the engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gemlet.h"

struct gm_model
{
  gm_checkpoint_info info;
};

struct gm_session
{
  gm_model   *model;
  uint32_t    n_ctx;
  size_t      n_tokens;
  int32_t    *tokens;
  gm_abort_fn abort_fn;
  void       *abort_user;
};

static const char fake_reply[] =
  "Here is a short overview of **Gemma 4 E2B** running *locally*:\n"
  "\n"
  "## What you get\n"
  "\n"
  "1. Private answers — nothing leaves your computer\n"
  "2. Works offline once the model is installed\n"
  "3. Replies formatted with `Markdown`\n"
  "\n"
  "| Model | Download | Memory |\n"
  "|:------|---------:|-------:|\n"
  "| E2B Q4_0 | 3.3 GB | 2.9 GB |\n"
  "| E4B Q4_0 | 5.2 GB | 4.5 GB |\n"
  "\n"
  "> Tip: the mobile format needs the least memory.\n"
  "\n"
  "```python\n"
  "def greet(name):\n"
  "    return f\"Hello, {name}!\"\n"
  "```\n"
  "\n"
  "See [the Gemma docs](https://ai.google.dev/gemma) for more.";

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

  nanosleep (&ts, NULL);
}

static long
delay_ms (void)
{
  const char *env = getenv ("GEMLET_FAKE_DELAY_MS");

  return env ? atol (env) : 4;
}

/* per generated token, in microseconds (GEMLET_FAKE_DELAY_US overrides) */
static long
token_delay_us (void)
{
  const char *env = getenv ("GEMLET_FAKE_DELAY_US");

  return env ? atol (env) : delay_ms () * 1000;
}

static void
sleep_us (long us)
{
  struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

  if (us > 0)
    nanosleep (&ts, NULL);
}

/* Token ids of the fake tokenizer: control tokens, then text in pieces of
 * up to four bytes (never splitting a UTF-8 character) whose id is a hash.
 * Like a real tokenizer, pieces depend on where the text is cut, so the
 * ids of a reply generated in three-byte pieces are not those of the same
 * text tokenized again. */
#define FAKE_BOS 2
#define FAKE_TURN_START 105
#define FAKE_TURN_END 106

static int32_t
piece_id (const char *p,
          size_t      n)
{
  uint32_t h = 2166136261u;

  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char) p[i]) * 16777619u;

  return 1000 + (int32_t) (h % 200000u);
}

static void
set_error (gm_error  *err,
           gm_status  code,
           const char *message)
{
  if (err == NULL)
    return;
  err->code = code;
  snprintf (err->message, sizeof err->message, "%s", message);
}

const char *
gm_version (void)
{
  return "0.0-fake";
}

const char *
gm_kernel_variant (void)
{
  return "fake";
}

const char *
gm_cpu_features (void)
{
  return "none (fake engine)";
}

static void
add_type (gm_checkpoint_info *info,
          const char         *name,
          uint64_t            n_tensors,
          uint64_t            n_bytes)
{
  gm_type_stat *stat = &info->type_stats[info->n_type_stats++];

  snprintf (stat->name, sizeof stat->name, "%s", name);
  stat->n_tensors = n_tensors;
  stat->n_bytes = n_bytes;
}

gm_status
gm_inspect (const char         *path,
            gm_checkpoint_info *info,
            gm_error           *err)
{
  char line[256] = "";
  char variant[32] = "", type[32] = "";
  char config[4096];
  struct stat st;
  int is_dir;
  FILE *fp;

  memset (info, 0, sizeof *info);

  is_dir = stat (path, &st) == 0 && S_ISDIR (st.st_mode);
  if (is_dir)
    {
      snprintf (config, sizeof config, "%s/config.json", path);
      path = config;
    }

  fp = fopen (path, "rb");
  if (fp == NULL)
    {
      set_error (err, GM_ERR_IO, "cannot open file");
      return GM_ERR_IO;
    }
  if (fgets (line, sizeof line, fp) == NULL)
    line[0] = '\0';
  fclose (fp);

  if (strncmp (line, "FAKE-", 5) != 0)
    {
      set_error (err, GM_ERR_FORMAT, "bad magic: not a GGUF file");
      return GM_ERR_FORMAT;
    }

  snprintf (info->format, sizeof info->format, is_dir ? "mobile (compressed-tensors)" : "GGUF v3");
  info->file_bytes = 3349516256ULL;
  info->n_ctx_train = 131072;
  info->has_chat_template = true;
  info->default_n_ctx = 4096;
  snprintf (info->tokenizer_model, sizeof info->tokenizer_model, "gemma4");

  if (sscanf (line, "FAKE-GEMMA4 %31s %31s", variant, type) == 2)
    {
      snprintf (info->architecture, sizeof info->architecture, "gemma4");
      snprintf (info->name, sizeof info->name, "Gemma 4 %s", variant);
      if (strcmp (variant, "E2B") == 0)
        info->variant = GM_VARIANT_E2B;
      else if (strcmp (variant, "E4B") == 0)
        info->variant = GM_VARIANT_E4B;
      else
        {
          info->variant = GM_VARIANT_GEMMA4_OTHER;
          snprintf (info->variant_reason, sizeof info->variant_reason, "%s layers", variant);
        }
      info->n_layer = 35;
      info->n_embd = 1536;
      add_type (info, "F32", 283, 2000000);
      add_type (info, type, 245, 1050000000);
      add_type (info, "Q6_K", 2, 2257000000);
      info->weights_resident_bytes = 1400000000ULL;
      info->weights_on_demand_bytes = 1927000000ULL;
      info->kv_cache_bytes = 60000000ULL;
    }
  else
    {
      snprintf (info->architecture, sizeof info->architecture, "llama");
      snprintf (info->variant_reason, sizeof info->variant_reason, "architecture is llama");
      info->variant = GM_VARIANT_NOT_GEMMA4;
    }

  return GM_OK;
}

void
gm_load_opts_init (gm_load_opts *opts)
{
  memset (opts, 0, sizeof *opts);
}

gm_model *
gm_model_load (const char         *path,
               const gm_load_opts *opts,
               gm_progress_fn      progress,
               void               *user,
               gm_error           *err)
{
  gm_model *model;

  model = calloc (1, sizeof *model);
  if (gm_inspect (path, &model->info, err) != GM_OK)
    {
      free (model);
      return NULL;
    }

  for (int i = 0; i <= 20; i++)
    {
      if (progress != NULL && !progress (i / 20.f, user))
        {
          free (model);
          set_error (err, GM_ERR_CANCELLED, "cancelled");
          return NULL;
        }
      sleep_ms (delay_ms () * 2);
    }

  return model;
}

void
gm_model_free (gm_model *model)
{
  free (model);
}

const gm_checkpoint_info *
gm_model_info (const gm_model *model)
{
  return &model->info;
}

int64_t
gm_tokenize (const gm_model *model,
             const char     *text,
             size_t          len,
             bool            add_bos,
             bool            parse_special,
             int32_t        *out,
             size_t          cap,
             gm_error       *err)
{
  static const struct { const char *text; int32_t id; } specials[] = {
    { "<bos>", FAKE_BOS }, { "<|turn>", FAKE_TURN_START }, { "<turn|>", FAKE_TURN_END },
  };
  size_t n = 0, i = 0;

  if (add_bos)
    {
      if (n < cap)
        out[n] = FAKE_BOS;
      n++;
    }

  while (i < len)
    {
      size_t step = 0;
      int32_t id = -1;

      if (parse_special && text[i] == '<')
        for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
          {
            size_t sl = strlen (specials[k].text);

            if (i + sl <= len && memcmp (text + i, specials[k].text, sl) == 0)
              {
                id = specials[k].id;
                step = sl;
                break;
              }
          }

      if (id < 0)
        {
          step = 1;
          while (step < 4 && i + step < len && !(parse_special && text[i + step] == '<'))
            step++;
          while (i + step < len && ((unsigned char) text[i + step] & 0xC0) == 0x80)
            step++;
          id = piece_id (text + i, step);
        }

      if (n < cap)
        out[n] = id;
      n++;
      i += step;
    }

  return (int64_t) n;
}

/* The last prompt rendered (only the generation thread renders). */
static char *last_render;

char *
gm_chat_render (const gm_model        *model,
                const gm_chat_message *msgs,
                size_t                 n_msgs,
                bool                   add_generation_prompt,
                bool                   enable_thinking,
                gm_error              *err)
{
  size_t len = 32;
  char *out;

  for (size_t i = 0; i < n_msgs; i++)
    len += strlen (msgs[i].content) + 32;

  out = malloc (len);
  strcpy (out, "<bos>");
  for (size_t i = 0; i < n_msgs; i++)
    {
      strcat (out, msgs[i].role == GM_ROLE_USER ? "<|turn>user\n"
                 : msgs[i].role == GM_ROLE_SYSTEM ? "<|turn>system\n" : "<|turn>model\n");
      strcat (out, msgs[i].content);
      strcat (out, "<turn|>\n");
    }
  if (add_generation_prompt)
    strcat (out, "<|turn>model\n");

  free (last_render);
  last_render = strdup (out);

  return out;
}

void
gm_sampling_init (gm_sampling *s)
{
  memset (s, 0, sizeof *s);
  s->temperature = 1.0f;
  s->top_k = 64;
  s->top_p = 0.95f;
  s->repeat_penalty = 1.0f;
  s->penalty_last_n = 64;
}

void
gm_session_opts_init (gm_session_opts *opts)
{
  memset (opts, 0, sizeof *opts);
}

gm_session *
gm_session_new (gm_model              *model,
                const gm_session_opts *opts,
                gm_error              *err)
{
  gm_session *s = calloc (1, sizeof *s);

  s->model = model;
  s->n_ctx = opts->n_ctx ? opts->n_ctx : 4096;
  s->tokens = calloc (s->n_ctx, sizeof *s->tokens);

  return s;
}

void
gm_session_free (gm_session *s)
{
  if (s != NULL)
    free (s->tokens);
  free (s);
}

uint32_t
gm_session_n_ctx (const gm_session *s)
{
  return s->n_ctx;
}

const int32_t *
gm_session_tokens (const gm_session *s,
                   size_t           *n)
{
  *n = s->n_tokens;
  return s->tokens;
}

void
gm_session_truncate (gm_session *s,
                     size_t      n)
{
  if (n < s->n_tokens)
    s->n_tokens = n;
}

void
gm_session_set_abort (gm_session  *s,
                      gm_abort_fn  fn,
                      void        *user)
{
  s->abort_fn = fn;
  s->abort_user = user;
}

/* Like the engine: reuses the longest common prefix with what the session
 * holds (the last prompt token is always run again), "evaluates" the rest,
 * then streams the canned reply in three-byte tokens. The last emitted token
 * is not kept in the session; an end-of-generation token is not emitted.
 * GEMLET_FAKE_TOKENS=N streams N tokens, repeating the reply. */
gm_status
gm_session_generate (gm_session          *s,
                     const int32_t       *prompt,
                     size_t               n_prompt,
                     const gm_sampling   *sampling,
                     int32_t              max_tokens,
                     gm_token_fn          cb,
                     void                *user,
                     gm_generate_stats   *stats,
                     gm_error            *err)
{
  const char *reply = getenv ("GEMLET_FAKE_REPLY") ? getenv ("GEMLET_FAKE_REPLY") : fake_reply;
  const char *env_tokens = getenv ("GEMLET_FAKE_TOKENS");
  long n_wanted = env_tokens ? atol (env_tokens) : -1;
  size_t len = strlen (reply), lcp = 0, i = 0;
  int32_t n = 0;

  memset (stats, 0, sizeof *stats);

  if (getenv ("GEMLET_FAKE_RECORD") != NULL)
    {
      FILE *rec = fopen (getenv ("GEMLET_FAKE_RECORD"), "w");

      if (rec != NULL)
        {
          /* thousandths: the same text in every locale */
          fprintf (rec, "greedy=%d temperature=%ld/1000 top_k=%d top_p=%ld/1000 min_p=%ld/1000 "
                   "repeat_penalty=%ld/1000 seed=%llu\nn_ctx=%u\n%s",
                   sampling->greedy, lroundf (sampling->temperature * 1000), sampling->top_k,
                   lroundf (sampling->top_p * 1000), lroundf (sampling->min_p * 1000),
                   lroundf (sampling->repeat_penalty * 1000), (unsigned long long) sampling->seed,
                   s->n_ctx, last_render ? last_render : "");
          fclose (rec);
        }
    }

  if (n_prompt == 0)
    {
      set_error (err, GM_ERR_INVALID, "the prompt is empty");
      return GM_ERR_INVALID;
    }
  if (n_prompt > s->n_ctx)
    {
      set_error (err, GM_ERR_CONTEXT_FULL, "the prompt does not fit the context");
      return GM_ERR_CONTEXT_FULL;
    }

  while (lcp < s->n_tokens && lcp < n_prompt && s->tokens[lcp] == prompt[lcp])
    lcp++;
  if (lcp == n_prompt)
    lcp--;
  memcpy (s->tokens + lcp, prompt + lcp, (n_prompt - lcp) * sizeof *prompt);
  s->n_tokens = n_prompt;
  stats->n_prompt_tokens = n_prompt - lcp;

  /* "prefill": a fixed part and a part that grows with the evaluated tokens */
  sleep_ms (delay_ms () * 10 + (long) (stats->n_prompt_tokens / 200));

  for (;;)
    {
      size_t step = 3;

      if (n_wanted >= 0 ? n >= n_wanted : i >= len)
        break;
      if (max_tokens >= 0 && n >= max_tokens)
        break;
      if (i >= len)
        i = 0;
      if (s->abort_fn && s->abort_fn (s->abort_user))
        {
          set_error (err, GM_ERR_CANCELLED, "aborted");
          return GM_ERR_CANCELLED;
        }

      /* never split a UTF-8 character */
      while (i + step < len && ((unsigned char)reply[i + step] & 0xC0) == 0x80)
        step++;
      if (i + step > len)
        step = len - i;

      sleep_us (token_delay_us ());
      stats->n_generated++;
      n++;
      if (!cb (piece_id (reply + i, step), reply + i, step, user))
        {
          stats->stopped_by_callback = true;
          return GM_OK;
        }
      if (s->n_tokens >= s->n_ctx)
        {
          stats->stopped_by_context_full = true;
          return GM_OK;
        }
      /* the emitted token goes into the cache before the next one */
      s->tokens[s->n_tokens++] = piece_id (reply + i, step);
      i += step;
    }

  stats->generate_seconds = stats->n_generated * token_delay_us () / 1e6;
  stats->stopped_by_eog = n_wanted < 0 || max_tokens < 0 || n < max_tokens;

  return GM_OK;
}

void
gm_memory_report (const gm_model   *model,
                  const gm_session *session,
                  gm_memory        *out)
{
  unsigned long size = 0, resident = 0;
  FILE *fp;

  memset (out, 0, sizeof *out);
  out->weights_resident = model->info.weights_resident_bytes;
  out->weights_on_demand = model->info.weights_on_demand_bytes;
  out->weights_on_demand_touched = 120000000ULL;
  /* about 14.6 kB per token: 60 MB at 4096 tokens */
  out->kv_cache = session ? session->n_ctx * 14648ULL : 0;
  out->kv_cache_used = session ? session->n_tokens * 14648ULL : 0;
  out->scratch = 24000000ULL;

  fp = fopen ("/proc/self/statm", "r");
  if (fp != NULL && fscanf (fp, "%lu %lu", &size, &resident) == 2)
    out->process_rss = (uint64_t)resident * 4096ULL;
  if (fp != NULL)
    fclose (fp);
  out->system_available = 8000000000ULL;
}

gm_status
gm_estimate_memory (const char *path,
                    uint32_t    n_ctx,
                    gm_memory  *out,
                    gm_error   *err)
{
  memset (out, 0, sizeof *out);
  out->weights_resident = 1400000000ULL;
  out->weights_on_demand = 1927000000ULL;
  out->kv_cache = (n_ctx ? n_ctx : 4096) * 14648ULL;
  out->scratch = 24000000ULL;

  return GM_OK;
}

gm_status
gm_estimate_memory_opts (const char            *path,
                         const gm_session_opts *opts,
                         gm_memory             *out,
                         gm_kv_layout          *layout,
                         gm_error              *err)
{
  gm_status st = gm_estimate_memory (path, opts != NULL ? opts->n_ctx : 0, out, err);

  /* the real engine halves the cache for F16 */
  if (opts != NULL && opts->kv_f16)
    out->kv_cache /= 2;
  if (layout != NULL)
    memset (layout, 0, sizeof *layout);
  return st;
}

/* Like the engine: the largest of 2048, 4096, ... up to the trained
 * context whose weights + KV cache + scratch fit; 2048 if none does. */
gm_status
gm_suggest_n_ctx (const char *path,
                  uint64_t    budget_bytes,
                  uint32_t   *n_ctx_out,
                  gm_error   *err)
{
  gm_checkpoint_info info;
  uint32_t best = 2048;

  if (gm_inspect (path, &info, err) != GM_OK)
    return err ? err->code : GM_ERR_FORMAT;

  for (uint64_t n = 2048; n <= info.n_ctx_train; n *= 2)
    {
      gm_memory m;

      gm_estimate_memory (path, (uint32_t) n, &m, NULL);
      if (m.weights_resident + m.kv_cache + m.scratch <= budget_bytes)
        best = (uint32_t) n;
    }
  *n_ctx_out = best;

  return GM_OK;
}

gm_status
gm_suggest_n_ctx_opts (const char            *path,
                       const gm_session_opts *opts,
                       uint64_t               budget_bytes,
                       uint32_t              *n_ctx_out,
                       gm_error              *err)
{
  (void) opts;
  return gm_suggest_n_ctx (path, budget_bytes, n_ctx_out, err);
}
