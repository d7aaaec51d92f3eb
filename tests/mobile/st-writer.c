/* st-writer.c — see st-writer.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "st-writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct {
  char *name;
  char dtype[16];
  uint32_t n_dims;
  int64_t shape[8];
  uint8_t *data;         /* NULL: zeros, left as a hole */
  uint64_t n_bytes;
} stw_entry;

struct stw_writer {
  stw_entry *tensors;
  size_t n, cap;
  char **meta;        /* key, value pairs */
  size_t n_meta;
};

/* Growable string; aborts on allocation failure (tests only). */
typedef struct {
  char *s;
  size_t len, cap;
} sbuf;

static void
sb_add (sbuf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
sb_add (sbuf *b, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (NULL, 0, fmt, ap);
  va_end (ap);
  if (b->len + (size_t) n + 1 > b->cap)
    {
      b->cap = (b->len + (size_t) n + 1) * 2;
      b->s = realloc (b->s, b->cap);
      if (b->s == NULL)
        abort ();
    }
  va_start (ap, fmt);
  vsnprintf (b->s + b->len, b->cap - b->len, fmt, ap);
  va_end (ap);
  b->len += (size_t) n;
}

stw_writer *
stw_new (void)
{
  stw_writer *w = calloc (1, sizeof *w);

  if (w == NULL)
    abort ();
  return w;
}

void
stw_free (stw_writer *w)
{
  if (w == NULL)
    return;
  for (size_t i = 0; i < w->n; i++)
    {
      free (w->tensors[i].name);
      free (w->tensors[i].data);
    }
  for (size_t i = 0; i < 2 * w->n_meta; i++)
    free (w->meta[i]);
  free (w->meta);
  free (w->tensors);
  free (w);
}

void
stw_metadata (stw_writer *w, const char *key, const char *value)
{
  w->meta = realloc (w->meta, 2 * (w->n_meta + 1) * sizeof *w->meta);
  if (w->meta == NULL)
    abort ();
  w->meta[2 * w->n_meta] = strdup (key);
  w->meta[2 * w->n_meta + 1] = strdup (value);
  w->n_meta++;
}

static stw_entry *
add_entry (stw_writer *w, const char *name, const char *dtype, uint32_t n_dims,
           const int64_t *shape, uint64_t n_bytes)
{
  stw_entry *e;

  if (w->n == w->cap)
    {
      w->cap = w->cap ? 2 * w->cap : 16;
      w->tensors = realloc (w->tensors, w->cap * sizeof *w->tensors);
      if (w->tensors == NULL)
        abort ();
    }
  e = &w->tensors[w->n++];
  memset (e, 0, sizeof *e);
  e->name = strdup (name);
  snprintf (e->dtype, sizeof e->dtype, "%s", dtype);
  e->n_dims = n_dims;
  if (n_dims)
    memcpy (e->shape, shape, n_dims * sizeof *shape);
  e->n_bytes = n_bytes;
  if (e->name == NULL)
    abort ();
  return e;
}

void
stw_tensor (stw_writer *w, const char *name, const char *dtype, uint32_t n_dims,
            const int64_t *shape, const void *data, size_t n_bytes)
{
  stw_entry *e = add_entry (w, name, dtype, n_dims, shape, n_bytes);

  e->data = malloc (n_bytes ? n_bytes : 1);
  if (e->data == NULL)
    abort ();
  if (n_bytes)
    memcpy (e->data, data, n_bytes);
}

void
stw_tensor_zero (stw_writer *w, const char *name, const char *dtype, uint32_t n_dims,
                 const int64_t *shape, uint64_t n_bytes)
{
  add_entry (w, name, dtype, n_dims, shape, n_bytes);
}

uint8_t *
stw_raw (const char *header, const void *data, size_t data_size, size_t *size)
{
  size_t n = strlen (header);
  uint8_t *buf = malloc (8 + n + data_size + 1);

  if (buf == NULL)
    abort ();
  for (int i = 0; i < 8; i++)
    buf[i] = (uint8_t) ((uint64_t) n >> (8 * i));
  memcpy (buf + 8, header, n);
  if (data_size)
    memcpy (buf + 8 + n, data, data_size);
  *size = 8 + n + data_size;
  return buf;
}

/* The JSON header, space-padded so the data starts 8-aligned. */
static sbuf
header (const stw_writer *w)
{
  sbuf h = { 0 };
  uint64_t off = 0;

  sb_add (&h, "{");
  if (w->n_meta > 0)
    {
      sb_add (&h, "\"__metadata__\":{");
      for (size_t i = 0; i < w->n_meta; i++)
        sb_add (&h, "%s\"%s\":\"%s\"", i ? "," : "", w->meta[2 * i], w->meta[2 * i + 1]);
      sb_add (&h, "}%s", w->n ? "," : "");
    }
  for (size_t i = 0; i < w->n; i++)
    {
      const stw_entry *e = &w->tensors[i];

      sb_add (&h, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", e->name, e->dtype);
      for (uint32_t d = 0; d < e->n_dims; d++)
        sb_add (&h, "%s%lld", d ? "," : "", (long long) e->shape[d]);
      sb_add (&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long) off,
              (unsigned long long) (off + e->n_bytes));
      off += e->n_bytes;
    }
  sb_add (&h, "}");
  while ((8 + h.len) % 8 != 0)
    sb_add (&h, " ");
  return h;
}

uint8_t *
stw_build (const stw_writer *w, size_t *size)
{
  sbuf h = header (w);
  size_t off, total = 0;
  uint8_t *buf;

  for (size_t i = 0; i < w->n; i++)
    total += w->tensors[i].n_bytes;
  buf = malloc (8 + h.len + total + 1);
  if (buf == NULL)
    abort ();
  for (int i = 0; i < 8; i++)
    buf[i] = (uint8_t) ((uint64_t) h.len >> (8 * i));
  memcpy (buf + 8, h.s, h.len);
  off = 8 + h.len;
  for (size_t i = 0; i < w->n; i++)
    {
      if (w->tensors[i].n_bytes)
        {
          if (w->tensors[i].data == NULL)
            abort ();   /* zero tensors are for stw_write only */
          memcpy (buf + off, w->tensors[i].data, w->tensors[i].n_bytes);
        }
      off += w->tensors[i].n_bytes;
    }
  *size = off;
  free (h.s);
  return buf;
}

bool
stw_write_buf (const char *path, const void *buf, size_t size)
{
  FILE *fp = fopen (path, "wb");
  bool ok;

  if (fp == NULL)
    return false;
  ok = fwrite (buf, 1, size, fp) == size;
  return fclose (fp) == 0 && ok;
}

bool
stw_write (const stw_writer *w, const char *path)
{
  sbuf h = header (w);
  uint8_t len[8];
  uint64_t off;
  FILE *fp = fopen (path, "wb");
  bool ok;

  if (fp == NULL)
    {
      free (h.s);
      return false;
    }
  for (int i = 0; i < 8; i++)
    len[i] = (uint8_t) ((uint64_t) h.len >> (8 * i));
  ok = fwrite (len, 1, 8, fp) == 8 && fwrite (h.s, 1, h.len, fp) == h.len;
  off = 8 + h.len;
  for (size_t i = 0; ok && i < w->n; i++)
    {
      const stw_entry *e = &w->tensors[i];

      if (e->data != NULL && e->n_bytes > 0)
        ok = fseeko (fp, (off_t) off, SEEK_SET) == 0
             && fwrite (e->data, 1, e->n_bytes, fp) == e->n_bytes;
      off += e->n_bytes;
    }
  /* Zero tensors at the end become a hole, not written bytes. */
  ok = ok && fflush (fp) == 0 && ftruncate (fileno (fp), (off_t) off) == 0;
  free (h.s);
  return fclose (fp) == 0 && ok;
}

int64_t
stw_packed_words (int64_t cols, int bits)
{
  return (cols * bits + 31) / 32;
}

void
stw_pack_codes (const int8_t *codes, int64_t rows, int64_t cols, int bits, uint8_t *out)
{
  const int64_t words = stw_packed_words (cols, bits), per_word = 32 / bits;

  for (int64_t r = 0; r < rows; r++)
    for (int64_t wi = 0; wi < words; wi++)
      {
        uint32_t word = 0;

        for (int64_t k = 0; k < per_word; k++)
          {
            int64_t c = wi * per_word + k;
            uint32_t u;

            if (c >= cols)
              break;
            u = (uint32_t) (codes[r * cols + c] + (1 << (bits - 1)));
            word |= u << (k * bits);
          }
        for (int b = 0; b < 4; b++)
          out[(r * words + wi) * 4 + b] = (uint8_t) (word >> (8 * b));
      }
}

uint16_t
stw_bf16 (float f)
{
  uint32_t u;

  memcpy (&u, &f, sizeof u);
  return (uint16_t) (u >> 16);
}
