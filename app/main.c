/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-main"

#include "gemlet-config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "gemlet-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GemletApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Gemlet"));

  app = gemlet_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
