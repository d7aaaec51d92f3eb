/* tokenizer-private.h — the tokenizer's data, shared by tokenizer.c (building
 * and lookups) and tokenizer-encode.c (text → ids). Not for other modules.
 *
 * Strings are interned as "symbols": every vocabulary token is the symbol
 * with its own id, and merge parts or results that are not tokens get ids
 * from n_vocab up. BPE then works on symbol ids and one hash probe per merge
 * candidate, never on string copies.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tokenizer.h"

/* Open-addressing map from byte strings (stored in the arena) to symbols.
 * Hash and symbol share a slot so a probe touches one cache line. */
typedef struct {
  uint32_t hash;
  int32_t sym;     /* -1 = empty */
} gm_strslot;

typedef struct {
  gm_strslot *slot;
  size_t mask;     /* capacity - 1 (capacity is a power of two) */
  size_t count;
} gm_strtab;

/* Open-addressing map from a 64-bit key to two int32 values. */
typedef struct {
  uint64_t key;
  int32_t a;       /* -1 = empty slot */
  int32_t b;
} gm_pairslot;

typedef struct {
  gm_pairslot *slot;
  size_t mask;
  size_t count;
} gm_pairtab;

/* Where a symbol's text lives in the arena. */
typedef struct {
  uint32_t off;
  uint32_t len;
} gm_symspan;

struct gm_tokenizer {
  int32_t n_vocab;
  int32_t n_syms;
  char *arena;           /* all symbol texts, back to back */
  size_t arena_len, arena_cap;
  gm_symspan *syms;      /* per symbol */
  int32_t syms_cap;
  uint8_t *attr;         /* per token: GM_TOKATTR_* */
  uint8_t *eog;          /* per token: 1 = ends generation */
  uint8_t *byte_val;     /* per token: value of a <0xXX> byte token */

  gm_strtab strtab;      /* text → symbol (a token's text → its id; last wins) */
  gm_pairtab merges;     /* (left << 32 | right) → (rank, merged symbol) */
  size_t n_merges;

  int32_t byte_tok[256]; /* "<0xXX>" → id, -1 if absent */
  int32_t ascii_sym[128];/* one-byte characters → symbol, -1 if not interned */

  /* Special-token matcher: a byte trie over the texts of control,
   * user-defined and unknown tokens. Their match priority is by text length
   * (longest first), then by id. */
  int32_t n_special;
  int32_t *special_ids;     /* by priority */
  int32_t *node_special;    /* per trie node: priority index ending here, -1 */
  int32_t *special_next;    /* per priority: next one with the same text, -1 */
  int32_t n_nodes, nodes_cap;
  int32_t root_child[256];  /* -1 = none */
  gm_pairtab edges;         /* (node << 8 | byte) → child */

  int32_t bos, eos, unk, pad;
  bool add_eos;
  char *chat_template;
  size_t chat_template_len;
};

uint32_t gm_tok_hash (const char *a, size_t alen, const char *b, size_t blen);
/* Symbol for the concatenation a+b, or -1. */
int32_t gm_strtab_find (const gm_tokenizer *tok, const char *a, size_t alen, const char *b,
                        size_t blen);
bool gm_pairtab_get (const gm_pairtab *t, uint64_t key, int32_t *a, int32_t *b);
