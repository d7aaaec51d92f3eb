/* file-map.h — read-only memory map of a whole regular file, shared by the
 * checkpoint readers (GGUF, safetensors).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  void *data;
  size_t size;
} gm_file_map;

/* Maps path. On failure returns false with a message in err; *io_error (may
 * be NULL) tells an unreadable file apart from an empty/odd one. */
bool gm_file_map_open (const char *path, gm_file_map *map, bool *io_error,
                       char *err, size_t err_size);
void gm_file_map_close (gm_file_map *map);
