/* safetensors.c — hardened safetensors reader over a read-only memory map.
 *
 * The header is parsed by json-c in strict mode (UTF-8 validated), but json-c
 * keeps only the last of duplicate keys, so the top level is also scanned
 * once by hand to see every key as written. All size arithmetic is
 * overflow-checked; tensor data is never copied.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "error.h"
#include "file-map.h"
#include "safetensors.h"

#include "gemlet-kernels.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SFT_PREFIX_SIZE 8
#define SFT_METADATA_KEY "__metadata__"
/* Room for a tensor name in messages; longer names are cut with "...". */
#define SFT_NAME_SHOWN 160

struct sft_file {
  const uint8_t *base;
  uint64_t size;
  gm_file_map map;      /* empty when parsing a caller's buffer */
  uint64_t header_size;
  uint64_t data_offset;
  uint64_t data_size;

  sft_tensor *tensors;  /* sorted by offset, then name */
  int64_t n_tensors;
  const sft_tensor **by_name; /* into tensors, sorted by name */

  char **meta_keys;
  char **meta_values;
  int64_t n_meta;
};

static const struct {
  const char *name;
  size_t size;
} dtype_info[SFT_DTYPE_COUNT] = {
  [SFT_BOOL] = { "BOOL", 1 },
  [SFT_U8] = { "U8", 1 },
  [SFT_I8] = { "I8", 1 },
  [SFT_U16] = { "U16", 2 },
  [SFT_I16] = { "I16", 2 },
  [SFT_F16] = { "F16", 2 },
  [SFT_BF16] = { "BF16", 2 },
  [SFT_U32] = { "U32", 4 },
  [SFT_I32] = { "I32", 4 },
  [SFT_F32] = { "F32", 4 },
  [SFT_U64] = { "U64", 8 },
  [SFT_I64] = { "I64", 8 },
  [SFT_F64] = { "F64", 8 },
  [SFT_F8_E4M3] = { "F8_E4M3", 1 },
  [SFT_F8_E5M2] = { "F8_E5M2", 1 },
  [SFT_F8_E8M0] = { "F8_E8M0", 1 },
};

/* Known to the format but not byte-sized or not a plain number: named in
 * the message so it does not read like a corrupt file. */
static const char *const dtype_unsupported[] = {
  "F4", "F6_E2M3", "F6_E3M2", "C64", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
};


/* A name for messages: printable ASCII kept, anything else escaped, long
 * names shortened. */
static const char *
shown (const char *s, size_t len, char *buf, size_t size)
{
  size_t o = 0;

  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) s[i];

      if (o + 8 >= size)
        {
          memcpy (buf + o, "...", 4);
          return buf;
        }
      if (c >= 0x20 && c < 0x7f && c != '\\')
        buf[o++] = (char) c;
      else
        o += (size_t) snprintf (buf + o, size - o, "\\x%02x", c);
    }
  buf[o] = '\0';
  return buf;
}

static uint64_t
rd_le64 (const uint8_t *p)
{
  uint64_t v = 0;

  for (unsigned i = 0; i < 8; i++)
    v |= (uint64_t) p[i] << (8 * i);
  return v;
}

/* ------------------------------------------------------------ key scan */

typedef struct {
  char *name;      /* unescaped, NUL-free */
  size_t len;
} raw_key;

static int
cmp_raw_key (const void *a, const void *b)
{
  const raw_key *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp (x->name, y->name, n);

  if (c != 0)
    return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

/* Unescapes one JSON string literal (quotes included) with json-c. */
static char *
unescape_key (const char *lit, size_t len, size_t *out_len)
{
  struct json_tokener *tok = json_tokener_new ();
  struct json_object *o;
  char *copy = NULL;

  if (tok == NULL)
    return NULL;
  o = json_tokener_parse_ex (tok, lit, (int) len);
  if (o != NULL && json_object_is_type (o, json_type_string))
    {
      size_t n = (size_t) json_object_get_string_len (o);

      copy = malloc (n + 1);
      if (copy != NULL)
        {
          memcpy (copy, json_object_get_string (o), n);
          copy[n] = '\0';
          *out_len = n;
        }
    }
  json_object_put (o);
  json_tokener_free (tok);
  return copy;
}

/* Walks the (already validated) header and checks every top-level key as
 * written: non-empty, no NUL, no duplicates. */
static bool
scan_keys (const char *json, size_t len, char *err, size_t err_size)
{
  raw_key *keys = NULL;
  size_t n = 0, cap = 0;
  int depth = 0;
  bool expect_key = false, ok = false;
  char name[SFT_NAME_SHOWN];

  for (size_t i = 0; i < len; i++)
    {
      char c = json[i];

      if (c == '"')
        {
          size_t start = i;

          /* Skip to the closing quote; escapes hide quotes and backslashes. */
          for (i++; i < len && json[i] != '"'; i++)
            if (json[i] == '\\')
              i++;
          if (depth == 1 && expect_key)
            {
              raw_key k;

              k.name = unescape_key (json + start, i + 1 - start, &k.len);
              if (k.name == NULL)
                {
                  gm_err_printf (err, err_size, "out of memory");
                  goto out;
                }
              if (strlen (k.name) != k.len || k.len == 0)
                {
                  gm_err_printf (err, err_size, "header key #%zu '%s' is empty or contains a NUL", n,
                           shown (k.name, k.len, name, sizeof name));
                  free (k.name);
                  goto out;
                }
              if (n == cap)
                {
                  size_t ncap = cap ? cap * 2 : 64;
                  raw_key *nk = realloc (keys, ncap * sizeof *nk);

                  if (nk == NULL)
                    {
                      free (k.name);
                      gm_err_printf (err, err_size, "out of memory");
                      goto out;
                    }
                  keys = nk;
                  cap = ncap;
                }
              keys[n++] = k;
              expect_key = false;
            }
          continue;
        }
      if (c == '{' || c == '[')
        {
          depth++;
          expect_key = depth == 1;
        }
      else if (c == '}' || c == ']')
        depth--;
      else if (c == ',' && depth == 1)
        expect_key = true;
    }

  if (n > 1)
    qsort (keys, n, sizeof *keys, cmp_raw_key);
  for (size_t i = 1; i < n; i++)
    if (cmp_raw_key (&keys[i - 1], &keys[i]) == 0)
      {
        gm_err_printf (err, err_size, "tensor '%s' appears twice in the header",
                 shown (keys[i].name, keys[i].len, name, sizeof name));
        goto out;
      }
  ok = true;

out:
  for (size_t i = 0; i < n; i++)
    free (keys[i].name);
  free (keys);
  return ok;
}

/* ------------------------------------------------------------ entries */

/* A JSON integer in [0, INT64_MAX]; false otherwise. */
static bool
get_count (struct json_object *v, int64_t *out)
{
  int64_t x;

  if (!json_object_is_type (v, json_type_int))
    return false;
  x = json_object_get_int64 (v);
  if (x < 0 || (x == INT64_MAX && json_object_get_uint64 (v) > (uint64_t) INT64_MAX))
    return false;
  *out = x;
  return true;
}

static bool
parse_dtype (const char *s, sft_dtype *out)
{
  for (int t = 0; t < SFT_DTYPE_COUNT; t++)
    if (strcmp (s, dtype_info[t].name) == 0)
      {
        *out = (sft_dtype) t;
        return true;
      }
  return false;
}

static bool
parse_tensor (sft_file *f, const char *name, struct json_object *entry, sft_tensor *t,
              char *err, size_t err_size)
{
  struct json_object *jdtype, *jshape, *joffs;
  char nm[SFT_NAME_SHOWN];
  const char *dname;
  int64_t begin, end;
  size_t n_dims;
  uint64_t n_el = 1, n_bytes;

  shown (name, strlen (name), nm, sizeof nm);
  if (!json_object_is_type (entry, json_type_object))
    {
      gm_err_printf (err, err_size, "tensor '%s': entry is a %s, expected an object", nm,
               json_type_to_name (json_object_get_type (entry)));
      return false;
    }
  if (!json_object_object_get_ex (entry, "dtype", &jdtype)
      || !json_object_is_type (jdtype, json_type_string))
    {
      gm_err_printf (err, err_size, "tensor '%s': 'dtype' is missing or not a string", nm);
      return false;
    }
  dname = json_object_get_string (jdtype);
  if (!parse_dtype (dname, &t->dtype))
    {
      char dn[48];

      shown (dname, (size_t) json_object_get_string_len (jdtype), dn, sizeof dn);
      for (size_t i = 0; i < sizeof dtype_unsupported / sizeof *dtype_unsupported; i++)
        if (strcmp (dname, dtype_unsupported[i]) == 0)
          {
            gm_err_printf (err, err_size, "tensor '%s': dtype %s is not supported", nm, dn);
            return false;
          }
      gm_err_printf (err, err_size, "tensor '%s': unknown dtype '%s'", nm, dn);
      return false;
    }

  if (!json_object_object_get_ex (entry, "shape", &jshape)
      || !json_object_is_type (jshape, json_type_array))
    {
      gm_err_printf (err, err_size, "tensor '%s': 'shape' is missing or not an array", nm);
      return false;
    }
  n_dims = json_object_array_length (jshape);
  if (n_dims > SFT_MAX_DIMS)
    {
      gm_err_printf (err, err_size, "tensor '%s': shape has %zu dimensions (at most %d)", nm, n_dims,
               SFT_MAX_DIMS);
      return false;
    }
  t->n_dims = (uint32_t) n_dims;
  for (size_t d = 0; d < SFT_MAX_DIMS; d++)
    t->shape[d] = 1;
  for (size_t d = 0; d < n_dims; d++)
    {
      int64_t v;

      if (!get_count (json_object_array_get_idx (jshape, d), &v))
        {
          gm_err_printf (err, err_size, "tensor '%s': shape dimension %zu is not a non-negative integer",
                   nm, d);
          return false;
        }
      t->shape[d] = v;
      if (__builtin_mul_overflow (n_el, (uint64_t) v, &n_el))
        {
          gm_err_printf (err, err_size, "tensor '%s': shape has more than 2^64 elements", nm);
          return false;
        }
    }
  if (__builtin_mul_overflow (n_el, (uint64_t) dtype_info[t->dtype].size, &n_bytes))
    {
      gm_err_printf (err, err_size, "tensor '%s': shape needs more than 2^64 bytes", nm);
      return false;
    }
  t->n_elements = n_el;
  t->n_bytes = n_bytes;

  if (!json_object_object_get_ex (entry, "data_offsets", &joffs)
      || !json_object_is_type (joffs, json_type_array) || json_object_array_length (joffs) != 2
      || !get_count (json_object_array_get_idx (joffs, 0), &begin)
      || !get_count (json_object_array_get_idx (joffs, 1), &end))
    {
      gm_err_printf (err, err_size,
               "tensor '%s': 'data_offsets' is missing or not two non-negative integers", nm);
      return false;
    }
  if (begin > end)
    {
      gm_err_printf (err, err_size, "tensor '%s': data_offsets begin %lld is after end %lld", nm,
               (long long) begin, (long long) end);
      return false;
    }
  if ((uint64_t) end > f->data_size)
    {
      gm_err_printf (err, err_size, "tensor '%s': data_offsets end %lld past the data section (%llu bytes)",
               nm, (long long) end, (unsigned long long) f->data_size);
      return false;
    }
  if ((uint64_t) (end - begin) != n_bytes)
    {
      gm_err_printf (err, err_size,
               "tensor '%s': data_offsets span %lld bytes, but %llu elements of %s need %llu", nm,
               (long long) (end - begin), (unsigned long long) n_el, dtype_info[t->dtype].name,
               (unsigned long long) n_bytes);
      return false;
    }
  t->offset = f->data_offset + (uint64_t) begin;
  t->data = f->base + t->offset;
  t->name = strdup (name);
  if (t->name == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  return true;
}

static bool
parse_metadata (sft_file *f, struct json_object *meta, char *err, size_t err_size)
{
  size_t n;
  int64_t i = 0;

  if (json_object_is_type (meta, json_type_null))
    return true;
  if (!json_object_is_type (meta, json_type_object))
    {
      gm_err_printf (err, err_size, "'__metadata__' is a %s, expected an object of strings",
               json_type_to_name (json_object_get_type (meta)));
      return false;
    }
  n = (size_t) json_object_object_length (meta);
  f->meta_keys = calloc (n ? n : 1, sizeof *f->meta_keys);
  f->meta_values = calloc (n ? n : 1, sizeof *f->meta_values);
  if (f->meta_keys == NULL || f->meta_values == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  json_object_object_foreach (meta, key, val)
    {
      char nm[SFT_NAME_SHOWN];

      if (!json_object_is_type (val, json_type_string))
        {
          gm_err_printf (err, err_size, "'__metadata__' entry '%s' is a %s, expected a string",
                   shown (key, strlen (key), nm, sizeof nm),
                   json_type_to_name (json_object_get_type (val)));
          return false;
        }
      f->meta_keys[i] = strdup (key);
      f->meta_values[i] = strdup (json_object_get_string (val));
      f->n_meta = ++i;
      if (f->meta_keys[i - 1] == NULL || f->meta_values[i - 1] == NULL)
        {
          gm_err_printf (err, err_size, "out of memory");
          return false;
        }
    }
  return true;
}

static int
cmp_by_offset (const void *a, const void *b)
{
  const sft_tensor *x = a, *y = b;

  if (x->offset != y->offset)
    return x->offset < y->offset ? -1 : 1;
  if (x->n_bytes != y->n_bytes)
    return x->n_bytes < y->n_bytes ? -1 : 1;
  return strcmp (x->name, y->name);
}

static int
cmp_by_name (const void *a, const void *b)
{
  return strcmp ((*(const sft_tensor *const *) a)->name, (*(const sft_tensor *const *) b)->name);
}

static bool
check_overlaps (sft_file *f, char *err, size_t err_size)
{
  const sft_tensor *prev = NULL;

  for (int64_t i = 0; i < f->n_tensors; i++)
    {
      const sft_tensor *t = &f->tensors[i];

      if (t->n_bytes == 0)
        continue;
      if (prev != NULL && t->offset < prev->offset + prev->n_bytes)
        {
          char a[SFT_NAME_SHOWN], b[SFT_NAME_SHOWN];

          gm_err_printf (err, err_size,
                   "tensor '%s': data_offsets [%llu, %llu) overlap tensor '%s' [%llu, %llu)",
                   shown (t->name, strlen (t->name), a, sizeof a),
                   (unsigned long long) (t->offset - f->data_offset),
                   (unsigned long long) (t->offset - f->data_offset + t->n_bytes),
                   shown (prev->name, strlen (prev->name), b, sizeof b),
                   (unsigned long long) (prev->offset - f->data_offset),
                   (unsigned long long) (prev->offset - f->data_offset + prev->n_bytes));
          return false;
        }
      prev = t;
    }
  return true;
}

static sft_file *
parse (const uint8_t *base, uint64_t size, char *err, size_t err_size)
{
  struct json_tokener *tok = NULL;
  struct json_object *root = NULL;
  sft_file *f;
  const char *json;
  size_t parsed;
  int64_t i = 0;

  if (err != NULL && err_size > 0)
    err[0] = '\0';
  f = calloc (1, sizeof *f);
  if (f == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return NULL;
    }
  f->base = base;
  f->size = size;
  if (size < SFT_PREFIX_SIZE)
    {
      gm_err_printf (err, err_size, "file is %llu bytes, too short for the 8-byte header length",
               (unsigned long long) size);
      goto error;
    }
  f->header_size = rd_le64 (base);
  if (f->header_size < 2)
    {
      gm_err_printf (err, err_size, "header length %llu is too small for a JSON object",
               (unsigned long long) f->header_size);
      goto error;
    }
  if (f->header_size > SFT_MAX_HEADER_SIZE)
    {
      gm_err_printf (err, err_size, "header length %llu is over the %u-byte limit (not a safetensors file?)",
               (unsigned long long) f->header_size, SFT_MAX_HEADER_SIZE);
      goto error;
    }
  if (f->header_size > size - SFT_PREFIX_SIZE)
    {
      gm_err_printf (err, err_size, "header length %llu is past the end of the file (%llu bytes)",
               (unsigned long long) f->header_size, (unsigned long long) size);
      goto error;
    }
  f->data_offset = SFT_PREFIX_SIZE + f->header_size;
  f->data_size = size - f->data_offset;

  json = (const char *) base + SFT_PREFIX_SIZE;
  if (json[0] != '{')
    {
      gm_err_printf (err, err_size, "header does not start with a JSON object ('{')");
      goto error;
    }
  tok = json_tokener_new ();
  if (tok == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      goto error;
    }
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  root = json_tokener_parse_ex (tok, json, (int) f->header_size);
  if (root == NULL)
    {
      enum json_tokener_error e = json_tokener_get_error (tok);

      if (e == json_tokener_continue)
        gm_err_printf (err, err_size, "header JSON ends early (%llu bytes, truncated?)",
                 (unsigned long long) f->header_size);
      else
        gm_err_printf (err, err_size, "header is not valid JSON: %s at byte %zu",
                 json_tokener_error_desc (e), json_tokener_get_parse_end (tok));
      goto error;
    }
  parsed = json_tokener_get_parse_end (tok);
  /* The Python writer pads with spaces so the data starts 8-aligned. */
  for (size_t k = parsed; k < f->header_size; k++)
    if (json[k] != ' ' && json[k] != '\t' && json[k] != '\n' && json[k] != '\r')
      {
        gm_err_printf (err, err_size, "header has extra bytes after the JSON object (at byte %zu)", k);
        goto error;
      }
  if (!json_object_is_type (root, json_type_object))
    {
      gm_err_printf (err, err_size, "header is not a JSON object");
      goto error;
    }
  if (!scan_keys (json, parsed, err, err_size))
    goto error;

  f->tensors = calloc ((size_t) json_object_object_length (root) + 1, sizeof *f->tensors);
  if (f->tensors == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      goto error;
    }
  json_object_object_foreach (root, key, val)
    {
      if (strcmp (key, SFT_METADATA_KEY) == 0)
        {
          if (!parse_metadata (f, val, err, err_size))
            goto error;
          continue;
        }
      if (!parse_tensor (f, key, val, &f->tensors[i], err, err_size))
        goto error;
      f->n_tensors = ++i;
    }

  qsort (f->tensors, (size_t) f->n_tensors, sizeof *f->tensors, cmp_by_offset);
  if (!check_overlaps (f, err, err_size))
    goto error;
  f->by_name = malloc (((size_t) f->n_tensors + 1) * sizeof *f->by_name);
  if (f->by_name == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      goto error;
    }
  for (int64_t k = 0; k < f->n_tensors; k++)
    f->by_name[k] = &f->tensors[k];
  qsort (f->by_name, (size_t) f->n_tensors, sizeof *f->by_name, cmp_by_name);

  json_object_put (root);
  json_tokener_free (tok);
  return f;

error:
  json_object_put (root);
  if (tok != NULL)
    json_tokener_free (tok);
  sft_close (f);
  return NULL;
}

/* ------------------------------------------------------------ public */

sft_file *
sft_open_memory (const void *buf, size_t size, char *err, size_t err_size)
{
  if (buf == NULL && size > 0)
    {
      gm_err_printf (err, err_size, "no buffer");
      return NULL;
    }
  return parse (buf, size, err, err_size);
}

sft_file *
sft_open_full (const char *path, bool *io_error, char *err, size_t err_size)
{
  gm_file_map map;
  sft_file *f;

  if (!gm_file_map_open (path, &map, io_error, err, err_size))
    return NULL;
  f = parse (map.data, (uint64_t) map.size, err, err_size);
  if (f == NULL)
    {
      gm_file_map_close (&map);
      return NULL;
    }
  f->map = map;
  return f;
}

sft_file *
sft_open (const char *path, char *err, size_t err_size)
{
  return sft_open_full (path, NULL, err, err_size);
}

void
sft_close (sft_file *f)
{
  if (f == NULL)
    return;
  if (f->tensors != NULL)
    for (int64_t i = 0; i < f->n_tensors; i++)
      free ((char *) f->tensors[i].name);
  free (f->tensors);
  free (f->by_name);
  for (int64_t i = 0; i < f->n_meta; i++)
    {
      free (f->meta_keys[i]);
      free (f->meta_values[i]);
    }
  free (f->meta_keys);
  free (f->meta_values);
  gm_file_map_close (&f->map);
  free (f);
}

uint64_t
sft_file_size (const sft_file *f)
{
  return f->size;
}

uint64_t
sft_header_size (const sft_file *f)
{
  return f->header_size;
}

uint64_t
sft_data_offset (const sft_file *f)
{
  return f->data_offset;
}

int64_t
sft_n_tensors (const sft_file *f)
{
  return f->n_tensors;
}

const sft_tensor *
sft_tensor_at (const sft_file *f, int64_t i)
{
  if (i < 0 || i >= f->n_tensors)
    return NULL;
  return &f->tensors[i];
}

const sft_tensor *
sft_find (const sft_file *f, const char *name)
{
  int64_t lo = 0, hi = f->n_tensors;

  while (lo < hi)
    {
      int64_t mid = lo + (hi - lo) / 2;
      int c = strcmp (name, f->by_name[mid]->name);

      if (c == 0)
        return f->by_name[mid];
      if (c < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  return NULL;
}

int64_t
sft_n_metadata (const sft_file *f)
{
  return f->n_meta;
}

const char *
sft_metadata_key (const sft_file *f, int64_t i)
{
  return i >= 0 && i < f->n_meta ? f->meta_keys[i] : NULL;
}

const char *
sft_metadata_value (const sft_file *f, int64_t i)
{
  return i >= 0 && i < f->n_meta ? f->meta_values[i] : NULL;
}

const char *
sft_metadata_get (const sft_file *f, const char *key)
{
  for (int64_t i = 0; i < f->n_meta; i++)
    if (strcmp (f->meta_keys[i], key) == 0)
      return f->meta_values[i];
  return NULL;
}

const char *
sft_dtype_name (sft_dtype t)
{
  return (unsigned) t < SFT_DTYPE_COUNT ? dtype_info[t].name : NULL;
}

size_t
sft_dtype_size (sft_dtype t)
{
  return (unsigned) t < SFT_DTYPE_COUNT ? dtype_info[t].size : 0;
}

static uint64_t
load_le (const sft_tensor *t, uint64_t i)
{
  const uint8_t *p = (const uint8_t *) t->data + i * dtype_info[t->dtype].size;
  uint64_t v = 0;

  for (size_t k = 0; k < dtype_info[t->dtype].size; k++)
    v |= (uint64_t) p[k] << (8 * k);
  return v;
}

bool
sft_read_float (const sft_tensor *t, uint64_t i, float *out)
{
  uint64_t v;

  if (i >= t->n_elements)
    return false;
  v = load_le (t, i);
  switch (t->dtype)
    {
    case SFT_F32:
      {
        uint32_t u = (uint32_t) v;
        memcpy (out, &u, sizeof u);
        return true;
      }
    case SFT_F16:
      *out = gk_fp16_to_fp32 ((uint16_t) v);
      return true;
    case SFT_BF16:
      *out = gk_bf16_to_fp32 ((uint16_t) v);
      return true;
    case SFT_F64:
      {
        double d;
        memcpy (&d, &v, sizeof d);
        *out = (float) d;
        return true;
      }
    default:
      return false;
    }
}

bool
sft_read_int (const sft_tensor *t, uint64_t i, int64_t *out)
{
  uint64_t v;

  if (i >= t->n_elements)
    return false;
  v = load_le (t, i);
  switch (t->dtype)
    {
    case SFT_BOOL:
    case SFT_U8:
    case SFT_U16:
    case SFT_U32:
      *out = (int64_t) v;
      return true;
    case SFT_U64:
      if (v > (uint64_t) INT64_MAX)
        return false;
      *out = (int64_t) v;
      return true;
    case SFT_I8:
      *out = (int8_t) (uint8_t) v;
      return true;
    case SFT_I16:
      *out = (int16_t) (uint16_t) v;
      return true;
    case SFT_I32:
      *out = (int32_t) (uint32_t) v;
      return true;
    case SFT_I64:
      *out = (int64_t) v;
      return true;
    default:
      return false;
    }
}
