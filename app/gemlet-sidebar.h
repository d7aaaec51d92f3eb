/* gemlet-sidebar.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gemlet-store.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_SIDEBAR (gemlet_sidebar_get_type ())

G_DECLARE_FINAL_TYPE (GemletSidebar, gemlet_sidebar, GEMLET, SIDEBAR, GtkWidget)

void          gemlet_sidebar_set_store       (GemletSidebar      *self,
                                              GemletStore        *store);
void          gemlet_sidebar_select          (GemletSidebar      *self,
                                              GemletConversation *conversation);
AdwHeaderBar *gemlet_sidebar_get_header_bar  (GemletSidebar      *self);
void          gemlet_sidebar_start_search    (GemletSidebar      *self);

G_END_DECLS
