/* gen-vocab-small.c — a small BPE vocabulary learned at run time from a
 * built-in multilingual corpus.
 *
 * Layout mirrors Gemma's: specials and <unusedN> first (so Gemma 4's control
 * tokens keep their real ids), newline runs, the 256 byte-fallback tokens,
 * single characters, then one token per learned merge.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char corpus[] =
  "The quick brown fox jumps over the lazy dog. A small model is a model that\n"
  "runs on the desktop; the tokens of this vocabulary were learned from these\n"
  "lines, so the merges are the ones that the text makes frequent.\n"
  "When the weights are random, the logits are random too, but the shapes and\n"
  "the numbers must still agree with the reference to the last few bits.\n\n"
  "Der schnelle braune Fuchs springt über den faulen Hund. Grüße aus Köln!\n"
  "Le renard brun rapide saute par-dessus le chien paresseux. Ça va très bien.\n"
  "El rápido zorro marrón salta sobre el perro perezoso. ¿Dónde está la niña?\n"
  "Быстрая коричневая лиса прыгает через ленивую собаку.\n"
  "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.\n"
  "素早い茶色の狐がのろまな犬を飛び越える。日本語のテキストです。\n"
  "快速的棕色狐狸跳过了懒狗。这是中文文本。\n\n"
  "int main (int argc, char **argv)\n{\n  for (int i = 0; i < argc; i++)\n"
  "    printf (\"%d: %s\\n\", i, argv[i]);\n  return 0;\n}\n\n"
  "def tokenize(text):\n    return [piece for piece in text.split(' ') if piece]\n\n"
  "Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 256 1024 3.14159 2026-11-29\n"
  "The model and the tokens and the text and the lines and the weights\n"
  "are the same in the reference and in the engine; the engine is the model\n"
  "that the desktop runs, and the reference is the one that it is checked by.\n";

/* --- BPE training over the corpus --------------------------------------- */

typedef struct {
  char **str;
  uint32_t n, cap;
} symtab;

static uint32_t
sym_id (symtab *s, const char *text, size_t len)
{
  for (uint32_t i = 0; i < s->n; i++)
    if (strlen (s->str[i]) == len && memcmp (s->str[i], text, len) == 0)
      return i;
  if (s->n == s->cap)
    {
      s->cap = s->cap ? 2 * s->cap : 256;
      s->str = realloc (s->str, s->cap * sizeof *s->str);
    }
  s->str[s->n] = strndup (text, len);
  return s->n++;
}

typedef struct {
  uint32_t *sym;
  uint32_t len;
  uint32_t count;
} word;

static size_t
utf8_len (unsigned char c)
{
  return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

/* Pre-split like Gemma's BPE sees text: spaces become U+2581, newline runs
 * stand alone; words start at each U+2581. */
static uint32_t
split_words (symtab *syms, word **out)
{
  static const char space[] = "\xe2\x96\x81";
  word *words = NULL;
  uint32_t n_words = 0, cap = 0;
  const char *p = corpus;

  while (*p)
    {
      uint32_t buf[256], n = 0;
      if (*p == '\n')
        {
          while (*p == '\n' && n < 256)
            buf[n++] = sym_id (syms, p++, 1);
        }
      else
        {
          do
            {
              if (*p == ' ')
                buf[n++] = sym_id (syms, space, 3), p++;
              else
                {
                  size_t l = utf8_len ((unsigned char) *p);
                  buf[n++] = sym_id (syms, p, l);
                  p += l;
                }
            }
          while (*p && *p != '\n' && *p != ' ' && n < 255);
        }

      uint32_t w;
      for (w = 0; w < n_words; w++)
        if (words[w].len == n && memcmp (words[w].sym, buf, n * sizeof *buf) == 0)
          break;
      if (w < n_words)
        {
          words[w].count++;
          continue;
        }
      if (n_words == cap)
        {
          cap = cap ? 2 * cap : 256;
          words = realloc (words, cap * sizeof *words);
        }
      words[n_words].sym = malloc (n * sizeof *buf);
      memcpy (words[n_words].sym, buf, n * sizeof *buf);
      words[n_words].len = n;
      words[n_words].count = 1;
      n_words++;
    }
  *out = words;
  return n_words;
}

typedef struct {
  uint64_t key;
  uint32_t count;
} pair_slot;

#define PAIR_SLOTS 16384u

/* Learns up to max_merges merges; appends "left right" strings to merges and
 * the merged symbols to syms (in merge order). */
static uint32_t
learn_merges (symtab *syms, char **merges, uint32_t max_merges)
{
  word *words;
  uint32_t n_words = split_words (syms, &words);
  pair_slot *slots = malloc (PAIR_SLOTS * sizeof *slots);
  uint32_t n_merges = 0;

  while (n_merges < max_merges)
    {
      memset (slots, 0, PAIR_SLOTS * sizeof *slots);
      for (uint32_t w = 0; w < n_words; w++)
        for (uint32_t i = 0; i + 1 < words[w].len; i++)
          {
            uint64_t key = ((uint64_t) words[w].sym[i] << 32 | words[w].sym[i + 1]) + 1;
            uint32_t h = (uint32_t) (gen_hash64 (key) % PAIR_SLOTS);
            while (slots[h].key != 0 && slots[h].key != key)
              h = (h + 1) % PAIR_SLOTS;
            slots[h].key = key;
            slots[h].count += words[w].count;
          }
      /* most frequent pair; ties broken by symbol ids for determinism.
       * Pairs seen once are merged too (whole words become tokens), so a
       * short corpus still fills the vocabulary. */
      uint64_t best = 0;
      uint32_t best_count = 0;
      for (uint32_t h = 0; h < PAIR_SLOTS; h++)
        if (slots[h].key != 0
            && (slots[h].count > best_count || (slots[h].count == best_count && best != 0 && slots[h].key < best)))
          {
            best = slots[h].key;
            best_count = slots[h].count;
          }
      if (best == 0)
        break;

      uint32_t a = (uint32_t) ((best - 1) >> 32), b = (uint32_t) ((best - 1) & 0xffffffffu);
      size_t la = strlen (syms->str[a]), lb = strlen (syms->str[b]);
      char *joined = malloc (la + lb + 2);
      memcpy (joined, syms->str[a], la);
      memcpy (joined + la, syms->str[b], lb + 1);
      uint32_t c = sym_id (syms, joined, la + lb);
      joined[la] = ' ';
      memcpy (joined + la + 1, syms->str[b], lb + 1);
      merges[n_merges++] = joined;

      for (uint32_t w = 0; w < n_words; w++)
        {
          uint32_t j = 0;
          for (uint32_t i = 0; i < words[w].len; i++)
            {
              if (i + 1 < words[w].len && words[w].sym[i] == a && words[w].sym[i + 1] == b)
                {
                  words[w].sym[j++] = c;
                  i++;
                }
              else
                words[w].sym[j++] = words[w].sym[i];
            }
          words[w].len = j;
        }
    }

  for (uint32_t w = 0; w < n_words; w++)
    free (words[w].sym);
  free (words);
  free (slots);
  return n_merges;
}

/* --- assembly ------------------------------------------------------------ */

static void
add_token (gen_vocab *v, const char *text, int32_t type)
{
  v->tokens[v->n_tokens] = strdup (text);
  v->types[v->n_tokens] = type;
  v->scores[v->n_tokens] = -1000.0f;
  v->n_tokens++;
}

static bool
has_token (const gen_vocab *v, const char *text)
{
  for (uint32_t i = 0; i < v->n_tokens; i++)
    if (strcmp (v->tokens[i], text) == 0)
      return true;
  return false;
}

bool
gen_vocab_small (gen_vocab *v, uint32_t n_tokens, char *err, size_t err_size)
{
  const uint32_t n_media = 7, n_reserved = 107 + 8 + 256 + 97 + 200;
  symtab syms = { 0 };
  char name[32];

  memset (v, 0, sizeof *v);
  if (n_tokens < n_reserved + n_media + 64)
    {
      snprintf (err, err_size, "small vocabulary needs at least %u tokens", n_reserved + n_media + 64);
      return false;
    }
  v->tokens = calloc (n_tokens, sizeof *v->tokens);
  v->types = calloc (n_tokens, sizeof *v->types);
  v->scores = calloc (n_tokens, sizeof *v->scores);

  /* 0..106: Gemma 3-like head (specials, <mask>, [multimodal], <unusedN>);
   * Gemma 4's tokens are written over it at the end */
  add_token (v, "<pad>", GEN_TOK_CONTROL);
  add_token (v, "<eos>", GEN_TOK_CONTROL);
  add_token (v, "<bos>", GEN_TOK_CONTROL);
  add_token (v, "<unk>", GEN_TOK_CONTROL);
  add_token (v, "<mask>", GEN_TOK_NORMAL);
  add_token (v, "[multimodal]", GEN_TOK_NORMAL);
  uint32_t n_unused = 0;
  while (v->n_tokens < 107)
    {
      snprintf (name, sizeof name, "<unused%u>", n_unused++);
      add_token (v, name, GEN_TOK_NORMAL);
    }
  /* newline runs 1..8 */
  for (int i = 1; i <= 8; i++)
    {
      char nl[9];
      memset (nl, '\n', (size_t) i);
      nl[i] = 0;
      add_token (v, nl, GEN_TOK_NORMAL);
    }
  for (int i = 0; i < 256; i++)
    {
      snprintf (name, sizeof name, "<0x%02X>", i);
      add_token (v, name, GEN_TOK_BYTE);
    }

  /* single characters: tab, U+2581, printable ASCII, then every character
   * of the corpus */
  add_token (v, "\t", GEN_TOK_NORMAL);
  add_token (v, "\xe2\x96\x81", GEN_TOK_NORMAL);
  for (int c = 0x21; c < 0x7f; c++)
    {
      char s[2] = { (char) c, 0 };
      add_token (v, s, GEN_TOK_NORMAL);
    }

  /* every corpus character not yet a token needs a slot before merges */
  uint32_t n_new_chars = 0;
  {
    symtab chars = { 0 };
    for (const char *p = corpus; *p; p += utf8_len ((unsigned char) *p))
      {
        uint32_t before = chars.n;
        uint32_t id = sym_id (&chars, p, utf8_len ((unsigned char) *p));
        if (chars.n > before && !has_token (v, chars.str[id]) && *p != ' ')
          n_new_chars++;
      }
    for (uint32_t i = 0; i < chars.n; i++)
      free (chars.str[i]);
    free (chars.str);
  }
  uint32_t budget = n_tokens - n_media - v->n_tokens - n_new_chars;
  v->merges = calloc (budget, sizeof *v->merges);
  v->n_merges = learn_merges (&syms, v->merges, budget > 4000 ? 4000 : budget);

  /* characters first (every merge operand must be a token), then merge
   * results in merge order */
  for (uint32_t i = 0; i < syms.n; i++)
    if (strlen (syms.str[i]) <= 4 && !has_token (v, syms.str[i]) && v->n_tokens < n_tokens - n_media)
      {
        const char *s = syms.str[i];
        size_t l = utf8_len ((unsigned char) s[0]);
        if (l == strlen (s))
          add_token (v, s, GEN_TOK_NORMAL);
      }
  for (uint32_t i = 0; i < syms.n; i++)
    if (!has_token (v, syms.str[i]) && v->n_tokens < n_tokens - n_media)
      add_token (v, syms.str[i], GEN_TOK_NORMAL);
  for (uint32_t i = 0; i < syms.n; i++)
    free (syms.str[i]);
  free (syms.str);

  /* a merge whose result did not fit would make the list inconsistent */
  for (uint32_t i = 0; i < v->n_merges; i++)
    {
      char joined[256];
      const char *sp = strchr (v->merges[i] + 1, ' ');
      snprintf (joined, sizeof joined, "%.*s%s", (int) (sp - v->merges[i]), v->merges[i], sp + 1);
      if (!has_token (v, joined))
        {
          for (uint32_t j = i; j < v->n_merges; j++)
            free (v->merges[j]);
          v->n_merges = i;
          break;
        }
    }

  while (v->n_tokens < n_tokens)
    {
      snprintf (name, sizeof name, "<unused%u>", n_unused++);
      add_token (v, name, GEN_TOK_NORMAL);
    }
  gen_vocab_put_gemma4_specials (v);
  return true;
}
