/* gemlet-model-catalog.c
 *
 * The four models Gemlet offers: Gemma 4 E2B and E4B, each as Google's
 * Q4_0 QAT GGUF and as the "mobile" QAT checkpoint. Sizes and memory are
 * Google's published figures (shared/docs/checkpoint-formats.md §1.1, §5);
 * the mobile download size is the weight memory vLLM reports, as Google has
 * not published file sizes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-model-catalog"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-model-catalog.h"

#define GB(x) ((guint64)((x) * 1000.0 * 1000.0 * 1000.0))

static const GemletModelEntry catalog[] = {
  {
    "e2b-q4_0", "Gemma 4 E2B", N_("Q4_0, for laptops and desktops"), GEMLET_MODEL_FORMAT_GGUF,
    "google/gemma-4-E2B-it-qat-q4_0-gguf", "gemma-4-E2B_q4_0-it.gguf",
    G_GUINT64_CONSTANT (3349516256), TRUE, GB (2.9), 0,
  },
  {
    "e4b-q4_0", "Gemma 4 E4B", N_("Q4_0, for laptops and desktops"), GEMLET_MODEL_FORMAT_GGUF,
    "google/gemma-4-E4B-it-qat-q4_0-gguf", "gemma-4-E4B_q4_0-it.gguf",
    G_GUINT64_CONSTANT (5154941280), TRUE, GB (4.5), 0,
  },
  {
    "e2b-mobile", "Gemma 4 E2B", N_("Mobile, the smallest"), GEMLET_MODEL_FORMAT_MOBILE_CT,
    "google/gemma-4-E2B-it-qat-mobile-ct", "gemma-4-E2B-it-qat-mobile-ct",
    GB (2.7), FALSE, GB (1.1), GB (0.84),
  },
  {
    "e4b-mobile", "Gemma 4 E4B", N_("Mobile, smaller"), GEMLET_MODEL_FORMAT_MOBILE_CT,
    "google/gemma-4-E4B-it-qat-mobile-ct", "gemma-4-E4B-it-qat-mobile-ct",
    GB (3.7), FALSE, GB (2.5), GB (2.2),
  },
};

const GemletModelEntry *
gemlet_model_catalog_get (guint *n_entries)
{
  if (n_entries != NULL)
    *n_entries = G_N_ELEMENTS (catalog);

  return catalog;
}

/* The catalog entry a model path belongs to, by its file or folder name. */
const GemletModelEntry *
gemlet_model_catalog_find (const char *path)
{
  g_autofree char *base = NULL;

  if (path == NULL)
    return NULL;

  base = g_path_get_basename (path);
  for (guint i = 0; i < G_N_ELEMENTS (catalog); i++)
    if (g_ascii_strcasecmp (base, catalog[i].file_name) == 0)
      return &catalog[i];

  return NULL;
}

char *
gemlet_model_entry_get_url (const GemletModelEntry *entry)
{
  return g_strconcat ("https://huggingface.co/", entry->repo, NULL);
}

/* Returns: the installed path under @models_dir, or NULL */
char *
gemlet_model_entry_find_installed (const GemletModelEntry *entry,
                                   const char             *models_dir)
{
  g_autofree char *path = g_build_filename (models_dir, entry->file_name, NULL);

  if (entry->format == GEMLET_MODEL_FORMAT_GGUF)
    {
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  else
    {
      g_autofree char *config = g_build_filename (path, "config.json", NULL);

      if (g_file_test (config, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }

  return NULL;
}
