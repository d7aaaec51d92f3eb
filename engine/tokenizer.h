/* tokenizer.h — Gemma 4's BPE tokenizer (GGUF `tokenizer.ggml.model =
 * "gemma4"`), internal to the engine.
 *
 * Encoding follows llama.cpp's behaviour for this vocabulary type so that
 * token ids match it exactly: special-token partition, ' ' → '▁', newline-run
 * pre-split, ranked BPE merges, <0xXX> byte fallback. A tokenizer is
 * immutable after creation and safe to use from several threads.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"
#include "gguf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gm_tokenizer gm_tokenizer;

/* Values of the GGUF `tokenizer.ggml.token_type` array. */
enum {
  GM_TOKTYPE_UNDEFINED = 0,
  GM_TOKTYPE_NORMAL = 1,
  GM_TOKTYPE_UNKNOWN = 2,
  GM_TOKTYPE_CONTROL = 3,
  GM_TOKTYPE_USER_DEFINED = 4,
  GM_TOKTYPE_UNUSED = 5,
  GM_TOKTYPE_BYTE = 6,
};

/* Token attributes after loading, as bit flags: a token can carry more than
 * one (an end-of-generation token found by its text is also marked control,
 * as llama.cpp does). */
enum {
  GM_TOKATTR_NORMAL = 1u << 0,
  GM_TOKATTR_UNKNOWN = 1u << 1,
  GM_TOKATTR_CONTROL = 1u << 2,
  GM_TOKATTR_USER_DEFINED = 1u << 3,
  GM_TOKATTR_UNUSED = 1u << 4,
  GM_TOKATTR_BYTE = 1u << 5,
};

/* A byte string that need not be NUL-terminated. */
typedef struct {
  const char *ptr;
  size_t len;
} gm_strview;

typedef struct {
  int32_t bos_id;  /* -1 = absent (then "<bos>" is looked up by text) */
  int32_t eos_id;  /* -1 = absent */
  int32_t unk_id;  /* -1 = absent */
  int32_t pad_id;  /* -1 = absent */
  bool add_eos;    /* tokenizer.ggml.add_eos_token */
  gm_strview chat_template;  /* ptr NULL = none */
} gm_tokenizer_params;

void gm_tokenizer_params_init (gm_tokenizer_params *p);

/* Reads tokenizer.ggml.* and tokenizer.chat_template from a GGUF file. Only
 * `tokenizer.ggml.model = "gemma4"` is supported; the SentencePiece ("llama")
 * and GPT-2 byte-level ("gpt2") types of other models are refused with a
 * message. The tokenizer copies what it needs: f may be closed afterwards. */
gm_tokenizer *gm_tokenizer_load (const gguf_file *f, char *err, size_t err_size);

/* Builds a tokenizer from arrays (tests, and the GGUF loader underneath).
 * types may be NULL (all normal). merges are "left right" strings; rank =
 * index. Returns NULL with a message on invalid input or out of memory. */
gm_tokenizer *gm_tokenizer_new (const gm_strview *tokens, const int32_t *types, size_t n_tokens,
                                const gm_strview *merges, size_t n_merges,
                                const gm_tokenizer_params *params, char *err, size_t err_size);

void gm_tokenizer_free (gm_tokenizer *tok);

/* A growable array of token ids. */
typedef struct {
  int32_t *ids;
  size_t n;
  size_t cap;
} gm_token_vec;

bool gm_token_vec_push (gm_token_vec *v, int32_t id);
void gm_token_vec_free (gm_token_vec *v);

/* Appends the ids of text to out. add_bos prepends BOS (and appends EOS when
 * the file asks for it), parse_special lets control tokens written in the
 * text become their ids (user-defined tokens are always matched). Never
 * fails on any input bytes; returns false only when out of memory. */
bool gm_tokenizer_encode (const gm_tokenizer *tok, const char *text, size_t len, bool add_bos,
                          bool parse_special, gm_token_vec *out);

/* The text a token stands for (see gm_token_to_piece in gemlet.h). Returns
 * the full length even when it exceeds cap (then buf holds nothing useful),
 * or -1 for an id outside the vocabulary. */
int64_t gm_tokenizer_piece (const gm_tokenizer *tok, int32_t id, bool with_special, char *buf,
                            size_t cap);

int32_t gm_tokenizer_n_vocab (const gm_tokenizer *tok);
int32_t gm_tokenizer_bos (const gm_tokenizer *tok);
int32_t gm_tokenizer_eos (const gm_tokenizer *tok);
size_t gm_tokenizer_n_merges (const gm_tokenizer *tok);
bool gm_tokenizer_is_eog (const gm_tokenizer *tok, int32_t id);
/* Attribute flags of a token, 0 for an invalid id. */
uint32_t gm_tokenizer_attr (const gm_tokenizer *tok, int32_t id);
/* The token's stored text (▁ not replaced), NULL for an invalid id. */
const char *gm_tokenizer_text (const gm_tokenizer *tok, int32_t id, size_t *len);
/* Id of the token whose text is exactly text, -1 if none. */
int32_t gm_tokenizer_lookup (const gm_tokenizer *tok, const char *text, size_t len);
/* tokenizer.chat_template (NUL-terminated), or NULL if the file had none. */
const char *gm_tokenizer_chat_template (const gm_tokenizer *tok, size_t *len);

/* The streaming detokenizer behind gm_detok_new (gemlet.h). */
gm_detok *gm_detok_new_for_tokenizer (const gm_tokenizer *tok, bool with_special);
