/* cli-chat.c — `gemlet-cli chat`: interactive multi-turn chat on stdin/stdout.
 *
 *   gemlet-cli chat MODEL [--system TEXT] [-n N] [--greedy] [--seed S] [-t N]
 *       [--ctx N]
 *
 * Each turn re-renders the conversation with the model's template and hands
 * it to gm_session_generate, which reuses the cached prefix: only the new
 * tokens are evaluated. After every reply a line on stderr says how many
 * tokens were evaluated and how many were reused. "/exit" or EOF ends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"
#include "gemlet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  char *buf;
  size_t len, cap;
  int32_t *ids;   /* generated token ids */
  size_t n_ids, cap_ids;
  bool oom;
} reply_buf;

static bool
on_token (int32_t token, const char *text, size_t len, void *user)
{
  reply_buf *r = user;

  fwrite (text, 1, len, stdout);
  fflush (stdout);
  if (token != GM_TOKEN_NONE && r->n_ids == r->cap_ids)
    {
      size_t cap = r->cap_ids ? 2 * r->cap_ids : 64;
      int32_t *ni = realloc (r->ids, cap * sizeof *ni);
      if (ni == NULL)
        {
          r->oom = true;
          return false;
        }
      r->ids = ni;
      r->cap_ids = cap;
    }
  if (token != GM_TOKEN_NONE)
    r->ids[r->n_ids++] = token;
  if (r->len + len + 1 > r->cap)
    {
      size_t cap = (r->len + len + 1) * 2;
      char *nb = realloc (r->buf, cap);
      if (nb == NULL)
        {
          r->oom = true;
          return false;
        }
      r->buf = nb;
      r->cap = cap;
    }
  memcpy (r->buf + r->len, text, len);
  r->len += len;
  r->buf[r->len] = '\0';
  return true;
}

typedef struct
{
  gm_chat_message *items;
  size_t n, cap;
} msg_list;

static bool
msg_push (msg_list *l, gm_role role, const char *text)
{
  char *copy = strdup (text);

  if (copy == NULL)
    return false;
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? 2 * l->cap : 8;
      gm_chat_message *ni = realloc (l->items, cap * sizeof *ni);
      if (ni == NULL)
        {
          free (copy);
          return false;
        }
      l->items = ni;
      l->cap = cap;
    }
  l->items[l->n].role = role;
  l->items[l->n].content = copy;
  l->n++;
  return true;
}

static void
msg_clear (msg_list *l, size_t keep)
{
  while (l->n > keep)
    free ((char *) l->items[--l->n].content);
}

/* Tokenizes text into a malloc'd array (*n ids); false on failure. */
static bool
tokenize_all (gm_model *model, const char *text, int32_t **ids, size_t *n, gm_error *err)
{
  size_t len = strlen (text);
  int64_t need = gm_tokenize (model, text, len, false, true, NULL, 0, err);

  *ids = NULL;
  if (need < 0)
    return false;
  *ids = malloc ((size_t) (need > 0 ? need : 1) * sizeof **ids);
  if (*ids == NULL || gm_tokenize (model, text, len, false, true, *ids, (size_t) need, err) != need)
    {
      free (*ids);
      *ids = NULL;
      return false;
    }
  *n = (size_t) need;
  return true;
}

/* The prompt for a new turn. The re-rendered conversation holds the last
 * reply as text, which need not tokenize back to the ids the model
 * generated; so when the previous prompt's text is a prefix of the new one,
 * the new prompt is the previous prompt's ids + the generated ids + the
 * tokens from the end-of-turn marker on. The prompt then matches the cache
 * and only the new turn is evaluated. Otherwise: plain tokenization. */
static bool
next_prompt (gm_model *model, const char *text, const char *prev_text, const int32_t *prev,
             size_t n_prev, const int32_t *gen, size_t n_gen, int32_t turn_end, int32_t **ids,
             size_t *n_ids, gm_error *err)
{
  size_t plen = prev_text != NULL ? strlen (prev_text) : 0;
  int32_t *rest = NULL;
  size_t n_rest = 0, e = 0;

  if (prev_text == NULL || turn_end < 0 || strncmp (text, prev_text, plen) != 0)
    return tokenize_all (model, text, ids, n_ids, err);
  if (!tokenize_all (model, text + plen, &rest, &n_rest, err))
    return false;
  while (e < n_rest && rest[e] != turn_end)
    e++;
  if (e == n_rest)
    {
      free (rest);
      return tokenize_all (model, text, ids, n_ids, err);
    }
  *n_ids = n_prev + n_gen + (n_rest - e);
  *ids = malloc (*n_ids * sizeof **ids);
  if (*ids == NULL)
    {
      free (rest);
      return false;
    }
  memcpy (*ids, prev, n_prev * sizeof **ids);
  memcpy (*ids + n_prev, gen, n_gen * sizeof **ids);
  memcpy (*ids + n_prev + n_gen, rest + e, (n_rest - e) * sizeof **ids);
  free (rest);
  return true;
}

int
cli_chat (int argc, char **argv)
{
  const char *model_path = NULL, *system = NULL;
  long long n_threads = 0, n_ctx = 0, n_predict = 1024, v;
  bool verbose = false, kv_f16 = false;
  gm_sampling sampling;
  gm_load_opts lo;
  gm_session_opts so;
  gm_model *model = NULL;
  gm_session *session = NULL;
  gm_error err = { 0 };
  msg_list msgs = { 0 };
  size_t n_fixed = 0;
  char *line = NULL;
  size_t line_cap = 0;
  int32_t *prev = NULL, *gen = NULL, turn_end = -1;
  char *prev_text = NULL;
  size_t n_prev = 0, n_gen = 0;
  int status = 1;

  gm_sampling_init (&sampling);
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      const bool has_val = i + 1 < argc;

      if (strcmp (a, "--system") == 0 && has_val)
        system = argv[++i];
      else if ((strcmp (a, "-t") == 0 || strcmp (a, "--threads") == 0) && has_val)
        {
          if (!cli_parse_int (argv[++i], 1, 1024, &n_threads))
            return cli_fail ("bad thread count '%s'", argv[i]);
        }
      else if (strcmp (a, "--ctx") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], 1, 1 << 24, &n_ctx))
            return cli_fail ("bad --ctx value '%s'", argv[i]);
        }
      else if (strcmp (a, "-n") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], -1, 1 << 30, &n_predict))
            return cli_fail ("bad -n value '%s'", argv[i]);
        }
      else if (strcmp (a, "--greedy") == 0)
        sampling.greedy = true;
      else if (strcmp (a, "--seed") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], 0, INT64_MAX, &v))
            return cli_fail ("bad --seed value '%s'", argv[i]);
          sampling.seed = (uint64_t) v;
        }
      else if (strcmp (a, "--verbose") == 0 || strcmp (a, "-v") == 0)
        verbose = true;
      else if (strcmp (a, "--kv-f16") == 0)
        kv_f16 = true;
      else if (a[0] == '-' && a[1] != '\0')
        return cli_fail ("chat: unknown or incomplete option '%s'", a);
      else if (model_path == NULL)
        model_path = a;
      else
        return cli_fail ("chat: unexpected argument '%s'", a);
    }
  if (model_path == NULL)
    return cli_fail ("usage: gemlet-cli chat MODEL [--system TEXT] [-t N]");

  gm_load_opts_init (&lo);
  lo.n_threads = (int) n_threads;
  model = gm_model_load (model_path, &lo, NULL, NULL, &err);
  if (model == NULL)
    {
      cli_fail ("%s", err.message);
      goto out;
    }
  gm_session_opts_init (&so);
  so.n_threads = (int) n_threads;
  so.kv_f16 = kv_f16;
  so.n_ctx = (uint32_t) n_ctx;
  session = gm_session_new (model, &so, &err);
  if (session == NULL)
    {
      cli_fail ("%s", err.message);
      goto out;
    }
  {
    int32_t t[2];
    if (gm_tokenize (model, "<turn|>", 7, false, true, t, 2, &err) == 1)
      turn_end = t[0];
  }
  if (system != NULL)
    {
      if (!msg_push (&msgs, GM_ROLE_SYSTEM, system))
        {
          cli_fail ("out of memory");
          goto out;
        }
      n_fixed = 1;
    }

  for (int turn = 1;; turn++)
    {
      ssize_t got;
      char *text;
      int32_t *ids = NULL;
      size_t n_ids = 0;
      reply_buf reply = { 0 };
      gm_generate_stats stats;
      gm_status st;

      fputs ("> ", stdout);
      fflush (stdout);
      got = getline (&line, &line_cap, stdin);
      if (got < 0)
        break;
      while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
        line[--got] = '\0';
      if (strcmp (line, "/exit") == 0)
        break;
      if (got == 0)
        {
          turn--;
          continue;
        }
      if (!msg_push (&msgs, GM_ROLE_USER, line))
        {
          cli_fail ("out of memory");
          goto out;
        }

      text = gm_chat_render (model, msgs.items, msgs.n, true, false, &err);
      if (text == NULL)
        {
          cli_fail ("%s", err.message);
          goto out;
        }
      if (!next_prompt (model, text, prev_text, prev, n_prev, gen, n_gen, turn_end, &ids, &n_ids,
                        &err))
        {
          free (text);
          cli_fail ("cannot tokenize the conversation: %s", err.message);
          goto out;
        }
      free (prev_text);
      prev_text = text;

      if (verbose)
        {
          fputs ("[prompt ids:", stderr);
          for (size_t i = 0; i < n_ids; i++)
            fprintf (stderr, " %d", ids[i]);
          fputs ("]\n", stderr);
        }
      st = gm_session_generate (session, ids, n_ids, &sampling, (int32_t) n_predict,
                                on_token, &reply, &stats, &err);
      free (prev);
      free (gen);
      prev = ids;
      n_prev = n_ids;
      gen = reply.ids;
      n_gen = reply.n_ids;
      reply.ids = NULL;
      fputc ('\n', stdout);
      fflush (stdout);
      if (st == GM_ERR_CONTEXT_FULL)
        {
          /* start over with only the system prompt */
          fprintf (stderr, "gemlet-cli: %s; the conversation was reset\n", err.message);
          msg_clear (&msgs, n_fixed);
          gm_session_truncate (session, 0);
          n_prev = n_gen = 0;
          free (prev_text);
          prev_text = NULL;
          free (reply.buf);
          continue;
        }
      if (st != GM_OK || reply.oom)
        {
          free (reply.buf);
          cli_fail ("%s", reply.oom ? "out of memory" : err.message);
          goto out;
        }
      fprintf (stderr, "[turn %d: evaluated %llu prompt tokens, reused %zu cached, generated %llu]\n",
               turn, (unsigned long long) stats.n_prompt_tokens,
               n_ids - (size_t) stats.n_prompt_tokens,
               (unsigned long long) stats.n_generated);
      if (!msg_push (&msgs, GM_ROLE_MODEL, reply.buf != NULL ? reply.buf : ""))
        {
          free (reply.buf);
          cli_fail ("out of memory");
          goto out;
        }
      free (reply.buf);
    }
  status = 0;

out:
  free (prev_text);
  free (prev);
  free (gen);
  free (line);
  msg_clear (&msgs, 0);
  free (msgs.items);
  gm_session_free (session);
  gm_model_free (model);
  return status;
}
