/* gemlet-message-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gemlet-message.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_MESSAGE_ROW (gemlet_message_row_get_type ())

G_DECLARE_FINAL_TYPE (GemletMessageRow, gemlet_message_row, GEMLET, MESSAGE_ROW, GtkWidget)

GtkWidget     *gemlet_message_row_new         (GemletMessage    *message);
GemletMessage *gemlet_message_row_get_message (GemletMessageRow *self);
void           gemlet_message_row_set_busy    (GemletMessageRow *self,
                                               gboolean          busy);

G_END_DECLS
