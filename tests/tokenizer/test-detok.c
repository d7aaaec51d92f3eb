/* test-detok.c — the streaming detokenizer never emits half a character.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tokenizer.h"
#include "tt.h"

#include <stdlib.h>
#include <string.h>

enum { T_BOS, T_EOS, T_CHAN, T_A, T_SPB, T_EURO, T_COUNT };
#define BYTE(b) (T_COUNT + (b))

static gm_tokenizer *
build (void)
{
  static const char *const texts[T_COUNT] = {
    "<bos>", "<eos>", "<|channel>", "a", "\xe2\x96\x81" "b", "\xe2\x82\xac",
  };
  static const int32_t ttypes[T_COUNT] = {
    GM_TOKTYPE_CONTROL, GM_TOKTYPE_CONTROL, GM_TOKTYPE_USER_DEFINED,
    GM_TOKTYPE_NORMAL, GM_TOKTYPE_NORMAL, GM_TOKTYPE_NORMAL,
  };
  static char names[256][8];
  gm_strview tokens[T_COUNT + 256];
  int32_t types[T_COUNT + 256];
  gm_tokenizer_params params;
  char err[256];
  gm_tokenizer *tok;

  for (int i = 0; i < T_COUNT; i++)
    {
      tokens[i] = (gm_strview) { texts[i], strlen (texts[i]) };
      types[i] = ttypes[i];
    }
  for (int b = 0; b < 256; b++)
    {
      snprintf (names[b], sizeof names[b], "<0x%02X>", b);
      tokens[T_COUNT + b] = (gm_strview) { names[b], 6 };
      types[T_COUNT + b] = GM_TOKTYPE_BYTE;
    }
  gm_tokenizer_params_init (&params);
  params.bos_id = T_BOS;
  params.eos_id = T_EOS;
  tok = gm_tokenizer_new (tokens, types, T_COUNT + 256, NULL, 0, &params, err, sizeof err);
  if (tok == NULL)
    fprintf (stderr, "%s\n", err);
  return tok;
}

/* Pushes ids and checks what each push returns; NULL = expect "". */
static void
stream (const gm_tokenizer *tok, bool special, const int32_t *ids, const char *const *want,
        size_t n, const char *want_flush, int line)
{
  gm_detok *d = gm_detok_new_for_tokenizer (tok, special);
  size_t len;
  const char *s;

  if (d == NULL)
    {
      tt_failures++;
      return;
    }
  for (size_t i = 0; i < n; i++)
    {
      const char *w = want[i] ? want[i] : "";
      s = gm_detok_push (d, ids[i], &len);
      if (len != strlen (w) || memcmp (s, w, len) != 0)
        {
          fprintf (stderr, "line %d, push %zu (id %d): got \"%.*s\" (%zu bytes), want \"%s\"\n",
                   line, i, ids[i], (int) len, s, len, w);
          tt_failures++;
        }
    }
  s = gm_detok_flush (d, &len);
  if (len != strlen (want_flush) || memcmp (s, want_flush, len) != 0)
    {
      fprintf (stderr, "line %d, flush: got \"%.*s\", want \"%s\"\n", line, (int) len, s,
               want_flush);
      tt_failures++;
    }
  gm_detok_free (d);
}

#define STREAM(tok, special, ids, want, flush)                                   \
  do                                                                             \
    {                                                                            \
      const int32_t ids_[] = ids;                                                \
      const char *const want_[] = want;                                          \
      stream (tok, special, ids_, want_, sizeof ids_ / sizeof ids_[0], flush, __LINE__); \
    }                                                                            \
  while (0)
#define L(...) { __VA_ARGS__ }

#define FFFD "\xef\xbf\xbd"

int
main (void)
{
  gm_tokenizer *tok = build ();

  if (tok == NULL)
    return 1;
  /* Plain pieces pass straight through; ▁ becomes a space. */
  STREAM (tok, false, L (T_A, T_SPB, T_EURO), L ("a", " b", "\xe2\x82\xac"), "");
  /* "é" split over two byte tokens. */
  STREAM (tok, false, L (BYTE (0xc3), BYTE (0xa9), T_A), L (NULL, "\xc3\xa9", "a"), "");
  /* A 4-byte emoji one byte at a time, between ordinary pieces. */
  STREAM (tok, false, L (T_A, BYTE (0xf0), BYTE (0x9f), BYTE (0x98), BYTE (0x80), T_A),
          L ("a", NULL, NULL, NULL, "\xf0\x9f\x98\x80", "a"), "");
  /* Control tokens vanish unless asked for; user-defined ones always show. */
  STREAM (tok, false, L (T_BOS, T_CHAN, T_EOS), L (NULL, "<|channel>", NULL), "");
  STREAM (tok, true, L (T_BOS, T_CHAN, T_EOS), L ("<bos>", "<|channel>", "<eos>"), "");
  /* A control token in the middle of a character does not break it. */
  STREAM (tok, false, L (BYTE (0xc3), T_BOS, BYTE (0xa9)), L (NULL, NULL, "\xc3\xa9"), "");
  /* Broken sequences: stray continuation, lead + non-continuation,
   * overlong lead, surrogate, out of range. */
  STREAM (tok, false, L (BYTE (0xa9)), L (FFFD), "");
  STREAM (tok, false, L (BYTE (0xc3), T_A), L (NULL, FFFD "a"), "");
  STREAM (tok, false, L (BYTE (0xc0), BYTE (0x80)), L (FFFD, FFFD), "");
  STREAM (tok, false, L (BYTE (0xed), BYTE (0xa0)), L (NULL, FFFD FFFD), "");
  STREAM (tok, false, L (BYTE (0xf4), BYTE (0x90)), L (NULL, FFFD FFFD), "");
  STREAM (tok, false, L (BYTE (0xe2), BYTE (0x82), BYTE (0xe2), BYTE (0x82), BYTE (0xac)),
          L (NULL, NULL, FFFD, NULL, "\xe2\x82\xac"), "");
  /* An incomplete tail is flushed as one U+FFFD. */
  STREAM (tok, false, L (T_A, BYTE (0xe2), BYTE (0x82)), L ("a", NULL, NULL), FFFD);
  /* Invalid ids contribute nothing. */
  STREAM (tok, false, L (-5, T_A, 1 << 30), L (NULL, "a", NULL), "");

  {
    size_t len = 99;
    CHECK (gm_detok_new_for_tokenizer (NULL, false) == NULL);
    CHECK_STR (gm_detok_push (NULL, T_A, &len), "");
    CHECK_EQ_I (len, 0);
    CHECK_STR (gm_detok_flush (NULL, &len), "");
    gm_detok_free (NULL);
  }

  /* Every chunk of a long random byte-token stream is valid UTF-8, and the
   * chunks add up to the input when the input was valid. */
  {
    static const char *const chars[] = { "a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
    gm_detok *d = gm_detok_new_for_tokenizer (tok, false);
    char text[4096], got[4096];
    size_t tl = 0, gl = 0, len;
    uint64_t rng = 5;
    const char *s;

    while (tl < sizeof text - 8)
      {
        const char *c;
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        c = chars[(rng >> 33) % 4];
        memcpy (text + tl, c, strlen (c));
        tl += strlen (c);
      }
    for (size_t i = 0; i < tl; i++)
      {
        s = gm_detok_push (d, BYTE ((uint8_t) text[i]), &len);
        CHECK (gl + len <= sizeof got);
        memcpy (got + gl, s, len);
        gl += len;
      }
    s = gm_detok_flush (d, &len);
    CHECK_EQ_I (len, 0);
    CHECK (gl == tl && memcmp (got, text, tl) == 0);
    gm_detok_free (d);
  }

  gm_tokenizer_free (tok);
  return tt_result ("test-detok");
}
