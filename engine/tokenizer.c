/* tokenizer.c — building a tokenizer from token/merge arrays, and the
 * lookups and decoding that work on single tokens.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tokenizer-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPACE_MARK "\xe2\x96\x81" /* U+2581, how the vocabulary writes ' ' */

/* Texts llama.cpp treats as end of generation when they are in the
 * vocabulary (only the last three are Gemma 4's; the others matter if a
 * Gemma vocabulary happens to contain them, e.g. "</s>" as an HTML piece). */
static const char *const eog_texts[] = {
  "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
  "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
  "<|end_of_text|>", "<end_of_utterance>",
  "\xef\xbd\x9c" "end" SPACE_MARK "of" SPACE_MARK "sentence" "\xef\xbd\x9c", "[e~[",
  "<eos>", "<turn|>", "<|tool_response>",
};

static void
set_err (char *err, size_t n, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || n == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (err, n, fmt, ap);
  va_end (ap);
}

void
gm_tokenizer_params_init (gm_tokenizer_params *p)
{
  memset (p, 0, sizeof *p);
  p->bos_id = p->eos_id = p->unk_id = p->pad_id = -1;
}

bool
gm_token_vec_push (gm_token_vec *v, int32_t id)
{
  if (v->n == v->cap)
    {
      size_t cap = v->cap ? 2 * v->cap : 64;
      int32_t *ids = realloc (v->ids, cap * sizeof *ids);
      if (ids == NULL)
        return false;
      v->ids = ids;
      v->cap = cap;
    }
  v->ids[v->n++] = id;
  return true;
}

void
gm_token_vec_free (gm_token_vec *v)
{
  free (v->ids);
  v->ids = NULL;
  v->n = v->cap = 0;
}

/* ------------------------------------------------------------- hashing */

/* FNV-1a over the two parts, then a final mix so linear probing sees
 * well-spread low bits. */
uint32_t
gm_tok_hash (const char *a, size_t alen, const char *b, size_t blen)
{
  uint32_t h = 2166136261u;

  for (size_t i = 0; i < alen; i++)
    h = (h ^ (uint8_t) a[i]) * 16777619u;
  for (size_t i = 0; i < blen; i++)
    h = (h ^ (uint8_t) b[i]) * 16777619u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static size_t
mix64 (uint64_t x)
{
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return (size_t) x;
}

static size_t
pow2_at_least (size_t n)
{
  size_t c = 16;
  while (c < n)
    c *= 2;
  return c;
}

/* ------------------------------------------------------- string table */

static bool
strtab_alloc (gm_strtab *t, size_t cap)
{
  t->slot = malloc (cap * sizeof *t->slot);
  if (t->slot == NULL)
    return false;
  for (size_t i = 0; i < cap; i++)
    t->slot[i] = (gm_strslot) { 0, -1 };
  t->mask = cap - 1;
  t->count = 0;
  return true;
}

static bool
strtab_grow (gm_strtab *t)
{
  gm_strtab old = *t;

  if (!strtab_alloc (t, 2 * (old.mask + 1)))
    {
      *t = old;
      return false;
    }
  for (size_t i = 0; i <= old.mask; i++)
    {
      size_t j;
      if (old.slot[i].sym < 0)
        continue;
      for (j = old.slot[i].hash & t->mask; t->slot[j].sym >= 0; j = (j + 1) & t->mask)
        ;
      t->slot[j] = old.slot[i];
    }
  t->count = old.count;
  free (old.slot);
  return true;
}

static bool
sym_equals (const gm_tokenizer *tok, int32_t sym, const char *a, size_t alen, const char *b,
            size_t blen)
{
  const gm_symspan sp = tok->syms[sym];
  const char *s = tok->arena + sp.off;

  return sp.len == alen + blen && memcmp (s, a, alen) == 0
         && (blen == 0 || memcmp (s + alen, b, blen) == 0);
}

/* Slot holding a+b, or the empty slot where it would go. */
static size_t
strtab_slot (const gm_tokenizer *tok, uint32_t h, const char *a, size_t alen, const char *b,
             size_t blen)
{
  const gm_strtab *t = &tok->strtab;
  size_t i;

  for (i = h & t->mask; t->slot[i].sym >= 0; i = (i + 1) & t->mask)
    if (t->slot[i].hash == h && sym_equals (tok, t->slot[i].sym, a, alen, b, blen))
      break;
  return i;
}

static void
strtab_prefetch (const gm_tokenizer *tok, uint32_t h)
{
  __builtin_prefetch (&tok->strtab.slot[h & tok->strtab.mask]);
}

int32_t
gm_strtab_find (const gm_tokenizer *tok, const char *a, size_t alen, const char *b, size_t blen)
{
  uint32_t h = gm_tok_hash (a, alen, b, blen);
  return tok->strtab.slot[strtab_slot (tok, h, a, alen, b, blen)].sym;
}

/* Appends a+b to the arena as symbol `sym` (growing the per-symbol array). */
static bool
store_sym (gm_tokenizer *tok, int32_t sym, const char *a, size_t alen, const char *b,
           size_t blen)
{
  size_t len = alen + blen;

  if (len > UINT32_MAX || tok->arena_len + len > UINT32_MAX)
    return false;
  if (sym >= tok->syms_cap)
    {
      int32_t cap = tok->syms_cap > INT32_MAX / 2 ? INT32_MAX : tok->syms_cap * 2;
      gm_symspan *syms;
      if (cap <= sym)
        return false;
      syms = realloc (tok->syms, (size_t) cap * sizeof *syms);
      if (syms == NULL)
        return false;
      tok->syms = syms;
      tok->syms_cap = cap;
    }
  if (tok->arena_len + len > tok->arena_cap)
    {
      size_t cap = tok->arena_cap ? tok->arena_cap : 4096;
      char *arena;
      while (cap < tok->arena_len + len)
        cap *= 2;
      arena = realloc (tok->arena, cap);
      if (arena == NULL)
        return false;
      tok->arena = arena;
      tok->arena_cap = cap;
    }
  memcpy (tok->arena + tok->arena_len, a, alen);
  if (blen)
    memcpy (tok->arena + tok->arena_len + alen, b, blen);
  tok->syms[sym] = (gm_symspan) { (uint32_t) tok->arena_len, (uint32_t) len };
  tok->arena_len += len;
  return true;
}

/* Interns a+b (h = its hash). With id >= 0 (a vocabulary token) the text
 * maps to that id even if an earlier token had the same text, like
 * llama.cpp's map. Returns the symbol, or -1 when out of memory. */
static int32_t
intern (gm_tokenizer *tok, const char *a, size_t alen, const char *b, size_t blen, uint32_t h,
        int32_t id)
{
  size_t slot;
  int32_t sym;

  if ((tok->strtab.count + 1) * 2 > tok->strtab.mask + 1 && !strtab_grow (&tok->strtab))
    return -1;
  slot = strtab_slot (tok, h, a, alen, b, blen);
  if (tok->strtab.slot[slot].sym >= 0 && id < 0)
    return tok->strtab.slot[slot].sym;
  sym = id >= 0 ? id : tok->n_syms;
  if (id < 0)
    {
      if (tok->n_syms == INT32_MAX)
        return -1;
      if (!store_sym (tok, sym, a, alen, b, blen))
        return -1;
      tok->n_syms++;
    }
  if (tok->strtab.slot[slot].sym < 0)
    tok->strtab.count++;
  tok->strtab.slot[slot] = (gm_strslot) { h, sym };
  return sym;
}

/* --------------------------------------------------------- pair table */

static bool
pairtab_alloc (gm_pairtab *t, size_t cap)
{
  t->slot = malloc (cap * sizeof *t->slot);
  if (t->slot == NULL)
    {
      memset (t, 0, sizeof *t);
      return false;
    }
  for (size_t i = 0; i < cap; i++)
    t->slot[i] = (gm_pairslot) { 0, -1, -1 };
  t->mask = cap - 1;
  t->count = 0;
  return true;
}

static void
pairtab_free (gm_pairtab *t)
{
  free (t->slot);
  memset (t, 0, sizeof *t);
}

static size_t
pairtab_slot (const gm_pairtab *t, uint64_t key)
{
  size_t i;

  for (i = mix64 (key) & t->mask; t->slot[i].a >= 0 && t->slot[i].key != key;
       i = (i + 1) & t->mask)
    ;
  return i;
}

static bool
pairtab_grow (gm_pairtab *t)
{
  gm_pairtab old = *t;

  if (!pairtab_alloc (t, 2 * (old.mask + 1)))
    {
      *t = old;
      return false;
    }
  for (size_t i = 0; i <= old.mask; i++)
    if (old.slot[i].a >= 0)
      t->slot[pairtab_slot (t, old.slot[i].key)] = old.slot[i];
  t->count = old.count;
  pairtab_free (&old);
  return true;
}

/* Inserts key → (a, b) unless the key is already present (the first
 * insertion wins, so a repeated merge keeps its lowest rank). */
static bool
pairtab_put_first (gm_pairtab *t, uint64_t key, int32_t a, int32_t b, bool *inserted)
{
  size_t i;

  if ((t->count + 1) * 2 > t->mask + 1 && !pairtab_grow (t))
    return false;
  i = pairtab_slot (t, key);
  *inserted = t->slot[i].a < 0;
  if (*inserted)
    {
      t->slot[i] = (gm_pairslot) { key, a, b };
      t->count++;
    }
  return true;
}

bool
gm_pairtab_get (const gm_pairtab *t, uint64_t key, int32_t *a, int32_t *b)
{
  size_t i = pairtab_slot (t, key);

  if (t->slot[i].a < 0)
    return false;
  *a = t->slot[i].a;
  *b = t->slot[i].b;
  return true;
}

/* ------------------------------------------------------------ building */

static uint8_t
attr_from_type (int32_t type)
{
  switch (type)
    {
    case GM_TOKTYPE_NORMAL: return GM_TOKATTR_NORMAL;
    case GM_TOKTYPE_UNKNOWN: return GM_TOKATTR_UNKNOWN;
    case GM_TOKTYPE_CONTROL: return GM_TOKATTR_CONTROL;
    case GM_TOKTYPE_USER_DEFINED: return GM_TOKATTR_USER_DEFINED;
    case GM_TOKTYPE_UNUSED: return GM_TOKATTR_UNUSED;
    case GM_TOKTYPE_BYTE: return GM_TOKATTR_BYTE;
    default: return 0; /* undefined: decodes to nothing, never matched */
    }
}

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Value of a byte token "<0xXX>": up to two hex digits after "<0x", like
 * llama.cpp's strtol on that substring (0 when there are none). */
static uint8_t
parse_byte_token (const char *s, size_t len)
{
  int v = 0;

  for (size_t i = 3; i < len && i < 5; i++)
    {
      int d = hexval (s[i]);
      if (d < 0)
        break;
      v = v * 16 + d;
    }
  return (uint8_t) v;
}

/* A merge "left right", split at the first space after position 0 (so the
 * left part may itself be a space), with the hashes of its three strings. */
typedef struct {
  const char *s;
  size_t llen, rlen;
  uint32_t hl, hr, hm;
  bool usable;
  int32_t merged;  /* filled in the second pass */
  uint64_t key;
} merge_parts;

static void
split_merge (const char *s, size_t len, merge_parts *m)
{
  const char *sp = s != NULL && len >= 3 ? memchr (s + 1, ' ', len - 1) : NULL;

  m->usable = false;
  if (sp == NULL || sp == s + len - 1)
    return; /* nothing that could ever apply */
  m->s = s;
  m->llen = (size_t) (sp - s);
  m->rlen = len - m->llen - 1;
  m->hl = gm_tok_hash (s, m->llen, NULL, 0);
  m->hr = gm_tok_hash (sp + 1, m->rlen, NULL, 0);
  m->hm = gm_tok_hash (s, m->llen, sp + 1, m->rlen);
  m->usable = true;
}

/* Adds the merges (rank = index) in batches: hashing a batch and
 * prefetching its table slots first hides most of the cache misses, which
 * dominate loading half a million merges. */
static bool
add_merges (gm_tokenizer *tok, const gm_strview *merges, size_t n)
{
  enum { BATCH = 32 };
  merge_parts mp[BATCH];

  for (size_t base = 0; base < n; base += BATCH)
    {
      size_t nb = n - base < BATCH ? n - base : BATCH;

      for (size_t k = 0; k < nb; k++)
        {
          split_merge (merges[base + k].ptr, merges[base + k].len, &mp[k]);
          if (mp[k].usable)
            {
              strtab_prefetch (tok, mp[k].hl);
              strtab_prefetch (tok, mp[k].hr);
              strtab_prefetch (tok, mp[k].hm);
            }
        }
      for (size_t k = 0; k < nb; k++)
        {
          merge_parts *m = &mp[k];
          const char *r = m->s + m->llen + 1;
          int32_t left, right;

          if (!m->usable)
            continue;
          left = intern (tok, m->s, m->llen, NULL, 0, m->hl, -1);
          right = left < 0 ? -1 : intern (tok, r, m->rlen, NULL, 0, m->hr, -1);
          m->merged = right < 0 ? -1 : intern (tok, m->s, m->llen, r, m->rlen, m->hm, -1);
          if (m->merged < 0)
            return false;
          m->key = (uint64_t) (uint32_t) left << 32 | (uint32_t) right;
          __builtin_prefetch (&tok->merges.slot[mix64 (m->key) & tok->merges.mask]);
        }
      for (size_t k = 0; k < nb; k++)
        {
          bool inserted;

          if (!mp[k].usable)
            continue;
          if (!pairtab_put_first (&tok->merges, mp[k].key, (int32_t) (base + k), mp[k].merged,
                                  &inserted))
            return false;
          tok->n_merges += inserted;
        }
    }
  return true;
}

typedef struct {
  uint32_t len;
  int32_t id;
} special_key;

static int
special_cmp (const void *pa, const void *pb)
{
  const special_key *a = pa, *b = pb;

  if (a->len != b->len)
    return a->len > b->len ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

static int32_t
new_node (gm_tokenizer *tok)
{
  if (tok->n_nodes == tok->nodes_cap)
    {
      int32_t cap = tok->nodes_cap ? 2 * tok->nodes_cap : 256;
      int32_t *ns = realloc (tok->node_special, (size_t) cap * sizeof *ns);
      if (ns == NULL)
        return -1;
      tok->node_special = ns;
      tok->nodes_cap = cap;
    }
  tok->node_special[tok->n_nodes] = -1;
  return tok->n_nodes++;
}

static bool
build_special_trie (gm_tokenizer *tok)
{
  special_key *keys;
  int32_t n = 0;
  const uint8_t match = GM_TOKATTR_CONTROL | GM_TOKATTR_USER_DEFINED | GM_TOKATTR_UNKNOWN;

  for (int32_t i = 0; i < tok->n_vocab; i++)
    n += (tok->attr[i] & match) != 0;
  keys = malloc ((size_t) (n ? n : 1) * sizeof *keys);
  tok->special_ids = malloc ((size_t) (n ? n : 1) * sizeof *tok->special_ids);
  tok->special_next = malloc ((size_t) (n ? n : 1) * sizeof *tok->special_next);
  if (keys == NULL || tok->special_ids == NULL || tok->special_next == NULL
      || !pairtab_alloc (&tok->edges, 1024) || new_node (tok) != 0)
    {
      free (keys);
      return false;
    }
  n = 0;
  for (int32_t i = 0; i < tok->n_vocab; i++)
    if (tok->attr[i] & match)
      keys[n++] = (special_key) { tok->syms[i].len, i };
  qsort (keys, (size_t) n, sizeof *keys, special_cmp);
  for (int i = 0; i < 256; i++)
    tok->root_child[i] = -1;

  for (int32_t p = 0; p < n; p++)
    {
      const uint8_t *s = (const uint8_t *) tok->arena + tok->syms[keys[p].id].off;
      int32_t node = 0;

      tok->special_ids[p] = keys[p].id;
      tok->special_next[p] = -1;
      for (uint32_t k = 0; k < keys[p].len; k++)
        {
          int32_t child = -1, unused;
          if (node == 0)
            child = tok->root_child[s[k]];
          else
            gm_pairtab_get (&tok->edges, (uint64_t) node << 8 | s[k], &child, &unused);
          if (child < 0)
            {
              bool inserted;
              child = new_node (tok);
              if (child < 0)
                goto oom;
              if (node == 0)
                tok->root_child[s[k]] = child;
              else if (!pairtab_put_first (&tok->edges, (uint64_t) node << 8 | s[k], child, 0,
                                           &inserted))
                goto oom;
            }
          node = child;
        }
      /* Tokens sharing a text are chained in priority order: when special
       * parsing is off, a user-defined one must still match after a control
       * one with the same text is skipped. */
      if (tok->node_special[node] < 0)
        tok->node_special[node] = p;
      else
        {
          int32_t q = tok->node_special[node];
          while (tok->special_next[q] >= 0)
            q = tok->special_next[q];
          tok->special_next[q] = p;
        }
    }
  tok->n_special = n;
  free (keys);
  return true;

oom:
  free (keys);
  return false;
}

static int32_t
valid_id (const gm_tokenizer *tok, int32_t id)
{
  return id >= 0 && id < tok->n_vocab ? id : -1;
}

static void
mark_eog (gm_tokenizer *tok)
{
  int32_t tool_response = gm_tokenizer_lookup (tok, "<|tool_response>", 16);
  int32_t eos_s = gm_tokenizer_lookup (tok, "</s>", 4);

  for (size_t i = 0; i < sizeof eog_texts / sizeof eog_texts[0]; i++)
    {
      int32_t id = gm_tokenizer_lookup (tok, eog_texts[i], strlen (eog_texts[i]));
      if (id >= 0)
        {
          tok->eog[id] = 1;
          tok->attr[id] |= GM_TOKATTR_CONTROL;
        }
    }
  if (tok->eos >= 0)
    tok->eog[tok->eos] = 1;
  /* In Gemma's vocabulary "</s>" is an HTML piece, not a stop token:
   * llama.cpp drops it from the set and makes it a plain token again. */
  if (tool_response >= 0 && tok->eog[tool_response] && eos_s >= 0 && tok->eog[eos_s])
    {
      tok->eog[eos_s] = 0;
      tok->attr[eos_s] = GM_TOKATTR_NORMAL;
    }
}

gm_tokenizer *
gm_tokenizer_new (const gm_strview *tokens, const int32_t *types, size_t n_tokens,
                  const gm_strview *merges, size_t n_merges, const gm_tokenizer_params *params,
                  char *err, size_t err_size)
{
  gm_tokenizer *tok;
  gm_tokenizer_params defaults;

  if (params == NULL)
    {
      gm_tokenizer_params_init (&defaults);
      params = &defaults;
    }
  if (n_tokens == 0 || n_tokens > (1u << 30))
    {
      set_err (err, err_size, "vocabulary size %zu is out of range", n_tokens);
      return NULL;
    }
  if (n_merges > (size_t) INT32_MAX)
    {
      set_err (err, err_size, "%zu merges is too many", n_merges);
      return NULL;
    }
  tok = calloc (1, sizeof *tok);
  if (tok == NULL)
    goto oom;
  tok->n_vocab = (int32_t) n_tokens;
  tok->n_syms = tok->n_vocab;
  tok->syms_cap = tok->n_vocab + 1024;
  tok->syms = malloc ((size_t) tok->syms_cap * sizeof *tok->syms);
  tok->attr = calloc (n_tokens, 1);
  tok->eog = calloc (n_tokens, 1);
  tok->byte_val = calloc (n_tokens, 1);
  if (tok->syms == NULL || tok->attr == NULL || tok->eog == NULL
      || tok->byte_val == NULL
      || !strtab_alloc (&tok->strtab, pow2_at_least (2 * (n_tokens + n_merges / 8 + 64)))
      || !pairtab_alloc (&tok->merges, pow2_at_least (2 * n_merges + 16)))
    goto oom;

  for (size_t i = 0; i < n_tokens; i++)
    {
      const char *s = tokens[i].ptr;
      size_t len = tokens[i].len;
      char empty[32];

      if (len == 0 || s == NULL)
        {
          /* llama.cpp renames empty pieces so every id keeps a unique text. */
          len = (size_t) snprintf (empty, sizeof empty, "[EMPTY_%zu]", i);
          s = empty;
        }
      if (!store_sym (tok, (int32_t) i, s, len, NULL, 0))
        {
          set_err (err, err_size, "token %zu does not fit (vocabulary text too large)",
                   i);
          gm_tokenizer_free (tok);
          return NULL;
        }
      if (i + 8 < n_tokens && tokens[i + 8].ptr != NULL)
        strtab_prefetch (tok, gm_tok_hash (tokens[i + 8].ptr, tokens[i + 8].len, NULL, 0));
      if (intern (tok, tok->arena + tok->syms[i].off, len, NULL, 0, gm_tok_hash (s, len, NULL, 0),
                  (int32_t) i)
          < 0)
        goto oom;
      tok->attr[i] = types ? attr_from_type (types[i]) : GM_TOKATTR_NORMAL;
      if (tok->attr[i] & GM_TOKATTR_BYTE)
        tok->byte_val[i] = parse_byte_token (s, len);
    }

  if (!add_merges (tok, merges, n_merges))
    goto oom;

  tok->bos = valid_id (tok, params->bos_id);
  tok->eos = valid_id (tok, params->eos_id);
  tok->unk = valid_id (tok, params->unk_id);
  tok->pad = valid_id (tok, params->pad_id);
  tok->add_eos = params->add_eos;
  if (tok->bos < 0)
    tok->bos = gm_tokenizer_lookup (tok, "<bos>", 5);
  if (tok->bos < 0)
    {
      set_err (err, err_size,
               "no BOS token (tokenizer.ggml.bos_token_id absent or out of range, and "
               "no \"<bos>\" piece); Gemma 4 needs one");
      gm_tokenizer_free (tok);
      return NULL;
    }

  mark_eog (tok);

  for (int b = 0; b < 256; b++)
    {
      char name[8];
      snprintf (name, sizeof name, "<0x%02X>", b);
      tok->byte_tok[b] = gm_tokenizer_lookup (tok, name, 6);
    }
  for (int c = 0; c < 128; c++)
    {
      char ch = (char) c;
      tok->ascii_sym[c] = gm_strtab_find (tok, &ch, 1, NULL, 0);
    }

  if (!build_special_trie (tok))
    goto oom;

  if (params->chat_template.ptr != NULL)
    {
      tok->chat_template = malloc (params->chat_template.len + 1);
      if (tok->chat_template == NULL)
        goto oom;
      memcpy (tok->chat_template, params->chat_template.ptr, params->chat_template.len);
      tok->chat_template[params->chat_template.len] = '\0';
      tok->chat_template_len = params->chat_template.len;
    }
  return tok;

oom:
  set_err (err, err_size, "out of memory");
  gm_tokenizer_free (tok);
  return NULL;
}

void
gm_tokenizer_free (gm_tokenizer *tok)
{
  if (tok == NULL)
    return;
  free (tok->arena);
  free (tok->syms);
  free (tok->attr);
  free (tok->eog);
  free (tok->byte_val);
  free (tok->strtab.slot);
  pairtab_free (&tok->merges);
  pairtab_free (&tok->edges);
  free (tok->special_ids);
  free (tok->special_next);
  free (tok->node_special);
  free (tok->chat_template);
  free (tok);
}

/* ------------------------------------------------------------- lookups */

int32_t
gm_tokenizer_lookup (const gm_tokenizer *tok, const char *text, size_t len)
{
  int32_t sym = gm_strtab_find (tok, text, len, NULL, 0);
  return sym < tok->n_vocab ? sym : -1;
}

int32_t
gm_tokenizer_n_vocab (const gm_tokenizer *tok)
{
  return tok->n_vocab;
}

int32_t
gm_tokenizer_bos (const gm_tokenizer *tok)
{
  return tok->bos;
}

int32_t
gm_tokenizer_eos (const gm_tokenizer *tok)
{
  return tok->eos;
}

size_t
gm_tokenizer_n_merges (const gm_tokenizer *tok)
{
  return tok->n_merges;
}

bool
gm_tokenizer_is_eog (const gm_tokenizer *tok, int32_t id)
{
  return id >= 0 && id < tok->n_vocab && tok->eog[id];
}

uint32_t
gm_tokenizer_attr (const gm_tokenizer *tok, int32_t id)
{
  return id >= 0 && id < tok->n_vocab ? tok->attr[id] : 0;
}

const char *
gm_tokenizer_text (const gm_tokenizer *tok, int32_t id, size_t *len)
{
  if (id < 0 || id >= tok->n_vocab)
    return NULL;
  if (len)
    *len = tok->syms[id].len;
  return tok->arena + tok->syms[id].off;
}

const char *
gm_tokenizer_chat_template (const gm_tokenizer *tok, size_t *len)
{
  if (len)
    *len = tok->chat_template_len;
  return tok->chat_template;
}

/* ------------------------------------------------------------ decoding */

int64_t
gm_tokenizer_piece (const gm_tokenizer *tok, int32_t id, bool with_special, char *buf,
                    size_t cap)
{
  const uint8_t literal = GM_TOKATTR_UNKNOWN | GM_TOKATTR_CONTROL | GM_TOKATTR_USER_DEFINED;
  const char *s;
  size_t len, need;
  uint8_t attr;

  if (id < 0 || id >= tok->n_vocab)
    return -1;
  attr = tok->attr[id];
  s = tok->arena + tok->syms[id].off;
  len = tok->syms[id].len;

  if (!with_special && (attr & (GM_TOKATTR_UNKNOWN | GM_TOKATTR_CONTROL)))
    return 0;
  if (attr & literal)
    {
      if (len <= cap)
        memcpy (buf, s, len);
      return (int64_t) len;
    }
  if (attr & GM_TOKATTR_NORMAL)
    {
      /* '▁' (3 bytes) becomes ' ' (1 byte). */
      need = len;
      for (size_t i = 0; i + 2 < len; i++)
        if (memcmp (s + i, SPACE_MARK, 3) == 0)
          need -= 2, i += 2;
      if (need <= cap)
        {
          size_t o = 0;
          for (size_t i = 0; i < len; i++)
            {
              if (i + 2 < len && memcmp (s + i, SPACE_MARK, 3) == 0)
                {
                  buf[o++] = ' ';
                  i += 2;
                }
              else
                buf[o++] = s[i];
            }
        }
      return (int64_t) need;
    }
  if (attr & GM_TOKATTR_BYTE)
    {
      if (cap >= 1)
        buf[0] = (char) tok->byte_val[id];
      return 1;
    }
  return 0; /* unused / undefined pieces decode to nothing */
}
