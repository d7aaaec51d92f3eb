/* test-tokenizer.c — encoding and single-token decoding on a small
 * hand-made vocabulary, plus randomized comparisons against a deliberately
 * naive re-implementation of the documented algorithm (quadratic BPE and
 * llama.cpp's sequential special-token partition).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tokenizer.h"
#include "tt.h"

#include <stdlib.h>
#include <string.h>

#define SP "\xe2\x96\x81"

enum {
  T_PAD, T_EOS, T_BOS, T_UNK,
  T_TURN_OPEN, T_TURN_CLOSE, T_CHAN_OPEN, T_CHAN_CLOSE, T_TOOL_RESP, T_THINK,
  T_S1, T_S1X, T_END_S,
  T_NL, T_NL2,
  T_A, T_B, T_C, T_D, T_SP,
  T_AB, T_BC, T_ABC, T_AA, T_SPA, T_SPB, T_CD,
  T_COUNT
};
#define BYTE(b) (T_COUNT + (b))

static const struct
{
  const char *text;
  int32_t type;
} small_vocab[T_COUNT] = {
  [T_PAD] = { "<pad>", GM_TOKTYPE_CONTROL },
  [T_EOS] = { "<eos>", GM_TOKTYPE_CONTROL },
  [T_BOS] = { "<bos>", GM_TOKTYPE_CONTROL },
  [T_UNK] = { "<unk>", GM_TOKTYPE_UNKNOWN },
  [T_TURN_OPEN] = { "<|turn>", GM_TOKTYPE_CONTROL },
  [T_TURN_CLOSE] = { "<turn|>", GM_TOKTYPE_CONTROL },
  [T_CHAN_OPEN] = { "<|channel>", GM_TOKTYPE_USER_DEFINED },
  [T_CHAN_CLOSE] = { "<channel|>", GM_TOKTYPE_USER_DEFINED },
  [T_TOOL_RESP] = { "<|tool_response>", GM_TOKTYPE_USER_DEFINED },
  [T_THINK] = { "<|think|>", GM_TOKTYPE_CONTROL },
  [T_S1] = { "<s1>", GM_TOKTYPE_USER_DEFINED },
  [T_S1X] = { "<s1>x", GM_TOKTYPE_USER_DEFINED },
  [T_END_S] = { "</s>", GM_TOKTYPE_USER_DEFINED },
  [T_NL] = { "\n", GM_TOKTYPE_NORMAL },
  [T_NL2] = { "\n\n", GM_TOKTYPE_NORMAL },
  [T_A] = { "a", GM_TOKTYPE_NORMAL },
  [T_B] = { "b", GM_TOKTYPE_NORMAL },
  [T_C] = { "c", GM_TOKTYPE_NORMAL },
  [T_D] = { "d", GM_TOKTYPE_NORMAL },
  [T_SP] = { SP, GM_TOKTYPE_NORMAL },
  [T_AB] = { "ab", GM_TOKTYPE_NORMAL },
  [T_BC] = { "bc", GM_TOKTYPE_NORMAL },
  [T_ABC] = { "abc", GM_TOKTYPE_NORMAL },
  [T_AA] = { "aa", GM_TOKTYPE_NORMAL },
  [T_SPA] = { SP "a", GM_TOKTYPE_NORMAL },
  [T_SPB] = { SP "b", GM_TOKTYPE_NORMAL },
  [T_CD] = { "cd", GM_TOKTYPE_NORMAL },
};

/* Rank = position. "x y" builds a string that is not a token. */
static const char *const small_merges[] = {
  "b c", "a b", "a a", SP " a", "c d", SP " b", "a bc", "\n \n", "x y",
};

static gm_tokenizer *
build_small (void)
{
  gm_strview tokens[T_COUNT + 256];
  int32_t types[T_COUNT + 256];
  gm_strview merges[sizeof small_merges / sizeof small_merges[0]];
  static char bytes[256][8];
  gm_tokenizer_params params;
  char err[256] = "";
  gm_tokenizer *tok;

  for (int i = 0; i < T_COUNT; i++)
    {
      tokens[i] = (gm_strview) { small_vocab[i].text, strlen (small_vocab[i].text) };
      types[i] = small_vocab[i].type;
    }
  for (int b = 0; b < 256; b++)
    {
      snprintf (bytes[b], sizeof bytes[b], "<0x%02X>", b);
      tokens[T_COUNT + b] = (gm_strview) { bytes[b], 6 };
      types[T_COUNT + b] = GM_TOKTYPE_BYTE;
    }
  for (size_t i = 0; i < sizeof merges / sizeof merges[0]; i++)
    merges[i] = (gm_strview) { small_merges[i], strlen (small_merges[i]) };
  gm_tokenizer_params_init (&params);
  params.bos_id = T_BOS;
  params.eos_id = T_EOS;
  params.unk_id = T_UNK;
  params.pad_id = T_PAD;
  tok = gm_tokenizer_new (tokens, types, T_COUNT + 256, merges, sizeof merges / sizeof merges[0],
                          &params, err, sizeof err);
  if (tok == NULL)
    fprintf (stderr, "gm_tokenizer_new: %s\n", err);
  return tok;
}

static gm_token_vec
enc (const gm_tokenizer *tok, const char *text, size_t len, bool bos, bool special)
{
  gm_token_vec v = { 0 };
  if (!gm_tokenizer_encode (tok, text, len, bos, special, &v))
    {
      fprintf (stderr, "encode failed\n");
      tt_failures++;
    }
  return v;
}

#define EXPECT(tok, text, bos, special, ...)                                     \
  do                                                                             \
    {                                                                            \
      gm_token_vec v_ = enc (tok, text, sizeof text - 1, bos, special);          \
      CHECK_IDS (v_.ids, v_.n, "encode \"" #text "\"", __VA_ARGS__);             \
      gm_token_vec_free (&v_);                                                   \
    }                                                                            \
  while (0)

static void
test_bpe (const gm_tokenizer *tok)
{
  /* "b c" (rank 0) beats "a b" (rank 1), then "a bc" applies. */
  EXPECT (tok, "abc", false, true, T_ABC);
  EXPECT (tok, "ab", false, true, T_AB);
  EXPECT (tok, "abd", false, true, T_AB, T_D);
  /* "b c" (rank 0) before "c d" (rank 4): bc + d, not b + cd. */
  EXPECT (tok, "bcd", false, true, T_BC, T_D);
  EXPECT (tok, "cd", false, true, T_CD);
  /* Equal ranks: the leftmost pair merges first. */
  EXPECT (tok, "aaa", false, true, T_AA, T_A);
  EXPECT (tok, "aaaa", false, true, T_AA, T_AA);
  /* Spaces are '▁'; no dummy prefix. */
  EXPECT (tok, " a", false, true, T_SPA);
  EXPECT (tok, "a b", false, true, T_A, T_SPB);
  EXPECT (tok, "  ", false, true, T_SP, T_SP);
  EXPECT (tok, SP "a", false, true, T_SPA);
  /* Newline runs: a whole-run token wins, otherwise BPE inside the run. */
  EXPECT (tok, "\n", false, true, T_NL);
  EXPECT (tok, "\n\n", false, true, T_NL2);
  EXPECT (tok, "\n\n\n", false, true, T_NL2, T_NL);
  EXPECT (tok, "a\n\nb", false, true, T_A, T_NL2, T_B);
  /* Runs are split: "a" and "b" around a newline never merge. */
  EXPECT (tok, "a\nb", false, true, T_A, T_NL, T_B);
  /* Byte fallback, also for strings that merges built but the vocabulary
   * lacks ("x y" → "xy"). */
  EXPECT (tok, "\xc3\xa9", false, true, BYTE (0xc3), BYTE (0xa9));
  EXPECT (tok, "xy", false, true, BYTE ('x'), BYTE ('y'));
  /* BOS and empty input. */
  EXPECT (tok, "", true, true, T_BOS);
  EXPECT (tok, "ab", true, false, T_BOS, T_AB);
  {
    gm_token_vec v = enc (tok, "", 0, false, true);
    CHECK_EQ_I (v.n, 0);
    gm_token_vec_free (&v);
  }
}

static void
test_invalid_utf8 (const gm_tokenizer *tok)
{
  /* Each byte that cannot start a character becomes U+FFFD (EF BF BD). */
  EXPECT (tok, "\xff", false, true, BYTE (0xef), BYTE (0xbf), BYTE (0xbd));
  EXPECT (tok, "a\xc3", false, true, T_A, BYTE (0xef), BYTE (0xbf), BYTE (0xbd));
  EXPECT (tok, "\xc3" "a", false, true, BYTE (0xef), BYTE (0xbf), BYTE (0xbd), T_A);
  EXPECT (tok, "\xc3 ", false, true, BYTE (0xef), BYTE (0xbf), BYTE (0xbd), T_SP);
  EXPECT (tok, "\x80", false, true, BYTE (0xef), BYTE (0xbf), BYTE (0xbd));
  /* Lenient like llama.cpp: an overlong NUL decodes to U+0000. */
  EXPECT (tok, "\xc0\x80", false, true, BYTE (0x00));
  /* Surrogates pass through. */
  EXPECT (tok, "\xed\xa0\x80", false, true, BYTE (0xed), BYTE (0xa0), BYTE (0x80));
  /* Above U+10FFFF: four bad bytes, four U+FFFD. */
  EXPECT (tok, "\xf4\x90\x80\x80", false, true, BYTE (0xef), BYTE (0xbf), BYTE (0xbd),
          BYTE (0xef), BYTE (0xbf), BYTE (0xbd), BYTE (0xef), BYTE (0xbf), BYTE (0xbd),
          BYTE (0xef), BYTE (0xbf), BYTE (0xbd));
  /* Truncated 3-byte sequence before a space. */
  EXPECT (tok, "\xe2\x96 a", false, true, BYTE (0xef), BYTE (0xbf), BYTE (0xbd), BYTE (0xef),
          BYTE (0xbf), BYTE (0xbd), T_SPA);
}

static void
test_specials (const gm_tokenizer *tok)
{
  /* Control tokens only with parse_special. */
  EXPECT (tok, "<|turn>ab", false, true, T_TURN_OPEN, T_AB);
  EXPECT (tok, "<|turn>ab", false, false, BYTE ('<'), BYTE ('|'), BYTE ('t'), BYTE ('u'),
          BYTE ('r'), BYTE ('n'), BYTE ('>'), T_AB);
  EXPECT (tok, "<bos>", false, true, T_BOS);
  /* User-defined tokens always. */
  EXPECT (tok, "x<|channel>y", false, false, BYTE ('x'), T_CHAN_OPEN, BYTE ('y'));
  EXPECT (tok, "<|channel><channel|>", false, true, T_CHAN_OPEN, T_CHAN_CLOSE);
  /* Longest text first. */
  EXPECT (tok, "<s1>x", false, false, T_S1X);
  EXPECT (tok, "<s1>y", false, false, T_S1, BYTE ('y'));
  EXPECT (tok, "<s1><s1>x", false, false, T_S1, T_S1X);
  /* Spaces next to specials are kept (no strip attributes in GGUF). */
  EXPECT (tok, "a <|turn> a", false, true, T_A, T_SP, T_TURN_OPEN, T_SPA);
  /* <|tool_response> is user-defined in the file but, being a stop token,
   * also control (llama.cpp): matched only with parse_special. */
  EXPECT (tok, "<|tool_response>", false, true, T_TOOL_RESP);
  {
    gm_token_vec v = enc (tok, "<|tool_response>", 16, false, false);
    CHECK_EQ_I (v.n, 16);
    gm_token_vec_free (&v);
  }
  /* "</s>" stops being special in a vocabulary with <|tool_response>. */
  EXPECT (tok, "</s>", false, true, BYTE ('<'), BYTE ('/'), BYTE ('s'), BYTE ('>'));
}

static void
test_attrs_and_eog (const gm_tokenizer *tok)
{
  CHECK (gm_tokenizer_is_eog (tok, T_EOS));
  CHECK (gm_tokenizer_is_eog (tok, T_TURN_CLOSE));
  CHECK (gm_tokenizer_is_eog (tok, T_TOOL_RESP));
  CHECK (!gm_tokenizer_is_eog (tok, T_BOS));
  CHECK (!gm_tokenizer_is_eog (tok, T_TURN_OPEN));
  CHECK (!gm_tokenizer_is_eog (tok, T_END_S));
  CHECK (!gm_tokenizer_is_eog (tok, -1));
  CHECK (!gm_tokenizer_is_eog (tok, T_COUNT + 256));
  CHECK_EQ_I (gm_tokenizer_attr (tok, T_TOOL_RESP),
              GM_TOKATTR_USER_DEFINED | GM_TOKATTR_CONTROL);
  CHECK_EQ_I (gm_tokenizer_attr (tok, T_END_S), GM_TOKATTR_NORMAL);
  CHECK_EQ_I (gm_tokenizer_attr (tok, T_CHAN_OPEN), GM_TOKATTR_USER_DEFINED);
  CHECK_EQ_I (gm_tokenizer_bos (tok), T_BOS);
  CHECK_EQ_I (gm_tokenizer_eos (tok), T_EOS);
  CHECK_EQ_I (gm_tokenizer_n_vocab (tok), T_COUNT + 256);
  CHECK_EQ_I (gm_tokenizer_n_merges (tok), sizeof small_merges / sizeof small_merges[0]);
  CHECK_EQ_I (gm_tokenizer_lookup (tok, "abc", 3), T_ABC);
  CHECK_EQ_I (gm_tokenizer_lookup (tok, "xy", 2), -1); /* merge-only string */
  CHECK_EQ_I (gm_tokenizer_lookup (tok, "<0x41>", 6), BYTE (0x41));
}

static void
check_piece (const gm_tokenizer *tok, int32_t id, bool special, const char *want, size_t want_len)
{
  char buf[64];
  int64_t n = gm_tokenizer_piece (tok, id, special, buf, sizeof buf);

  if (n != (int64_t) want_len || memcmp (buf, want, want_len) != 0)
    {
      fprintf (stderr, "piece(%d, %d): got %lld bytes \"%.*s\", want \"%s\"\n", id, special,
               (long long) n, n > 0 ? (int) n : 0, buf, want);
      tt_failures++;
    }
}

static void
test_pieces (const gm_tokenizer *tok)
{
  char small[2];

  check_piece (tok, T_SPA, false, " a", 2);
  check_piece (tok, T_SP, false, " ", 1);
  check_piece (tok, T_ABC, false, "abc", 3);
  check_piece (tok, BYTE (0xc3), false, "\xc3", 1);
  check_piece (tok, BYTE (0x00), false, "\0", 1);
  check_piece (tok, T_BOS, false, "", 0);
  check_piece (tok, T_BOS, true, "<bos>", 5);
  check_piece (tok, T_UNK, false, "", 0);
  check_piece (tok, T_UNK, true, "<unk>", 5);
  check_piece (tok, T_CHAN_OPEN, false, "<|channel>", 10);
  check_piece (tok, T_TOOL_RESP, false, "", 0);
  check_piece (tok, T_TOOL_RESP, true, "<|tool_response>", 16);
  check_piece (tok, T_NL2, false, "\n\n", 2);
  /* Too small a buffer: the needed size comes back. */
  CHECK_EQ_I (gm_tokenizer_piece (tok, T_BOS, true, small, sizeof small), 5);
  CHECK_EQ_I (gm_tokenizer_piece (tok, T_SPA, false, NULL, 0), 2);
  CHECK_EQ_I (gm_tokenizer_piece (tok, -1, true, small, sizeof small), -1);
  CHECK_EQ_I (gm_tokenizer_piece (tok, T_COUNT + 256, true, small, sizeof small), -1);
}

/* Valid UTF-8 without specials decodes back to itself. */
static void
test_roundtrip (const gm_tokenizer *tok)
{
  static const char *const alphabet[] = {
    "a", "b", "c", "d", " ", "\n", "\xc3\xa9", "\xc3\xbc", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "x",
  };
  uint64_t rng = 42;

  for (int iter = 0; iter < 2000; iter++)
    {
      char text[256], back[1024];
      size_t len = 0, blen = 0;
      gm_token_vec v;
      int n;

      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      n = (int) (rng >> 59);
      for (int k = 0; k < n * 2; k++)
        {
          const char *s;
          rng = rng * 6364136223846793005ull + 1442695040888963407ull;
          s = alphabet[(rng >> 33) % (sizeof alphabet / sizeof alphabet[0])];
          memcpy (text + len, s, strlen (s));
          len += strlen (s);
        }
      v = enc (tok, text, len, false, false);
      for (size_t i = 0; i < v.n; i++)
        {
          int64_t m = gm_tokenizer_piece (tok, v.ids[i], false, back + blen, sizeof back - blen);
          CHECK (m >= 0 && blen + (size_t) m <= sizeof back);
          blen += (size_t) m;
        }
      if (blen != len || memcmp (back, text, len) != 0)
        {
          fprintf (stderr, "roundtrip %d: \"%.*s\" came back as \"%.*s\"\n", iter, (int) len,
                   text, (int) blen, back);
          tt_failures++;
          iter = 1 << 30;
        }
      gm_token_vec_free (&v);
    }
}

/* ------------------------------------------------------------------------
 * Naive references for the randomized comparisons.
 */

typedef struct {
  char text[64];
  int32_t type;
} rtok;

typedef struct {
  char left[32], right[32];
} rmerge;

static uint64_t
next_rand (uint64_t *s)
{
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 33;
}

static int32_t
ref_lookup (const rtok *v, int32_t n, const char *s, size_t len)
{
  int32_t found = -1;
  for (int32_t i = 0; i < n; i++)
    if (strlen (v[i].text) == len && memcmp (v[i].text, s, len) == 0)
      found = i; /* the last one wins */
  return found;
}

static int32_t
ref_rank (const rmerge *m, int32_t nm, const char *l, size_t ll, const char *r, size_t rl)
{
  for (int32_t i = 0; i < nm; i++)
    if (strlen (m[i].left) == ll && strlen (m[i].right) == rl && memcmp (m[i].left, l, ll) == 0
        && memcmp (m[i].right, r, rl) == 0)
      return i;
  return -1;
}

/* Quadratic BPE on ASCII text with single-byte characters. */
static void
ref_bpe (const rtok *v, int32_t n, const rmerge *m, int32_t nm, const char *w, size_t wl,
         gm_token_vec *out)
{
  size_t start[256], len[256], ns = wl;

  for (size_t i = 0; i < wl; i++)
    start[i] = i, len[i] = 1;
  for (;;)
    {
      int32_t best = -1;
      size_t at = 0;
      for (size_t i = 0; i + 1 < ns; i++)
        {
          int32_t r = ref_rank (m, nm, w + start[i], len[i], w + start[i + 1], len[i + 1]);
          if (r >= 0 && (best < 0 || r < best))
            best = r, at = i;
        }
      if (best < 0)
        break;
      len[at] += len[at + 1];
      memmove (start + at + 1, start + at + 2, (ns - at - 2) * sizeof *start);
      memmove (len + at + 1, len + at + 2, (ns - at - 2) * sizeof *len);
      ns--;
    }
  for (size_t i = 0; i < ns; i++)
    {
      int32_t id = ref_lookup (v, n, w + start[i], len[i]);
      if (id >= 0)
        gm_token_vec_push (out, id);
      else
        for (size_t k = 0; k < len[i]; k++)
          {
            char name[8];
            snprintf (name, sizeof name, "<0x%02X>", (uint8_t) w[start[i] + k]);
            id = ref_lookup (v, n, name, 6);
            if (id >= 0)
              gm_token_vec_push (out, id);
          }
    }
}

static gm_tokenizer *
build_from (const rtok *v, int32_t n, const rmerge *m, int32_t nm)
{
  gm_strview *tokens = calloc ((size_t) n, sizeof *tokens);
  int32_t *types = calloc ((size_t) n, sizeof *types);
  gm_strview *merges = calloc ((size_t) nm + 1, sizeof *merges);
  char (*mtext)[72] = calloc ((size_t) nm + 1, sizeof *mtext);
  gm_tokenizer_params params;
  char err[256];
  gm_tokenizer *tok;

  for (int32_t i = 0; i < n; i++)
    {
      tokens[i] = (gm_strview) { v[i].text, strlen (v[i].text) };
      types[i] = v[i].type;
    }
  for (int32_t i = 0; i < nm; i++)
    {
      snprintf (mtext[i], sizeof mtext[i], "%s %s", m[i].left, m[i].right);
      merges[i] = (gm_strview) { mtext[i], strlen (mtext[i]) };
    }
  gm_tokenizer_params_init (&params);
  params.bos_id = 0;
  tok = gm_tokenizer_new (tokens, types, (size_t) n, merges, (size_t) nm, &params, err,
                          sizeof err);
  if (tok == NULL)
    {
      fprintf (stderr, "build_from: %s\n", err);
      tt_failures++;
    }
  free (tokens);
  free (types);
  free (merges);
  free (mtext);
  return tok;
}

/* Random merges over a 4-letter alphabet; some merge results are left out
 * of the vocabulary, and some tokens are duplicated. */
static void
test_random_bpe (void)
{
  uint64_t rng = 7;

  for (int round = 0; round < 40; round++)
    {
      rtok v[400];
      rmerge m[200];
      char pool[200][32];
      int32_t n = 0, nm = 0, np = 0;
      gm_tokenizer *tok;

      snprintf (v[n].text, sizeof v[n].text, "<bos>");
      v[n++].type = GM_TOKTYPE_CONTROL;
      for (int b = 0; b < 256; b++, n++)
        {
          snprintf (v[n].text, sizeof v[n].text, "<0x%02X>", b);
          v[n].type = GM_TOKTYPE_BYTE;
        }
      for (const char *c = "abcd"; *c; c++)
        {
          snprintf (pool[np++], sizeof pool[0], "%c", *c);
          if (next_rand (&rng) % 4 != 0)
            {
              snprintf (v[n].text, sizeof v[n].text, "%c", *c);
              v[n++].type = GM_TOKTYPE_NORMAL;
            }
        }
      while (nm < 60)
        {
          char l[32], r[32];
          memcpy (l, pool[next_rand (&rng) % (uint64_t) np], sizeof l);
          memcpy (r, pool[next_rand (&rng) % (uint64_t) np], sizeof r);
          if (strlen (l) + strlen (r) >= 24)
            continue;
          snprintf (m[nm].left, sizeof m[nm].left, "%s", l);
          snprintf (m[nm].right, sizeof m[nm].right, "%s", r);
          nm++;
          if (np < 200)
            snprintf (pool[np++], sizeof pool[0], "%s%s", l, r);
          if (next_rand (&rng) % 5 != 0 && n < 399)
            {
              snprintf (v[n].text, sizeof v[n].text, "%s%s", l, r);
              v[n++].type = GM_TOKTYPE_NORMAL;
              if (next_rand (&rng) % 20 == 0)
                {
                  v[n] = v[n - 1];
                  n++;
                }
            }
        }
      tok = build_from (v, n, m, nm);
      if (tok == NULL)
        return;
      for (int t = 0; t < 50; t++)
        {
          char text[40];
          size_t len = next_rand (&rng) % 30 + 1;
          gm_token_vec got = { 0 }, want = { 0 };

          for (size_t i = 0; i < len; i++)
            text[i] = "abcd"[next_rand (&rng) % 4];
          gm_tokenizer_encode (tok, text, len, false, false, &got);
          ref_bpe (v, n, m, nm, text, len, &want);
          if (!tt_ids_equal (__FILE__, __LINE__, "random BPE vs reference", got.ids, got.n,
                             want.ids, want.n))
            {
              fprintf (stderr, "  round %d text \"%.*s\"\n", round, (int) len, text);
              t = 1 << 20;
              round = 1 << 20;
            }
          gm_token_vec_free (&got);
          gm_token_vec_free (&want);
        }
      gm_tokenizer_free (tok);
    }
}

/* llama.cpp's partition, literally: for each special (longest first, then
 * lowest id), split every raw fragment at its leftmost occurrences. */
typedef struct {
  size_t start, len;
  int32_t id;
} rfrag;

static size_t
ref_partition (const rtok *v, int32_t n, const char *text, size_t len, bool parse_special,
               rfrag *frags)
{
  size_t nf = 1;
  int32_t order[64], no = 0;

  frags[0] = (rfrag) { 0, len, -1 };
  for (int32_t i = 0; i < n; i++)
    if (v[i].type == GM_TOKTYPE_CONTROL || v[i].type == GM_TOKTYPE_USER_DEFINED)
      order[no++] = i;
  for (int32_t a = 0; a < no; a++) /* stable selection by length, descending */
    for (int32_t b = a + 1; b < no; b++)
      if (strlen (v[order[b]].text) > strlen (v[order[a]].text)
          || (strlen (v[order[b]].text) == strlen (v[order[a]].text) && order[b] < order[a]))
        {
          int32_t t = order[a];
          order[a] = order[b];
          order[b] = t;
        }
  for (int32_t o = 0; o < no; o++)
    {
      const char *s = v[order[o]].text;
      size_t sl = strlen (s);
      rfrag next[512];
      size_t nn = 0;

      if (!parse_special && v[order[o]].type == GM_TOKTYPE_CONTROL)
        continue;
      for (size_t f = 0; f < nf; f++)
        {
          size_t pos = frags[f].start, end = frags[f].start + frags[f].len;
          if (frags[f].id >= 0)
            {
              next[nn++] = frags[f];
              continue;
            }
          for (size_t p = pos; p + sl <= end;)
            {
              if (memcmp (text + p, s, sl) == 0)
                {
                  if (p > pos)
                    next[nn++] = (rfrag) { pos, p - pos, -1 };
                  next[nn++] = (rfrag) { p, sl, order[o] };
                  pos = p = p + sl;
                }
              else
                p++;
            }
          if (pos < end)
            next[nn++] = (rfrag) { pos, end - pos, -1 };
        }
      memcpy (frags, next, nn * sizeof *next);
      nf = nn;
    }
  return nf;
}

static void
test_random_partition (void)
{
  static const char *const specials[][2] = {
    { "<a>", "c" }, { "<a", "u" }, { "a>", "c" }, { "<", "u" }, { "ab", "c" },
    { "<a><a>", "u" }, { "b<", "c" }, { "<a>b", "u" }, { "a>", "u" },
  };
  rtok v[300];
  int32_t n = 0;
  uint64_t rng = 99;
  gm_tokenizer *tok;

  snprintf (v[n].text, sizeof v[n].text, "<bos>");
  v[n++].type = GM_TOKTYPE_NORMAL;
  for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++, n++)
    {
      snprintf (v[n].text, sizeof v[n].text, "%s", specials[i][0]);
      v[n].type = specials[i][1][0] == 'c' ? GM_TOKTYPE_CONTROL : GM_TOKTYPE_USER_DEFINED;
    }
  for (int b = 0; b < 256; b++, n++)
    {
      snprintf (v[n].text, sizeof v[n].text, "<0x%02X>", b);
      v[n].type = GM_TOKTYPE_BYTE;
    }
  tok = build_from (v, n, NULL, 0);
  if (tok == NULL)
    return;
  for (int t = 0; t < 3000; t++)
    {
      char text[48];
      size_t len = next_rand (&rng) % 40 + 1;
      bool ps = t % 2;
      rfrag frags[512];
      size_t nf;
      gm_token_vec got = { 0 }, want = { 0 };

      for (size_t i = 0; i < len; i++)
        text[i] = "<a>b"[next_rand (&rng) % 4];
      nf = ref_partition (v, n, text, len, ps, frags);
      for (size_t f = 0; f < nf; f++)
        if (frags[f].id >= 0)
          gm_token_vec_push (&want, frags[f].id);
        else
          for (size_t k = 0; k < frags[f].len; k++)
            gm_token_vec_push (&want, 1 + (int32_t) (sizeof specials / sizeof specials[0])
                                          + (uint8_t) text[frags[f].start + k]);
      gm_tokenizer_encode (tok, text, len, false, ps, &got);
      if (!tt_ids_equal (__FILE__, __LINE__, "random partition vs reference", got.ids, got.n,
                         want.ids, want.n))
        {
          fprintf (stderr, "  text \"%.*s\" parse_special=%d\n", (int) len, text, ps);
          t = 1 << 20;
        }
      gm_token_vec_free (&got);
      gm_token_vec_free (&want);
    }
  gm_tokenizer_free (tok);
}

/* Arbitrary bytes, long inputs and odd vocabularies must not crash. */
static void
test_hostile (const gm_tokenizer *tok)
{
  uint64_t rng = 1234;
  size_t big = 1 << 20;
  char *buf = malloc (big);
  gm_token_vec v = { 0 };

  for (size_t i = 0; i < big; i++)
    buf[i] = (char) next_rand (&rng);
  CHECK (gm_tokenizer_encode (tok, buf, big, true, true, &v));
  CHECK (v.n > 0);
  gm_token_vec_free (&v);
  memset (buf, '\n', big);
  CHECK (gm_tokenizer_encode (tok, buf, big, false, true, &v));
  gm_token_vec_free (&v);
  memset (buf, 'a', big);
  CHECK (gm_tokenizer_encode (tok, buf, big, false, true, &v));
  CHECK_EQ_I (v.n, big / 2);
  gm_token_vec_free (&v);
  for (size_t i = 0; i + 4 <= big; i += 4)
    memcpy (buf + i, "<s1>", 4);
  CHECK (gm_tokenizer_encode (tok, buf, big, false, true, &v));
  CHECK_EQ_I (v.n, big / 4);
  gm_token_vec_free (&v);
  free (buf);

  {
    /* Vocabulary with empty, duplicate and invalid-UTF-8 pieces, junk
     * merges and no BOS. */
    gm_strview toks[] = { { "", 0 }, { "\xff\xfe", 2 }, { "a", 1 }, { "a", 1 }, { "<bos>", 5 } };
    int32_t types[] = { 99, GM_TOKTYPE_NORMAL, GM_TOKTYPE_NORMAL, GM_TOKTYPE_USER_DEFINED, 3 };
    gm_strview merges[] = { { "", 0 }, { " ", 1 }, { "a", 1 }, { "a ", 2 }, { "  a", 3 },
                            { "\xff\xfe a", 4 }, { "a a", 3 }, { NULL, 0 } };
    gm_tokenizer_params params;
    char err[256] = "";
    gm_tokenizer *t2;

    gm_tokenizer_params_init (&params);
    params.bos_id = 1000; /* out of range: falls back to "<bos>" */
    t2 = gm_tokenizer_new (toks, types, 5, merges, 8, &params, err, sizeof err);
    CHECK (t2 != NULL);
    if (t2)
      {
        char piece[32];
        CHECK_EQ_I (gm_tokenizer_bos (t2), 4);
        CHECK_EQ_I (gm_tokenizer_lookup (t2, "a", 1), 3); /* last duplicate wins */
        CHECK_EQ_I (gm_tokenizer_piece (t2, 0, true, piece, sizeof piece), 0);
        CHECK_EQ_I (gm_tokenizer_lookup (t2, "[EMPTY_0]", 9), 0);
        EXPECT (t2, "a\xff\xfe", false, false, 3);
        gm_tokenizer_free (t2);
      }
    params.bos_id = -1;
    t2 = gm_tokenizer_new (toks, types, 4, merges, 8, &params, err, sizeof err);
    CHECK (t2 == NULL);
    CHECK (strstr (err, "BOS") != NULL);
    t2 = gm_tokenizer_new (toks, types, 0, merges, 8, &params, err, sizeof err);
    CHECK (t2 == NULL);
  }
}

int
main (void)
{
  gm_tokenizer *tok = build_small ();

  CHECK (tok != NULL);
  if (tok == NULL)
    return tt_result ("test-tokenizer");
  test_bpe (tok);
  test_invalid_utf8 (tok);
  test_specials (tok);
  test_attrs_and_eog (tok);
  test_pieces (tok);
  test_roundtrip (tok);
  test_random_bpe ();
  test_random_partition ();
  test_hostile (tok);
  gm_tokenizer_free (tok);
  return tt_result ("test-tokenizer");
}
