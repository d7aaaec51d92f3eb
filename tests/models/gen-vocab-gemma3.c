/* gen-vocab-gemma3.c — the real-scale vocabulary: Gemma 3's tokenizer.json
 * (262144 pieces, ~515k merges) with Gemma 4's specials written over it.
 *
 * Token types follow llama.cpp's converter for HF BPE vocabularies:
 * <0xXX> pieces are byte tokens, the tokenizer's special added tokens are
 * control tokens, everything else (including <unusedN>) is normal.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEMMA_VOCAB 262144u

static bool
is_byte_piece (const char *s)
{
  return strlen (s) == 6 && strncmp (s, "<0x", 3) == 0 && s[5] == '>'
         && strchr ("0123456789ABCDEFabcdef", s[3]) && strchr ("0123456789ABCDEFabcdef", s[4]);
}

bool
gen_vocab_gemma3 (gen_vocab *v, const char *json_path, char *err, size_t err_size)
{
  json_object *root = json_object_from_file (json_path);
  json_object *model, *vocab, *merges, *added;
  bool ok = false;

  memset (v, 0, sizeof *v);
  if (root == NULL)
    {
      snprintf (err, err_size, "%s: cannot read JSON (%s)", json_path, json_util_get_last_err ());
      return false;
    }
  if (!json_object_object_get_ex (root, "model", &model)
      || !json_object_object_get_ex (model, "vocab", &vocab)
      || !json_object_is_type (vocab, json_type_object)
      || !json_object_object_get_ex (model, "merges", &merges)
      || !json_object_is_type (merges, json_type_array))
    {
      snprintf (err, err_size, "%s: not a BPE tokenizer.json (model.vocab / model.merges)", json_path);
      goto out;
    }

  v->n_tokens = GEMMA_VOCAB;
  v->tokens = calloc (v->n_tokens, sizeof *v->tokens);
  v->types = calloc (v->n_tokens, sizeof *v->types);
  v->scores = calloc (v->n_tokens, sizeof *v->scores);

  json_object_object_foreach (vocab, piece, idv)
    {
      int64_t id = json_object_get_int64 (idv);
      if (id < 0 || id >= GEMMA_VOCAB)
        continue;  /* <image_soft_token> sits past the 262144 rows */
      free (v->tokens[id]);
      v->tokens[id] = strdup (piece);
      v->types[id] = is_byte_piece (piece) ? GEN_TOK_BYTE : GEN_TOK_NORMAL;
      v->scores[id] = -1000.0f;  /* the converter's placeholder score */
    }
  for (uint32_t i = 0; i < v->n_tokens; i++)
    if (v->tokens[i] == NULL)
      {
        snprintf (err, err_size, "%s: no piece for id %u", json_path, i);
        goto out;
      }

  if (json_object_object_get_ex (root, "added_tokens", &added)
      && json_object_is_type (added, json_type_array))
    {
      size_t n = json_object_array_length (added);
      for (size_t i = 0; i < n; i++)
        {
          json_object *a = json_object_array_get_idx (added, i), *idn, *sp;
          if (json_object_object_get_ex (a, "id", &idn) && json_object_object_get_ex (a, "special", &sp)
              && json_object_get_boolean (sp))
            {
              int64_t id = json_object_get_int64 (idn);
              if (id >= 0 && id < GEMMA_VOCAB)
                v->types[id] = GEN_TOK_CONTROL;
            }
        }
    }

  v->n_merges = (uint32_t) json_object_array_length (merges);
  v->merges = calloc (v->n_merges, sizeof *v->merges);
  for (uint32_t i = 0; i < v->n_merges; i++)
    {
      json_object *m = json_object_array_get_idx (merges, i);
      if (json_object_is_type (m, json_type_string))
        v->merges[i] = strdup (json_object_get_string (m));
      else if (json_object_is_type (m, json_type_array) && json_object_array_length (m) == 2)
        {
          const char *a = json_object_get_string (json_object_array_get_idx (m, 0));
          const char *b = json_object_get_string (json_object_array_get_idx (m, 1));
          size_t la = strlen (a), lb = strlen (b);
          v->merges[i] = malloc (la + lb + 2);
          memcpy (v->merges[i], a, la);
          v->merges[i][la] = ' ';
          memcpy (v->merges[i] + la + 1, b, lb + 1);
        }
      else
        {
          snprintf (err, err_size, "%s: merge %u is neither \"a b\" nor [a, b]", json_path, i);
          v->n_merges = i;
          goto out;
        }
    }

  /* Gemma 3's <start_of_image>/<end_of_image>/<start_of_turn>/... give way
   * to Gemma 4's tokens at the same ids. */
  gen_vocab_put_gemma4_specials (v);
  ok = true;

out:
  json_object_put (root);
  if (!ok)
    gen_vocab_clear (v);
  return ok;
}
