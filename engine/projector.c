/* projector.c — finding, validating and loading the mmproj GGUF beside a
 * text model (see projector.h for why it is loaded at all).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _DEFAULT_SOURCE /* strcasestr, strncasecmp */
#include "projector.h"

#include "error.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

/* Pages touched between progress reports, so a cancel is seen quickly. */
#define TOUCH_CHUNK (32u << 20)

static bool
is_projector_name (const char *name)
{
  const size_t n = strlen (name);

  return n > 5 && strcasecmp (name + n - 5, ".gguf") == 0 && strcasestr (name, "mmproj") != NULL;
}

static size_t
common_prefix_ci (const char *a, const char *b)
{
  size_t i = 0;

  while (a[i] != '\0' && b[i] != '\0' && strncasecmp (a + i, b + i, 1) == 0)
    i++;
  return i;
}

bool
gm_projector_find (const char *model_path, char *out, size_t cap)
{
  char dir[4096];
  const char *slash, *model_name;
  DIR *d;
  struct dirent *e;
  size_t best_score = 0;
  bool found = false;

  if (model_path == NULL || out == NULL || cap == 0)
    return false;
  slash = strrchr (model_path, '/');
  model_name = slash != NULL ? slash + 1 : model_path;
  if (is_projector_name (model_name))
    return false; /* the "model" is itself a projector */
  if (slash == NULL)
    snprintf (dir, sizeof dir, ".");
  else if ((size_t) (slash - model_path) + 1 < sizeof dir)
    snprintf (dir, sizeof dir, "%.*s", slash == model_path ? 1 : (int) (slash - model_path),
              model_path);
  else
    return false;

  d = opendir (dir);
  if (d == NULL)
    return false;
  while ((e = readdir (d)) != NULL)
    {
      size_t score;

      if (!is_projector_name (e->d_name))
        continue;
      /* +1 so a projector sharing nothing with the model name still counts
       * when it is the only one */
      score = common_prefix_ci (e->d_name, model_name) + 1;
      if (score > best_score
          && (size_t) snprintf (out, cap, "%s/%s", dir, e->d_name) < cap)
        {
          best_score = score;
          found = true;
        }
    }
  closedir (d);
  return found;
}

static bool
str_is (const gguf_file *f, const char *key, const char *want)
{
  gguf_str s;

  return gguf_get_str (f, key, &s) && s.len == strlen (want) && memcmp (s.ptr, want, s.len) == 0;
}

static bool
has_key (const gguf_file *f, const char *key)
{
  return gguf_find_key (f, key) >= 0;
}

gm_status
gm_projector_load (const char *path, uint32_t n_embd, gm_projector *p, gm_progress_fn progress,
                   void *user, float from, float to, gm_error *err)
{
  static const char *const width_keys[] = { "clip.vision.projection_dim", "clip.audio.projection_dim" };
  char msg[256];
  bool io_error = false;
  const uint8_t *base;
  uint64_t lo = UINT64_MAX, hi = 0;
  const long page = sysconf (_SC_PAGESIZE) > 0 ? sysconf (_SC_PAGESIZE) : 4096;
  volatile uint8_t sink = 0;

  memset (p, 0, sizeof *p);
  p->gguf = gguf_open_full (path, &io_error, msg, sizeof msg);
  if (p->gguf == NULL)
    return gm_error_set (err, io_error ? GM_ERR_IO : GM_ERR_FORMAT, "projector %s: %s", path, msg);
  if (!str_is (p->gguf, "general.architecture", "clip"))
    {
      gm_projector_close (p);
      return gm_error_set (err, GM_ERR_UNSUPPORTED,
                           "%s is not a vision/audio projector (general.architecture is not "
                           "\"clip\"); turn on text-only or remove the file",
                           path);
    }
  p->has_vision = has_key (p->gguf, "clip.vision.projector_type") || has_key (p->gguf, "clip.projector_type");
  p->has_audio = has_key (p->gguf, "clip.audio.projector_type");
  if (!p->has_vision && !p->has_audio)
    {
      gm_projector_close (p);
      return gm_error_set (err, GM_ERR_UNSUPPORTED,
                           "%s names no vision or audio projector type; turn on text-only or "
                           "use the projector file published with the model",
                           path);
    }

  /* a projector for another model (E2B's beside an E4B file, say) */
  for (size_t k = 0; k < sizeof width_keys / sizeof width_keys[0]; k++)
    {
      uint32_t width;

      if (gguf_get_u32 (p->gguf, width_keys[k], &width) && width != n_embd)
        {
          gm_projector_close (p);
          return gm_error_set (err, GM_ERR_UNSUPPORTED,
                               "%s projects to width %u but the model's width is %u: it belongs "
                               "to another model",
                               path, width, n_embd);
        }
    }

  base = gguf_base (p->gguf);
  for (int64_t i = 0; i < gguf_n_tensors (p->gguf); i++)
    {
      const gguf_tensor *t = gguf_tensor_at (p->gguf, i);

      p->weight_bytes += t->n_bytes;
      if (t->n_bytes > 0)
        {
          lo = t->offset < lo ? t->offset : lo;
          hi = t->offset + t->n_bytes > hi ? t->offset + t->n_bytes : hi;
        }
    }
  /* the encoders read every weight per image/audio clip: keep them all in RAM */
  for (uint64_t off = lo; lo < hi && off < hi; off += TOUCH_CHUNK)
    {
      const uint64_t end = off + TOUCH_CHUNK < hi ? off + TOUCH_CHUNK : hi;

      for (uint64_t q = off; q < end; q += (uint64_t) page)
        sink ^= base[q];
      if (progress != NULL
          && !progress (from + (to - from) * (float) (end - lo) / (float) (hi - lo), user))
        {
          gm_projector_close (p);
          return gm_error_set (err, GM_ERR_CANCELLED, "loading was cancelled");
        }
    }
  (void) sink;
  return GM_OK;
}

void
gm_projector_close (gm_projector *p)
{
  if (p == NULL)
    return;
  if (p->gguf != NULL)
    gguf_close (p->gguf);
  memset (p, 0, sizeof *p);
}
