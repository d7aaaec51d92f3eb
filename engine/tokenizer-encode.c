/* tokenizer-encode.c — text → token ids, matching llama.cpp's "gemma4" BPE:
 *
 *  1. split the text at special tokens (longest text first; control/unknown
 *     ones only with parse_special, user-defined ones always);
 *  2. in each remaining fragment replace ' ' with '▁' and repair invalid
 *     UTF-8 (each bad byte becomes U+FFFD, as llama.cpp's regex split does);
 *  3. cut it into runs of '\n' and runs of everything else;
 *  4. a newline run that is itself a token is emitted whole; otherwise BPE
 *     over its characters, always merging the adjacent pair with the lowest
 *     merge rank (ties: leftmost);
 *  5. symbols that are not tokens fall back to <0xXX> byte tokens.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tokenizer-private.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  size_t start, len;
  int32_t id; /* token, or -1 for text still to encode */
} fragment;

typedef struct {
  fragment *v;
  size_t n, cap;
} fragment_vec;

typedef struct {
  int32_t rank, left, right;
  int32_t left_sym, right_sym, merged;
} bigram;

/* Per-call working memory, reused across the words of one call. */
typedef struct {
  char *norm;
  size_t norm_cap;
  int32_t *sym, *prev, *next;
  uint32_t *start, *len;
  size_t sym_cap;
  bigram *heap;
  size_t heap_n, heap_cap;
} scratch;

static bool
frag_push (fragment_vec *f, size_t start, size_t len, int32_t id)
{
  if (f->n == f->cap)
    {
      size_t cap = f->cap ? 2 * f->cap : 16;
      fragment *v = realloc (f->v, cap * sizeof *v);
      if (v == NULL)
        return false;
      f->v = v;
      f->cap = cap;
    }
  f->v[f->n++] = (fragment) { start, len, id };
  return true;
}

static int
int_cmp (const void *a, const void *b)
{
  int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;
  return (x > y) - (x < y);
}

/* Splits text into special tokens and raw fragments exactly like llama.cpp's
 * sequential partition (for each special token in priority order, take its
 * leftmost non-overlapping occurrences inside still-raw text), but only for
 * the tokens a trie scan found in the text at all. */
static bool
partition (const gm_tokenizer *tok, const char *text, size_t len, bool parse_special,
           fragment_vec *out)
{
  const uint8_t *t = (const uint8_t *) text;
  size_t *first = NULL, *last_end = NULL;
  int32_t *present = NULL;
  int32_t n_present = 0;
  fragment_vec cur = { 0 }, next = { 0 };
  bool ok = false;

  out->n = 0;
  if (tok->n_special > 0)
    {
      first = malloc ((size_t) tok->n_special * sizeof *first);
      last_end = malloc ((size_t) tok->n_special * sizeof *last_end);
      present = malloc ((size_t) tok->n_special * sizeof *present);
      if (first == NULL || last_end == NULL || present == NULL)
        goto done;
      memset (first, 0xff, (size_t) tok->n_special * sizeof *first);
    }

  for (size_t p = 0; p < len && tok->n_special > 0; p++)
    {
      int32_t node = tok->root_child[t[p]];
      size_t q = p + 1;

      while (node >= 0)
        {
          for (int32_t pr = tok->node_special[node]; pr >= 0; pr = tok->special_next[pr])
            {
              uint8_t attr = tok->attr[tok->special_ids[pr]];
              if (parse_special || !(attr & (GM_TOKATTR_CONTROL | GM_TOKATTR_UNKNOWN)))
                {
                  if (first[pr] == SIZE_MAX)
                    {
                      first[pr] = p;
                      present[n_present++] = pr;
                    }
                  last_end[pr] = q;
                }
            }
          if (q >= len)
            break;
          {
            int32_t child, unused;
            if (!gm_pairtab_get (&tok->edges, (uint64_t) node << 8 | t[q], &child, &unused))
              break;
            node = child;
          }
          q++;
        }
    }

  if (!frag_push (&cur, 0, len, -1))
    goto done;
  if (n_present > 1)
    qsort (present, (size_t) n_present, sizeof *present, int_cmp);
  for (int32_t k = 0; k < n_present; k++)
    {
      int32_t pr = present[k], id = tok->special_ids[pr];
      const char *needle = tok->arena + tok->syms[id].off;
      size_t nlen = tok->syms[id].len;

      next.n = 0;
      for (size_t i = 0; i < cur.n; i++)
        {
          fragment f = cur.v[i];
          size_t pos = f.start, end = f.start + f.len;

          if (f.id >= 0 || end <= first[pr] || f.start >= last_end[pr] || f.len < nlen)
            {
              if (!frag_push (&next, f.start, f.len, f.id))
                goto done;
              continue;
            }
          while (end - pos >= nlen)
            {
              const char *m = memmem (text + pos, end - pos, needle, nlen);
              size_t mpos;
              if (m == NULL)
                break;
              mpos = (size_t) (m - text);
              if (mpos > pos && !frag_push (&next, pos, mpos - pos, -1))
                goto done;
              if (!frag_push (&next, mpos, nlen, id))
                goto done;
              pos = mpos + nlen;
            }
          if (pos < end && !frag_push (&next, pos, end - pos, -1))
            goto done;
        }
      {
        fragment_vec tmp = cur;
        cur = next;
        next = tmp;
      }
    }
  free (out->v);
  *out = cur;
  cur.v = NULL;
  ok = true;

done:
  free (cur.v);
  free (next.v);
  free (first);
  free (last_end);
  free (present);
  return ok;
}

/* ---------------------------------------------------------- UTF-8 repair */

static size_t
put_utf8 (char *o, uint32_t cpt)
{
  if (cpt < 0x80)
    {
      o[0] = (char) cpt;
      return 1;
    }
  if (cpt < 0x800)
    {
      o[0] = (char) (0xc0 | (cpt >> 6));
      o[1] = (char) (0x80 | (cpt & 0x3f));
      return 2;
    }
  if (cpt < 0x10000)
    {
      o[0] = (char) (0xe0 | (cpt >> 12));
      o[1] = (char) (0x80 | ((cpt >> 6) & 0x3f));
      o[2] = (char) (0x80 | (cpt & 0x3f));
      return 3;
    }
  o[0] = (char) (0xf0 | (cpt >> 18));
  o[1] = (char) (0x80 | ((cpt >> 12) & 0x3f));
  o[2] = (char) (0x80 | ((cpt >> 6) & 0x3f));
  o[3] = (char) (0x80 | (cpt & 0x3f));
  return 4;
}

static bool
is_cont (uint8_t b)
{
  return (b & 0xc0) == 0x80;
}

/* Writes the fragment with ' ' → '▁' and every byte that does not start a
 * well-formed sequence replaced by U+FFFD. Like llama.cpp, the decoder is
 * lenient about overlong forms and surrogates (it re-encodes the code point)
 * but not about code points above U+10FFFF (which llama.cpp throws on). */
static size_t
normalize (const uint8_t *s, size_t n, char *o)
{
  size_t i = 0, w = 0;

  while (i < n)
    {
      uint8_t b = s[i];
      uint32_t cpt = 0;
      size_t k;

      if (b == ' ')
        {
          memcpy (o + w, "\xe2\x96\x81", 3);
          w += 3;
          i++;
          continue;
        }
      if (b < 0x80)
        {
          o[w++] = (char) b;
          i++;
          continue;
        }
      if (!(b & 0x40))
        k = 0;
      else if (!(b & 0x20))
        k = 2, cpt = b & 0x1fu;
      else if (!(b & 0x10))
        k = 3, cpt = b & 0x0fu;
      else if (!(b & 0x08))
        k = 4, cpt = b & 0x07u;
      else
        k = 0;
      if (k > 0 && i + k - 1 < n)
        {
          size_t j;
          for (j = 1; j < k && is_cont (s[i + j]); j++)
            cpt = cpt << 6 | (s[i + j] & 0x3fu);
          if (j < k || cpt > 0x10ffff)
            k = 0;
        }
      else
        k = 0;
      if (k == 0)
        {
          memcpy (o + w, "\xef\xbf\xbd", 3);
          w += 3;
          i++;
          continue;
        }
      w += put_utf8 (o + w, cpt);
      i += k;
    }
  return w;
}

/* ------------------------------------------------------------------ BPE */

static bool
bigram_less (const bigram *a, const bigram *b)
{
  return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static bool
heap_push (scratch *sc, bigram g)
{
  size_t i;

  if (sc->heap_n == sc->heap_cap)
    {
      size_t cap = sc->heap_cap ? 2 * sc->heap_cap : 64;
      bigram *h = realloc (sc->heap, cap * sizeof *h);
      if (h == NULL)
        return false;
      sc->heap = h;
      sc->heap_cap = cap;
    }
  i = sc->heap_n++;
  while (i > 0)
    {
      size_t parent = (i - 1) / 2;
      if (!bigram_less (&g, &sc->heap[parent]))
        break;
      sc->heap[i] = sc->heap[parent];
      i = parent;
    }
  sc->heap[i] = g;
  return true;
}

static bigram
heap_pop (scratch *sc)
{
  bigram top = sc->heap[0], last = sc->heap[--sc->heap_n];
  size_t i = 0, n = sc->heap_n;

  for (;;)
    {
      size_t c = 2 * i + 1;
      if (c >= n)
        break;
      if (c + 1 < n && bigram_less (&sc->heap[c + 1], &sc->heap[c]))
        c++;
      if (!bigram_less (&sc->heap[c], &last))
        break;
      sc->heap[i] = sc->heap[c];
      i = c;
    }
  if (n > 0)
    sc->heap[i] = last;
  return top;
}

static bool
try_pair (const gm_tokenizer *tok, scratch *sc, int32_t l, int32_t r)
{
  int32_t rank, merged;
  int32_t ls = sc->sym[l], rs = sc->sym[r];

  if (ls < 0 || rs < 0)
    return true;
  if (!gm_pairtab_get (&tok->merges, (uint64_t) (uint32_t) ls << 32 | (uint32_t) rs, &rank,
                       &merged))
    return true;
  return heap_push (sc, (bigram) { rank, l, r, ls, rs, merged });
}

static bool
scratch_syms (scratch *sc, size_t n)
{
  if (n <= sc->sym_cap)
    return true;
  free (sc->sym);
  free (sc->prev);
  free (sc->next);
  free (sc->start);
  free (sc->len);
  sc->sym = malloc (n * sizeof *sc->sym);
  sc->prev = malloc (n * sizeof *sc->prev);
  sc->next = malloc (n * sizeof *sc->next);
  sc->start = malloc (n * sizeof *sc->start);
  sc->len = malloc (n * sizeof *sc->len);
  sc->sym_cap = n;
  if (sc->sym && sc->prev && sc->next && sc->start && sc->len)
    return true;
  sc->sym_cap = 0;
  return false;
}

static bool
emit_bytes (const gm_tokenizer *tok, const char *s, size_t n, gm_token_vec *out)
{
  for (size_t i = 0; i < n; i++)
    {
      int32_t id = tok->byte_tok[(uint8_t) s[i]];
      /* A byte with no <0xXX> token is dropped, as in llama.cpp. */
      if (id >= 0 && !gm_token_vec_push (out, id))
        return false;
    }
  return true;
}

static bool
bpe_word (const gm_tokenizer *tok, scratch *sc, const char *w, size_t wl, gm_token_vec *out)
{
  static const uint8_t utf8_len[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
  int32_t n = 0;

  if (wl > (size_t) INT32_MAX / 2 || !scratch_syms (sc, wl))
    return false;
  for (size_t off = 0; off < wl;)
    {
      uint8_t b = (uint8_t) w[off];
      size_t cl = utf8_len[b >> 4];
      if (cl > wl - off)
        cl = wl - off;
      sc->sym[n] = (cl == 1 && b < 0x80) ? tok->ascii_sym[b]
                                          : gm_strtab_find (tok, w + off, cl, NULL, 0);
      sc->start[n] = (uint32_t) off;
      sc->len[n] = (uint32_t) cl;
      sc->prev[n] = n - 1;
      sc->next[n] = n + 1;
      off += cl;
      n++;
    }
  sc->next[n - 1] = -1;

  sc->heap_n = 0;
  for (int32_t i = 1; i < n; i++)
    if (!try_pair (tok, sc, i - 1, i))
      return false;

  while (sc->heap_n > 0)
    {
      bigram g = heap_pop (sc);
      int32_t l = g.left, r = g.right;

      /* Entries go stale when a neighbour merged first; skip those. */
      if (sc->len[l] == 0 || sc->len[r] == 0 || sc->next[l] != r || sc->sym[l] != g.left_sym
          || sc->sym[r] != g.right_sym)
        continue;
      sc->sym[l] = g.merged;
      sc->len[l] += sc->len[r];
      sc->len[r] = 0;
      sc->next[l] = sc->next[r];
      if (sc->next[r] >= 0)
        sc->prev[sc->next[r]] = l;
      if (sc->prev[l] >= 0 && !try_pair (tok, sc, sc->prev[l], l))
        return false;
      if (sc->next[l] >= 0 && !try_pair (tok, sc, l, sc->next[l]))
        return false;
    }

  for (int32_t i = 0; i >= 0; i = sc->next[i])
    {
      int32_t s = sc->sym[i];
      if (s >= 0 && s < tok->n_vocab)
        {
          if (!gm_token_vec_push (out, s))
            return false;
        }
      else if (!emit_bytes (tok, w + sc->start[i], sc->len[i], out))
        return false;
    }
  return true;
}

static bool
encode_raw (const gm_tokenizer *tok, scratch *sc, const char *s, size_t n, gm_token_vec *out)
{
  size_t nl;

  if (n > SIZE_MAX / 3)
    return false;
  if (3 * n > sc->norm_cap)
    {
      free (sc->norm);
      sc->norm = malloc (3 * n);
      sc->norm_cap = sc->norm ? 3 * n : 0;
      if (sc->norm == NULL)
        return false;
    }
  nl = normalize ((const uint8_t *) s, n, sc->norm);

  for (size_t p = 0; p < nl;)
    {
      const char *w = sc->norm + p;
      bool newline = w[0] == '\n';
      size_t wl = 1;

      while (p + wl < nl && (sc->norm[p + wl] == '\n') == newline)
        wl++;
      p += wl;
      if (newline)
        {
          int32_t id = gm_tokenizer_lookup (tok, w, wl);
          if (id >= 0)
            {
              if (!gm_token_vec_push (out, id))
                return false;
              continue;
            }
        }
      if (!bpe_word (tok, sc, w, wl, out))
        return false;
    }
  return true;
}

bool
gm_tokenizer_encode (const gm_tokenizer *tok, const char *text, size_t len, bool add_bos,
                     bool parse_special, gm_token_vec *out)
{
  fragment_vec frags = { 0 };
  scratch sc = { 0 };
  bool ok = true;

  if (add_bos && !gm_token_vec_push (out, tok->bos))
    return false;
  if (len > 0)
    {
      ok = partition (tok, text, len, parse_special, &frags);
      for (size_t i = 0; ok && i < frags.n; i++)
        {
          const fragment *f = &frags.v[i];
          ok = f->id >= 0 ? gm_token_vec_push (out, f->id)
                          : encode_raw (tok, &sc, text + f->start, f->len, out);
        }
    }
  if (ok && add_bos && tok->add_eos && tok->eos >= 0)
    ok = gm_token_vec_push (out, tok->eos);

  free (frags.v);
  free (sc.norm);
  free (sc.sym);
  free (sc.prev);
  free (sc.next);
  free (sc.start);
  free (sc.len);
  free (sc.heap);
  return ok;
}
