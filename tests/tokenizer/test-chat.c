/* test-chat.c — chat rendering, byte for byte, for both Gemma 4 template
 * families and their revisions. The expected strings are written out by hand
 * from the documented format, not produced by the code under test.
 *
 * The "templates" below are small excerpts in the style of the real Jinja
 * sources, carrying only the constructs the detector keys on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chat.h"
#include "tt.h"

#include <stdlib.h>
#include <string.h>

/* Current E2B/E4B revision: "<|think|>\n", consecutive model turns merge. */
static const char tmpl_e_new[] =
  "{{- bos_token -}}\n"
  "{%- if enable_thinking -%}{{- '<|turn>system\\n' -}}{{- '<|think|>\\n' -}}{%- endif -%}\n"
  "{%- set continue_same_model_turn = (role == 'model' and prev_nt.role == 'assistant') -%}\n"
  "{{- '<|turn>' + role + '\\n' }}{{- '<turn|>\\n' -}}\n"
  "{%- if add_generation_prompt -%}{{- '<|turn>model\\n' -}}{%- endif -%}\n"
  "{{- '<|channel>thought\\n' + thinking_text + '\\n<channel|>' -}}\n";

/* Earlier E revision: "<|think|>" alone, every message opens a turn. */
static const char tmpl_e_old[] =
  "{{ bos_token }}\n"
  "{%- if enable_thinking -%}{{- '<|turn>system\\n' -}}{{- '<|think|>' -}}{%- endif -%}\n"
  "{{- '<|turn>' + role + '\\n' }}{{- '<turn|>\\n' -}}\n"
  "{%- if add_generation_prompt -%}{{- '<|turn>model\\n' -}}{%- endif -%}\n";

/* Larger models: an empty thought channel closes the generation prompt. */
static const char tmpl_thought[] =
  "{{- bos_token -}}\n"
  "{%- if enable_thinking -%}{{- '<|turn>system\\n' -}}{{- '<|think|>\\n' -}}{%- endif -%}\n"
  "{%- set continue_same_model_turn = (role == 'model' and prev_nt.role == 'assistant') -%}\n"
  "{{- '<|turn>' + role + '\\n' }}{{- '<turn|>\\n' -}}\n"
  "{%- if add_generation_prompt -%}{{- '<|turn>model\\n' -}}\n"
  "{%- if not enable_thinking | default(false) -%}{{- '<|channel>thought\\n<channel|>' -}}"
  "{%- endif -%}{%- endif -%}\n";

static const gm_chat_message conv[] = {
  { GM_ROLE_SYSTEM, "You are a helpful assistant." },
  { GM_ROLE_USER, "Hi!" },
  { GM_ROLE_MODEL, "Hello! How can I help you today?" },
  { GM_ROLE_USER, "What is the capital of France?" },
};
#define N_CONV (sizeof conv / sizeof conv[0])

static gm_chat_format
fmt_of (const char *tmpl)
{
  gm_chat_format f;
  gm_chat_format_detect (tmpl, tmpl ? strlen (tmpl) : 0, &f);
  return f;
}

static void
expect_render (const char *tmpl, const gm_chat_message *m, size_t n, bool gen, bool think,
               const char *want, int line)
{
  gm_chat_format f = fmt_of (tmpl);
  gm_error err = { 0 };
  char *got = gm_chat_render_format (&f, "<bos>", 5, m, n, gen, think, &err);

  if (got == NULL || strcmp (got, want) != 0)
    {
      fprintf (stderr, "line %d:\n  got:  \"%s\"\n  want: \"%s\"\n  (%s)\n", line,
               got ? got : "(null)", want, err.message);
      tt_failures++;
    }
  free (got);
}

#define RENDER(tmpl, msgs, n, gen, think, want)                                  \
  expect_render (tmpl, msgs, n, gen, think, want, __LINE__)

static void
test_detect (void)
{
  gm_chat_format f;

  f = fmt_of (tmpl_e_new);
  CHECK_STR (f.family, "gemma4-e");
  CHECK (!f.thought_suffix && f.think_newline && f.merge_model_turns);
  f = fmt_of (tmpl_e_old);
  CHECK_STR (f.family, "gemma4-e");
  CHECK (!f.thought_suffix && !f.think_newline && !f.merge_model_turns);
  f = fmt_of (tmpl_thought);
  CHECK_STR (f.family, "gemma4-thought-channel");
  CHECK (f.thought_suffix && f.think_newline && f.merge_model_turns);
  f = fmt_of (NULL);
  CHECK (strncmp (f.family, "fallback (", 10) == 0);
  CHECK (strstr (f.family, "gemma4-e") != NULL);
  CHECK (!f.thought_suffix && f.think_newline && f.merge_model_turns);
  f = fmt_of ("{% for m in messages %}<|im_start|>{{ m.content }}{% endfor %}");
  CHECK (strncmp (f.family, "fallback (", 10) == 0);
  f = fmt_of ("");
  CHECK (strncmp (f.family, "fallback (", 10) == 0);
}

static void
test_families (void)
{
  /* The two-turn example, thinking off. */
  RENDER (tmpl_e_new, conv, N_CONV, true, false,
          "<bos><|turn>system\nYou are a helpful assistant.<turn|>\n"
          "<|turn>user\nHi!<turn|>\n"
          "<|turn>model\nHello! How can I help you today?<turn|>\n"
          "<|turn>user\nWhat is the capital of France?<turn|>\n"
          "<|turn>model\n");
  RENDER (tmpl_e_old, conv, N_CONV, true, false,
          "<bos><|turn>system\nYou are a helpful assistant.<turn|>\n"
          "<|turn>user\nHi!<turn|>\n"
          "<|turn>model\nHello! How can I help you today?<turn|>\n"
          "<|turn>user\nWhat is the capital of France?<turn|>\n"
          "<|turn>model\n");
  RENDER (tmpl_thought, conv, N_CONV, true, false,
          "<bos><|turn>system\nYou are a helpful assistant.<turn|>\n"
          "<|turn>user\nHi!<turn|>\n"
          "<|turn>model\nHello! How can I help you today?<turn|>\n"
          "<|turn>user\nWhat is the capital of France?<turn|>\n"
          "<|turn>model\n<|channel>thought\n<channel|>");
  RENDER (NULL, conv, N_CONV, true, false,
          "<bos><|turn>system\nYou are a helpful assistant.<turn|>\n"
          "<|turn>user\nHi!<turn|>\n"
          "<|turn>model\nHello! How can I help you today?<turn|>\n"
          "<|turn>user\nWhat is the capital of France?<turn|>\n"
          "<|turn>model\n");

  /* Thinking on: <|think|> opens the system turn; no empty channel. */
  RENDER (tmpl_e_new, conv, N_CONV, true, true,
          "<bos><|turn>system\n<|think|>\nYou are a helpful assistant.<turn|>\n"
          "<|turn>user\nHi!<turn|>\n"
          "<|turn>model\nHello! How can I help you today?<turn|>\n"
          "<|turn>user\nWhat is the capital of France?<turn|>\n"
          "<|turn>model\n");
  RENDER (tmpl_e_old, conv, N_CONV, true, true,
          "<bos><|turn>system\n<|think|>You are a helpful assistant.<turn|>\n"
          "<|turn>user\nHi!<turn|>\n"
          "<|turn>model\nHello! How can I help you today?<turn|>\n"
          "<|turn>user\nWhat is the capital of France?<turn|>\n"
          "<|turn>model\n");
  RENDER (tmpl_thought, conv, N_CONV, true, true,
          "<bos><|turn>system\n<|think|>\nYou are a helpful assistant.<turn|>\n"
          "<|turn>user\nHi!<turn|>\n"
          "<|turn>model\nHello! How can I help you today?<turn|>\n"
          "<|turn>user\nWhat is the capital of France?<turn|>\n"
          "<|turn>model\n");

  /* No generation prompt. */
  RENDER (tmpl_thought, conv, 2, false, false,
          "<bos><|turn>system\nYou are a helpful assistant.<turn|>\n<|turn>user\nHi!<turn|>\n");
}

static void
test_system_turn (void)
{
  static const gm_chat_message user_only[] = { { GM_ROLE_USER, "Hi" } };
  static const gm_chat_message late_system[] = {
    { GM_ROLE_USER, "Q" },
    { GM_ROLE_SYSTEM, " S " },
  };

  /* No system message: a system turn only when thinking is on. */
  RENDER (tmpl_e_new, user_only, 1, true, false, "<bos><|turn>user\nHi<turn|>\n<|turn>model\n");
  RENDER (tmpl_e_new, user_only, 1, true, true,
          "<bos><|turn>system\n<|think|>\n<turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\n");
  RENDER (tmpl_e_old, user_only, 1, true, true,
          "<bos><|turn>system\n<|think|><turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\n");
  RENDER (tmpl_thought, user_only, 1, true, false,
          "<bos><|turn>user\nHi<turn|>\n<|turn>model\n<|channel>thought\n<channel|>");
  /* A system message after the first is an ordinary turn. */
  RENDER (tmpl_e_new, late_system, 2, false, false,
          "<bos><|turn>user\nQ<turn|>\n<|turn>system\nS<turn|>\n");
  /* Empty conversation. */
  RENDER (tmpl_e_new, NULL, 0, true, false, "<bos><|turn>model\n");
  RENDER (tmpl_thought, NULL, 0, true, false,
          "<bos><|turn>model\n<|channel>thought\n<channel|>");
}

static void
test_trimming (void)
{
  static const gm_chat_message msgs[] = {
    { GM_ROLE_SYSTEM, "\n  Be brief. \t\n" },
    { GM_ROLE_USER, " \t What is 2+2?\r\n" },
    { GM_ROLE_MODEL, "<|channel>thought\nAdd them.<channel|>  The answer is 4. \n" },
    { GM_ROLE_USER, "\xc2\xa0" "Thanks " },
    { GM_ROLE_MODEL, "A<|channel>x<channel|>B<|channel>y" },
    { GM_ROLE_MODEL, "<channel|>C<channel|><|channel>" },
    { GM_ROLE_USER, "" },
  };

  /* Trim is ASCII whitespace only (as llama.cpp's Jinja does): the leading
   * no-break space stays. Model turns lose every <|channel>…<channel|>. */
  RENDER (tmpl_e_new, msgs, 7, true, false,
          "<bos><|turn>system\nBe brief.<turn|>\n"
          "<|turn>user\nWhat is 2+2?<turn|>\n"
          "<|turn>model\nThe answer is 4.<turn|>\n"
          "<|turn>user\n\xc2\xa0Thanks<turn|>\n"
          "<|turn>model\nAB<turn|>\n"
          "C<turn|>\n"
          "<|turn>user\n<turn|>\n"
          "<|turn>model\n");
  /* Without the merge, the second model message opens its own turn. */
  RENDER (tmpl_e_old, msgs + 4, 2, false, false,
          "<bos><|turn>model\nAB<turn|>\n<|turn>model\nC<turn|>\n");
}

static void
test_errors (void)
{
  gm_chat_format f = fmt_of (tmpl_e_new);
  gm_chat_message bad_content[] = { { GM_ROLE_USER, NULL } };
  gm_chat_message bad_role[] = { { (gm_role) 7, "x" } };
  gm_error err = { 0 };

  CHECK (gm_chat_render_format (&f, "<bos>", 5, bad_content, 1, true, false, &err) == NULL);
  CHECK_EQ_I (err.code, GM_ERR_INVALID);
  CHECK (strstr (err.message, "content") != NULL);
  memset (&err, 0, sizeof err);
  CHECK (gm_chat_render_format (&f, "<bos>", 5, bad_role, 1, true, false, &err) == NULL);
  CHECK_EQ_I (err.code, GM_ERR_INVALID);
  CHECK (gm_chat_render_format (&f, "<bos>", 5, NULL, 3, true, false, NULL) == NULL);
}

int
main (void)
{
  test_detect ();
  test_families ();
  test_system_turn ();
  test_trimming ();
  test_errors ();
  return tt_result ("test-chat");
}
