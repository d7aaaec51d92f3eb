/* test-import-real.c — import recognition against the real engine's
 * gm_inspect: a tiny synthetic Gemma 4 (a shape Gemlet does not offer) is
 * read but refused with the reason; files that are not GGUF are refused as
 * unreadable; a mobile checkpoint folder ($GEMLET_TEST_MOBILE) is read,
 * its files stand for it, a lone file names what is missing, and it is
 * copied as a folder. The model path comes from GEMLET_TEST_MODEL.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "gemlet-import.h"
#include "gguf-writer.h"

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

/* A vision/audio projector is recognised as one (not refused as a "clip"
 * model) and copied under a name the engine finds beside a model. */
static void
test_projector (void)
{
  static const uint16_t weights[64] = { 0x3f80 };
  const int64_t ne[2] = { 8, 8 };
  g_autofree char *dir = g_dir_make_tmp ("gemlet-import-proj-XXXXXX", NULL);
  g_autofree char *named = g_build_filename (dir, "gemma-4-E2B-it-mmproj.gguf", NULL);
  g_autofree char *plain = g_build_filename (dir, "vision.gguf", NULL);
  g_autoptr(GemletImportInfo) info = NULL;
  g_autoptr(GemletImportInfo) info2 = NULL;
  g_autoptr(GError) error = NULL;
  char err[256];
  gw_writer *w = gw_new ();

  gw_kv_str (w, "general.architecture", "clip");
  gw_kv_str (w, "clip.vision.projector_type", "gemma4v");
  gw_tensor (w, "mm.input_projection.weight", 30 /* BF16 */, 2, ne, weights);
  g_assert_true (gw_write (w, named, err, sizeof err));
  g_assert_true (gw_write (w, plain, err, sizeof err));
  gw_free (w);

  info = gemlet_import_inspect_path (named, &error);
  g_assert_no_error (error);
  g_assert_true (info->readable);
  g_assert_true (info->usable);
  g_assert_true (info->is_projector);
  g_assert_cmpstr (info->dest_name, ==, "gemma-4-E2B-it-mmproj.gguf");
  g_assert_true (gemlet_import_is_projector_name (info->dest_name));

  info2 = gemlet_import_inspect_path (plain, &error);
  g_assert_no_error (error);
  g_assert_true (info2->is_projector);
  g_assert_cmpstr (info2->dest_name, ==, "vision-mmproj.gguf");
  g_assert_false (gemlet_import_is_projector_name ("gemma-4-E2B_q4_0-it.gguf"));

  g_remove (named);
  g_remove (plain);
  g_rmdir (dir);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      rm_rf (child);
    }
  g_remove (path);
}

static void
copy_file (const char *from_dir,
           const char *to_dir,
           const char *name)
{
  g_autofree char *from = g_build_filename (from_dir, name, NULL);
  g_autofree char *to = g_build_filename (to_dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (from, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (to, contents, len, NULL));
}

static void
progress_cb (goffset  current,
             goffset  total,
             gpointer user_data)
{
  goffset *progress = user_data;

  progress[0] = current;
  progress[1] = total;
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The real engine reads a mobile checkpoint folder (a Gemma 4 of a size
 * Gemlet does not offer: read, refused with the reason); any file of the
 * folder stands for it; a file alone names the files it lacks; the folder
 * is copied as a whole, with progress. */
static void
test_mobile (void)
{
  const char *folder = g_getenv ("GEMLET_TEST_MOBILE");
  g_autofree char *config = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *lone = NULL;
  g_autofree char *lone_weights = NULL;
  g_autofree char *data_home = NULL;
  g_autoptr(GError) error = NULL;

  data_home = g_strdup (g_get_user_data_dir ());
  if (folder == NULL)
    {
      g_test_skip ("GEMLET_TEST_MOBILE not set");
      return;
    }

  {
    g_autoptr(GemletImportInfo) info = gemlet_import_inspect_path (folder, &error);

    g_assert_no_error (error);
    g_assert_true (info->readable);
    g_assert_true (info->is_folder);
    g_assert_true (gemlet_import_is_mobile (&info->info));
    g_assert_cmpint (info->info.variant, ==, GM_VARIANT_GEMMA4_OTHER);
    g_assert_false (info->usable);
    g_assert_nonnull (strstr (info->reason, "E2B and E4B"));
    g_assert_cmpuint (info->size, >, 0);
    g_assert_null (gemlet_import_mobile_missing (folder));
  }

  config = g_build_filename (folder, "config.json", NULL);
  {
    g_autoptr(GemletImportInfo) info = gemlet_import_inspect_path (config, &error);

    g_assert_no_error (error);
    g_assert_true (info->readable);
    g_assert_true (info->part_of_folder);
    g_assert_true (info->is_folder);
  }

  tmp = g_dir_make_tmp ("gemlet-import-mobile-XXXXXX", NULL);
  lone = g_build_filename (tmp, "lone", NULL);
  g_mkdir (lone, 0700);
  copy_file (folder, lone, "model.safetensors");
  copy_file (folder, lone, "tokenizer.json");
  lone_weights = g_build_filename (lone, "model.safetensors", NULL);
  {
    g_autoptr(GemletImportInfo) info = gemlet_import_inspect_path (lone_weights, &error);

    g_assert_no_error (error);
    g_assert_false (info->readable);
    g_assert_false (info->usable);
    g_test_message ("lone file: %s", info->reason);
    g_assert_nonnull (strstr (info->reason, "config.json"));
    g_assert_nonnull (strstr (info->reason, "tokenizer_config.json"));
    g_assert_null (strstr (info->reason, "tokenizer.json,"));
  }

  /* Copy: into $XDG_DATA_HOME/gemlet/models/<dest> as a whole. */
  {
    g_autoptr(GFile) source = g_file_new_for_path (folder);
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *dest = NULL;
    g_autofree char *missing = NULL;

    g_autofree char *base = g_path_get_basename (folder);
    g_autofree char *expected = g_build_filename (data_home, "gemlet", "models", base, NULL);
    goffset progress[2] = { 0, 0 };

    gemlet_import_copy_async (source, NULL, progress_cb, progress, NULL, result_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    /* (progress that was still on its way is dropped once the copy is done) */
    dest = gemlet_import_copy_finish (result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (dest, ==, expected);
    missing = gemlet_import_mobile_missing (dest);
    g_assert_null (missing);

    /* the copy is a checkpoint the engine reads, and counts as installed */
    {
      g_autoptr(GemletImportInfo) copy = gemlet_import_inspect_path (dest, &error);
      g_autoptr(GemletImportInfo) original = gemlet_import_inspect_path (folder, &error);

      g_assert_no_error (error);
      g_assert_true (copy->readable);
      g_assert_cmpuint (copy->size, ==, original->size);
      g_assert_true (progress[1] == 0 || progress[1] == (goffset) original->size);
      g_assert_true (original->already_installed);
    }
  }
  rm_rf (tmp);
  rm_rf (data_home);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = g_dir_make_tmp ("gemlet-import-data-XXXXXX", NULL);

  /* Before anything asks GLib for it: copies go under a throw-away
   * $XDG_DATA_HOME. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/import-real/tiny-gemma4", test_tiny_gemma4);
  g_test_add_func ("/import-real/not-gguf", test_not_gguf);
  g_test_add_func ("/import-real/projector", test_projector);
  g_test_add_func ("/import-real/mobile", test_mobile);

  return g_test_run ();
}
