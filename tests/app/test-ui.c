/* test-ui.c — runs the real application (with the fake engine) under Xvfb,
 * drives it through its main states and saves a screenshot of each into
 * $GEMLET_SCREENSHOT_DIR: empty state, model picker, import dialog,
 * loading, streaming, a finished Markdown reply (light and dark), the memory
 * popover, the narrow (360 px) layout, preferences and about.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-config.h"

#include <glib/gstdio.h>

#include "gemlet-application.h"
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

static void
collect_widgets (GtkWidget *root,
                 GType      type,
                 GPtrArray *out)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        g_ptr_array_add (out, child);
      collect_widgets (child, type, out);
    }
}

/* The nth widget of a type, depth first. */
static GtkWidget *
find_widget (GtkWidget *root,
             GType      type,
             guint      nth)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect_widgets (root, type, found);

  return nth < found->len ? g_ptr_array_index (found, nth) : NULL;
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

  if (failures > 0)
    {
      g_printerr ("%d check(s) failed\n", failures);
      return 1;
    }

  return status;
}
