/* test-tokenizer-gguf.c — loading tokenizer.ggml.* from GGUF files written
 * with the test writer, and refusing what Gemlet cannot tokenize.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chat.h"
#include "gguf-writer.h"
#include "gguf.h"
#include "tokenizer.h"
#include "tt.h"

#include <stdlib.h>
#include <string.h>

static const char *const toks[] = { "<pad>", "<eos>", "<bos>", "<unk>", "<|turn>", "<turn|>",
                                    "a", "b", "ab", "\xe2\x96\x81" "a" };
static const int32_t types[] = { 3, 3, 3, 2, 3, 3, 1, 1, 1, 1 };
static const char *const merges[] = { "a b", "\xe2\x96\x81 a" };
#define N_TOKS 10

enum { OMIT_MODEL = 1, OMIT_MERGES = 2, OMIT_TYPES = 4, BAD_TYPES = 8, SHORT_TYPES = 16,
       NO_BOS_ID = 32, ADD_EOS = 64, NO_TEMPLATE = 128 };

static gguf_file *
make (const char *model, unsigned flags, void **buf)
{
  gw_writer *w = gw_new ();
  char err[256];
  size_t size;
  gguf_file *f;

  gw_kv_str (w, "general.architecture", "gemma4");
  if (!(flags & OMIT_MODEL))
    gw_kv_str (w, "tokenizer.ggml.model", model);
  gw_kv_arr_str (w, "tokenizer.ggml.tokens", toks, N_TOKS);
  if (flags & BAD_TYPES)
    {
      static const float f32[N_TOKS] = { 0 };
      gw_kv_arr (w, "tokenizer.ggml.token_type", GGUF_VT_FLOAT32, f32, N_TOKS);
    }
  else if (!(flags & OMIT_TYPES))
    gw_kv_arr (w, "tokenizer.ggml.token_type", GGUF_VT_INT32, types,
               flags & SHORT_TYPES ? N_TOKS - 1 : N_TOKS);
  if (!(flags & OMIT_MERGES))
    gw_kv_arr_str (w, "tokenizer.ggml.merges", merges, 2);
  if (!(flags & NO_BOS_ID))
    gw_kv_u32 (w, "tokenizer.ggml.bos_token_id", 2);
  gw_kv_u32 (w, "tokenizer.ggml.eos_token_id", 1);
  gw_kv_u32 (w, "tokenizer.ggml.unknown_token_id", 3);
  gw_kv_u32 (w, "tokenizer.ggml.padding_token_id", 0);
  gw_kv_bool (w, "tokenizer.ggml.add_bos_token", false); /* forced true anyway */
  if (flags & ADD_EOS)
    gw_kv_bool (w, "tokenizer.ggml.add_eos_token", true);
  if (!(flags & NO_TEMPLATE))
    gw_kv_str (w, "tokenizer.chat_template",
               "{{ bos_token }}{{ '<|turn>' + role + '\\n' }}{{ '<turn|>\\n' }}"
               "{{ '<|channel>thought\\n<channel|>' }}");
  *buf = NULL;
  if (!gw_write_memory (w, buf, &size, err, sizeof err))
    {
      fprintf (stderr, "writer: %s\n", err);
      gw_free (w);
      return NULL;
    }
  gw_free (w);
  f = gguf_open_memory (*buf, size, err, sizeof err);
  if (f == NULL)
    fprintf (stderr, "gguf_open_memory: %s\n", err);
  return f;
}

/* Loads; returns the tokenizer or NULL with the message in err. */
static gm_tokenizer *
load (const char *model, unsigned flags, char *err, size_t n)
{
  void *buf;
  gguf_file *f = make (model, flags, &buf);
  gm_tokenizer *tok = NULL;

  err[0] = '\0';
  if (f != NULL)
    {
      tok = gm_tokenizer_load (f, err, n);
      gguf_close (f); /* the tokenizer keeps its own copies */
    }
  else
    tt_failures++;
  free (buf);
  return tok;
}

static void
expect_refused (const char *model, unsigned flags, const char *needle, int line)
{
  char err[512];
  gm_tokenizer *tok = load (model, flags, err, sizeof err);

  if (tok != NULL || strstr (err, needle) == NULL)
    {
      fprintf (stderr, "line %d: expected refusal mentioning \"%s\", got %s \"%s\"\n", line,
               needle, tok ? "a tokenizer and" : "", err);
      tt_failures++;
    }
  gm_tokenizer_free (tok);
}

int
main (void)
{
  char err[512];
  gm_tokenizer *tok = load ("gemma4", 0, err, sizeof err);
  gm_token_vec v = { 0 };

  CHECK (tok != NULL);
  if (tok == NULL)
    {
      fprintf (stderr, "load: %s\n", err);
      return tt_result ("test-tokenizer-gguf");
    }
  CHECK_EQ_I (gm_tokenizer_n_vocab (tok), N_TOKS);
  CHECK_EQ_I (gm_tokenizer_bos (tok), 2);
  CHECK_EQ_I (gm_tokenizer_eos (tok), 1);
  CHECK_EQ_I (gm_tokenizer_n_merges (tok), 2);
  CHECK (gm_tokenizer_is_eog (tok, 1) && gm_tokenizer_is_eog (tok, 5));
  CHECK_EQ_I (gm_tokenizer_attr (tok, 3), GM_TOKATTR_UNKNOWN);
  CHECK (gm_tokenizer_encode (tok, "<|turn>ab a", 11, true, true, &v));
  CHECK_IDS (v.ids, v.n, "encode", 2, 4, 8, 9);
  gm_token_vec_free (&v);
  {
    size_t len;
    const char *t = gm_tokenizer_chat_template (tok, &len);
    gm_chat_format f;
    CHECK (t != NULL && len == strlen (t));
    gm_chat_format_detect (t, len, &f);
    CHECK_STR (f.family, "gemma4-thought-channel");
  }
  gm_tokenizer_free (tok);

  /* No types: everything is normal, so "<|turn>" is plain text. */
  tok = load ("gemma4", OMIT_TYPES | NO_TEMPLATE | ADD_EOS | NO_BOS_ID, err, sizeof err);
  CHECK (tok != NULL);
  if (tok)
    {
      CHECK (gm_tokenizer_chat_template (tok, NULL) == NULL);
      CHECK_EQ_I (gm_tokenizer_bos (tok), 2); /* found by its text */
      CHECK (gm_tokenizer_encode (tok, "ab", 2, true, true, &v));
      CHECK_IDS (v.ids, v.n, "encode with add_eos", 2, 8, 1);
      gm_token_vec_free (&v);
      gm_tokenizer_free (tok);
    }

  expect_refused ("llama", 0, "SentencePiece", __LINE__);
  expect_refused ("gpt2", 0, "gemma4", __LINE__);
  expect_refused ("bert", 0, "\"bert\"", __LINE__);
  expect_refused ("gemma4", OMIT_MODEL, "tokenizer.ggml.model", __LINE__);
  expect_refused ("gemma4", OMIT_MERGES, "tokenizer.ggml.merges", __LINE__);
  expect_refused ("gemma4", BAD_TYPES, "token_type", __LINE__);
  expect_refused ("gemma4", SHORT_TYPES, "token_type", __LINE__);
  return tt_result ("test-tokenizer-gguf");
}
