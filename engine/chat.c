/* chat.c — renders a conversation the way Gemma 4's chat templates do.
 *
 * What the templates do with plain text messages (tools, images and
 * reasoning fields aside):
 *
 *   <bos>
 *   <|turn>system\n[<|think|>[\n]]{first system message, trimmed}<turn|>\n
 *        (only if thinking is on or the first message is a system one)
 *   <|turn>{system|user|model}\n{content}<turn|>\n      for each message
 *   <|turn>model\n[<|channel>thought\n<channel|>]       generation prompt
 *
 * User and system content is trimmed; model content additionally loses any
 * <|channel>…<channel|> thinking. The model role is passed to the template
 * as "assistant" (what OpenAI-style front ends, llama.cpp among them, send),
 * which matters only for the merge of consecutive model messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAMILY_E "gemma4-e"
#define FAMILY_THOUGHT "gemma4-thought-channel"

typedef struct {
  char *s;
  size_t n, cap;
  bool failed;
} strbuf;

static void
sb_add (strbuf *b, const char *s, size_t n)
{
  if (b->failed)
    return;
  if (b->n + n + 1 > b->cap)
    {
      size_t cap = b->cap ? b->cap : 256;
      char *p;
      while (cap < b->n + n + 1)
        {
          if (cap > SIZE_MAX / 2)
            {
              b->failed = true;
              return;
            }
          cap *= 2;
        }
      p = realloc (b->s, cap);
      if (p == NULL)
        {
          b->failed = true;
          return;
        }
      b->s = p;
      b->cap = cap;
    }
  if (n)
    memcpy (b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void
sb_str (strbuf *b, const char *s)
{
  sb_add (b, s, strlen (s));
}

static bool
contains (const char *hay, size_t n, const char *needle)
{
  return memmem (hay, n, needle, strlen (needle)) != NULL;
}

void
gm_chat_format_detect (const char *tmpl, size_t len, gm_chat_format *fmt)
{
  /* Fallback: the current E-series revision (what E2B/E4B files embed). */
  fmt->thought_suffix = false;
  fmt->think_newline = true;
  fmt->merge_model_turns = true;

  if (tmpl == NULL)
    {
      fmt->family = "fallback (the file has no chat template; rendered as " FAMILY_E ")";
      return;
    }
  if (!contains (tmpl, len, "<|turn>") || !contains (tmpl, len, "<turn|>"))
    {
      fmt->family = "fallback (unrecognised chat template; rendered as " FAMILY_E ")";
      return;
    }
  /* Matched as written in the template source ("\n" is an escape there),
   * and also with a literal newline in case a tool expanded it. */
  fmt->thought_suffix = contains (tmpl, len, "<|channel>thought\\n<channel|>")
                        || contains (tmpl, len, "<|channel>thought\n<channel|>");
  fmt->think_newline = contains (tmpl, len, "<|think|>\\n") || contains (tmpl, len, "<|think|>\n");
  fmt->merge_model_turns = contains (tmpl, len, "continue_same_model_turn");
  fmt->family = fmt->thought_suffix ? FAMILY_THOUGHT : FAMILY_E;
}

/* Jinja's trim as llama.cpp implements it: ASCII whitespace only. */
static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void
add_trimmed (strbuf *b, const char *s, size_t n)
{
  while (n > 0 && is_space (*s))
    s++, n--;
  while (n > 0 && is_space (s[n - 1]))
    n--;
  sb_add (b, s, n);
}

/* The templates' strip_thinking: split at "<channel|>", keep of each part
 * what precedes "<|channel>" (all of it if there is none), then trim. */
static void
add_without_thinking (strbuf *b, const char *s)
{
  static const char close_tag[] = "<channel|>", open_tag[] = "<|channel>";
  strbuf kept = { 0 };
  const char *p = s;

  for (;;)
    {
      const char *end = strstr (p, close_tag);
      size_t part = end ? (size_t) (end - p) : strlen (p);
      const char *open = memmem (p, part, open_tag, sizeof open_tag - 1);

      sb_add (&kept, p, open ? (size_t) (open - p) : part);
      if (end == NULL)
        break;
      p = end + sizeof close_tag - 1;
    }
  if (kept.failed)
    b->failed = true;
  else
    add_trimmed (b, kept.s ? kept.s : "", kept.n);
  free (kept.s);
}

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

char *
gm_chat_render_format (const gm_chat_format *fmt, const char *bos, size_t bos_len,
                       const gm_chat_message *msgs, size_t n_msgs, bool add_generation_prompt,
                       bool enable_thinking, gm_error *err)
{
  strbuf b = { 0 };
  size_t first = 0;

  if (msgs == NULL && n_msgs > 0)
    {
      fail (err, GM_ERR_INVALID, "chat: messages is NULL");
      return NULL;
    }
  for (size_t i = 0; i < n_msgs; i++)
    {
      if (msgs[i].content == NULL)
        {
          fail (err, GM_ERR_INVALID, "chat: message %zu has no content", i);
          return NULL;
        }
      if (msgs[i].role != GM_ROLE_SYSTEM && msgs[i].role != GM_ROLE_USER
          && msgs[i].role != GM_ROLE_MODEL)
        {
          fail (err, GM_ERR_INVALID, "chat: message %zu has an unknown role %d", i,
                (int) msgs[i].role);
          return NULL;
        }
    }

  sb_add (&b, bos, bos_len);
  if (enable_thinking || (n_msgs > 0 && msgs[0].role == GM_ROLE_SYSTEM))
    {
      sb_str (&b, "<|turn>system\n");
      if (enable_thinking)
        sb_str (&b, fmt->think_newline ? "<|think|>\n" : "<|think|>");
      if (n_msgs > 0 && msgs[0].role == GM_ROLE_SYSTEM)
        {
          add_trimmed (&b, msgs[0].content, strlen (msgs[0].content));
          first = 1;
        }
      sb_str (&b, "<turn|>\n");
    }

  for (size_t i = first; i < n_msgs; i++)
    {
      const gm_chat_message *m = &msgs[i];
      bool continued = fmt->merge_model_turns && m->role == GM_ROLE_MODEL && i > first
                       && msgs[i - 1].role == GM_ROLE_MODEL;

      if (!continued)
        sb_str (&b, m->role == GM_ROLE_SYSTEM ? "<|turn>system\n"
                    : m->role == GM_ROLE_USER ? "<|turn>user\n"
                                              : "<|turn>model\n");
      if (m->role == GM_ROLE_MODEL)
        add_without_thinking (&b, m->content);
      else
        add_trimmed (&b, m->content, strlen (m->content));
      sb_str (&b, "<turn|>\n");
    }

  if (add_generation_prompt)
    {
      sb_str (&b, "<|turn>model\n");
      if (fmt->thought_suffix && !enable_thinking)
        sb_str (&b, "<|channel>thought\n<channel|>");
    }

  if (b.failed)
    {
      free (b.s);
      fail (err, GM_ERR_NOMEM, "chat: out of memory rendering %zu messages", n_msgs);
      return NULL;
    }
  if (b.s == NULL)
    sb_add (&b, "", 0);
  if (b.failed)
    {
      fail (err, GM_ERR_NOMEM, "chat: out of memory");
      return NULL;
    }
  return b.s;
}
