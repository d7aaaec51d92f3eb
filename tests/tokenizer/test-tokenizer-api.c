/* test-tokenizer-api.c — the public tokenizer, detokenizer and chat calls of
 * gemlet.h on a loaded (synthetic, tiny) model: argument checks, the
 * "count needed" convention, agreement with the internal tokenizer, and
 * text → ids → text round trips.
 *
 * The model comes from GEMLET_TINY_MODEL, or is generated with the program
 * named by GEMLET_GEN_MODEL; without either the test is skipped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "model-internal.h"
#include "tokenizer.h"
#include "tt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* NULL when no model is configured (skip); "" when generating one failed. */
static char *
model_path (char *tmp, size_t n)
{
  const char *given = getenv ("GEMLET_TINY_MODEL"), *gen = getenv ("GEMLET_GEN_MODEL");
  const char *dir = getenv ("TMPDIR");
  char cmd[1024];
  int fd;

  if (given && *given)
    return strdup (given);
  if (gen == NULL || *gen == '\0')
    return NULL;
  snprintf (tmp, n, "%s/gemlet-tok-api-XXXXXX", dir && *dir ? dir : "/tmp");
  fd = mkstemp (tmp);
  if (fd < 0)
    return strdup ("");
  close (fd);
  snprintf (cmd, sizeof cmd, "'%s' --shape tiny -t 1 -o '%s' >/dev/null", gen, tmp);
  if (system (cmd) != 0)
    {
      fprintf (stderr, "could not generate a model with %s\n", gen);
      unlink (tmp);
      tmp[0] = '\0';
      return strdup ("");
    }
  return strdup (tmp);
}

static void
test_args (const gm_model *model)
{
  gm_error err = { 0 };
  int32_t ids[4];
  char buf[8];

  CHECK_EQ_I (gm_tokenize (NULL, "a", 1, true, true, ids, 4, &err), -1);
  CHECK_EQ_I (err.code, GM_ERR_INVALID);
  CHECK_EQ_I (gm_tokenize (model, NULL, 1, true, true, ids, 4, &err), -1);
  CHECK_EQ_I (gm_tokenize (model, "a", 1, true, true, NULL, 4, NULL), -1);
  /* NULL text of length 0 and a NULL buffer of size 0 are fine. */
  CHECK_EQ_I (gm_tokenize (model, NULL, 0, true, true, NULL, 0, NULL), 1);
  CHECK_EQ_I (gm_tokenize (model, NULL, 0, false, true, NULL, 0, NULL), 0);
  CHECK_EQ_I (gm_token_to_piece (NULL, 2, true, buf, sizeof buf), -1);
  CHECK_EQ_I (gm_token_to_piece (model, -1, true, buf, sizeof buf), -1);
  CHECK_EQ_I (gm_token_to_piece (model, gm_model_n_vocab (model), true, buf, sizeof buf), -1);
  CHECK_EQ_I (gm_token_to_piece (model, 2, true, NULL, 4), -1);
  CHECK_EQ_I (gm_token_to_piece (model, 2, true, NULL, 0), 5); /* "<bos>" */
  CHECK (!gm_token_is_eog (NULL, 1));
  CHECK (!gm_token_is_eog (model, -1));
  CHECK_EQ_I (gm_model_bos (NULL), -1);
  CHECK (gm_detok_new (NULL, false) == NULL);
  CHECK (gm_chat_render (NULL, NULL, 0, true, false, &err) == NULL);
  CHECK_EQ_I (err.code, GM_ERR_INVALID);
  CHECK (strncmp (gm_chat_template_family (NULL), "fallback", 8) == 0);
}

static void
test_tokenize (const gm_model *model)
{
  const gm_tokenizer *tok = gm_model_tokenizer (model);
  static const char text[] = "<|turn>user\nHello w\xc3\xb6rld, \xe6\x97\xa5\xe6\x9c\xac!<turn|>";
  gm_token_vec want = { 0 };
  int32_t ids[256];
  int64_t n;

  CHECK (tok != NULL);
  CHECK_EQ_I (gm_model_bos (model), gm_tokenizer_bos (tok));
  CHECK (gm_tokenizer_encode (tok, text, sizeof text - 1, true, true, &want));

  n = gm_tokenize (model, text, sizeof text - 1, true, true, ids, 256, NULL);
  tt_ids_equal (__FILE__, __LINE__, "gm_tokenize vs internal", ids, n > 0 ? (size_t) n : 0,
                want.ids, want.n);
  /* Too small a buffer: the full count comes back, the prefix is written. */
  memset (ids, 0xff, sizeof ids);
  CHECK_EQ_I (gm_tokenize (model, text, sizeof text - 1, true, true, ids, 3, NULL),
              (int64_t) want.n);
  CHECK (memcmp (ids, want.ids, 3 * sizeof *ids) == 0);
  CHECK_EQ_I (ids[3], -1);
  CHECK_EQ_I (ids[0], gm_model_bos (model));
  gm_token_vec_free (&want);

  /* The stop tokens of Gemma 4, by their text. */
  CHECK (gm_token_is_eog (model, gm_tokenizer_lookup (tok, "<turn|>", 7)));
  CHECK (gm_token_is_eog (model, gm_tokenizer_lookup (tok, "<eos>", 5)));
  CHECK (!gm_token_is_eog (model, gm_model_bos (model)));
}

/* Text → ids → pieces, and → streaming detokenizer, give the text back. */
static void
test_roundtrip (const gm_model *model)
{
  static const char text[] = "  Grüße aus Köln!\n\n\tint x = 42; // \xf0\x9f\x98\x80 done\n";
  int32_t ids[512];
  char back[1024];
  size_t bl = 0, dl = 0;
  int64_t n = gm_tokenize (model, text, sizeof text - 1, false, false, ids, 512, NULL);
  gm_detok *d = gm_detok_new (model, false);
  char streamed[1024];
  const char *s;
  size_t len;

  CHECK (n > 0 && n <= 512 && d != NULL);
  for (int64_t i = 0; i < n && d; i++)
    {
      int64_t k = gm_token_to_piece (model, ids[i], false, back + bl, sizeof back - bl);
      CHECK (k >= 0 && bl + (size_t) k <= sizeof back);
      bl += (size_t) k;
      s = gm_detok_push (d, ids[i], &len);
      memcpy (streamed + dl, s, len);
      dl += len;
    }
  s = gm_detok_flush (d, &len);
  memcpy (streamed + dl, s, len);
  dl += len;
  CHECK (bl == sizeof text - 1 && memcmp (back, text, bl) == 0);
  CHECK (dl == sizeof text - 1 && memcmp (streamed, text, dl) == 0);
  gm_detok_free (d);
}

static void
test_chat (const gm_model *model)
{
  static const gm_chat_message msgs[] = {
    { GM_ROLE_SYSTEM, " Be brief. " },
    { GM_ROLE_USER, "Hi" },
  };
  gm_error err = { 0 };
  char *s = gm_chat_render (model, msgs, 2, true, false, &err);
  const char *family = gm_chat_template_family (model);

  CHECK (s != NULL);
  CHECK (strncmp (family, "gemma4-", 7) == 0 || strncmp (family, "fallback", 8) == 0);
  if (s)
    {
      /* The thought-channel suffix appears exactly for that family. */
      bool suffix = strstr (s, "<|channel>thought\n<channel|>") != NULL;
      static const char want[] =
        "<bos><|turn>system\nBe brief.<turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\n";
      CHECK (strncmp (s, want, sizeof want - 1) == 0);
      CHECK (suffix == (strcmp (family, "gemma4-thought-channel") == 0));
      {
        /* Rendered prompts are tokenized without another BOS. */
        int32_t ids[128];
        int64_t n = gm_tokenize (model, s, strlen (s), false, true, ids, 128, NULL);
        CHECK (n > 2 && ids[0] == gm_model_bos (model) && ids[1] != gm_model_bos (model));
      }
    }
  free (s);
}

int
main (void)
{
  char tmp[512] = "";
  char *path = model_path (tmp, sizeof tmp);
  gm_load_opts lo;
  gm_error err = { 0 };
  gm_model *model;

  if (path == NULL)
    {
      printf ("no GEMLET_TINY_MODEL / GEMLET_GEN_MODEL: skipping\n");
      return 77;
    }
  if (path[0] == '\0')
    {
      free (path);
      return 1;
    }
  gm_load_opts_init (&lo);
  lo.n_threads = 1;
  model = gm_model_load (path, &lo, NULL, NULL, &err);
  if (tmp[0])
    unlink (tmp);
  free (path);
  if (model == NULL)
    {
      fprintf (stderr, "gm_model_load: %s\n", err.message);
      return 1;
    }
  test_args (model);
  test_tokenize (model);
  test_roundtrip (model);
  test_chat (model);
  gm_model_free (model);
  return tt_result ("test-tokenizer-api");
}
