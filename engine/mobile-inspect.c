/* mobile-inspect.c — what gm_inspect and gm_estimate_memory report for a
 * mobile checkpoint: the container (files, tensors, bytes per storage
 * format) and the split between weights read every token and the
 * per-layer embedding table, which is read one row per token.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "mobile-model.h"

#include "error.h"
#include "litertlm.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Type statistics use ids past the GGUF range: 1000 + 2·format + grouped. */
#define MOBILE_TYPE_ID_BASE 1000u

static void
add_stat (gm_checkpoint_info *info, const mobile_tensor *t, uint64_t bytes)
{
  const bool grouped = t->bits > 0 && t->n_groups > 1;
  const uint32_t id = MOBILE_TYPE_ID_BASE + 2u * (uint32_t) t->format + (grouped ? 1u : 0u);
  gm_type_stat *st = NULL;
  uint32_t i;

  for (i = 0; i < info->n_type_stats; i++)
    if (info->type_stats[i].type_id == id)
      st = &info->type_stats[i];
  if (st == NULL)
    {
      if (info->n_type_stats == GM_MAX_TYPE_STATS)
        return;
      for (i = info->n_type_stats; i > 0 && info->type_stats[i - 1].type_id > id; i--)
        info->type_stats[i] = info->type_stats[i - 1];
      st = &info->type_stats[i];
      memset (st, 0, sizeof *st);
      st->type_id = id;
      if (grouped)
        snprintf (st->name, sizeof st->name, "%s/g%lld", mobile_format_name (t->format),
                  (long long) t->group_size);
      else
        snprintf (st->name, sizeof st->name, "%s", mobile_format_name (t->format));
      info->n_type_stats++;
    }
  st->n_tensors++;
  st->n_bytes += bytes;
}

static void
count (gm_checkpoint_info *info, const mobile_tensor *t, bool on_demand)
{
  uint64_t bytes;

  if (t == NULL)
    return;
  bytes = (uint64_t) t->rows * t->row_bytes;
  if (t->bits > 0)
    bytes += (uint64_t) t->rows * (uint64_t) t->n_groups
             * (t->scale_format == MOBILE_FMT_F32 ? 4u : 2u);
  add_stat (info, t, bytes);
  if (on_demand)
    info->weights_on_demand_bytes += bytes;
  else
    info->weights_resident_bytes += bytes;
}

static bool
has_template (const char *folder)
{
  char path[4096];
  struct json_object *cfg, *v;
  bool yes;

  snprintf (path, sizeof path, "%s/chat_template.jinja", folder);
  if (access (path, R_OK) == 0)
    return true;
  snprintf (path, sizeof path, "%s/tokenizer_config.json", folder);
  cfg = json_object_from_file (path);
  yes = cfg != NULL && json_object_object_get_ex (cfg, "chat_template", &v);
  if (cfg != NULL)
    json_object_put (cfg);
  return yes;
}

/* A LiteRT-LM bundle: the container is described (format, size, the
 * sections as "tensors"), and the status says it cannot be run, with the
 * reason as the message (GM_ERR_FORMAT when the container is broken). */
static gm_status
describe_litertlm (const char *path, gm_checkpoint_info *info, gm_error *err)
{
  char msg[512];
  ltlm_file lf;
  const char *base = strrchr (path, '/');

  if (!ltlm_open (path, &lf, msg, sizeof msg))
    return gm_error_set (err, GM_ERR_FORMAT, "%s: %s", path, msg);
  snprintf (info->format, sizeof info->format, "LiteRT-LM %u.%u.%u", lf.major, lf.minor, lf.patch);
  snprintf (info->name, sizeof info->name, "%s", base != NULL ? base + 1 : path);
  snprintf (info->variant_reason, sizeof info->variant_reason,
            "a LiteRT-LM bundle (TFLite graphs), not a checkpoint Gemlet runs");
  info->variant = GM_VARIANT_NOT_GEMMA4;
  info->file_bytes = lf.file_size;
  info->n_tensors = lf.n_sections;
  ltlm_summary (path, &lf, msg, sizeof msg);
  ltlm_clear (&lf);
  return gm_error_set (err, GM_ERR_UNSUPPORTED, "%s", msg);
}

gm_status
gm_mobile_describe (const char *path, gm_checkpoint_info *info, gm_hparams *hp, gm_error *err)
{
  char msg[512];
  mobile_checkpoint *ck;
  const char *folder, *base;

  msg[0] = '\0';
  if (ltlm_is_candidate (path))
    return describe_litertlm (path, info, err);
  ck = mobile_checkpoint_open (path, msg, sizeof msg);
  if (ck == NULL)
    return gm_error_set (err, GM_ERR_UNSUPPORTED, "%s", msg);
  *hp = *mobile_checkpoint_hparams (ck);
  folder = mobile_checkpoint_folder (ck);
  base = strrchr (folder, '/');
  base = base != NULL && base[1] != '\0' ? base + 1 : folder;

  snprintf (info->format, sizeof info->format, "mobile (compressed-tensors)");
  snprintf (info->architecture, sizeof info->architecture, "gemma4");
  snprintf (info->name, sizeof info->name, "%s", base);
  snprintf (info->tokenizer_model, sizeof info->tokenizer_model, "gemma4 (tokenizer.json)");
  info->has_chat_template = has_template (folder);
  info->file_bytes = mobile_checkpoint_file_bytes (ck, &info->n_tensors);

  for (int g = 0; g < MOBILE_G_COUNT; g++)
    count (info, mobile_checkpoint_global (ck, (mobile_global) g), g == MOBILE_G_EMBED_PER_LAYER);
  for (uint32_t il = 0; il < hp->n_layer; il++)
    for (int k = 0; k < MOBILE_L_COUNT; k++)
      count (info, mobile_checkpoint_layer (ck, il, (mobile_layer_tensor) k), false);
  mobile_checkpoint_close (ck);
  return GM_OK;
}
