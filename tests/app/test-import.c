/* test-import.c — recognising model files: the verdict shown to the user,
 * the free-space check, and inspection (against the fake engine's
 * gm_inspect; the real one is tested in tests/gguf).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "gemlet-import.h"
#include "gemlet-model-catalog.h"

static void
add_type (gm_checkpoint_info *info,
          const char         *name,
          guint64             n_tensors)
{
  gm_type_stat *stat = &info->type_stats[info->n_type_stats++];

  g_strlcpy (stat->name, name, sizeof stat->name);
  stat->n_tensors = n_tensors;
  stat->n_bytes = n_tensors * 1000;
}

static void
make_e2b (gm_checkpoint_info *info)
{
  memset (info, 0, sizeof *info);
  g_strlcpy (info->format, "GGUF v3", sizeof info->format);
  g_strlcpy (info->architecture, "gemma4", sizeof info->architecture);
  info->variant = GM_VARIANT_E2B;
  info->has_chat_template = TRUE;
  add_type (info, "F32", 283);
  add_type (info, "Q4_0", 245);
  add_type (info, "Q6_K", 2);
  info->weights_resident_bytes = 1400;
  info->weights_on_demand_bytes = 1900;
  info->kv_cache_bytes = 60;
}

static void
test_judge_usable (void)
{
  gm_checkpoint_info info;
  g_autofree char *reason = NULL;

  make_e2b (&info);
  g_assert_true (gemlet_import_judge (&info, &reason));
  g_assert_cmpstr (reason, ==, "Gemma 4 E2B · Q4_0");
  /* The on-demand embedding table does not count. */
  g_assert_cmpuint (gemlet_import_expected_memory (&info), ==, 1460);

  info.variant = GM_VARIANT_E4B;
  g_clear_pointer (&reason, g_free);
  g_assert_true (gemlet_import_judge (&info, &reason));
  g_assert_cmpstr (reason, ==, "Gemma 4 E4B · Q4_0");
}

static void
test_judge_refusals (void)
{
  gm_checkpoint_info info;
  g_autofree char *reason = NULL;

  make_e2b (&info);
  info.variant = GM_VARIANT_NOT_GEMMA4;
  g_strlcpy (info.architecture, "llama", sizeof info.architecture);
  g_assert_false (gemlet_import_judge (&info, &reason));
  g_assert_nonnull (strstr (reason, "llama"));

  make_e2b (&info);
  info.variant = GM_VARIANT_GEMMA4_OTHER;
  g_strlcpy (info.variant_reason, "48 layers, n_embd 3840", sizeof info.variant_reason);
  g_clear_pointer (&reason, g_free);
  g_assert_false (gemlet_import_judge (&info, &reason));
  g_assert_nonnull (strstr (reason, "48 layers"));

  make_e2b (&info);
  add_type (&info, "type 99", 1);
  g_clear_pointer (&reason, g_free);
  g_assert_false (gemlet_import_judge (&info, &reason));
  g_assert_nonnull (strstr (reason, "type 99"));

  make_e2b (&info);
  info.has_chat_template = FALSE;
  g_clear_pointer (&reason, g_free);
  g_assert_false (gemlet_import_judge (&info, &reason));
  g_assert_nonnull (strstr (reason, "chat template"));
}

static void
test_space (void)
{
  g_autoptr(GError) error = NULL;
  const guint64 gb = 1000 * 1000 * 1000;

  g_assert_true (gemlet_import_check_space (3 * gb, 10 * gb, NULL));
  g_assert_false (gemlet_import_check_space (3 * gb, 3 * gb, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

static char *
write_temp (const char *contents)
{
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("gemlet-import-XXXXXX.gguf", &path, NULL);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));

  return g_steal_pointer (&path);
}

static void
test_inspect (void)
{
  g_autofree char *good = write_temp ("FAKE-GEMMA4 E4B Q4_0\n");
  g_autofree char *other = write_temp ("FAKE-LLAMA\n");
  g_autofree char *junk = write_temp ("PK\x03\x04 zip file");
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(GemletImportInfo) info = gemlet_import_inspect_path (good, &error);

    g_assert_no_error (error);
    g_assert_true (info->readable);
    g_assert_true (info->usable);
    g_assert_cmpstr (info->reason, ==, "Gemma 4 E4B · Q4_0");
    g_assert_cmpuint (info->size, ==, strlen ("FAKE-GEMMA4 E4B Q4_0\n"));
  }
  {
    g_autoptr(GemletImportInfo) info = gemlet_import_inspect_path (other, &error);

    g_assert_no_error (error);
    g_assert_true (info->readable);
    g_assert_false (info->usable);
  }
  {
    g_autoptr(GemletImportInfo) info = gemlet_import_inspect_path (junk, &error);

    g_assert_no_error (error);
    g_assert_false (info->readable);
    g_assert_false (info->usable);
    g_assert_nonnull (strstr (info->reason, "GGUF"));
  }
  {
    g_autoptr(GemletImportInfo) info = gemlet_import_inspect_path ("/nonexistent/x.gguf", &error);

    g_assert_null (info);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  }

  g_remove (good);
  g_remove (other);
  g_remove (junk);
}

static void
test_catalog (void)
{
  const GemletModelEntry *entries;
  guint n;

  entries = gemlet_model_catalog_get (&n);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (entries[0].download_bytes, ==, G_GUINT64_CONSTANT (3349516256));
  g_assert_true (gemlet_model_catalog_find ("/a/b/gemma-4-E4B_q4_0-it.gguf") == &entries[1]);
  g_assert_null (gemlet_model_catalog_find ("/a/b/other.gguf"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/import/judge-usable", test_judge_usable);
  g_test_add_func ("/import/judge-refusals", test_judge_refusals);
  g_test_add_func ("/import/space", test_space);
  g_test_add_func ("/import/inspect", test_inspect);
  g_test_add_func ("/import/catalog", test_catalog);

  return g_test_run ();
}
