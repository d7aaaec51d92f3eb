/* test-import-real.c — import recognition against the real engine's
 * gm_inspect: a tiny synthetic Gemma 4 (a shape Gemlet does not offer) is
 * read but refused with the reason; files that are not GGUF are refused as
 * unreadable. The model path comes from GEMLET_TEST_MODEL.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "gemlet-import.h"

static void
test_tiny_gemma4 (void)
{
  const char *path = g_getenv ("GEMLET_TEST_MODEL");
  g_autoptr(GemletImportInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    {
      g_test_skip ("GEMLET_TEST_MODEL not set");
      return;
    }

  info = gemlet_import_inspect_path (path, &error);
  g_assert_no_error (error);
  g_assert_true (info->readable);
  g_assert_cmpstr (info->info.architecture, ==, "gemma4");
  g_assert_cmpint (info->info.variant, ==, GM_VARIANT_GEMMA4_OTHER);
  g_assert_false (info->usable);
  g_test_message ("reason: %s", info->reason);
  g_assert_nonnull (strstr (info->reason, "E2B and E4B"));
  g_assert_cmpuint (info->size, >, 0);
}

static void
test_not_gguf (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GemletImportInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  int fd = g_file_open_tmp ("gemlet-import-XXXXXX.gguf", &path, NULL);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (path, "PK\x03\x04 this is a zip file, not a model at all........", -1, NULL));

  info = gemlet_import_inspect_path (path, &error);
  g_assert_no_error (error);
  g_assert_false (info->readable);
  g_assert_false (info->usable);
  g_test_message ("reason: %s", info->reason);
  g_assert_nonnull (info->reason);
  g_remove (path);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/import-real/tiny-gemma4", test_tiny_gemma4);
  g_test_add_func ("/import-real/not-gguf", test_not_gguf);

  return g_test_run ();
}
