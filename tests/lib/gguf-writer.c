/* gguf-writer.c — a small GGUF v3 writer for tests and the model generator.
 *
 * Metadata is serialised as it is added; tensor data is produced only at
 * write time (copied from memory or streamed from a callback in chunks), so
 * multi-GB files never sit in memory. All-zero tensors become file holes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gguf-writer.h"

#include "gemlet-kernels.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h> /* ftruncate */

#define GW_DEFAULT_ALIGNMENT 32
#define GW_MAX_RAW_DIMS 8
#define GW_CHUNK (1u << 20)

enum { VT_U8, VT_I8, VT_U16, VT_I16, VT_U32, VT_I32, VT_F32, VT_BOOL, VT_STRING, VT_ARRAY,
       VT_U64, VT_I64, VT_F64 };

typedef struct {
  char *name;
  uint32_t type;
  uint32_t n_dims;
  int64_t ne[GW_MAX_RAW_DIMS];
  const void *data;
  gw_fill_fn fill;
  void *user;
  bool raw;            /* info only, written as given */
  uint64_t rel_offset; /* raw: as given; others: computed at write time */
  uint64_t n_bytes;
} gw_tensor_def;

struct gw_writer {
  uint32_t version;
  uint32_t alignment;
  uint8_t *kv;
  size_t kv_len, kv_cap;
  uint64_t n_kv;
  gw_tensor_def *tensors;
  size_t n_tensors, tensor_cap;
  char error[256];     /* first problem while adding, reported by gw_write */
  uint64_t sections[GW_SECTION_END + 1];
};

static void
note_error (gw_writer *w, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
note_error (gw_writer *w, const char *fmt, ...)
{
  va_list ap;

  if (w->error[0] != '\0')
    return;
  va_start (ap, fmt);
  vsnprintf (w->error, sizeof w->error, fmt, ap);
  va_end (ap);
}

gw_writer *
gw_new (void)
{
  gw_writer *w = calloc (1, sizeof *w);

  if (w != NULL)
    {
      w->version = 3;
      w->alignment = GW_DEFAULT_ALIGNMENT;
    }
  return w;
}

void
gw_free (gw_writer *w)
{
  if (w == NULL)
    return;
  for (size_t i = 0; i < w->n_tensors; i++)
    free (w->tensors[i].name);
  free (w->tensors);
  free (w->kv);
  free (w);
}

void
gw_set_version (gw_writer *w, uint32_t version)
{
  w->version = version;
}

void
gw_set_alignment (gw_writer *w, uint32_t alignment)
{
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    note_error (w, "alignment %u is not a power of two", alignment);
  else
    w->alignment = alignment;
}

/* ------------------------------------------------------------- metadata */

static void
kv_bytes (gw_writer *w, const void *p, size_t n)
{
  if (w->kv_len + n > w->kv_cap)
    {
      size_t cap = w->kv_cap ? w->kv_cap : 256;
      uint8_t *nb;
      while (cap < w->kv_len + n)
        cap *= 2;
      nb = realloc (w->kv, cap);
      if (nb == NULL)
        {
          note_error (w, "out of memory");
          return;
        }
      w->kv = nb;
      w->kv_cap = cap;
    }
  if (n > 0)
    memcpy (w->kv + w->kv_len, p, n);
  w->kv_len += n;
}

static void
kv_le (gw_writer *w, uint64_t v, unsigned n)
{
  uint8_t b[8];

  for (unsigned i = 0; i < n; i++)
    b[i] = (uint8_t) (v >> (8 * i));
  kv_bytes (w, b, n);
}

static void
kv_str (gw_writer *w, const char *s)
{
  size_t n = strlen (s);

  kv_le (w, n, 8);
  kv_bytes (w, s, n);
}

static void
kv_head (gw_writer *w, const char *key, uint32_t type)
{
  kv_str (w, key);
  kv_le (w, type, 4);
  w->n_kv++;
}

void
gw_kv_u8 (gw_writer *w, const char *key, uint8_t v)
{
  kv_head (w, key, VT_U8);
  kv_le (w, v, 1);
}

void
gw_kv_i8 (gw_writer *w, const char *key, int8_t v)
{
  kv_head (w, key, VT_I8);
  kv_le (w, (uint8_t) v, 1);
}

void
gw_kv_u16 (gw_writer *w, const char *key, uint16_t v)
{
  kv_head (w, key, VT_U16);
  kv_le (w, v, 2);
}

void
gw_kv_i16 (gw_writer *w, const char *key, int16_t v)
{
  kv_head (w, key, VT_I16);
  kv_le (w, (uint16_t) v, 2);
}

void
gw_kv_u32 (gw_writer *w, const char *key, uint32_t v)
{
  kv_head (w, key, VT_U32);
  kv_le (w, v, 4);
}

void
gw_kv_i32 (gw_writer *w, const char *key, int32_t v)
{
  kv_head (w, key, VT_I32);
  kv_le (w, (uint32_t) v, 4);
}

void
gw_kv_u64 (gw_writer *w, const char *key, uint64_t v)
{
  kv_head (w, key, VT_U64);
  kv_le (w, v, 8);
}

void
gw_kv_i64 (gw_writer *w, const char *key, int64_t v)
{
  kv_head (w, key, VT_I64);
  kv_le (w, (uint64_t) v, 8);
}

void
gw_kv_bool (gw_writer *w, const char *key, bool v)
{
  kv_head (w, key, VT_BOOL);
  kv_le (w, v ? 1 : 0, 1);
}

void
gw_kv_str (gw_writer *w, const char *key, const char *v)
{
  kv_head (w, key, VT_STRING);
  kv_str (w, v);
}

void
gw_kv_f32 (gw_writer *w, const char *key, float v)
{
  uint32_t bits;

  memcpy (&bits, &v, sizeof bits);
  kv_head (w, key, VT_F32);
  kv_le (w, bits, 4);
}

void
gw_kv_f64 (gw_writer *w, const char *key, double v)
{
  uint64_t bits;

  memcpy (&bits, &v, sizeof bits);
  kv_head (w, key, VT_F64);
  kv_le (w, bits, 8);
}

static unsigned
elem_size (uint32_t type)
{
  static const unsigned sizes[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

  return type < sizeof sizes / sizeof sizes[0] ? sizes[type] : 0;
}

void
gw_kv_arr (gw_writer *w, const char *key, uint32_t elem_type, const void *elems, uint64_t n)
{
  unsigned es = elem_size (elem_type);
  const uint8_t *p = elems;

  if (es == 0)
    {
      note_error (w, "key '%s': gw_kv_arr needs a fixed-size element type, got %u", key, elem_type);
      return;
    }
  kv_head (w, key, VT_ARRAY);
  kv_le (w, elem_type, 4);
  kv_le (w, n, 8);
  /* element by element so the file is little-endian whatever the host */
  for (uint64_t i = 0; i < n; i++)
    {
      uint64_t v = 0;
      memcpy (&v, p + i * es, es);
      kv_le (w, v, es);
    }
}

void
gw_kv_arr_str (gw_writer *w, const char *key, const char *const *strs, uint64_t n)
{
  kv_head (w, key, VT_ARRAY);
  kv_le (w, VT_STRING, 4);
  kv_le (w, n, 8);
  for (uint64_t i = 0; i < n; i++)
    kv_str (w, strs[i]);
}

void
gw_kv_raw (gw_writer *w, const char *key, uint32_t type, const void *payload, size_t n)
{
  kv_head (w, key, type);
  kv_bytes (w, payload, n);
}

/* -------------------------------------------------------------- tensors */

static gw_tensor_def *
add_tensor (gw_writer *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne)
{
  gw_tensor_def *t;

  if (w->n_tensors == w->tensor_cap)
    {
      size_t cap = w->tensor_cap ? w->tensor_cap * 2 : 16;
      gw_tensor_def *nt = realloc (w->tensors, cap * sizeof *nt);
      if (nt == NULL)
        {
          note_error (w, "out of memory");
          return NULL;
        }
      w->tensors = nt;
      w->tensor_cap = cap;
    }
  if (n_dims > GW_MAX_RAW_DIMS)
    {
      note_error (w, "tensor '%s': %u dimensions, the writer stores at most %d", name, n_dims,
                  GW_MAX_RAW_DIMS);
      return NULL;
    }
  t = &w->tensors[w->n_tensors];
  memset (t, 0, sizeof *t);
  t->name = strdup (name);
  if (t->name == NULL)
    {
      note_error (w, "out of memory");
      return NULL;
    }
  t->type = type;
  t->n_dims = n_dims;
  for (uint32_t d = 0; d < n_dims; d++)
    t->ne[d] = ne[d];
  w->n_tensors++;
  return t;
}

static void
add_data_tensor (gw_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                 const int64_t *ne, const void *data, gw_fill_fn fill, void *user)
{
  gw_tensor_def *t;
  uint64_t rows = 1;
  size_t row;

  if (n_dims < 1 || n_dims > 4)
    {
      note_error (w, "tensor '%s': %u dimensions (1-4 allowed)", name, n_dims);
      return;
    }
  row = gk_row_size (type, ne[0]);
  for (uint32_t d = 1; d < n_dims; d++)
    {
      if (ne[d] < 0)
        row = 0;
      else
        rows *= (uint64_t) ne[d];
    }
  if (row == 0 && ne[0] != 0)
    {
      note_error (w, "tensor '%s': type %u cannot hold rows of %lld values", name, type,
                  (long long) ne[0]);
      return;
    }
  t = add_tensor (w, name, type, n_dims, ne);
  if (t == NULL)
    return;
  t->data = data;
  t->fill = fill;
  t->user = user;
  t->n_bytes = row * rows;
}

void
gw_tensor (gw_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
           const int64_t *ne, const void *data)
{
  add_data_tensor (w, name, ggml_type, n_dims, ne, data, NULL, NULL);
  if (data == NULL)
    note_error (w, "tensor '%s': no data", name);
}

void
gw_tensor_cb (gw_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
              const int64_t *ne, gw_fill_fn fill, void *user)
{
  add_data_tensor (w, name, ggml_type, n_dims, ne, NULL, fill, user);
}

void
gw_tensor_raw (gw_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
               const int64_t *ne, uint64_t rel_offset)
{
  gw_tensor_def *t = add_tensor (w, name, ggml_type, n_dims, ne);

  if (t != NULL)
    {
      t->raw = true;
      t->rel_offset = rel_offset;
    }
}

uint64_t
gw_section_offset (const gw_writer *w, gw_section s)
{
  return (unsigned) s <= GW_SECTION_END ? w->sections[s] : 0;
}

/* ----------------------------------------------------------------- sink */

typedef struct {
  FILE *fp;        /* file output, or */
  uint8_t *mem;    /* memory output */
  size_t cap;
  uint64_t pos;
  bool hole_at_end;
  char *err;
  size_t err_size;
  bool failed;
} sink;

static void
sink_fail (sink *s, const char *what)
{
  if (!s->failed && s->err != NULL && s->err_size > 0)
    snprintf (s->err, s->err_size, "%s at byte %llu: %s", what, (unsigned long long) s->pos,
              errno ? strerror (errno) : "unknown error");
  s->failed = true;
}

static bool
sink_mem_reserve (sink *s, uint64_t n)
{
  uint64_t need = s->pos + n;
  size_t cap;
  uint8_t *nb;

  if (need <= s->cap)
    return true;
  if (need > SIZE_MAX / 2)
    {
      errno = ENOMEM;
      sink_fail (s, "buffer too large");
      return false;
    }
  cap = s->cap ? s->cap : 4096;
  while (cap < need)
    cap *= 2;
  nb = realloc (s->mem, cap);
  if (nb == NULL)
    {
      errno = ENOMEM;
      sink_fail (s, "out of memory");
      return false;
    }
  s->mem = nb;
  s->cap = cap;
  return true;
}

static void
sink_write (sink *s, const void *p, size_t n)
{
  if (s->failed || n == 0)
    return;
  if (s->fp != NULL)
    {
      errno = 0;
      if (fwrite (p, 1, n, s->fp) != n)
        {
          sink_fail (s, "write failed");
          return;
        }
    }
  else
    {
      if (!sink_mem_reserve (s, n))
        return;
      memcpy (s->mem + s->pos, p, n);
    }
  s->pos += n;
  s->hole_at_end = false;
}

static void
sink_le (sink *s, uint64_t v, unsigned n)
{
  uint8_t b[8];

  for (unsigned i = 0; i < n; i++)
    b[i] = (uint8_t) (v >> (8 * i));
  sink_write (s, b, n);
}

/* n zero bytes; large runs in a file become a hole. */
static void
sink_zero (sink *s, uint64_t n)
{
  static const uint8_t zeros[4096];

  if (s->failed || n == 0)
    return;
  if (s->fp != NULL && n >= sizeof zeros)
    {
      errno = 0;
      if (n > (uint64_t) INT64_MAX || fseeko (s->fp, (off_t) n, SEEK_CUR) != 0)
        {
          sink_fail (s, "seek failed");
          return;
        }
      s->pos += n;
      s->hole_at_end = true;
      return;
    }
  if (s->fp == NULL)
    {
      if (!sink_mem_reserve (s, n))
        return;
      memset (s->mem + s->pos, 0, (size_t) n);
      s->pos += n;
      return;
    }
  while (n > 0 && !s->failed)
    {
      size_t k = n < sizeof zeros ? (size_t) n : sizeof zeros;
      sink_write (s, zeros, k);
      n -= k;
    }
}

static void
sink_pad (sink *s, uint64_t alignment)
{
  sink_zero (s, (alignment - s->pos % alignment) % alignment);
}

static bool
write_all (gw_writer *w, sink *s)
{
  const bool align_key = w->alignment != GW_DEFAULT_ALIGNMENT;
  uint64_t next = 0, data_start;
  uint8_t *chunk = NULL;

  if (w->error[0] != '\0')
    {
      snprintf (s->err, s->err_size, "%s", w->error);
      return false;
    }

  /* Lay out the data section: each tensor aligned, in the order added. */
  for (size_t i = 0; i < w->n_tensors; i++)
    {
      gw_tensor_def *t = &w->tensors[i];
      if (t->raw)
        continue;
      t->rel_offset = next;
      next += t->n_bytes;
      next += (w->alignment - next % w->alignment) % w->alignment;
    }

  memset (w->sections, 0, sizeof w->sections);
  sink_write (s, "GGUF", 4);
  sink_le (s, w->version, 4);
  sink_le (s, w->n_tensors, 8);
  sink_le (s, w->n_kv + (align_key ? 1 : 0), 8);
  w->sections[GW_SECTION_KV] = s->pos;
  if (align_key)
    {
      static const char k[] = "general.alignment";
      sink_le (s, sizeof k - 1, 8);
      sink_write (s, k, sizeof k - 1);
      sink_le (s, VT_U32, 4);
      sink_le (s, w->alignment, 4);
    }
  sink_write (s, w->kv, w->kv_len);

  w->sections[GW_SECTION_TENSOR_INFO] = s->pos;
  for (size_t i = 0; i < w->n_tensors; i++)
    {
      const gw_tensor_def *t = &w->tensors[i];
      size_t n = strlen (t->name);
      sink_le (s, n, 8);
      sink_write (s, t->name, n);
      sink_le (s, t->n_dims, 4);
      for (uint32_t d = 0; d < t->n_dims; d++)
        sink_le (s, (uint64_t) t->ne[d], 8);
      sink_le (s, t->type, 4);
      sink_le (s, t->rel_offset, 8);
    }
  w->sections[GW_SECTION_PADDING] = s->pos;
  sink_pad (s, w->alignment);
  data_start = s->pos;
  w->sections[GW_SECTION_DATA] = data_start;

  for (size_t i = 0; i < w->n_tensors && !s->failed; i++)
    {
      const gw_tensor_def *t = &w->tensors[i];
      if (t->raw)
        continue;
      sink_zero (s, data_start + t->rel_offset - s->pos);
      if (t->data != NULL)
        sink_write (s, t->data, (size_t) t->n_bytes);
      else if (t->fill == NULL)
        sink_zero (s, t->n_bytes);
      else
        {
          if (chunk == NULL && (chunk = malloc (GW_CHUNK)) == NULL)
            {
              snprintf (s->err, s->err_size, "out of memory");
              return false;
            }
          for (uint64_t off = 0; off < t->n_bytes && !s->failed; off += GW_CHUNK)
            {
              size_t k = t->n_bytes - off < GW_CHUNK ? (size_t) (t->n_bytes - off) : GW_CHUNK;
              if (!t->fill (t->user, off, chunk, k))
                {
                  snprintf (s->err, s->err_size, "tensor '%s': fill callback failed at byte %llu",
                            t->name, (unsigned long long) off);
                  free (chunk);
                  return false;
                }
              sink_write (s, chunk, k);
            }
        }
      sink_pad (s, w->alignment);
    }
  free (chunk);
  w->sections[GW_SECTION_END] = s->pos;
  return !s->failed;
}

bool
gw_write (gw_writer *w, const char *path, char *err, size_t err_size)
{
  char dummy[8];
  sink s = { 0 };
  bool ok;

  s.err = err ? err : dummy;
  s.err_size = err ? err_size : sizeof dummy;
  if (w->error[0] != '\0')
    {
      snprintf (s.err, s.err_size, "%s", w->error);
      return false;
    }
  s.fp = fopen (path, "wb");
  if (s.fp == NULL)
    {
      snprintf (s.err, s.err_size, "cannot create '%s': %s", path, strerror (errno));
      return false;
    }
  ok = write_all (w, &s);
  errno = 0;
  if (ok && fflush (s.fp) != 0)
    {
      sink_fail (&s, "write failed");
      ok = false;
    }
  /* A trailing hole is not part of the file until its size is set. */
  if (ok && s.hole_at_end && ftruncate (fileno (s.fp), (off_t) s.pos) != 0)
    {
      sink_fail (&s, "cannot extend the file");
      ok = false;
    }
  errno = 0;
  if (fclose (s.fp) != 0 && ok)
    {
      sink_fail (&s, "write failed when closing");
      ok = false;
    }
  /* a partial file is left for the caller: path may be a device (/dev/full) */
  return ok;
}

bool
gw_write_memory (gw_writer *w, void **out, size_t *out_size, char *err, size_t err_size)
{
  char dummy[8];
  sink s = { 0 };

  s.err = err ? err : dummy;
  s.err_size = err ? err_size : sizeof dummy;
  if (!write_all (w, &s))
    {
      free (s.mem);
      return false;
    }
  if (s.mem == NULL)
    s.mem = malloc (1);
  *out = s.mem;
  *out_size = (size_t) s.pos;
  return true;
}
