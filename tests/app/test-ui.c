/* test-ui.c — runs the real application (with the fake engine) under Xvfb,
 * drives it through its main states and saves a screenshot of each into
 * $GEMLET_SCREENSHOT_DIR: empty state, model picker, import dialog,
 * loading, streaming, a finished Markdown reply (light and dark), the memory
 * popover, the narrow (360 px) layout, preferences and about; then a
 * conversation's own settings (checking that its system prompt and
 * sampling reach the engine), export and import of conversations, the
 * "not enough memory" dialog, a failed load, and importing a mobile
 * checkpoint folder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "gemlet-application.h"
#include "gemlet-conversation-settings-dialog.h"
#include "gemlet-message-row.h"
#include "gemlet-import-dialog.h"
#include "gemlet-model-picker.h"
#include "gemlet-window.h"

#include "ui-test-helpers.h"

static GemletApplication *app;
static const char *shot_dir;
static const char *shot_prefix = "";
static char *model_path;
static gboolean real_engine;
static char *tmp_dir;
static char *record_path;

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width, height;

  iterate_for (400);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      /* Not drawn yet: give it a moment more. */
      iterate_for (1000);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  if (node == NULL)
    {
      check (FALSE, name);
      return;
    }

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_strdup_printf ("%s/screenshot-%s%s.png", shot_dir, shot_prefix, name);
  check (gdk_texture_save_to_png (texture, path), path);
}

/* Popovers are surfaces of their own: capture the whole X screen. */
static void
screenshot_screen (const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/screenshot-%s%s.png", shot_dir, shot_prefix, name);
  g_autofree char *target = g_strdup_printf ("png:%s", path);
  const char *argv[] = { "import", "-window", "root", target, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  iterate_for (400);
  if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error))
    g_printerr ("import: %s\n", error->message);
  check (error == NULL && status == 0, path);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

static gboolean
toplevel_shown (gpointer data)
{
  return find_toplevel ((GType)GPOINTER_TO_SIZE (data)) != NULL;
}

static GtkWindow *
wait_toplevel (GType type)
{
  wait_until (toplevel_shown, GSIZE_TO_POINTER (type), 5000);

  return find_toplevel (type);
}


static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect_widgets (root, GTK_TYPE_BUTTON, found);
  for (guint i = 0; i < found->len; i++)
    if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (found, i)), label) == 0)
      return g_ptr_array_index (found, i);

  return NULL;
}

static gboolean
store_ready (gpointer data)
{
  return gemlet_application_get_store_ready (app);
}

static gboolean
engine_in_state (gpointer data)
{
  return (int)gemlet_engine_worker_get_state (gemlet_application_get_worker (app)) == GPOINTER_TO_INT (data);
}

static void
set_size (GtkWindow *window,
          int        width,
          int        height)
{
  gtk_window_set_default_size (window, width, height);
  iterate_for (600);
}

static gboolean model_loaded_from (gpointer data);

/* With the real engine and a tiny synthetic model (random weights): the
 * reply is gibberish, but loading, streaming, stop and the memory report go
 * through the real code. */
static void
run_real_engine_script (GtkWindow *window)
{
  GSettings *settings = gemlet_application_get_settings (app);
  GemletConversation *conversation;
  GtkWindow *dialog;

  g_settings_set_uint (settings, "max-reply-tokens", 40);
  g_settings_set_uint (settings, "context-length", 512);
  g_settings_set_uint (settings, "threads", 2);

  /* The tiny model is a Gemma 4 of an unknown size: import refuses it. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (model_path);

    gemlet_window_import_file (GEMLET_WINDOW (window), file);
    dialog = wait_toplevel (GEMLET_TYPE_IMPORT_DIALOG);
    check (dialog != NULL, "import dialog shown");
    if (dialog != NULL)
      {
        screenshot (GTK_WIDGET (dialog), "import-refused");
        gtk_window_close (dialog);
      }
  }

  gemlet_window_load_model (GEMLET_WINDOW (window), model_path);
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 30000), "real model loaded");

  gemlet_window_send (GEMLET_WINDOW (window), "Hello!");
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 60000), "real reply finished");
  conversation = gemlet_window_get_conversation (GEMLET_WINDOW (window));
  check (conversation != NULL && gemlet_conversation_get_n_messages (conversation) == 2, "real: two messages");
  if (conversation != NULL && gemlet_conversation_get_n_messages (conversation) == 2)
    {
      GemletMessage *reply = gemlet_conversation_get_message (conversation, 1);

      check (gemlet_message_get_length (reply) > 0, "real: reply has text");
      check (gemlet_message_get_stats (reply) != NULL, "real: reply has speed");
    }
  screenshot (GTK_WIDGET (window), "chat");

  /* Stop: a second turn, stopped at once (prefix reuse and abort). */
  gemlet_window_send (GEMLET_WINDOW (window), "And again?");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-memory", NULL);
  iterate_for (50);
  gemlet_engine_worker_stop (gemlet_application_get_worker (app));
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 30000), "real: stopped");
  iterate_for (1200);
  screenshot_screen ("memory");

  /* A mobile checkpoint folder loads through the same path (memory check,
   * automatic context, load) and replies. */
  if (g_getenv ("GEMLET_TEST_MOBILE") != NULL)
    {
      const char *mobile = g_getenv ("GEMLET_TEST_MOBILE");

      g_settings_set_uint (settings, "context-length", 0);
      gemlet_window_load_model (GEMLET_WINDOW (window), mobile);
      check (wait_until (model_loaded_from, (gpointer) mobile, 30000), "real: mobile checkpoint loaded");
      check (gemlet_engine_worker_get_auto_n_ctx (gemlet_application_get_worker (app)) >= 512,
             "real: automatic context resolved for the mobile checkpoint");
      gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
      gemlet_window_send (GEMLET_WINDOW (window), "Hello, mobile!");
      check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 60000),
             "real: mobile reply finished");
      conversation = gemlet_window_get_conversation (GEMLET_WINDOW (window));
      check (conversation != NULL && gemlet_conversation_get_n_messages (conversation) == 2,
             "real: mobile checkpoint replies");
      screenshot (GTK_WIDGET (window), "mobile-chat");
    }
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static char *
read_file (const char *path)
{
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);

  return text;
}

#if ADW_CHECK_VERSION (1, 5, 0)
static gboolean
alert_shown (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  return window != NULL && find_widget (GTK_WIDGET (window), ADW_TYPE_ALERT_DIALOG, 0) != NULL;
}
#endif

/* An AdwMessageDialog window (libadwaita < 1.5), or an AdwAlertDialog
 * inside the main window. */
static GtkWidget *
wait_message_dialog (void)
{
#if ADW_CHECK_VERSION (1, 5, 0)
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  wait_until (alert_shown, NULL, 5000);

  return window ? find_widget (GTK_WIDGET (window), ADW_TYPE_ALERT_DIALOG, 0) : NULL;
#else
  return GTK_WIDGET (wait_toplevel (ADW_TYPE_MESSAGE_DIALOG));
#endif
}

static void
close_message_dialog (GtkWidget  *dialog,
                      const char *response)
{
#if ADW_CHECK_VERSION (1, 5, 0)
  g_signal_emit_by_name (dialog, "response", response);
  adw_dialog_force_close (ADW_DIALOG (dialog));
#else
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), response);
  gtk_window_close (GTK_WINDOW (dialog));
#endif
  iterate_for (300);
}

static void
make_file (const char *dir,
           const char *name,
           const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_mkdir_with_parents (dir, 0700);
  g_file_set_contents (path, contents, -1, NULL);
}

/* Per-conversation system prompt and sampling: set in the dialog, they
 * must reach the engine (the fake engine records what it was given). */
static void
run_conversation_settings (GtkWindow *window)
{
  GemletConversation *conversation;
  GtkWindow *dialog;
  g_autofree char *record = NULL;
  const GemletConversationSettings *settings;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.conversation-settings", "x", (gint64)0);
  dialog = wait_toplevel (GEMLET_TYPE_CONVERSATION_SETTINGS_DIALOG);
  check (dialog != NULL, "conversation settings shown");
  if (dialog == NULL)
    return;

  gemlet_conversation_settings_dialog_set_system_prompt (GEMLET_CONVERSATION_SETTINGS_DIALOG (dialog),
                                                         "You are a pirate. Answer in one line.");
  gemlet_conversation_settings_dialog_set_value (GEMLET_CONVERSATION_SETTINGS_DIALOG (dialog),
                                                 GEMLET_OVERRIDE_TEMPERATURE, TRUE, 0.3);
  gemlet_conversation_settings_dialog_set_value (GEMLET_CONVERSATION_SETTINGS_DIALOG (dialog),
                                                 GEMLET_OVERRIDE_SEED, TRUE, 1234);
  gemlet_conversation_settings_dialog_set_value (GEMLET_CONVERSATION_SETTINGS_DIALOG (dialog),
                                                 GEMLET_OVERRIDE_CONTEXT_LENGTH, TRUE, 2048);
  screenshot (GTK_WIDGET (dialog), "15-conversation-settings");
  gtk_window_close (dialog);
  iterate_for (300);

  conversation = gemlet_window_get_conversation (GEMLET_WINDOW (window));
  settings = conversation ? gemlet_conversation_get_settings (conversation) : NULL;
  check (settings != NULL && g_strcmp0 (settings->system_prompt, "You are a pirate. Answer in one line.") == 0,
         "system prompt saved with the conversation");
  check (settings != NULL && settings->set == (GEMLET_OVERRIDE_TEMPERATURE | GEMLET_OVERRIDE_SEED |
                                               GEMLET_OVERRIDE_CONTEXT_LENGTH),
         "only the switched-on values are the conversation's own");

  g_setenv ("GEMLET_FAKE_REPLY", "Arr, the sea be wide.", TRUE);
  gemlet_window_send (GEMLET_WINDOW (window), "Describe the sea");
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 20000), "pirate reply finished");
  g_unsetenv ("GEMLET_FAKE_REPLY");
  record = read_file (record_path);
  check (record != NULL && strstr (record, "<|turn>system\nYou are a pirate. Answer in one line.<turn|>") != NULL &&
         strstr (record, "<|turn>user\nDescribe the sea") != NULL,
         "the system prompt reaches the engine through the chat template");
  check (record != NULL && strstr (record, "temperature=300/1000 ") != NULL && strstr (record, "seed=1234") != NULL,
         "the conversation's sampling reaches the engine");
  check (record != NULL && strstr (record, "n_ctx=2048") != NULL, "the conversation's context reaches the engine");
  check (record != NULL && strstr (record, "top_k=64 ") != NULL, "unset values follow Preferences");
  if (record != NULL && !strstr (record, "n_ctx=2048"))
    g_printerr ("record: %s\n", record);
  screenshot (GTK_WIDGET (window), "16-pirate");
}

/* Export as Markdown and JSON, a failed export, import of the JSON and of
 * broken files. */
static void
run_export_import (GtkWindow *window)
{
  GemletConversation *conversation = gemlet_window_get_conversation (GEMLET_WINDOW (window));
  GListModel *conversations = gemlet_store_get_conversations (gemlet_application_get_store (app));
  g_autofree char *md_path = g_build_filename (tmp_dir, "export", "pirate.md", NULL);
  g_autofree char *json_path = g_build_filename (tmp_dir, "export", "pirate.json", NULL);
  g_autofree char *bad_path = g_build_filename (tmp_dir, "export", "broken.json", NULL);
  g_autoptr(GFile) md = g_file_new_for_path (md_path);
  g_autoptr(GFile) json = g_file_new_for_path (json_path);
  g_autoptr(GFile) bad = g_file_new_for_path (bad_path);
  g_autoptr(GFile) nowhere = g_file_new_for_path ("/nonexistent/folder/pirate.md");
  g_autofree char *text = NULL;
  GtkWidget *dialog;
  guint n_before;

  if (conversation == NULL)
    {
      check (FALSE, "a conversation to export");
      return;
    }

  g_autofree char *export_dir = g_path_get_dirname (md_path);

  make_file (export_dir, "README", "exports");
  gemlet_window_export_conversation (GEMLET_WINDOW (window), conversation, GEMLET_CONVERSATION_FILE_MARKDOWN, md);
  check (wait_until (file_exists, md_path, 5000), "exported as Markdown");
  iterate_for (200);
  text = read_file (md_path);
  check (text != NULL && strstr (text, "Arr, the sea be wide.") != NULL && strstr (text, "You are a pirate") != NULL,
         "the Markdown holds the messages and the system prompt");
  screenshot (GTK_WIDGET (window), "17-exported");
  g_clear_pointer (&text, g_free);

  gemlet_window_export_conversation (GEMLET_WINDOW (window), conversation, GEMLET_CONVERSATION_FILE_JSON, json);
  check (wait_until (file_exists, json_path, 5000), "exported as JSON");
  iterate_for (200);
  text = read_file (json_path);
  check (text != NULL && strstr (text, "\"format\": \"gemlet-conversation\"") != NULL, "the JSON names its format");

  /* A file that cannot be written: a dialog says why. */
  gemlet_window_export_conversation (GEMLET_WINDOW (window), conversation, GEMLET_CONVERSATION_FILE_MARKDOWN,
                                     nowhere);
  dialog = wait_message_dialog ();
  check (dialog != NULL, "failed export explained");
  if (dialog != NULL)
    {
      screenshot (dialog, "18-export-failed");
      close_message_dialog (dialog, "close");
    }

  /* Import the JSON again: a new conversation, first in the list. */
  n_before = g_list_model_get_n_items (conversations);
  gemlet_window_import_conversation (GEMLET_WINDOW (window), json);
  iterate_for (1000);
  check (g_list_model_get_n_items (conversations) == n_before + 1, "imported conversation listed");
  {
    GemletConversation *imported = gemlet_window_get_conversation (GEMLET_WINDOW (window));

    check (imported != NULL && imported != conversation &&
           gemlet_conversation_get_n_messages (imported) == gemlet_conversation_get_n_messages (conversation) &&
           g_strcmp0 (gemlet_conversation_get_settings (imported)->system_prompt,
                      "You are a pirate. Answer in one line.") == 0,
           "imported conversation shown with its messages and settings");
  }
  screenshot (GTK_WIDGET (window), "19-imported");

  /* A broken file: a readable reason, nothing added. */
  make_file (export_dir, "broken.json",
             "{\"format\": \"gemlet-conversation\", \"version\": 1, \"messages\": [{\"role\": \"pirate\"}]}");
  n_before = g_list_model_get_n_items (conversations);
  gemlet_window_import_conversation (GEMLET_WINDOW (window), bad);
  dialog = wait_message_dialog ();
  check (dialog != NULL, "broken import explained");
  if (dialog != NULL)
    {
      screenshot (dialog, "20-import-failed");
      close_message_dialog (dialog, "close");
    }
  check (g_list_model_get_n_items (conversations) == n_before, "nothing imported from a broken file");
}

static gboolean
model_loaded_from (gpointer data)
{
  GemletEngineWorker *worker = gemlet_application_get_worker (app);

  return gemlet_engine_worker_get_state (worker) == GEMLET_ENGINE_STATE_READY &&
         g_strcmp0 (gemlet_engine_worker_get_model_path (worker), data) == 0;
}

static gboolean
dialog_gone (gpointer data)
{
  return find_toplevel ((GType) GPOINTER_TO_SIZE (data)) == NULL;
}

/* Too little memory: a dialog before loading, "Load Anyway" or "Cancel";
 * then a corrupt file: nothing stays loaded and the app still works. */
static void
run_memory_and_failed_load (GtkWindow *window)
{
  GemletEngineWorker *worker = gemlet_application_get_worker (app);
  g_autofree char *loaded = g_strdup (gemlet_engine_worker_get_model_path (worker));
  g_autofree char *corrupt = g_build_filename (tmp_dir, "corrupt.gguf", NULL);
  GtkWidget *dialog;

  g_setenv ("GEMLET_AVAILABLE_MEMORY", "500000000", TRUE);
  gemlet_window_load_model (GEMLET_WINDOW (window), model_path);
  dialog = wait_message_dialog ();
  check (dialog != NULL, "not-enough-memory dialog shown");
  if (dialog != NULL)
    {
      screenshot (dialog, "21-load-anyway");
      close_message_dialog (dialog, "cancel");
      check (gemlet_engine_worker_get_state (worker) == GEMLET_ENGINE_STATE_READY &&
             g_strcmp0 (gemlet_engine_worker_get_model_path (worker), loaded) == 0,
             "cancel keeps the model that was loaded");
    }

  gemlet_window_load_model (GEMLET_WINDOW (window), model_path);
  dialog = wait_message_dialog ();
  if (dialog != NULL)
    {
      close_message_dialog (dialog, "load");
      check (wait_until (model_loaded_from, model_path, 10000), "load anyway loads");
    }
  g_unsetenv ("GEMLET_AVAILABLE_MEMORY");

  /* A corrupt file: an error, nothing loaded, the app usable. */
  g_file_set_contents (corrupt, "GGUF\x03 but nothing else that makes sense", -1, NULL);
  gemlet_window_load_model (GEMLET_WINDOW (window), corrupt);
  dialog = wait_message_dialog ();
  check (dialog != NULL, "failed load explained");
  check (gemlet_engine_worker_get_state (worker) == GEMLET_ENGINE_STATE_EMPTY &&
         gemlet_engine_worker_get_model_path (worker) == NULL &&
         gemlet_engine_worker_get_info (worker) == NULL, "a failed load leaves nothing loaded");
  if (dialog != NULL)
    {
      screenshot (dialog, "22-load-failed");
      close_message_dialog (dialog, "close");
    }
  screenshot (GTK_WIDGET (window), "23-after-failed-load");

  gemlet_window_load_model (GEMLET_WINDOW (window), loaded);
  check (wait_until (model_loaded_from, loaded, 10000), "a model loads again after a failed load");
  gemlet_window_send (GEMLET_WINDOW (window), "Still there?");
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 20000),
         "replies after a failed load");
}

/* A mobile checkpoint: one file of an incomplete folder names what is
 * missing; the complete folder is copied under the catalog's name, loads,
 * and shows as the model in use in the picker. */
static void
run_mobile_import (GtkWindow *window)
{
  g_autofree char *lone = g_build_filename (tmp_dir, "lone", NULL);
  g_autofree char *lone_file = g_build_filename (lone, "model.safetensors", NULL);
  g_autofree char *folder = g_build_filename (tmp_dir, "downloads", "gemma-4-E2B-it-qat-mobile-ct", NULL);
  g_autofree char *copied = g_build_filename (g_get_user_data_dir (), "gemlet", "models",
                                              "gemma-4-E2B-it-qat-mobile-ct", NULL);
  g_autofree char *copied_weights = g_build_filename (copied, "model.safetensors", NULL);
  g_autofree char *weights = g_strnfill (4 * 1024 * 1024, 'w');
  GtkWindow *dialog;

  make_file (lone, "model.safetensors", "not really safetensors");
  {
    g_autoptr(GFile) file = g_file_new_for_path (lone_file);

    gemlet_window_import_file (GEMLET_WINDOW (window), file);
    dialog = wait_toplevel (GEMLET_TYPE_IMPORT_DIALOG);
    check (dialog != NULL, "lone checkpoint file: dialog shown");
    if (dialog != NULL)
      {
        g_autoptr(GPtrArray) labels = g_ptr_array_new ();
        gboolean named = FALSE;

        collect_widgets (GTK_WIDGET (dialog), GTK_TYPE_LABEL, labels);
        for (guint i = 0; i < labels->len; i++)
          if (strstr (gtk_label_get_text (g_ptr_array_index (labels, i)), "config.json") &&
              strstr (gtk_label_get_text (g_ptr_array_index (labels, i)), "tokenizer.json"))
            named = TRUE;
        check (named, "lone checkpoint file: the missing files are named");
        check (find_button (GTK_WIDGET (dialog), "_Copy and Use") == NULL ||
               !gtk_widget_get_visible (find_button (GTK_WIDGET (dialog), "_Copy and Use")),
               "lone checkpoint file: nothing to copy");
        screenshot (GTK_WIDGET (dialog), "24-mobile-part");
        gtk_window_close (dialog);
        wait_until (dialog_gone, GSIZE_TO_POINTER (GEMLET_TYPE_IMPORT_DIALOG), 3000);
      }
  }

  make_file (folder, "config.json", "FAKE-GEMMA4 E2B int4\n{}");
  make_file (folder, "model.safetensors", weights);
  make_file (folder, "tokenizer.json", "{}");
  make_file (folder, "tokenizer_config.json", "{\"chat_template\": \"...\"}");
  make_file (folder, "chat_template.jinja", "...");
  {
    g_autoptr(GFile) file = g_file_new_for_path (folder);

    gemlet_window_import_file (GEMLET_WINDOW (window), file);
    dialog = wait_toplevel (GEMLET_TYPE_IMPORT_DIALOG);
    check (dialog != NULL, "mobile folder: dialog shown");
    if (dialog != NULL)
      {
        GtkWidget *copy_button = find_button (GTK_WIDGET (dialog), "_Copy and Use");

        screenshot (GTK_WIDGET (dialog), "25-mobile-folder");
        check (copy_button != NULL && gtk_widget_get_visible (copy_button), "mobile folder: can be copied");
        if (copy_button != NULL)
          g_signal_emit_by_name (copy_button, "clicked");
      }
  }
  check (wait_until (file_exists, copied_weights, 10000), "mobile folder copied under the catalog's name");
  check (wait_until (model_loaded_from, copied, 10000), "the copied mobile checkpoint is loaded");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-model", NULL);
  dialog = wait_toplevel (GEMLET_TYPE_MODEL_PICKER);
  if (dialog != NULL)
    {
      screenshot (GTK_WIDGET (dialog), "26-model-picker-mobile");
      gtk_window_close (dialog);
      iterate_for (300);
    }
}

static void
run_script (GtkWindow *window)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  GemletConversation *conversation;
  GemletMessage *reply;
  GtkWindow *dialog;
  GListModel *conversations;

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  set_size (window, 1000, 700);

  check (wait_until (store_ready, NULL, 5000), "store opened");

  if (real_engine)
    {
      run_real_engine_script (window);
      return;
    }

  check (gemlet_application_get_store_error (app) == NULL, "store has no error");
  screenshot (GTK_WIDGET (window), "01-no-model");
  set_size (window, 360, 720);
  screenshot (GTK_WIDGET (window), "01b-no-model-narrow");
  set_size (window, 1000, 700);

  /* Model picker */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-model", NULL);
  dialog = wait_toplevel (GEMLET_TYPE_MODEL_PICKER);
  check (dialog != NULL, "model picker shown");
  if (dialog != NULL)
    {
      screenshot (GTK_WIDGET (dialog), "02-model-picker");
      gtk_window_close (dialog);
    }

  /* Import (as if the file were dropped on the window) */
  {
    g_autoptr(GFile) file = g_file_new_for_path (model_path);

    gemlet_window_import_file (GEMLET_WINDOW (window), file);
    dialog = wait_toplevel (GEMLET_TYPE_IMPORT_DIALOG);
    check (dialog != NULL, "import dialog shown");
    if (dialog != NULL)
      {
        GtkWidget *copy_button = find_button (GTK_WIDGET (dialog), "_Copy and Use");

        screenshot (GTK_WIDGET (dialog), "03-import-dialog");

        /* Copy into the models folder, then load from there. */
        g_setenv ("GEMLET_FAKE_DELAY_MS", "40", TRUE);
        check (copy_button != NULL, "copy button found");
        if (copy_button != NULL)
          g_signal_emit_by_name (copy_button, "clicked");
      }
  }

  /* Load */
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_LOADING), 10000), "loading the copy");
  {
    g_autofree char *copied = g_build_filename (g_get_user_data_dir (), "gemlet", "models",
                                                "gemma-4-E2B_q4_0-it.gguf", NULL);

    check (g_file_test (copied, G_FILE_TEST_IS_REGULAR), "model copied into the data dir");
    check (g_strcmp0 (gemlet_engine_worker_get_model_path (gemlet_application_get_worker (app)), copied) == 0,
           "the copy is loaded");
  }
  iterate_for (200);
  screenshot (GTK_WIDGET (window), "04-loading");
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 10000), "model loaded");
  g_setenv ("GEMLET_FAKE_DELAY_MS", "4", TRUE);
  screenshot (GTK_WIDGET (window), "05-ready");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-model", NULL);
  dialog = wait_toplevel (GEMLET_TYPE_MODEL_PICKER);
  if (dialog != NULL)
    {
      screenshot (GTK_WIDGET (dialog), "05b-model-picker-in-use");
      gtk_window_close (dialog);
      iterate_for (300);
    }

  /* Generate */
  gemlet_window_send (GEMLET_WINDOW (window), "What can you do without a network connection?");
  iterate_for (700);
  screenshot (GTK_WIDGET (window), "06-streaming");
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 20000), "reply finished");
  conversation = gemlet_window_get_conversation (GEMLET_WINDOW (window));
  check (conversation != NULL && gemlet_conversation_get_n_messages (conversation) == 2, "two messages");
  if (conversation != NULL && gemlet_conversation_get_n_messages (conversation) == 2)
    {
      reply = gemlet_conversation_get_message (conversation, 1);
      check (g_str_has_prefix (gemlet_message_get_content (reply), "Here is a short overview"), "reply text");
      check (g_strcmp0 (gemlet_conversation_get_title (conversation),
                        "What can you do without a network connection?") == 0, "title from first message");
    }
  screenshot (GTK_WIDGET (window), "07-chat-light");

  /* Regenerate the reply, then edit the question and resend it. */
  {
    GtkWidget *user_row = find_widget (GTK_WIDGET (window), GEMLET_TYPE_MESSAGE_ROW, 0);
    GtkWidget *model_row = find_widget (GTK_WIDGET (window), GEMLET_TYPE_MESSAGE_ROW, 1);

    check (user_row != NULL && model_row != NULL, "message rows found");
    if (user_row != NULL && model_row != NULL)
      {
        g_setenv ("GEMLET_FAKE_REPLY", "A *regenerated* reply.", TRUE);
        g_signal_emit_by_name (model_row, "regenerate");
        check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 20000), "regenerated");
        check (gemlet_conversation_get_n_messages (conversation) == 2 &&
               g_strcmp0 (gemlet_message_get_content (gemlet_conversation_get_message (conversation, 1)),
                          "A *regenerated* reply.") == 0, "regenerate replaced the reply");

        g_setenv ("GEMLET_FAKE_REPLY", "An answer to the edited question.", TRUE);
        g_signal_emit_by_name (user_row, "edit-resend", "What can you do offline, in one line?");
        check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 20000), "edited");
        check (gemlet_conversation_get_n_messages (conversation) == 2 &&
               g_strcmp0 (gemlet_message_get_content (gemlet_conversation_get_message (conversation, 0)),
                          "What can you do offline, in one line?") == 0, "edit replaced the question");
        check (g_strcmp0 (gemlet_conversation_get_title (conversation),
                          "What can you do offline, in one line?") == 0, "title follows the edited question");
        screenshot (GTK_WIDGET (window), "07b-edited");
        g_unsetenv ("GEMLET_FAKE_REPLY");
      }
  }

  /* A second, shorter conversation for the sidebar */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  g_setenv ("GEMLET_FAKE_REPLY", "An old silent pond,\nA frog jumps into the pond —\nsplash! Silence again.", TRUE);
  gemlet_window_send (GEMLET_WINDOW (window), "Write a haiku about a pond");
  check (wait_until (engine_in_state, GINT_TO_POINTER (GEMLET_ENGINE_STATE_READY), 20000), "second reply finished");
  g_unsetenv ("GEMLET_FAKE_REPLY");
  conversations = gemlet_store_get_conversations (gemlet_application_get_store (app));
  check (g_list_model_get_n_items (conversations) == 2, "two conversations");
  gemlet_window_show_conversation (GEMLET_WINDOW (window), conversation);

  /* Search by content: only the haiku conversation mentions a frog. */
  {
    GtkWidget *entry = find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY, 0);
    GtkWidget *list = find_widget (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW, 0);

    gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
    check (entry != NULL && list != NULL, "search entry and list found");
    if (entry != NULL && list != NULL)
      {
        GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list)));

        gtk_editable_set_text (GTK_EDITABLE (entry), "frog");
        iterate_for (800);
        check (g_list_model_get_n_items (model) == 1, "search finds message text");
        screenshot (GTK_WIDGET (window), "07c-search");
        gtk_editable_set_text (GTK_EDITABLE (entry), "");
        iterate_for (500);
        check (g_list_model_get_n_items (model) == 2, "search cleared");
        gtk_widget_activate_action (GTK_WIDGET (window), "win.show-sidebar", NULL);
      }
  }

  /* Memory popover */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-memory", NULL);
  iterate_for (1200);
  screenshot_screen ("08-memory");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-memory", NULL);
  {
    /* close the popover again */
    GtkWidget *focus = gtk_window_get_focus (window);
    GtkWidget *popover = focus ? gtk_widget_get_ancestor (focus, GTK_TYPE_POPOVER) : NULL;

    if (popover != NULL)
      gtk_popover_popdown (GTK_POPOVER (popover));
  }
  iterate_for (300);

  /* Dark */
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  screenshot (GTK_WIDGET (window), "09-chat-dark");

  /* Narrow */
  set_size (window, 360, 720);
  screenshot (GTK_WIDGET (window), "10-narrow-chat-dark");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-sidebar", NULL);
  screenshot (GTK_WIDGET (window), "11-narrow-sidebar");
  set_size (window, 1000, 700);

  /* Shortcuts */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
  dialog = wait_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  check (dialog != NULL, "shortcuts shown");
  if (dialog != NULL)
    {
      screenshot (GTK_WIDGET (dialog), "12b-shortcuts");
      gtk_window_close (dialog);
    }

  /* Preferences and About */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  dialog = wait_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  check (dialog != NULL, "preferences shown");
  if (dialog != NULL)
    {
      screenshot (GTK_WIDGET (dialog), "12-preferences");
      gtk_window_close (dialog);
    }

#if !ADW_CHECK_VERSION (1, 5, 0)
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  dialog = wait_toplevel (ADW_TYPE_ABOUT_WINDOW);
  check (dialog != NULL, "about shown");
  if (dialog != NULL)
    {
      screenshot (GTK_WIDGET (dialog), "13-about");
      gtk_window_close (dialog);
    }
#endif

#if !ADW_CHECK_VERSION (1, 5, 0)
  /* Rename */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.rename-conversation", "x", (gint64)0);
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  check (dialog != NULL, "rename dialog shown");
  if (dialog != NULL)
    {
      GtkWidget *entry = find_widget (GTK_WIDGET (dialog), GTK_TYPE_ENTRY, 0);

      gtk_editable_set_text (GTK_EDITABLE (entry), "Offline abilities");
      screenshot (GTK_WIDGET (dialog), "13b-rename");
      adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "rename");
      gtk_window_close (dialog);
      iterate_for (200);
      check (g_strcmp0 (gemlet_conversation_get_title (gemlet_window_get_conversation (GEMLET_WINDOW (window))),
                        "Offline abilities") == 0, "renamed");
    }
#endif

  /* Delete with undo */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.delete-conversation", "x", (gint64)0);
  check (g_list_model_get_n_items (conversations) == 1, "deleted");
  screenshot (GTK_WIDGET (window), "14-deleted");
  iterate_for (3500);  /* the undo toast goes */

  run_conversation_settings (window);
  run_export_import (window);
  run_memory_and_failed_load (window);
  run_mobile_import (window);
}

static gboolean
start_script (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  run_script (window);
  g_application_quit (G_APPLICATION (app));

  return G_SOURCE_REMOVE;
}

static void
activate_cb (GApplication *application)
{
  g_idle_add (start_script, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *tmp = g_dir_make_tmp ("gemlet-ui-XXXXXX", NULL);
  g_autofree char *data_home = g_build_filename (tmp, "data", NULL);
  g_autofree char *config_home = g_build_filename (tmp, "config", NULL);
  g_autofree char *cache_home = g_build_filename (tmp, "cache", NULL);
  int status;

  /* Before anything asks GLib for the user directories. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* The same automatic context on every machine, and a record of what the
   * fake engine receives. */
  g_setenv ("GEMLET_AVAILABLE_MEMORY", "8000000000", TRUE);
  tmp_dir = tmp;
  record_path = g_build_filename (tmp, "engine-record.txt", NULL);
  g_setenv ("GEMLET_FAKE_RECORD", record_path, TRUE);

  shot_dir = g_getenv ("GEMLET_SCREENSHOT_DIR");
  if (shot_dir == NULL)
    shot_dir = ".";

  if (g_getenv ("GEMLET_TEST_MODEL") != NULL)
    {
      real_engine = TRUE;
      shot_prefix = "real-";
      model_path = g_strdup (g_getenv ("GEMLET_TEST_MODEL"));
    }
  else
    {
      model_path = g_build_filename (tmp, "gemma-4-E2B_q4_0-it.gguf", NULL);
      g_file_set_contents (model_path, "FAKE-GEMMA4 E2B Q4_0\n", -1, NULL);
    }

  app = gemlet_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (activate_cb), NULL);

  status = g_application_run (G_APPLICATION (app), 1, argv);
  g_object_unref (app);

  g_free (model_path);
  g_free (record_path);

  if (failures > 0)
    {
      g_printerr ("%d check(s) failed\n", failures);
      return 1;
    }

  return status;
}
