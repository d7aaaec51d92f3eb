/* projector.h — the vision/audio projector GGUF ("mmproj") that sits beside
 * a Gemma 4 text model. The engine does not run the encoders yet; when the
 * user turns text-only off it validates the file, maps it and keeps its
 * weights resident so the memory the full model needs is real and counted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"
#include "gguf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
  gguf_file *gguf;
  uint64_t weight_bytes;  /* sum of the tensors' data */
  bool has_vision;
  bool has_audio;
} gm_projector;

/* Looks in the model file's folder for a projector ("*mmproj*.gguf", case
 * insensitive; one whose name shares the model's stem wins). Writes its path
 * to out and returns true, or false when there is none. */
bool gm_projector_find (const char *model_path, char *out, size_t cap);

/* Opens and validates a projector (GGUF, architecture "clip", a vision or
 * audio projector type, output width n_embd when the file states it), then
 * reads its weights into memory, reporting progress from `from` to `to`. */
gm_status gm_projector_load (const char *path, uint32_t n_embd, gm_projector *p,
                             gm_progress_fn progress, void *user, float from, float to,
                             gm_error *err);

void gm_projector_close (gm_projector *p);
