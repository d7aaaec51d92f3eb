/* cli-info.c — `gemlet-cli info MODEL [--json] [-t N]`: what a checkpoint
 * is, from its headers only. The JSON keys are documented in README-info.md
 * and are a stable interface for scripts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"
#include "gemlet.h"
#include "litertlm.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
variant_id (gm_variant v)
{
  switch (v)
    {
    case GM_VARIANT_E2B:
      return "E2B";
    case GM_VARIANT_E4B:
      return "E4B";
    case GM_VARIANT_GEMMA4_OTHER:
      return "gemma4-other";
    case GM_VARIANT_NOT_GEMMA4:
    default:
      return "not-gemma4";
    }
}

/* Decimal units, as GNOME's g_format_size does. */
static const char *
human_size (uint64_t n, char *buf, size_t size)
{
  static const char *const units[] = { "kB", "MB", "GB", "TB" };
  double v = (double) n;
  int u = -1;

  if (n < 1000)
    {
      snprintf (buf, size, "%llu bytes", (unsigned long long) n);
      return buf;
    }
  while (v >= 1000.0 && u < 3)
    {
      v /= 1000.0;
      u++;
    }
  snprintf (buf, size, "%.1f %s", v, units[u]);
  return buf;
}

/* "layer" or "layers", padded to one width so the breakdown stays aligned */
static const char *
layers_word (unsigned n)
{
  return n == 1 ? "layer " : "layers";
}

/* K/V bytes per position as "12 KiB": binary units, as the sizes are
 * powers of two */
static const char *
per_token (uint64_t n, char *buf, size_t size)
{
  if (n % 1024 == 0)
    snprintf (buf, size, "%llu KiB", (unsigned long long) (n / 1024));
  else
    snprintf (buf, size, "%llu bytes", (unsigned long long) n);
  return buf;
}

static void
print_human (const char *path, const gm_checkpoint_info *in, const gm_kv_layout *kv,
             const gm_memory *est)
{
  const bool g4 = in->variant != GM_VARIANT_NOT_GEMMA4;
  char a[32], b[32];

  printf ("File:            %s\n", path);
  printf ("Format:          %s, %s\n", in->format, human_size (in->file_bytes, a, sizeof a));
  if (in->name[0] != '\0')
    printf ("Name:            %s\n", in->name);
  printf ("Architecture:    %s\n", in->architecture[0] ? in->architecture : "(none)");
  switch (in->variant)
    {
    case GM_VARIANT_E2B:
    case GM_VARIANT_E4B:
      printf ("Variant:         Gemma 4 %s (%s)\n", variant_id (in->variant), in->variant_reason);
      break;
    case GM_VARIANT_GEMMA4_OTHER:
      printf ("Variant:         other Gemma 4 shape (%s)\n", in->variant_reason);
      break;
    case GM_VARIANT_NOT_GEMMA4:
    default:
      printf ("Variant:         none, Gemlet cannot run this file: %s\n", in->variant_reason);
      break;
    }
  if (g4)
    {
      printf ("Layers:          %u (%u full attention, %u sliding window of %u tokens)\n",
              in->n_layer, in->n_layer_full, in->n_layer - in->n_layer_full, in->n_swa);
      printf ("Hidden size:     %u\n", in->n_embd);
      printf ("Attention heads: %u query, %u key/value\n", in->n_head, in->n_head_kv);
      printf ("Head size:       %u sliding window, %u full attention\n", in->head_dim_swa,
              in->head_dim_full);
      printf ("Shared KV:       last %u layers reuse earlier caches\n", in->n_shared_kv_layers);
      printf ("Per-layer input: %u\n", in->n_embd_per_layer);
    }
  if (in->n_ctx_train > 0)
    printf ("Context:         %llu tokens (training)\n", (unsigned long long) in->n_ctx_train);
  if (in->n_vocab > 0)
    printf ("Vocabulary:      %llu tokens\n", (unsigned long long) in->n_vocab);
  printf ("Tokenizer:       %s, chat template %s\n",
          in->tokenizer_model[0] ? in->tokenizer_model : "(none)",
          in->has_chat_template ? "present" : "absent");
  printf ("Tensors:         %llu\n", (unsigned long long) in->n_tensors);
  for (uint32_t i = 0; i < in->n_type_stats; i++)
    printf ("  %-8s %6llu tensor%s  %s\n", in->type_stats[i].name,
            (unsigned long long) in->type_stats[i].n_tensors,
            in->type_stats[i].n_tensors == 1 ? " " : "s",
            human_size (in->type_stats[i].n_bytes, a, sizeof a));
  if (g4)
    {
      uint64_t total = in->weights_resident_bytes + in->kv_cache_bytes;
      printf ("Memory estimate for a %u-token context:\n", in->default_n_ctx);
      printf ("  weights in RAM     %s\n", human_size (in->weights_resident_bytes, a, sizeof a));
      printf ("  weights on demand  %s (per-layer embeddings, mapped, a row per token)\n",
              human_size (in->weights_on_demand_bytes, a, sizeof a));
      printf ("  KV cache (F32)     %s\n", human_size (in->kv_cache_bytes, a, sizeof a));
      if (kv != NULL)
        {
          printf ("    %2u window %s  %s a position (%s each), a ring of %u positions\n",
                  kv->n_layer_swa, layers_word (kv->n_layer_swa),
                  per_token (kv->bytes_per_token_swa, a, sizeof a),
                  per_token (kv->n_layer_swa ? kv->bytes_per_token_swa / kv->n_layer_swa : 0, b,
                             sizeof b),
                  kv->swa_slots);
          printf ("    %2u full %s    %s a position (%s each), %u positions\n",
                  kv->n_layer_full, layers_word (kv->n_layer_full),
                  per_token (kv->bytes_per_token_full, a, sizeof a),
                  per_token (kv->n_layer_full ? kv->bytes_per_token_full / kv->n_layer_full : 0, b,
                             sizeof b),
                  kv->full_slots);
          printf ("    %2u shared %s  none (%u window, %u full reuse earlier caches)\n",
                  kv->n_layer_shared_swa + kv->n_layer_shared_full,
                  layers_word (kv->n_layer_shared_swa + kv->n_layer_shared_full),
                  kv->n_layer_shared_swa,
                  kv->n_layer_shared_full);
        }
      if (est != NULL)
        {
          printf ("  scratch            %s\n", human_size (est->scratch, a, sizeof a));
          total += est->scratch;
        }
      printf ("  total              %s plus what the page cache keeps of %s on demand\n",
              human_size (total, a, sizeof a), human_size (in->weights_on_demand_bytes, b, sizeof b));
    }
}

static void
add_u64 (json_object *o, const char *key, uint64_t v)
{
  json_object_object_add (o, key, json_object_new_uint64 (v));
}

/* Model dimensions are null when the file is not a runnable Gemma 4. */
static void
add_dim (json_object *o, const char *key, bool known, uint64_t v)
{
  json_object_object_add (o, key, known ? json_object_new_uint64 (v) : NULL);
}

static void
print_json (const char *path, const gm_checkpoint_info *in, const gm_kv_layout *kv,
            const gm_memory *est)
{
  const bool g4 = in->variant != GM_VARIANT_NOT_GEMMA4;
  json_object *o = json_object_new_object ();
  json_object *types = json_object_new_array ();
  json_object *mem = json_object_new_object ();

  json_object_object_add (o, "file", json_object_new_string (path));
  json_object_object_add (o, "format", json_object_new_string (in->format));
  add_u64 (o, "file_bytes", in->file_bytes);
  json_object_object_add (o, "architecture", json_object_new_string (in->architecture));
  json_object_object_add (o, "name", json_object_new_string (in->name));
  json_object_object_add (o, "variant", json_object_new_string (variant_id (in->variant)));
  json_object_object_add (o, "variant_reason", json_object_new_string (in->variant_reason));
  add_dim (o, "n_layer", g4, in->n_layer);
  add_dim (o, "n_layer_full", g4, in->n_layer_full);
  add_dim (o, "n_layer_swa", g4, in->n_layer - in->n_layer_full);
  add_dim (o, "n_embd", g4, in->n_embd);
  add_dim (o, "n_head", g4, in->n_head);
  add_dim (o, "n_head_kv", g4, in->n_head_kv);
  add_dim (o, "head_dim_swa", g4, in->head_dim_swa);
  add_dim (o, "head_dim_full", g4, in->head_dim_full);
  add_dim (o, "n_swa", g4, in->n_swa);
  add_dim (o, "n_shared_kv_layers", g4, in->n_shared_kv_layers);
  add_dim (o, "n_embd_per_layer", g4, in->n_embd_per_layer);
  add_dim (o, "n_ctx_train", in->n_ctx_train > 0, in->n_ctx_train);
  add_dim (o, "n_vocab", in->n_vocab > 0, in->n_vocab);
  json_object_object_add (o, "tokenizer_model", json_object_new_string (in->tokenizer_model));
  json_object_object_add (o, "has_chat_template", json_object_new_boolean (in->has_chat_template));
  add_u64 (o, "n_tensors", in->n_tensors);
  for (uint32_t i = 0; i < in->n_type_stats; i++)
    {
      json_object *t = json_object_new_object ();
      json_object_object_add (t, "type", json_object_new_string (in->type_stats[i].name));
      add_u64 (t, "type_id", in->type_stats[i].type_id);
      add_u64 (t, "n_tensors", in->type_stats[i].n_tensors);
      add_u64 (t, "n_bytes", in->type_stats[i].n_bytes);
      json_object_array_add (types, t);
    }
  json_object_object_add (o, "tensor_types", types);
  add_u64 (mem, "weights_resident_bytes", in->weights_resident_bytes);
  add_u64 (mem, "weights_on_demand_bytes", in->weights_on_demand_bytes);
  add_dim (mem, "default_n_ctx", g4, in->default_n_ctx);
  add_dim (mem, "kv_cache_bytes", g4, in->kv_cache_bytes);
  add_dim (mem, "scratch_bytes", est != NULL, est != NULL ? est->scratch : 0);
  if (kv != NULL)
    {
      json_object *k = json_object_new_object ();

      add_u64 (k, "n_layer_swa", kv->n_layer_swa);
      add_u64 (k, "n_layer_full", kv->n_layer_full);
      add_u64 (k, "n_layer_shared_swa", kv->n_layer_shared_swa);
      add_u64 (k, "n_layer_shared_full", kv->n_layer_shared_full);
      add_u64 (k, "swa_slots", kv->swa_slots);
      add_u64 (k, "full_slots", kv->full_slots);
      add_u64 (k, "bytes_per_token_swa", kv->bytes_per_token_swa);
      add_u64 (k, "bytes_per_token_full", kv->bytes_per_token_full);
      add_u64 (k, "bytes_per_value", kv->bytes_per_value);
      json_object_object_add (mem, "kv_layout", k);
    }
  else
    json_object_object_add (mem, "kv_layout", NULL);
  json_object_object_add (o, "memory", mem);

  puts (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
}

int
cli_info (int argc, char **argv)
{
  const char *path = NULL;
  bool json = false;
  gm_checkpoint_info *info;
  gm_error err = { 0 };
  long long threads;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = true;
      else if (strcmp (argv[i], "-t") == 0 || strcmp (argv[i], "--threads") == 0)
        {
          /* Accepted for uniformity with the other commands; info reads
           * headers only and uses one thread. */
          if (i + 1 >= argc || !cli_parse_int (argv[i + 1], 0, 4096, &threads))
            return cli_fail ("info: %s needs a thread count (0-4096)", argv[i]);
          i++;
        }
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        return cli_fail ("info: unknown option '%s'\nusage: gemlet-cli info MODEL [--json] [-t N]",
                         argv[i]);
      else if (path == NULL)
        path = argv[i];
      else
        return cli_fail ("info: more than one model given ('%s' and '%s')", path, argv[i]);
    }
  if (path == NULL)
    return cli_fail ("info: no model given\nusage: gemlet-cli info MODEL [--json] [-t N]");

  if (ltlm_is_candidate (path))
    {
      /* a LiteRT-LM bundle: its sections, and why it cannot be run */
      ltlm_file lf;
      char msg[512];

      if (!ltlm_open (path, &lf, msg, sizeof msg))
        return cli_fail ("cannot read '%s': %s", path, msg);
      ltlm_print (stdout, path, &lf, json);
      ltlm_clear (&lf);
      return 0;
    }
  info = calloc (1, sizeof *info);
  if (info == NULL)
    return cli_fail ("out of memory");
  if (gm_inspect (path, info, &err) != GM_OK)
    {
      free (info);
      return cli_fail ("cannot read '%s': %s", path, err.message);
    }
  {
    gm_kv_layout kv;
    gm_memory est;
    /* the layout and scratch of a default session (headers only again) */
    const bool have = info->variant != GM_VARIANT_NOT_GEMMA4
                      && gm_estimate_memory_opts (path, NULL, &est, &kv, &err) == GM_OK;

    if (json)
      print_json (path, info, have ? &kv : NULL, have ? &est : NULL);
    else
      print_human (path, info, have ? &kv : NULL, have ? &est : NULL);
  }
  free (info);
  return 0;
}
