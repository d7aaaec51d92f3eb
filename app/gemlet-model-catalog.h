/* gemlet-model-catalog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GEMLET_MODEL_FORMAT_GGUF,       /* one .gguf file */
  GEMLET_MODEL_FORMAT_MOBILE_CT,  /* a folder: config.json + model.safetensors + tokenizer.json */
} GemletModelFormat;

typedef struct
{
  const char        *id;             /* "e2b-q4_0" */
  const char        *title;          /* "Gemma 4 E2B" */
  const char        *flavour;        /* "Q4_0", translatable */
  GemletModelFormat  format;
  const char        *repo;           /* Hugging Face repository */
  const char        *file_name;      /* file, or folder name under models/ */
  guint64            download_bytes; /* 0 when not published */
  gboolean           download_exact; /* download_bytes is the real size */
  guint64            memory_bytes;   /* Google's figure */
  guint64            memory_text_only_bytes;
} GemletModelEntry;

const GemletModelEntry *gemlet_model_catalog_get     (guint                   *n_entries);
const GemletModelEntry *gemlet_model_catalog_find    (const char              *path);
char                   *gemlet_model_entry_get_url   (const GemletModelEntry  *entry);
char                   *gemlet_model_entry_find_installed (const GemletModelEntry *entry,
                                                      const char              *models_dir);

G_END_DECLS
