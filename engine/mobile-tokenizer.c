/* mobile-tokenizer.c — the Gemma 4 tokenizer of a Hugging Face folder.
 *
 * tokenizer.json holds the same BPE vocabulary the GGUF converter copies
 * into tokenizer.ggml.*: model.vocab (piece → id), model.merges ("a b" or
 * [a, b], rank order) and added_tokens. Token types follow llama.cpp's
 * converter for HF BPE vocabularies: <0xXX> pieces are byte tokens, added
 * tokens marked special are control tokens (except the tool/channel/quote
 * tokens the gemma4 converter forces to user-defined), the rest are normal. Special
 * token ids come from tokenizer_config.json (bos_token, eos_token, ...: a
 * string or {"content": ...}), the chat template from chat_template.jinja or
 * else tokenizer_config.json's chat_template. Which of the two the mobile
 * snapshots carry is unconfirmed (MOBILE-FORMAT.md §1), so both are read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "mobile-model.h"

#include "error.h"
#include "tokenizer.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
join (const char *dir, const char *name)
{
  size_t a = strlen (dir), b = strlen (name);
  char *p = malloc (a + b + 2);

  if (p != NULL)
    {
      memcpy (p, dir, a);
      p[a] = '/';
      memcpy (p + a + 1, name, b + 1);
    }
  return p;
}

static struct json_object *
read_json (const char *folder, const char *name, bool required, char *err, size_t err_size)
{
  char *path = join (folder, name);
  struct json_object *o = NULL;
  FILE *fp;

  if (path == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return NULL;
    }
  fp = fopen (path, "rb");
  if (fp == NULL)
    {
      if (required)
        gm_err_printf (err, err_size, "%s cannot be opened", name);
      free (path);
      return NULL;
    }
  fclose (fp);
  o = json_object_from_file (path);
  if (o == NULL)
    gm_err_printf (err, err_size, "%s is not valid JSON (%s)", name, json_util_get_last_err ());
  free (path);
  return o;
}

/* Whole text file, NUL-terminated; NULL if absent. */
static char *
read_text (const char *folder, const char *name, size_t *len)
{
  char *path = join (folder, name), *buf = NULL;
  FILE *fp = path != NULL ? fopen (path, "rb") : NULL;
  long size;

  free (path);
  if (fp == NULL)
    return NULL;
  if (fseek (fp, 0, SEEK_END) == 0 && (size = ftell (fp)) >= 0 && size < (64L << 20)
      && fseek (fp, 0, SEEK_SET) == 0 && (buf = malloc ((size_t) size + 1)) != NULL)
    {
      *len = fread (buf, 1, (size_t) size, fp);
      buf[*len] = '\0';
    }
  fclose (fp);
  return buf;
}

static bool
is_byte_piece (const char *s, size_t len)
{
  return len == 6 && strncmp (s, "<0x", 3) == 0 && s[5] == '>'
         && strchr ("0123456789ABCDEFabcdef", s[3]) != NULL
         && strchr ("0123456789ABCDEFabcdef", s[4]) != NULL;
}

/* llama.cpp's converter forces these Gemma 4 specials to user-defined so
 * they always render as text (docs/gemma4-architecture.md §4). */
static bool
forced_user_defined (const char *s)
{
  static const char *const names[] = { "<|channel>",       "<channel|>",       "<|tool_call>",
                                       "<tool_call|>",     "<|tool_response>", "<tool_response|>",
                                       "<|\"|>" };

  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strcmp (s, names[i]) == 0)
      return true;
  return false;
}

/* Text of a special token entry: "<bos>" or {"content": "<bos>", ...}. */
static const char *
special_text (struct json_object *cfg, const char *key)
{
  struct json_object *v, *c;

  if (cfg == NULL || !json_object_object_get_ex (cfg, key, &v))
    return NULL;
  if (json_object_is_type (v, json_type_string))
    return json_object_get_string (v);
  if (json_object_is_type (v, json_type_object) && json_object_object_get_ex (v, "content", &c)
      && json_object_is_type (c, json_type_string))
    return json_object_get_string (c);
  return NULL;
}

static int32_t
find_piece (const gm_strview *tokens, size_t n, const char *text)
{
  size_t len;

  if (text == NULL)
    return -1;
  len = strlen (text);
  for (size_t i = 0; i < n; i++)
    if (tokens[i].len == len && tokens[i].ptr != NULL && memcmp (tokens[i].ptr, text, len) == 0)
      return (int32_t) i;
  return -1;
}

/* tokenizer_config.json's chat_template: a string, or [{name, template}]
 * from which "default" is taken. */
static const char *
config_template (struct json_object *cfg)
{
  struct json_object *v;

  if (cfg == NULL || !json_object_object_get_ex (cfg, "chat_template", &v))
    return NULL;
  if (json_object_is_type (v, json_type_string))
    return json_object_get_string (v);
  if (json_object_is_type (v, json_type_array))
    for (size_t i = 0; i < json_object_array_length (v); i++)
      {
        struct json_object *e = json_object_array_get_idx (v, i), *name, *t;

        if (json_object_object_get_ex (e, "name", &name)
            && strcmp (json_object_get_string (name), "default") == 0
            && json_object_object_get_ex (e, "template", &t))
          return json_object_get_string (t);
      }
  return NULL;
}

gm_tokenizer *
gm_tokenizer_load_hf (const char *folder, uint32_t n_vocab, char *err, size_t err_size)
{
  struct json_object *root, *cfg = NULL, *model, *vocab, *merges_j, *added, *type;
  gm_strview *tokens = NULL, *merges = NULL;
  char **merge_buf = NULL;
  int32_t *types = NULL;
  size_t n_merges = 0;
  char *jinja = NULL;
  size_t jinja_len = 0;
  gm_tokenizer_params params;
  gm_tokenizer *tok = NULL;
  bool add_eos = false;
  const char *tmpl;

  root = read_json (folder, "tokenizer.json", true, err, err_size);
  if (root == NULL)
    return NULL;
  if (!json_object_object_get_ex (root, "model", &model)
      || !json_object_object_get_ex (model, "vocab", &vocab)
      || !json_object_is_type (vocab, json_type_object)
      || !json_object_object_get_ex (model, "merges", &merges_j)
      || !json_object_is_type (merges_j, json_type_array))
    {
      gm_err_printf (err, err_size, "tokenizer.json is not a BPE tokenizer (model.vocab, model.merges)");
      goto out;
    }
  if (json_object_object_get_ex (model, "type", &type)
      && strcmp (json_object_get_string (type), "BPE") != 0)
    {
      gm_err_printf (err, err_size, "tokenizer.json has model type \"%.32s\"; Gemma 4 uses BPE",
                     json_object_get_string (type));
      goto out;
    }
  if (n_vocab == 0)
    {
      gm_err_printf (err, err_size, "empty vocabulary");
      goto out;
    }

  tokens = calloc (n_vocab, sizeof *tokens);
  types = malloc (n_vocab * sizeof *types);
  if (tokens == NULL || types == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      goto out;
    }
  {
    json_object_object_foreach (vocab, piece, idv)
      {
        int64_t id = json_object_get_int64 (idv);
        size_t len = strlen (piece);

        /* ids past the embedding (e.g. Gemma 3's <image_soft_token>) can
         * never be produced: dropped, as the converter does */
        if (!json_object_is_type (idv, json_type_int) || id < 0 || id >= n_vocab)
          continue;
        tokens[id] = (gm_strview) { piece, len };
        types[id] = is_byte_piece (piece, len) ? GM_TOKTYPE_BYTE : GM_TOKTYPE_NORMAL;
      }
  }
  if (json_object_object_get_ex (root, "added_tokens", &added)
      && json_object_is_type (added, json_type_array))
    for (size_t i = 0; i < json_object_array_length (added); i++)
      {
        struct json_object *a = json_object_array_get_idx (added, i), *idn, *content, *sp;
        int64_t id;

        if (!json_object_object_get_ex (a, "id", &idn)
            || !json_object_object_get_ex (a, "content", &content))
          continue;
        id = json_object_get_int64 (idn);
        if (id < 0 || id >= n_vocab)
          continue;
        tokens[id] = (gm_strview) { json_object_get_string (content),
                                    (size_t) json_object_get_string_len (content) };
        if (forced_user_defined (tokens[id].ptr))
          types[id] = GM_TOKTYPE_USER_DEFINED;
        else if (json_object_object_get_ex (a, "special", &sp) && json_object_get_boolean (sp))
          types[id] = GM_TOKTYPE_CONTROL;
        else if (types[id] != GM_TOKTYPE_BYTE)
          types[id] = GM_TOKTYPE_NORMAL;
      }
  for (size_t i = 0; i < n_vocab; i++)
    if (tokens[i].ptr == NULL)
      types[i] = GM_TOKTYPE_UNUSED;  /* a gap: stays an unmatchable placeholder */

  n_merges = json_object_array_length (merges_j);
  merges = calloc (n_merges ? n_merges : 1, sizeof *merges);
  merge_buf = calloc (n_merges ? n_merges : 1, sizeof *merge_buf);
  if (merges == NULL || merge_buf == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      goto out;
    }
  for (size_t i = 0; i < n_merges; i++)
    {
      struct json_object *mj = json_object_array_get_idx (merges_j, i);

      if (json_object_is_type (mj, json_type_string))
        merges[i] = (gm_strview) { json_object_get_string (mj),
                                   (size_t) json_object_get_string_len (mj) };
      else if (json_object_is_type (mj, json_type_array) && json_object_array_length (mj) == 2)
        {
          struct json_object *l = json_object_array_get_idx (mj, 0);
          struct json_object *r = json_object_array_get_idx (mj, 1);
          size_t la = (size_t) json_object_get_string_len (l);
          size_t lb = (size_t) json_object_get_string_len (r);
          char *b = malloc (la + lb + 2);

          if (b == NULL)
            {
              gm_err_printf (err, err_size, "out of memory");
              goto out;
            }
          memcpy (b, json_object_get_string (l), la);
          b[la] = ' ';
          memcpy (b + la + 1, json_object_get_string (r), lb);
          b[la + 1 + lb] = '\0';
          merge_buf[i] = b;
          merges[i] = (gm_strview) { b, la + 1 + lb };
        }
      else
        {
          gm_err_printf (err, err_size, "tokenizer.json: merge %zu is neither \"a b\" nor [a, b]", i);
          goto out;
        }
    }

  cfg = read_json (folder, "tokenizer_config.json", false, err, err_size);
  gm_tokenizer_params_init (&params);
  params.bos_id = find_piece (tokens, n_vocab, special_text (cfg, "bos_token"));
  params.eos_id = find_piece (tokens, n_vocab, special_text (cfg, "eos_token"));
  params.unk_id = find_piece (tokens, n_vocab, special_text (cfg, "unk_token"));
  params.pad_id = find_piece (tokens, n_vocab, special_text (cfg, "pad_token"));
  if (params.eos_id < 0)
    params.eos_id = find_piece (tokens, n_vocab, "<eos>");
  if (cfg != NULL)
    {
      struct json_object *v;

      if (json_object_object_get_ex (cfg, "add_eos_token", &v))
        add_eos = json_object_get_boolean (v);
    }
  params.add_eos = add_eos;
  jinja = read_text (folder, "chat_template.jinja", &jinja_len);
  tmpl = config_template (cfg);
  if (jinja != NULL)
    params.chat_template = (gm_strview) { jinja, jinja_len };
  else if (tmpl != NULL)
    params.chat_template = (gm_strview) { tmpl, strlen (tmpl) };

  tok = gm_tokenizer_new (tokens, types, n_vocab, merges, n_merges, &params, err, err_size);

out:
  if (merge_buf != NULL)
    for (size_t i = 0; i < n_merges; i++)
      free (merge_buf[i]);
  free (merge_buf);
  free (merges);
  free (tokens);
  free (types);
  free (jinja);
  if (cfg != NULL)
    json_object_put (cfg);
  json_object_put (root);
  return tok;
}
