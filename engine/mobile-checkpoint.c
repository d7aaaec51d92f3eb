/* mobile-checkpoint.c — opens and validates a Gemma 4 "-qat-mobile-ct"
 * (compressed-tensors) checkpoint folder. See engine/MOBILE-FORMAT.md.
 *
 * Order of work: find the files, read config.json into gm_hparams and the
 * quantization groups, open the shards, then resolve and check every tensor
 * of the text model. Nothing is dequantized here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "error.h"
#include "mobile-checkpoint.h"

#include "gemlet-kernels.h"
#include "safetensors.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MOBILE_MAX_SHARDS 64
#define MOBILE_MAX_JSON_SIZE (64u * 1024u * 1024u)
#define MOBILE_MAX_GROUPS 64
#define MOBILE_MAX_DIM (1 << 24)

#define CONFIG_NAME "config.json"
#define TOKENIZER_NAME "tokenizer.json"
#define SINGLE_NAME "model.safetensors"
#define INDEX_NAME "model.safetensors.index.json"

typedef struct {
  const char *text;   /* points into the parsed config (kept alive) */
  bool is_re;
  regex_t re;
} target;

typedef struct {
  char name[64];
  target *targets;
  size_t n_targets;
  int bits;
  bool group_strategy;     /* else channel */
  int64_t group_size;
  bool int_quantized;      /* plain int8 storage, else pack-quantized */
  bool input_act, output_act;
} quant_group;

struct mobile_checkpoint {
  char *folder;
  char *tokenizer_path;
  struct json_object *config;  /* owns the strings targets point to */

  sft_file *shards[MOBILE_MAX_SHARDS];
  char *shard_names[MOBILE_MAX_SHARDS];
  size_t n_shards;

  gm_hparams hp;
  mobile_config_extra extra;
  const char *prefix;          /* "model.language_model." or "model." */

  quant_group groups[MOBILE_MAX_GROUPS];
  size_t n_groups;
  target *ignore;
  size_t n_ignore;

  mobile_tensor globals[MOBILE_G_COUNT];
  bool have_global[MOBILE_G_COUNT];
  mobile_tensor *layers;       /* n_layer * MOBILE_L_COUNT */
  bool *have_layer;
};


static char *
path_join (const char *dir, const char *name)
{
  size_t a = strlen (dir), b = strlen (name);
  char *p = malloc (a + b + 2);

  if (p == NULL)
    return NULL;
  memcpy (p, dir, a);
  p[a] = '/';
  memcpy (p + a + 1, name, b + 1);
  return p;
}

static bool
is_file_in (const char *dir, const char *name)
{
  struct stat st;
  char *p = path_join (dir, name);
  bool ok = p != NULL && stat (p, &st) == 0 && S_ISREG (st.st_mode);

  free (p);
  return ok;
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);

  return a >= b && strcmp (s + a - b, suffix) == 0;
}

/* Reads and parses a JSON file of at most MOBILE_MAX_JSON_SIZE bytes. */
static struct json_object *
read_json (const char *dir, const char *name, char *err, size_t err_size)
{
  struct json_tokener *tok;
  struct json_object *o = NULL;
  char *path = path_join (dir, name), *buf = NULL;
  FILE *fp = NULL;
  long size;

  if (path == NULL || (fp = fopen (path, "rb")) == NULL)
    {
      gm_err_printf (err, err_size, "%s: %s", name, path ? strerror (errno) : "out of memory");
      goto out;
    }
  if (fseek (fp, 0, SEEK_END) != 0 || (size = ftell (fp)) < 0 || fseek (fp, 0, SEEK_SET) != 0)
    {
      gm_err_printf (err, err_size, "%s: cannot read the file", name);
      goto out;
    }
  if ((unsigned long) size > MOBILE_MAX_JSON_SIZE)
    {
      gm_err_printf (err, err_size, "%s: %ld bytes is too large for a config file", name, size);
      goto out;
    }
  buf = malloc ((size_t) size + 1);
  if (buf == NULL || fread (buf, 1, (size_t) size, fp) != (size_t) size)
    {
      gm_err_printf (err, err_size, "%s: cannot read the file", name);
      goto out;
    }
  tok = json_tokener_new ();
  if (tok == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      goto out;
    }
  json_tokener_set_flags (tok, JSON_TOKENER_VALIDATE_UTF8);
  o = json_tokener_parse_ex (tok, buf, (int) size);
  if (o == NULL)
    gm_err_printf (err, err_size, "%s: not valid JSON: %s", name,
             json_tokener_error_desc (json_tokener_get_error (tok)));
  else if (!json_object_is_type (o, json_type_object))
    {
      gm_err_printf (err, err_size, "%s: not a JSON object", name);
      json_object_put (o);
      o = NULL;
    }
  json_tokener_free (tok);

out:
  if (fp != NULL)
    fclose (fp);
  free (buf);
  free (path);
  return o;
}

/* ------------------------------------------------------------ config */

static struct json_object *
get (struct json_object *o, const char *key)
{
  struct json_object *v = NULL;

  if (o == NULL || !json_object_object_get_ex (o, key, &v)
      || json_object_is_type (v, json_type_null))
    return NULL;
  return v;
}

static bool
cfg_int (struct json_object *o, const char *where, const char *key, bool required, int64_t def,
         int64_t min, int64_t max, int64_t *out, char *err, size_t err_size)
{
  struct json_object *v = get (o, key);
  int64_t x;

  if (v == NULL)
    {
      if (required)
        {
          gm_err_printf (err, err_size, "config.json: %s%s is missing", where, key);
          return false;
        }
      *out = def;
      return true;
    }
  if (!json_object_is_type (v, json_type_int))
    {
      gm_err_printf (err, err_size, "config.json: %s%s is a %s, expected an integer", where, key,
               json_type_to_name (json_object_get_type (v)));
      return false;
    }
  x = json_object_get_int64 (v);
  if (x < min || x > max)
    {
      gm_err_printf (err, err_size, "config.json: %s%s is %lld (expected %lld..%lld)", where, key,
               (long long) x, (long long) min, (long long) max);
      return false;
    }
  *out = x;
  return true;
}

static bool
cfg_float (struct json_object *o, const char *where, const char *key, double def, double *out,
           char *err, size_t err_size)
{
  struct json_object *v = get (o, key);

  if (v == NULL)
    {
      *out = def;
      return true;
    }
  if (!json_object_is_type (v, json_type_double) && !json_object_is_type (v, json_type_int))
    {
      gm_err_printf (err, err_size, "config.json: %s%s is a %s, expected a number", where, key,
               json_type_to_name (json_object_get_type (v)));
      return false;
    }
  *out = json_object_get_double (v);
  if (!isfinite (*out))
    {
      gm_err_printf (err, err_size, "config.json: %s%s is not finite", where, key);
      return false;
    }
  return true;
}

static bool
cfg_bool (struct json_object *o, const char *where, const char *key, bool def, bool *out,
          char *err, size_t err_size)
{
  struct json_object *v = get (o, key);

  if (v == NULL)
    {
      *out = def;
      return true;
    }
  if (!json_object_is_type (v, json_type_boolean))
    {
      gm_err_printf (err, err_size, "config.json: %s%s is a %s, expected true or false", where, key,
               json_type_to_name (json_object_get_type (v)));
      return false;
    }
  *out = json_object_get_boolean (v);
  return true;
}

static const char *
cfg_str (struct json_object *o, const char *key)
{
  struct json_object *v = get (o, key);

  return v != NULL && json_object_is_type (v, json_type_string) ? json_object_get_string (v) : NULL;
}

#define TC "text_config."

static bool
load_rope (struct json_object *tc, gm_hparams *hp, mobile_config_extra *ex, char *err,
           size_t err_size)
{
  struct json_object *rp = get (tc, "rope_parameters");
  struct json_object *full = get (rp, "full_attention"), *swa = get (rp, "sliding_attention");
  double theta_full, theta_swa, partial;

  /* Older transformers configs flatten these; the Gemma 4 defaults apply
   * when neither form is present. */
  if (!cfg_float (tc, TC, "rope_theta", 1e6, &theta_full, err, err_size)
      || !cfg_float (tc, TC, "rope_local_base_freq", 1e4, &theta_swa, err, err_size)
      || !cfg_float (full, TC "rope_parameters.full_attention.", "rope_theta", theta_full,
                     &theta_full, err, err_size)
      || !cfg_float (swa, TC "rope_parameters.sliding_attention.", "rope_theta", theta_swa,
                     &theta_swa, err, err_size)
      || !cfg_float (full, TC "rope_parameters.full_attention.", "partial_rotary_factor", 0.25,
                     &partial, err, err_size))
    return false;
  if (theta_full <= 0 || theta_swa <= 0 || partial <= 0 || partial > 1)
    {
      gm_err_printf (err, err_size, "config.json: " TC "rope_parameters: theta %g/%g or partial rotary "
               "factor %g out of range", theta_full, theta_swa, partial);
      return false;
    }
  hp->rope_base_full = (float) theta_full;
  hp->rope_base_swa = (float) theta_swa;
  ex->rope_partial_factor_full = (float) partial;
  return true;
}

static bool
load_layers (struct json_object *tc, gm_hparams *hp, int64_t n_kv, int64_t n_kv_global,
             bool double_wide, char *err, size_t err_size)
{
  struct json_object *types = get (tc, "layer_types"), *ff = get (tc, "intermediate_size");
  int64_t ff_all = 0;

  if (types == NULL || !json_object_is_type (types, json_type_array)
      || json_object_array_length (types) != hp->n_layer)
    {
      gm_err_printf (err, err_size, "config.json: " TC "layer_types must list %u layer types",
               hp->n_layer);
      return false;
    }
  if (ff != NULL && json_object_is_type (ff, json_type_array))
    {
      if (json_object_array_length (ff) != hp->n_layer)
        {
          gm_err_printf (err, err_size, "config.json: " TC "intermediate_size has %zu entries, expected %u",
                   json_object_array_length (ff), hp->n_layer);
          return false;
        }
    }
  else if (!cfg_int (tc, TC, "intermediate_size", true, 0, 1, MOBILE_MAX_DIM, &ff_all, err,
                     err_size))
    return false;

  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      struct json_object *t = json_object_array_get_idx (types, il);
      const char *s = json_object_is_type (t, json_type_string) ? json_object_get_string (t) : "";
      int64_t n_ff = ff_all;

      if (strcmp (s, "sliding_attention") == 0)
        hp->is_swa[il] = true;
      else if (strcmp (s, "full_attention") == 0)
        hp->is_swa[il] = false;
      else
        {
          gm_err_printf (err, err_size, "config.json: " TC "layer_types[%u] is not 'sliding_attention' "
                   "or 'full_attention'", il);
          return false;
        }
      if (ff_all == 0)
        {
          struct json_object *v = json_object_array_get_idx (ff, il);

          n_ff = json_object_is_type (v, json_type_int) ? json_object_get_int64 (v) : 0;
          if (n_ff < 1 || n_ff > MOBILE_MAX_DIM)
            {
              gm_err_printf (err, err_size, "config.json: " TC "intermediate_size[%u] is not a valid width",
                       il);
              return false;
            }
        }
      /* Gemma 4 E2B: the KV-sharing layers have twice the MLP width. */
      if (double_wide && il >= hp->n_layer_kv_from_start)
        n_ff *= 2;
      hp->n_ff[il] = (uint32_t) n_ff;
      hp->n_head_kv[il] = (uint32_t) (hp->is_swa[il] ? n_kv : n_kv_global);
    }
  if (hp->is_swa[hp->n_layer - 1])
    {
      gm_err_printf (err, err_size, "config.json: " TC "layer_types: the last layer must be full attention");
      return false;
    }

  /* A shared layer reads the last owning layer of its own attention type. */
  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      hp->kv_source[il] = il;
      if (il < hp->n_layer_kv_from_start)
        continue;
      hp->kv_source[il] = UINT32_MAX;
      for (uint32_t j = hp->n_layer_kv_from_start; j-- > 0;)
        if (hp->is_swa[j] == hp->is_swa[il])
          {
            hp->kv_source[il] = j;
            break;
          }
      if (hp->kv_source[il] == UINT32_MAX)
        {
          gm_err_printf (err, err_size, "config.json: layer %u shares K/V, but no owning layer is of its type",
                   il);
          return false;
        }
    }
  return true;
}

static bool
load_hparams (mobile_checkpoint *ck, struct json_object *tc, char *err, size_t err_size)
{
  gm_hparams *hp = &ck->hp;
  int64_t v[12], n_kv_global;
  double eps, softcap;
  bool double_wide, kev, moe;

  memset (hp, 0, sizeof *hp);
  if (!cfg_int (tc, TC, "num_hidden_layers", true, 0, 1, GM_MAX_LAYERS, &v[0], err, err_size)
      || !cfg_int (tc, TC, "hidden_size", true, 0, 1, MOBILE_MAX_DIM, &v[1], err, err_size)
      || !cfg_int (tc, TC, "num_attention_heads", true, 0, 1, 1024, &v[2], err, err_size)
      || !cfg_int (tc, TC, "num_key_value_heads", true, 0, 1, 1024, &v[3], err, err_size)
      || !cfg_int (tc, TC, "head_dim", true, 0, 2, 4096, &v[4], err, err_size)
      || !cfg_int (tc, TC, "global_head_dim", false, v[4], 2, 4096, &v[5], err, err_size)
      || !cfg_int (tc, TC, "vocab_size", true, 0, 1, MOBILE_MAX_DIM, &v[6], err, err_size)
      || !cfg_int (tc, TC, "hidden_size_per_layer_input", false, 0, 0, 65536, &v[7], err, err_size)
      || !cfg_int (tc, TC, "num_kv_shared_layers", false, 0, 0, v[0] - 1, &v[8], err, err_size)
      || !cfg_int (tc, TC, "sliding_window", true, 0, 1, INT32_MAX, &v[9], err, err_size)
      || !cfg_int (tc, TC, "max_position_embeddings", false, 131072, 1, INT32_MAX, &v[10], err,
                   err_size)
      || !cfg_int (tc, TC, "vocab_size_per_layer_input", false, v[6], 1, MOBILE_MAX_DIM, &v[11], err,
                   err_size)
      || !cfg_int (tc, TC, "num_global_key_value_heads", false, v[3], 1, 1024, &n_kv_global, err,
                   err_size)
      || !cfg_float (tc, TC, "rms_norm_eps", 1e-6, &eps, err, err_size)
      || !cfg_float (tc, TC, "final_logit_softcapping", 0.0, &softcap, err, err_size)
      || !cfg_bool (tc, TC, "use_double_wide_mlp", false, &double_wide, err, err_size)
      || !cfg_bool (tc, TC, "attention_k_eq_v", false, &kev, err, err_size)
      || !cfg_bool (tc, TC, "enable_moe_block", false, &moe, err, err_size)
      || !cfg_bool (tc, TC, "tie_word_embeddings", true, &ck->extra.tie_word_embeddings, err,
                    err_size))
    return false;
  if (kev || moe)
    {
      gm_err_printf (err, err_size, "config.json: %s is set; only the dense E2B/E4B layout is supported",
               kev ? TC "attention_k_eq_v" : TC "enable_moe_block");
      return false;
    }
  if (v[4] % 2 != 0 || v[5] % 2 != 0)
    {
      gm_err_printf (err, err_size, "config.json: head size %lld / %lld (global) must be even",
               (long long) v[4], (long long) v[5]);
      return false;
    }
  if (v[2] % v[3] != 0 || v[2] % n_kv_global != 0)
    {
      gm_err_printf (err, err_size, "config.json: %lld query heads cannot share %lld (or %lld global) K/V "
               "heads", (long long) v[2], (long long) v[3], (long long) n_kv_global);
      return false;
    }
  if (eps <= 0 || softcap < 0)
    {
      gm_err_printf (err, err_size, "config.json: " TC "rms_norm_eps or final_logit_softcapping out of range");
      return false;
    }
  hp->n_layer = (uint32_t) v[0];
  hp->n_embd = (uint32_t) v[1];
  hp->n_head = (uint32_t) v[2];
  hp->head_dim_swa = (uint32_t) v[4];
  hp->head_dim_full = (uint32_t) v[5];
  hp->n_rot_swa = hp->head_dim_swa;
  hp->n_rot_full = hp->head_dim_full;   /* "proportional": the whole head, tail angles 0 */
  hp->n_vocab = (uint32_t) v[6];
  hp->n_embd_per_layer = (uint32_t) v[7];
  hp->n_shared_kv = (uint32_t) v[8];
  hp->n_layer_kv_from_start = hp->n_layer - hp->n_shared_kv;
  hp->n_swa = (uint32_t) v[9];
  hp->n_ctx_train = (uint32_t) v[10];
  hp->rms_eps = (float) eps;
  hp->final_softcap = (float) softcap;
  if (hp->n_embd_per_layer > 0 && v[11] != v[6])
    {
      gm_err_printf (err, err_size, "config.json: " TC "vocab_size_per_layer_input (%lld) differs from "
               "vocab_size (%lld)", (long long) v[11], (long long) v[6]);
      return false;
    }
  return load_rope (tc, hp, &ck->extra, err, err_size)
         && load_layers (tc, hp, v[3], n_kv_global, double_wide, err, err_size);
}

/* ------------------------------------------------------------ quantization */

/* compressed-tensors targets are Python regexes; POSIX ERE lacks the class
 * escapes and non-capturing groups, which are rewritten. */
static bool
compile_target (target *t, const char *text, char *err, size_t err_size)
{
  const char *p = text + 3;
  size_t n = strlen (p), o = 0;
  char *ere = malloc (n * 12 + 8);
  int rc;

  t->text = text;
  t->is_re = strncmp (text, "re:", 3) == 0;
  if (!t->is_re)
    {
      free (ere);
      return true;
    }
  if (ere == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  ere[o++] = '^';
  ere[o++] = '(';
  for (size_t i = 0; i < n; i++)
    {
      if (p[i] == '\\' && i + 1 < n && strchr ("dws", p[i + 1]) != NULL)
        {
          const char *cls = p[i + 1] == 'd'   ? "[0-9]"
                            : p[i + 1] == 'w' ? "[A-Za-z0-9_]"
                                              : "[[:space:]]";

          memcpy (ere + o, cls, strlen (cls));
          o += strlen (cls);
          i++;
        }
      else if (p[i] == '(' && i + 2 < n && p[i + 1] == '?' && p[i + 2] == ':')
        {
          ere[o++] = '(';
          i += 2;
        }
      else
        {
          if (p[i] == '\\' && i + 1 < n)
            ere[o++] = p[i++];
          ere[o++] = p[i];
        }
    }
  ere[o++] = ')';
  ere[o++] = '$';
  ere[o] = '\0';
  rc = regcomp (&t->re, ere, REG_EXTENDED | REG_NOSUB);
  free (ere);
  if (rc != 0)
    {
      t->is_re = false;
      gm_err_printf (err, err_size, "config.json: quantization target '%s' is not a regular expression "
               "this loader understands", text);
      return false;
    }
  return true;
}

static void
free_targets (target *t, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (t[i].is_re)
      regfree (&t[i].re);
  free (t);
}

static bool
target_matches (const target *t, const char *module, bool is_embedding, bool parent_ok)
{
  size_t n;

  if (t->is_re)
    return regexec (&t->re, module, 0, NULL, 0) == 0;
  if (strcmp (t->text, "Linear") == 0)
    return !is_embedding;
  if (strcmp (t->text, "Embedding") == 0)
    return is_embedding;
  if (strcmp (t->text, module) == 0)
    return true;
  /* An ignore entry naming a parent module covers its children. */
  n = strlen (t->text);
  return parent_ok && strncmp (t->text, module, n) == 0 && module[n] == '.';
}

static bool
load_targets (struct json_object *arr, const char *what, target **out, size_t *n_out, char *err,
              size_t err_size)
{
  size_t n;

  *out = NULL;
  *n_out = 0;
  if (arr == NULL)
    return true;
  if (!json_object_is_type (arr, json_type_array))
    {
      gm_err_printf (err, err_size, "config.json: %s is not a list", what);
      return false;
    }
  n = json_object_array_length (arr);
  *out = calloc (n ? n : 1, sizeof **out);
  if (*out == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  for (size_t i = 0; i < n; i++)
    {
      struct json_object *s = json_object_array_get_idx (arr, i);

      if (!json_object_is_type (s, json_type_string))
        {
          gm_err_printf (err, err_size, "config.json: %s[%zu] is not a string", what, i);
          return false;
        }
      if (!compile_target (&(*out)[i], json_object_get_string (s), err, err_size))
        return false;
      *n_out = i + 1;
    }
  return true;
}

/* Static per-tensor int8 activation quantization, the only kind supported. */
static bool
load_act (struct json_object *g, const char *gname, const char *key, bool *out, char *err,
          size_t err_size)
{
  struct json_object *a = get (g, key);
  int64_t bits;
  bool sym, dyn;
  const char *type, *strategy;
  char where[128];

  *out = a != NULL;
  if (a == NULL)
    return true;
  snprintf (where, sizeof where, "config_groups.%s.%s.", gname, key);
  if (!cfg_int (a, where, "num_bits", true, 0, 1, 64, &bits, err, err_size)
      || !cfg_bool (a, where, "symmetric", true, &sym, err, err_size)
      || !cfg_bool (a, where, "dynamic", false, &dyn, err, err_size))
    return false;
  type = cfg_str (a, "type");
  strategy = cfg_str (a, "strategy");
  if (bits != 8 || !sym || dyn || (type && strcmp (type, "int") != 0)
      || (strategy && strcmp (strategy, "tensor") != 0))
    {
      gm_err_printf (err, err_size, "config.json: %s: only static symmetric per-tensor int8 is supported",
               where);
      return false;
    }
  return true;
}

static bool
load_group (quant_group *qg, const char *gname, struct json_object *g, const char *top_format,
            char *err, size_t err_size)
{
  struct json_object *w = get (g, "weights");
  const char *format = cfg_str (g, "format"), *type, *strategy;
  int64_t bits, gs;
  bool sym, dyn;
  char where[128];

  snprintf (qg->name, sizeof qg->name, "%s", gname);
  snprintf (where, sizeof where, "config_groups.%s.weights.", gname);
  if (!json_object_is_type (g, json_type_object) || w == NULL)
    {
      gm_err_printf (err, err_size, "config.json: config_groups.%s has no weights scheme", gname);
      return false;
    }
  if (!cfg_int (w, where, "num_bits", true, 0, 1, 64, &bits, err, err_size)
      || !cfg_int (w, where, "group_size", false, 0, 1, MOBILE_MAX_DIM, &gs, err, err_size)
      || !cfg_bool (w, where, "symmetric", true, &sym, err, err_size)
      || !cfg_bool (w, where, "dynamic", false, &dyn, err, err_size))
    return false;
  type = cfg_str (w, "type");
  strategy = cfg_str (w, "strategy");
  if (type != NULL && strcmp (type, "int") != 0)
    {
      gm_err_printf (err, err_size, "config.json: %stype '%s': only integer weights are supported", where,
               type);
      return false;
    }
  if (bits != 2 && bits != 4 && bits != 8)
    {
      gm_err_printf (err, err_size, "config.json: %snum_bits %lld: only 2, 4 and 8 are supported", where,
               (long long) bits);
      return false;
    }
  if (!sym || dyn)
    {
      gm_err_printf (err, err_size, "config.json: %s: %s weights are not supported", where,
               !sym ? "asymmetric" : "dynamic");
      return false;
    }
  if (get (w, "block_structure") != NULL
      || (get (w, "actorder") != NULL
          && (!json_object_is_type (get (w, "actorder"), json_type_boolean)
              || json_object_get_boolean (get (w, "actorder")))))
    {
      gm_err_printf (err, err_size, "config.json: %s: block or activation-ordered weights are not supported",
               where);
      return false;
    }
  if (strategy == NULL)
    strategy = gs > 0 ? "group" : "channel";
  if (strcmp (strategy, "group") == 0 && gs > 0)
    qg->group_strategy = true;
  else if (strcmp (strategy, "channel") != 0)
    {
      gm_err_printf (err, err_size, "config.json: %sstrategy '%s': only 'channel' and 'group' (with a "
               "group_size) are supported", where, strategy);
      return false;
    }
  qg->bits = (int) bits;
  qg->group_size = gs;
  if (format == NULL)
    format = top_format;
  if (format == NULL || strcmp (format, "pack-quantized") == 0)
    qg->int_quantized = false;
  else if (strcmp (format, "int-quantized") == 0 || strcmp (format, "naive-quantized") == 0)
    qg->int_quantized = true;
  else
    {
      gm_err_printf (err, err_size, "config.json: config_groups.%s: format '%s' is not supported "
               "(expected pack-quantized or int-quantized)", gname, format);
      return false;
    }
  return load_act (g, gname, "input_activations", &qg->input_act, err, err_size)
         && load_act (g, gname, "output_activations", &qg->output_act, err, err_size)
         && load_targets (get (g, "targets"), "config_groups targets", &qg->targets,
                          &qg->n_targets, err, err_size);
}

static bool
load_quant (mobile_checkpoint *ck, struct json_object *q, char *err, size_t err_size)
{
  struct json_object *groups, *tc;
  const char *method, *status, *top_format;

  if (q == NULL)
    return true;   /* an unquantised checkpoint: every tensor is float */
  method = cfg_str (q, "quant_method");
  if (method != NULL && strcmp (method, "gemma") == 0)
    {
      gm_err_printf (err, err_size, "config.json: quant_method 'gemma' is the -qat-mobile-transformers "
               "packaging, which is not supported; use the -qat-mobile-ct checkpoint");
      return false;
    }
  if (method == NULL || strcmp (method, "compressed-tensors") != 0)
    {
      gm_err_printf (err, err_size, "config.json: quantization_config.quant_method '%s' is not supported "
               "(expected compressed-tensors)", method ? method : "(missing)");
      return false;
    }
  ck->extra.quantized = true;
  status = cfg_str (q, "quantization_status");
  if (status != NULL && strcmp (status, "compressed") != 0)
    {
      gm_err_printf (err, err_size, "config.json: quantization_status '%s': only compressed checkpoints "
               "are supported", status);
      return false;
    }
  if (get (q, "kv_cache_scheme") != NULL)
    {
      gm_err_printf (err, err_size, "config.json: a quantized KV cache (kv_cache_scheme) is not supported");
      return false;
    }
  tc = get (q, "transform_config");
  if (tc != NULL && json_object_is_type (tc, json_type_object)
      && json_object_object_length (tc) > 0)
    {
      gm_err_printf (err, err_size, "config.json: transform_config (weight rotations) is not supported");
      return false;
    }
  top_format = cfg_str (q, "format");
  snprintf (ck->extra.quant_format, sizeof ck->extra.quant_format, "%s",
            top_format ? top_format : "");
  if (strcmp (ck->extra.quant_format, "mixed-precision") == 0)
    top_format = NULL;
  groups = get (q, "config_groups");
  if (groups == NULL || !json_object_is_type (groups, json_type_object))
    {
      gm_err_printf (err, err_size, "config.json: quantization_config.config_groups is missing");
      return false;
    }
  json_object_object_foreach (groups, gname, g)
    {
      if (ck->n_groups == MOBILE_MAX_GROUPS)
        {
          gm_err_printf (err, err_size, "config.json: more than %d config_groups", MOBILE_MAX_GROUPS);
          return false;
        }
      ck->n_groups++;
      if (!load_group (&ck->groups[ck->n_groups - 1], gname, g, top_format, err, err_size))
        return false;
    }
  return load_targets (get (q, "ignore"), "quantization_config.ignore", &ck->ignore,
                       &ck->n_ignore, err, err_size);
}

/* The group that quantizes module; NULL for a float module. */
static bool
resolve (const mobile_checkpoint *ck, const char *module, bool is_embedding,
         const quant_group **out, char *err, size_t err_size)
{
  *out = NULL;
  for (size_t i = 0; i < ck->n_ignore; i++)
    if (target_matches (&ck->ignore[i], module, is_embedding, true))
      return true;
  for (size_t g = 0; g < ck->n_groups; g++)
    for (size_t i = 0; i < ck->groups[g].n_targets; i++)
      if (target_matches (&ck->groups[g].targets[i], module, is_embedding, false))
        {
          if (*out != NULL && *out != &ck->groups[g])
            {
              gm_err_printf (err, err_size, "config.json: module '%s' is targeted by both %s and %s",
                       module, (*out)->name, ck->groups[g].name);
              return false;
            }
          *out = &ck->groups[g];
        }
  return true;
}

/* ------------------------------------------------------------ tensors */

static const sft_tensor *
find (const mobile_checkpoint *ck, const char *name)
{
  for (size_t i = 0; i < ck->n_shards; i++)
    {
      const sft_tensor *t = sft_find (ck->shards[i], name);

      if (t != NULL)
        return t;
    }
  return NULL;
}

static bool
float_format (sft_dtype d, mobile_format *out)
{
  switch (d)
    {
    case SFT_F32:
      *out = MOBILE_FMT_F32;
      return true;
    case SFT_F16:
      *out = MOBILE_FMT_F16;
      return true;
    case SFT_BF16:
      *out = MOBILE_FMT_BF16;
      return true;
    default:
      return false;
    }
}

static void
fmt_shape (const sft_tensor *t, char *buf, size_t size)
{
  size_t o = 0;

  o += (size_t) snprintf (buf + o, size - o, "[");
  for (uint32_t d = 0; d < t->n_dims && o < size; d++)
    o += (size_t) snprintf (buf + o, size - o, d ? ", %lld" : "%lld", (long long) t->shape[d]);
  if (o < size)
    snprintf (buf + o, size - o, "]");
}

/* A float vector (norm weight, layer scalar) of n elements. */
static bool
load_vector (const mobile_checkpoint *ck, const char *name, int64_t n, bool optional,
             mobile_tensor *out, bool *present, char *err, size_t err_size)
{
  const sft_tensor *t = find (ck, name);
  char shape[96];

  *present = false;
  if (t == NULL)
    {
      if (optional)
        return true;
      gm_err_printf (err, err_size, "tensor '%s' is missing", name);
      return false;
    }
  fmt_shape (t, shape, sizeof shape);
  if (!float_format (t->dtype, &out->format))
    {
      gm_err_printf (err, err_size, "tensor '%s': dtype %s, expected F32, F16 or BF16", name,
               sft_dtype_name (t->dtype));
      return false;
    }
  if ((int64_t) t->n_elements != n || t->n_dims > 1)
    {
      gm_err_printf (err, err_size, "tensor '%s': shape %s, expected [%lld]", name, shape, (long long) n);
      return false;
    }
  out->rows = 1;
  out->cols = n;
  out->data = t->data;
  out->row_bytes = t->n_bytes;
  *present = true;
  return true;
}

static bool
load_scalar_act (const mobile_checkpoint *ck, const char *module, const char *which, bool wanted,
                 float *out, char *err, size_t err_size)
{
  char name[512];
  const sft_tensor *t;
  float v;

  *out = 0.0f;
  snprintf (name, sizeof name, "%s.%s", module, which);
  t = find (ck, name);
  if (!wanted)
    return true;   /* a stray scale the config does not ask for is ignored */
  if (t == NULL)
    {
      gm_err_printf (err, err_size, "tensor '%s' is missing (its group has static activations)", name);
      return false;
    }
  if (t->n_elements != 1 || !sft_read_float (t, 0, &v))
    {
      gm_err_printf (err, err_size, "tensor '%s': expected one F32, F16 or BF16 value", name);
      return false;
    }
  if (!isfinite (v) || v < 0)
    {
      gm_err_printf (err, err_size, "tensor '%s': scale %g is not a finite non-negative number", name,
               (double) v);
      return false;
    }
  *out = v;   /* 0 means uncalibrated: no fake-quant (as vLLM) */
  return true;
}

static bool
load_quantized (const mobile_checkpoint *ck, const char *module, const quant_group *qg,
                int64_t rows, int64_t cols, mobile_tensor *out, char *err, size_t err_size)
{
  char name[512], shape[96];
  const sft_tensor *w, *s, *zp;
  uint64_t need;

  out->bits = qg->bits;
  out->format = qg->bits == 2 ? MOBILE_FMT_INT2 : qg->bits == 4 ? MOBILE_FMT_INT4 : MOBILE_FMT_INT8;
  snprintf (name, sizeof name, "%s.weight_packed", module);
  w = find (ck, name);
  if (w != NULL && !qg->int_quantized)
    {
      const sft_tensor *ws;
      int64_t r = -1, c = -1;

      fmt_shape (w, shape, sizeof shape);
      if (w->dtype != SFT_I32 || w->n_dims != 2)
        {
          gm_err_printf (err, err_size, "tensor '%s': %s %s, expected 2-D I32 packed codes", name,
                   sft_dtype_name (w->dtype), shape);
          return false;
        }
      snprintf (name, sizeof name, "%s.weight_shape", module);
      ws = find (ck, name);
      if (ws == NULL || ws->n_elements != 2 || !sft_read_int (ws, 0, &r)
          || !sft_read_int (ws, 1, &c))
        {
          gm_err_printf (err, err_size, "tensor '%s' is missing or not two integers", name);
          return false;
        }
      if (r != rows || c != cols)
        {
          gm_err_printf (err, err_size, "module '%s': weight_shape [%lld, %lld], expected [%lld, %lld]",
                   module, (long long) r, (long long) c, (long long) rows, (long long) cols);
          return false;
        }
      /* ceil(cols*bits/32) words (compressed-tensors) or ceil(cols/32)*bits
       * (vLLM's padded layout); any row that holds every field will do. */
      need = ((uint64_t) cols * (uint64_t) qg->bits + 31) / 32;
      if (w->shape[0] != rows || (uint64_t) w->shape[1] < need
          || (uint64_t) w->shape[1] > ((uint64_t) cols + 31) / 32 * (uint64_t) qg->bits)
        {
          gm_err_printf (err, err_size, "module '%s': weight_packed %s does not hold [%lld, %lld] "
                   "%d-bit codes", module, shape, (long long) rows, (long long) cols, qg->bits);
          return false;
        }
      out->offset_binary = true;
      out->row_bytes = (uint64_t) w->shape[1] * 4;
      out->data = w->data;
    }
  else
    {
      snprintf (name, sizeof name, "%s.weight", module);
      w = find (ck, name);
      if (w == NULL)
        {
          gm_err_printf (err, err_size, "module '%s': neither %s.weight_packed nor %s.weight is present",
                   module, module, module);
          return false;
        }
      fmt_shape (w, shape, sizeof shape);
      if (w->dtype != SFT_I8 || w->n_dims != 2 || w->shape[0] != rows || w->shape[1] != cols)
        {
          gm_err_printf (err, err_size, "tensor '%s': %s %s, expected I8 [%lld, %lld]", name,
                   sft_dtype_name (w->dtype), shape, (long long) rows, (long long) cols);
          return false;
        }
      out->offset_binary = false;
      out->row_bytes = (uint64_t) cols;
      out->data = w->data;
    }

  if (qg->group_strategy)
    {
      if (cols % qg->group_size != 0)
        {
          gm_err_printf (err, err_size, "module '%s': %lld columns are not a multiple of group_size %lld",
                   module, (long long) cols, (long long) qg->group_size);
          return false;
        }
      out->group_size = qg->group_size;
    }
  else
    out->group_size = cols;
  out->n_groups = cols / out->group_size;
  snprintf (name, sizeof name, "%s.weight_scale", module);
  s = find (ck, name);
  if (s == NULL)
    {
      gm_err_printf (err, err_size, "tensor '%s' is missing", name);
      return false;
    }
  fmt_shape (s, shape, sizeof shape);
  if (!float_format (s->dtype, &out->scale_format))
    {
      gm_err_printf (err, err_size, "tensor '%s': dtype %s, expected BF16, F16 or F32", name,
               sft_dtype_name (s->dtype));
      return false;
    }
  if (s->shape[0] != rows || (int64_t) s->n_elements != rows * out->n_groups
      || (s->n_dims != 2 && !(s->n_dims == 1 && out->n_groups == 1)))
    {
      gm_err_printf (err, err_size, "tensor '%s': shape %s, expected [%lld, %lld]", name, shape,
               (long long) rows, (long long) out->n_groups);
      return false;
    }
  out->scale = s->data;

  /* Symmetric schemes carry no zero point; tolerate an all-zero one. */
  snprintf (name, sizeof name, "%s.weight_zero_point", module);
  zp = find (ck, name);
  if (zp != NULL)
    for (uint64_t i = 0; i < zp->n_elements; i++)
      {
        int64_t iv = 0;
        float fv = 0.0f;

        if (sft_read_int (zp, i, &iv) ? iv != 0 : (!sft_read_float (zp, i, &fv) || fv != 0.0f))
          {
            gm_err_printf (err, err_size, "tensor '%s': element %llu is not zero (asymmetric weights are "
                     "not supported)", name, (unsigned long long) i);
            return false;
          }
      }
  return load_scalar_act (ck, module, "input_scale", qg->input_act, &out->input_scale, err, err_size)
         && load_scalar_act (ck, module, "output_scale", qg->output_act, &out->output_scale, err,
                             err_size);
}

/* A linear or embedding module [rows, cols], quantised or float. */
static bool
load_module (const mobile_checkpoint *ck, const char *module, bool is_embedding, int64_t rows,
             int64_t cols, bool optional, mobile_tensor *out, bool *present, char *err,
             size_t err_size)
{
  const quant_group *qg;
  const sft_tensor *w;
  char name[512], shape[96];

  *present = false;
  if (!resolve (ck, module, is_embedding, &qg, err, err_size))
    return false;
  if (optional)
    {
      snprintf (name, sizeof name, "%s.weight", module);
      if (find (ck, name) == NULL)
        {
          snprintf (name, sizeof name, "%s.weight_packed", module);
          if (find (ck, name) == NULL)
            return true;
        }
    }
  out->rows = rows;
  out->cols = cols;
  if (qg != NULL)
    {
      if (!load_quantized (ck, module, qg, rows, cols, out, err, err_size))
        return false;
      *present = true;
      return true;
    }

  snprintf (name, sizeof name, "%s.weight", module);
  w = find (ck, name);
  if (w == NULL)
    {
      snprintf (name, sizeof name, "%s.weight_packed", module);
      gm_err_printf (err, err_size, find (ck, name) != NULL
                 ? "module '%s' has packed weights, but no quantization group in config.json targets it"
                 : "tensor '%s.weight' is missing", module);
      return false;
    }
  fmt_shape (w, shape, sizeof shape);
  if (!float_format (w->dtype, &out->format) || w->n_dims != 2 || w->shape[0] != rows
      || w->shape[1] != cols)
    {
      gm_err_printf (err, err_size, "tensor '%s': %s %s, expected a float [%lld, %lld] (no quantization "
               "group targets it)", name, sft_dtype_name (w->dtype), shape, (long long) rows,
               (long long) cols);
      return false;
    }
  out->data = w->data;
  out->row_bytes = (uint64_t) cols * (out->format == MOBILE_FMT_F32 ? 4 : 2);
  *present = true;
  return true;
}

static const struct {
  const char *suffix;
  bool module;
} layer_desc[MOBILE_L_COUNT] = {
  [MOBILE_L_ATTN_NORM] = { "input_layernorm.weight", false },
  [MOBILE_L_Q] = { "self_attn.q_proj", true },
  [MOBILE_L_K] = { "self_attn.k_proj", true },
  [MOBILE_L_V] = { "self_attn.v_proj", true },
  [MOBILE_L_O] = { "self_attn.o_proj", true },
  [MOBILE_L_Q_NORM] = { "self_attn.q_norm.weight", false },
  [MOBILE_L_K_NORM] = { "self_attn.k_norm.weight", false },
  [MOBILE_L_POST_ATTN_NORM] = { "post_attention_layernorm.weight", false },
  [MOBILE_L_FFN_NORM] = { "pre_feedforward_layernorm.weight", false },
  [MOBILE_L_GATE] = { "mlp.gate_proj", true },
  [MOBILE_L_UP] = { "mlp.up_proj", true },
  [MOBILE_L_DOWN] = { "mlp.down_proj", true },
  [MOBILE_L_POST_FFN_NORM] = { "post_feedforward_layernorm.weight", false },
  [MOBILE_L_INP_GATE] = { "per_layer_input_gate", true },
  [MOBILE_L_PROJ] = { "per_layer_projection", true },
  [MOBILE_L_POST_NORM] = { "post_per_layer_input_norm.weight", false },
  [MOBILE_L_LAYER_SCALAR] = { "layer_scalar", false },
};

static bool
set_name (mobile_tensor *t, const char *name, char *err, size_t err_size)
{
  t->name = strdup (name);
  if (t->name == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  return true;
}

static bool
load_layer (mobile_checkpoint *ck, uint32_t il, char *err, size_t err_size)
{
  const gm_hparams *hp = &ck->hp;
  const int64_t H = hp->n_embd, P = hp->n_embd_per_layer, D = gm_hparams_head_dim (hp, il);
  const int64_t q = (int64_t) hp->n_head * D, kv = (int64_t) hp->n_head_kv[il] * D;
  const int64_t F = hp->n_ff[il];
  const bool shared = il >= hp->n_layer_kv_from_start;

  for (int k = 0; k < MOBILE_L_COUNT; k++)
    {
      mobile_tensor *t = &ck->layers[il * MOBILE_L_COUNT + k];
      bool *have = &ck->have_layer[il * MOBILE_L_COUNT + k];
      int64_t rows = 1, cols = H;
      char name[512];
      bool ok;

      if ((k == MOBILE_L_K || k == MOBILE_L_V || k == MOBILE_L_K_NORM) && shared)
        continue;   /* KV-shared layers: stray K/V tensors are ignored */
      if ((k == MOBILE_L_INP_GATE || k == MOBILE_L_PROJ || k == MOBILE_L_POST_NORM) && P == 0)
        continue;
      switch (k)
        {
        case MOBILE_L_Q: rows = q; break;
        case MOBILE_L_K: case MOBILE_L_V: rows = kv; break;
        case MOBILE_L_O: rows = H; cols = q; break;
        case MOBILE_L_Q_NORM: case MOBILE_L_K_NORM: cols = D; break;
        case MOBILE_L_GATE: case MOBILE_L_UP: rows = F; break;
        case MOBILE_L_DOWN: rows = H; cols = F; break;
        case MOBILE_L_INP_GATE: rows = P; break;
        case MOBILE_L_PROJ: rows = H; cols = P; break;
        case MOBILE_L_LAYER_SCALAR: cols = 1; break;
        default: break;
        }
      snprintf (name, sizeof name, "%slayers.%u.%s", ck->prefix, il, layer_desc[k].suffix);
      if (layer_desc[k].module)
        ok = load_module (ck, name, false, rows, cols, false, t, have, err, err_size);
      else
        ok = load_vector (ck, name, cols, false, t, have, err, err_size);
      if (!ok || !set_name (t, name, err, err_size))
        return false;
    }
  return true;
}

static bool
load_tensors (mobile_checkpoint *ck, char *err, size_t err_size)
{
  const gm_hparams *hp = &ck->hp;
  const int64_t H = hp->n_embd, LP = (int64_t) hp->n_layer * hp->n_embd_per_layer;
  char name[512];

  static const struct {
    mobile_global which;
    const char *suffix;
    bool module, embedding, ple;
  } gl[] = {
    { MOBILE_G_EMBED, "embed_tokens", true, true, false },
    { MOBILE_G_EMBED_PER_LAYER, "embed_tokens_per_layer", true, true, true },
    { MOBILE_G_PER_LAYER_PROJ, "per_layer_model_projection", true, false, true },
    { MOBILE_G_PER_LAYER_PROJ_NORM, "per_layer_projection_norm.weight", false, false, true },
    { MOBILE_G_OUTPUT_NORM, "norm.weight", false, false, false },
  };

  for (size_t i = 0; i < sizeof gl / sizeof *gl; i++)
    {
      mobile_tensor *t = &ck->globals[gl[i].which];
      bool *have = &ck->have_global[gl[i].which];
      int64_t rows = hp->n_vocab, cols = H;
      bool ok;

      if (gl[i].ple && hp->n_embd_per_layer == 0)
        continue;
      if (gl[i].which == MOBILE_G_EMBED_PER_LAYER)
        cols = LP;
      else if (gl[i].which == MOBILE_G_PER_LAYER_PROJ)
        rows = LP;
      else if (gl[i].which == MOBILE_G_PER_LAYER_PROJ_NORM)
        cols = hp->n_embd_per_layer;
      snprintf (name, sizeof name, "%s%s", ck->prefix, gl[i].suffix);
      if (gl[i].module)
        ok = load_module (ck, name, gl[i].embedding, rows, cols, false, t, have, err, err_size);
      else
        ok = load_vector (ck, name, cols, false, t, have, err, err_size);
      if (!ok || !set_name (t, name, err, err_size))
        return false;
    }
  /* An explicit head is preferred over the tied embedding when present. */
  if (!load_module (ck, "lm_head", false, hp->n_vocab, H, true, &ck->globals[MOBILE_G_LM_HEAD],
                    &ck->have_global[MOBILE_G_LM_HEAD], err, err_size))
    return false;
  if (ck->have_global[MOBILE_G_LM_HEAD]
      && !set_name (&ck->globals[MOBILE_G_LM_HEAD], "lm_head", err, err_size))
    return false;
  if (!ck->have_global[MOBILE_G_LM_HEAD] && !ck->extra.tie_word_embeddings)
    {
      gm_err_printf (err, err_size, "tensor 'lm_head.weight' is missing and tie_word_embeddings is false");
      return false;
    }

  for (uint32_t il = 0; il < hp->n_layer; il++)
    if (!load_layer (ck, il, err, err_size))
      return false;
  return true;
}

/* ------------------------------------------------------------ files */

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static bool
add_shard (mobile_checkpoint *ck, const char *file, char *err, size_t err_size)
{
  char *path, msg[512];
  sft_file *f;

  for (size_t i = 0; i < ck->n_shards; i++)
    if (strcmp (ck->shard_names[i], file) == 0)
      return true;
  if (ck->n_shards == MOBILE_MAX_SHARDS)
    {
      gm_err_printf (err, err_size, "more than %d weight files", MOBILE_MAX_SHARDS);
      return false;
    }
  /* Index entries are file names in the folder, never paths. */
  if (strchr (file, '/') != NULL || file[0] == '.' || !ends_with (file, ".safetensors"))
    {
      gm_err_printf (err, err_size, INDEX_NAME ": '%s' is not a .safetensors file name", file);
      return false;
    }
  path = path_join (ck->folder, file);
  if (path == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  f = sft_open (path, msg, sizeof msg);
  free (path);
  if (f == NULL)
    {
      gm_err_printf (err, err_size, "%s: %s", file, msg);
      return false;
    }
  ck->shards[ck->n_shards] = f;
  ck->shard_names[ck->n_shards] = strdup (file);
  ck->n_shards++;
  if (ck->shard_names[ck->n_shards - 1] == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  /* A name in two files would make the lookup depend on file order. */
  for (int64_t i = 0; i < sft_n_tensors (f); i++)
    for (size_t s = 0; s + 1 < ck->n_shards; s++)
      if (sft_find (ck->shards[s], sft_tensor_at (f, i)->name) != NULL)
        {
          gm_err_printf (err, err_size, "tensor '%s' is in both %s and %s", sft_tensor_at (f, i)->name,
                   ck->shard_names[s], file);
          return false;
        }
  return true;
}

static bool
open_index (mobile_checkpoint *ck, char *err, size_t err_size)
{
  struct json_object *idx = read_json (ck->folder, INDEX_NAME, err, err_size), *map;
  bool ok = false;

  if (idx == NULL)
    return false;
  map = get (idx, "weight_map");
  if (map == NULL || !json_object_is_type (map, json_type_object))
    {
      gm_err_printf (err, err_size, INDEX_NAME ": weight_map is missing");
      goto out;
    }
  json_object_object_foreach (map, tname, file)
    {
      if (!json_object_is_type (file, json_type_string))
        {
          gm_err_printf (err, err_size, INDEX_NAME ": weight_map entry '%s' is not a file name", tname);
          goto out;
        }
      if (!is_file_in (ck->folder, json_object_get_string (file)))
        {
          gm_err_printf (err, err_size, INDEX_NAME " names %s, which is not in the folder",
                   json_object_get_string (file));
          goto out;
        }
      if (!add_shard (ck, json_object_get_string (file), err, err_size))
        goto out;
    }
  /* Every listed tensor must be in the file the index names. */
  json_object_object_foreach (map, tname2, file2)
    {
      for (size_t i = 0; i < ck->n_shards; i++)
        if (strcmp (ck->shard_names[i], json_object_get_string (file2)) == 0
            && sft_find (ck->shards[i], tname2) == NULL)
          {
            gm_err_printf (err, err_size, "tensor '%s' is listed in " INDEX_NAME " for %s, but is not in "
                     "that file", tname2, ck->shard_names[i]);
            goto out;
          }
    }
  ok = ck->n_shards > 0;
  if (!ok)
    gm_err_printf (err, err_size, INDEX_NAME ": weight_map is empty");
out:
  json_object_put (idx);
  return ok;
}

/* Without an index or model.safetensors: every *.safetensors in the folder. */
static bool
open_all_shards (mobile_checkpoint *ck, char *err, size_t err_size)
{
  char *names[MOBILE_MAX_SHARDS];
  size_t n = 0;
  struct dirent *de;
  DIR *d = opendir (ck->folder);
  bool ok = true;

  if (d == NULL)
    {
      gm_err_printf (err, err_size, "%s: %s", ck->folder, strerror (errno));
      return false;
    }
  while ((de = readdir (d)) != NULL && n < MOBILE_MAX_SHARDS)
    if (de->d_name[0] != '.' && ends_with (de->d_name, ".safetensors")
        && is_file_in (ck->folder, de->d_name))
      names[n++] = strdup (de->d_name);
  closedir (d);
  qsort (names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++)
    {
      if (ok && (names[i] == NULL || !add_shard (ck, names[i], err, err_size)))
        ok = false;
      free (names[i]);
    }
  return ok;
}

/* A file given alone: does it look like part of a Gemma 4 checkpoint? */
static bool
looks_like_gemma4_part (const char *path, const char *base)
{
  bool yes = false;

  if (ends_with (base, ".safetensors"))
    {
      sft_file *f = sft_open (path, NULL, 0);

      for (int64_t i = 0; f != NULL && i < sft_n_tensors (f) && !yes; i++)
        {
          const char *n = sft_tensor_at (f, i)->name;

          yes = strstr (n, "embed_tokens") != NULL || strstr (n, "per_layer_") != NULL
                || strstr (n, ".weight_packed") != NULL;
        }
      sft_close (f);
      return yes;
    }
  return strcmp (base, CONFIG_NAME) == 0 || strcmp (base, INDEX_NAME) == 0
         || strcmp (base, TOKENIZER_NAME) == 0;
}

bool
mobile_checkpoint_is_candidate (const char *path)
{
  struct stat st;
  const char *base;

  if (stat (path, &st) != 0)
    return false;
  if (S_ISDIR (st.st_mode))
    return is_file_in (path, CONFIG_NAME);
  base = strrchr (path, '/');
  base = base ? base + 1 : path;
  return S_ISREG (st.st_mode)
         && (strcmp (base, CONFIG_NAME) == 0 || ends_with (base, ".safetensors")
             || strcmp (base, INDEX_NAME) == 0);
}

static bool
find_folder (mobile_checkpoint *ck, const char *path, char *err, size_t err_size)
{
  struct stat st;
  const char *base = NULL, *slash;
  char missing[160] = "";
  bool have_weights;

  if (stat (path, &st) != 0)
    {
      gm_err_printf (err, err_size, "%s: %s", path, strerror (errno));
      return false;
    }
  if (S_ISDIR (st.st_mode))
    ck->folder = strdup (path);
  else
    {
      slash = strrchr (path, '/');
      base = slash ? slash + 1 : path;
      /* "/x" lives in "/", "x" in ".". */
      ck->folder = slash == NULL ? strdup (".")
                                 : strndup (path, (size_t) (slash - path) + (slash == path));
    }
  if (ck->folder == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }

  have_weights = is_file_in (ck->folder, INDEX_NAME) || is_file_in (ck->folder, SINGLE_NAME);
  if (!have_weights)
    {
      DIR *d = opendir (ck->folder);
      struct dirent *de;

      while (d != NULL && (de = readdir (d)) != NULL && !have_weights)
        have_weights = de->d_name[0] != '.' && ends_with (de->d_name, ".safetensors");
      if (d != NULL)
        closedir (d);
    }
  if (!is_file_in (ck->folder, CONFIG_NAME))
    strcat (missing, CONFIG_NAME);
  if (!is_file_in (ck->folder, TOKENIZER_NAME))
    strcat (strcat (missing, missing[0] ? ", " : ""), TOKENIZER_NAME);
  if (!have_weights)
    strcat (strcat (missing, missing[0] ? ", " : ""), SINGLE_NAME " (or " INDEX_NAME " and its shards)");
  if (missing[0] == '\0')
    return true;
  if (base == NULL)
    gm_err_printf (err, err_size, "%s is not a complete Gemma 4 checkpoint folder; missing: %s", path,
             missing);
  else if (looks_like_gemma4_part (path, base))
    gm_err_printf (err, err_size, "%s is part of a Gemma 4 mobile checkpoint; also needed in the same "
             "folder: %s", base, missing);
  else
    gm_err_printf (err, err_size, "%s is not a model file this app can open alone; a safetensors "
             "model needs its folder with: %s", base, missing);
  return false;
}

mobile_checkpoint *
mobile_checkpoint_open (const char *path, char *err, size_t err_size)
{
  mobile_checkpoint *ck = calloc (1, sizeof *ck);
  struct json_object *tc;
  const char *model_type;

  if (err != NULL && err_size > 0)
    err[0] = '\0';
  if (ck == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return NULL;
    }
  if (!find_folder (ck, path, err, err_size))
    goto error;
  ck->tokenizer_path = path_join (ck->folder, TOKENIZER_NAME);
  ck->config = read_json (ck->folder, CONFIG_NAME, err, err_size);
  if (ck->tokenizer_path == NULL || ck->config == NULL)
    goto error;

  model_type = cfg_str (ck->config, "model_type");
  if (model_type != NULL && strcmp (model_type, "gemma4") == 0)
    {
      tc = get (ck->config, "text_config");
      if (tc == NULL || !json_object_is_type (tc, json_type_object))
        {
          gm_err_printf (err, err_size, "config.json: text_config is missing");
          goto error;
        }
    }
  else if (model_type != NULL && strcmp (model_type, "gemma4_text") == 0)
    tc = ck->config;
  else
    {
      gm_err_printf (err, err_size, "config.json: model_type '%s' is not a Gemma 4 model (expected gemma4 "
               "or gemma4_text)", model_type ? model_type : "(missing)");
      goto error;
    }
  if (!load_hparams (ck, tc, err, err_size)
      || !load_quant (ck, get (ck->config, "quantization_config"), err, err_size))
    goto error;

  if (is_file_in (ck->folder, INDEX_NAME))
    {
      if (!open_index (ck, err, err_size))
        goto error;
    }
  else if (is_file_in (ck->folder, SINGLE_NAME))
    {
      if (!add_shard (ck, SINGLE_NAME, err, err_size))
        goto error;
    }
  else if (!open_all_shards (ck, err, err_size))
    goto error;

  /* The multimodal model nests the text model; Gemma4ForCausalLM does not. */
  {
    char probe[128];

    ck->prefix = "model.language_model.";
    snprintf (probe, sizeof probe, "%sembed_tokens.weight", ck->prefix);
    if (find (ck, probe) == NULL)
      {
        snprintf (probe, sizeof probe, "%sembed_tokens.weight_packed", ck->prefix);
        if (find (ck, probe) == NULL)
          ck->prefix = "model.";
      }
  }

  ck->layers = calloc (ck->hp.n_layer * MOBILE_L_COUNT, sizeof *ck->layers);
  ck->have_layer = calloc (ck->hp.n_layer * MOBILE_L_COUNT, sizeof *ck->have_layer);
  if (ck->layers == NULL || ck->have_layer == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      goto error;
    }
  if (!load_tensors (ck, err, err_size))
    goto error;
  return ck;

error:
  mobile_checkpoint_close (ck);
  return NULL;
}

void
mobile_checkpoint_close (mobile_checkpoint *ck)
{
  if (ck == NULL)
    return;
  for (int k = 0; k < MOBILE_G_COUNT; k++)
    free ((char *) ck->globals[k].name);
  if (ck->layers != NULL)
    for (uint32_t i = 0; i < ck->hp.n_layer * MOBILE_L_COUNT; i++)
      free ((char *) ck->layers[i].name);
  free (ck->layers);
  free (ck->have_layer);
  for (size_t g = 0; g < ck->n_groups; g++)
    free_targets (ck->groups[g].targets, ck->groups[g].n_targets);
  free_targets (ck->ignore, ck->n_ignore);
  for (size_t i = 0; i < ck->n_shards; i++)
    {
      sft_close (ck->shards[i]);
      free (ck->shard_names[i]);
    }
  json_object_put (ck->config);
  free (ck->tokenizer_path);
  free (ck->folder);
  free (ck);
}

const gm_hparams *
mobile_checkpoint_hparams (const mobile_checkpoint *ck)
{
  return &ck->hp;
}

const mobile_config_extra *
mobile_checkpoint_extra (const mobile_checkpoint *ck)
{
  return &ck->extra;
}

const char *
mobile_checkpoint_folder (const mobile_checkpoint *ck)
{
  return ck->folder;
}

const char *
mobile_checkpoint_tokenizer_path (const mobile_checkpoint *ck)
{
  return ck->tokenizer_path;
}

uint64_t
mobile_checkpoint_file_bytes (const mobile_checkpoint *ck, uint64_t *n_tensors)
{
  uint64_t bytes = 0, n = 0;

  for (size_t i = 0; i < ck->n_shards; i++)
    {
      bytes += sft_file_size (ck->shards[i]);
      n += (uint64_t) sft_n_tensors (ck->shards[i]);
    }
  if (n_tensors != NULL)
    *n_tensors = n;
  return bytes;
}

const mobile_tensor *
mobile_checkpoint_global (const mobile_checkpoint *ck, mobile_global which)
{
  if ((unsigned) which >= MOBILE_G_COUNT || !ck->have_global[which])
    return NULL;
  return &ck->globals[which];
}

const mobile_tensor *
mobile_checkpoint_layer (const mobile_checkpoint *ck, uint32_t il, mobile_layer_tensor which)
{
  size_t i = (size_t) il * MOBILE_L_COUNT + (size_t) which;

  if (il >= ck->hp.n_layer || (unsigned) which >= MOBILE_L_COUNT || !ck->have_layer[i])
    return NULL;
  return &ck->layers[i];
}

/* ------------------------------------------------------------ element access */

static float
read_float (mobile_format f, const uint8_t *p)
{
  uint32_t u;
  float v;

  switch (f)
    {
    case MOBILE_FMT_F32:
      u = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
      memcpy (&v, &u, sizeof v);
      return v;
    case MOBILE_FMT_F16:
      return gk_fp16_to_fp32 ((uint16_t) (p[0] | p[1] << 8));
    case MOBILE_FMT_BF16:
      return gk_bf16_to_fp32 ((uint16_t) (p[0] | p[1] << 8));
    default:
      return NAN;
    }
}

static size_t
float_size (mobile_format f)
{
  return f == MOBILE_FMT_F32 ? 4 : 2;
}

int
mobile_tensor_code (const mobile_tensor *t, int64_t r, int64_t c)
{
  const uint8_t *row = t->data + (uint64_t) r * t->row_bytes;

  if (t->offset_binary)
    {
      uint64_t bit = (uint64_t) c * (uint64_t) t->bits;
      int field = (row[bit / 8] >> (bit % 8)) & ((1 << t->bits) - 1);

      return field - (1 << (t->bits - 1));
    }
  return (int8_t) row[c];
}

float
mobile_tensor_scale (const mobile_tensor *t, int64_t r, int64_t g)
{
  return read_float (t->scale_format,
                     t->scale + ((uint64_t) r * (uint64_t) t->n_groups + (uint64_t) g)
                                  * float_size (t->scale_format));
}

float
mobile_tensor_value (const mobile_tensor *t, int64_t r, int64_t c)
{
  if (t->format == MOBILE_FMT_INT2 || t->format == MOBILE_FMT_INT4 || t->format == MOBILE_FMT_INT8)
    return (float) mobile_tensor_code (t, r, c) * mobile_tensor_scale (t, r, c / t->group_size);
  return read_float (t->format, t->data + (uint64_t) r * t->row_bytes
                                  + (uint64_t) c * float_size (t->format));
}

void
mobile_tensor_cw_row (const mobile_tensor *t, int64_t r, gk_cw_row *out)
{
  out->codes = t->data + (uint64_t) r * t->row_bytes;
  out->bits = t->bits;
  out->offset_binary = t->offset_binary;
  out->scales = t->scale + (uint64_t) r * (uint64_t) t->n_groups * float_size (t->scale_format);
  out->scale_type = t->scale_format == MOBILE_FMT_F32   ? GK_CW_SCALE_F32
                    : t->scale_format == MOBILE_FMT_F16 ? GK_CW_SCALE_F16
                                                        : GK_CW_SCALE_BF16;
  out->group_size = t->group_size;
}

const char *
mobile_format_name (mobile_format f)
{
  static const char *const names[] = { "f32", "f16", "bf16", "int2", "int4", "int8" };

  return (unsigned) f < sizeof names / sizeof *names ? names[f] : "?";
}
