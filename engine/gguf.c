/* gguf.c — hardened GGUF (v2, v3) reader over a read-only memory map.
 *
 * The file is untrusted. Every count, length and offset is checked against
 * the bytes actually left before it is used, tables grow only as entries are
 * really parsed (never sized from a claimed count), and all size arithmetic
 * is overflow-checked. Tensor data is never copied: tensors point into the map.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "error.h"
#include "file-map.h"
#include "gguf.h"

#include "gemlet-kernels.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_HEADER_SIZE 24         /* magic, version, n_tensors, n_kv */
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_NESTING 8          /* arrays of arrays of ... */
#define GGUF_MAX_NAME 64            /* ggml's GGML_MAX_NAME, NUL included */
/* Smallest possible encodings, used to bound claimed counts by file size. */
#define GGUF_MIN_KV_SIZE (8 + 1 + 4 + 1)      /* key len, 1-byte key, type, u8 */
#define GGUF_MIN_TENSOR_SIZE (8 + 1 + 4 + 4 + 8) /* name len, name, n_dims, type, offset */
#define GGUF_ARRAY_HEADER_SIZE (4 + 8)

typedef struct {
  char *key;
  gguf_value value;
  const uint8_t **str_elems; /* string arrays: each element's length prefix */
} kv_entry;

/* Entries sorted by name, for duplicate detection and lookups. Sorting
 * (glibc's merge sort) bounds the work at n log n comparisons whatever the
 * names are; a hash table could be driven quadratic by chosen collisions. */
typedef struct {
  const char *name;
  int64_t idx;
} name_entry;

typedef struct {
  name_entry *entries;
  size_t n;
} name_index;

struct gguf_file {
  const uint8_t *base;
  uint64_t size;
  gm_file_map map;  /* empty when parsing a caller's buffer */
  uint32_t version;
  uint64_t alignment;
  uint64_t data_offset;

  kv_entry *kvs;
  int64_t n_kv;
  size_t kv_cap;
  name_index kv_index;

  gguf_tensor *tensors;
  int64_t n_tensors;
  size_t tensor_cap;
  name_index tensor_index;
};

typedef struct {
  const uint8_t *base;
  uint64_t size;
  uint64_t pos;
  char *err;
  size_t err_size;
} reader;

static void fail (reader *r, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
fail (reader *r, const char *fmt, ...)
{
  va_list ap;

  if (r->err == NULL || r->err_size == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (r->err, r->err_size, fmt, ap);
  va_end (ap);
}


/* ------------------------------------------------------------ byte access */

static uint64_t
rd_le (const uint8_t *p, unsigned n)
{
  uint64_t v = 0;

  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t) p[i] << (8 * i);
  return v;
}

static uint64_t
left (const reader *r)
{
  return r->size - r->pos;
}

static bool
take (reader *r, unsigned n, uint64_t *out)
{
  if (left (r) < n)
    return false;
  *out = rd_le (r->base + r->pos, n);
  r->pos += n;
  return true;
}

/* Copies untrusted text into buf for a message: quotes stay readable,
 * control and non-ASCII bytes become \xNN, long names are cut with "...". */
static const char *
printable (const uint8_t *s, uint64_t len, char *buf, size_t size)
{
  size_t o = 0;

  for (uint64_t i = 0; i < len; i++)
    {
      uint8_t c = s[i];
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

static bool
valid_utf8 (const uint8_t *s, uint64_t len)
{
  uint64_t i = 0;

  while (i < len)
    {
      uint8_t c = s[i];
      unsigned n;
      uint32_t cp, min;

      if (c < 0x80)
        {
          i++;
          continue;
        }
      if ((c & 0xe0) == 0xc0)
        n = 1, cp = c & 0x1f, min = 0x80;
      else if ((c & 0xf0) == 0xe0)
        n = 2, cp = c & 0x0f, min = 0x800;
      else if ((c & 0xf8) == 0xf0)
        n = 3, cp = c & 0x07, min = 0x10000;
      else
        return false;
      if (len - i - 1 < n)
        return false;
      for (unsigned k = 1; k <= n; k++)
        {
          if ((s[i + k] & 0xc0) != 0x80)
            return false;
          cp = (cp << 6) | (s[i + k] & 0x3f);
        }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += n + 1;
    }
  return true;
}

/* ------------------------------------------------------------ name index */

static int
cmp_entry (const void *a, const void *b)
{
  const name_entry *x = a, *y = b;
  int c = strcmp (x->name, y->name);

  if (c != 0)
    return c;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Builds the index over n names; on a duplicate, sets *dup_first and
 * *dup_second to the two file indices (the earliest pair by the second
 * index) and returns false. Also false (both -1) when out of memory. */
static bool
index_build (name_index *ix, const char *(*name_at) (const void *arr, int64_t i), const void *arr,
             int64_t n, int64_t *dup_first, int64_t *dup_second)
{
  *dup_first = *dup_second = -1;
  ix->n = 0;
  if (n == 0)
    return true;
  ix->entries = malloc ((size_t) n * sizeof *ix->entries);
  if (ix->entries == NULL)
    return false;
  for (int64_t i = 0; i < n; i++)
    {
      ix->entries[i].name = name_at (arr, i);
      ix->entries[i].idx = i;
    }
  ix->n = (size_t) n;
  qsort (ix->entries, ix->n, sizeof *ix->entries, cmp_entry);
  for (size_t i = 1; i < ix->n; i++)
    if (strcmp (ix->entries[i - 1].name, ix->entries[i].name) == 0
        && (*dup_second < 0 || ix->entries[i].idx < *dup_second))
      {
        *dup_first = ix->entries[i - 1].idx;
        *dup_second = ix->entries[i].idx;
      }
  return *dup_second < 0;
}

static int64_t
index_find (const name_index *ix, const char *name)
{
  size_t lo = 0, hi = ix->n;

  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      int c = strcmp (ix->entries[mid].name, name);
      if (c == 0)
        return ix->entries[mid].idx;
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

static const char *
kv_name_at (const void *arr, int64_t i)
{
  return ((const kv_entry *) arr)[i].key;
}

static const char *
tensor_name_at (const void *arr, int64_t i)
{
  return ((const gguf_tensor *) arr)[i].name;
}

/* ----------------------------------------------------------------- values */

static unsigned
fixed_size (uint32_t type)
{
  switch (type)
    {
    case GGUF_VT_UINT8:
    case GGUF_VT_INT8:
    case GGUF_VT_BOOL:
      return 1;
    case GGUF_VT_UINT16:
    case GGUF_VT_INT16:
      return 2;
    case GGUF_VT_UINT32:
    case GGUF_VT_INT32:
    case GGUF_VT_FLOAT32:
      return 4;
    case GGUF_VT_UINT64:
    case GGUF_VT_INT64:
    case GGUF_VT_FLOAT64:
      return 8;
    default:
      return 0;
    }
}

const char *
gguf_value_type_name (gguf_value_type t)
{
  static const char *const names[GGUF_VT_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
  };

  return (unsigned) t < GGUF_VT_COUNT ? names[t] : "unknown";
}

/* Validates (and steps over) one value of `type` at r->pos. `where` names
 * the key for messages. Work is linear in the bytes consumed, and every
 * element consumes at least one byte, so no file can make this hang. */
static bool
parse_value (reader *r, const char *where, uint32_t type, int depth, gguf_value *out)
{
  unsigned fs = fixed_size (type);

  memset (out, 0, sizeof *out);
  out->type = (gguf_value_type) type;

  if (fs != 0)
    {
      if (left (r) < fs)
        {
          fail (r, "%s: %s value needs %u bytes but only %llu are left in the file", where,
                gguf_value_type_name (type), fs, (unsigned long long) left (r));
          return false;
        }
      out->ptr = r->base + r->pos;
      out->n_bytes = fs;
      r->pos += fs;
      return true;
    }

  if (type == GGUF_VT_STRING)
    {
      uint64_t len;
      if (!take (r, 8, &len))
        {
          fail (r, "%s: string length truncated at byte %llu (end of file)", where,
                (unsigned long long) r->pos);
          return false;
        }
      if (len > left (r))
        {
          fail (r, "%s: string length %llu exceeds the %llu bytes left in the file", where,
                (unsigned long long) len, (unsigned long long) left (r));
          return false;
        }
      out->ptr = r->base + r->pos;
      out->n_bytes = len;
      r->pos += len;
      return true;
    }

  if (type == GGUF_VT_ARRAY)
    {
      uint64_t et, n;
      unsigned efs;

      if (depth >= GGUF_MAX_NESTING)
        {
          fail (r, "%s: arrays nested more than %d levels deep", where, GGUF_MAX_NESTING);
          return false;
        }
      if (!take (r, 4, &et) || !take (r, 8, &n))
        {
          fail (r, "%s: array header truncated at byte %llu (end of file)", where,
                (unsigned long long) r->pos);
          return false;
        }
      if (et >= GGUF_VT_COUNT)
        {
          fail (r, "%s: array of unknown element type %llu", where, (unsigned long long) et);
          return false;
        }
      out->arr_type = (gguf_value_type) et;
      out->arr_len = n;
      out->ptr = r->base + r->pos;
      efs = fixed_size ((uint32_t) et);
      if (efs != 0)
        {
          if (n > left (r) / efs)
            {
              fail (r, "%s: array of %llu %s values needs more than the %llu bytes left in the file",
                    where, (unsigned long long) n, gguf_value_type_name (et),
                    (unsigned long long) left (r));
              return false;
            }
          r->pos += n * efs;
        }
      else
        {
          /* Cheap plausibility bound before walking: each element needs
           * at least its own length/header field. */
          uint64_t min = et == GGUF_VT_STRING ? 8 : GGUF_ARRAY_HEADER_SIZE;
          if (n > left (r) / min)
            {
              fail (r, "%s: array count %llu of %s elements exceeds what the %llu bytes left in the file can hold",
                    where, (unsigned long long) n, gguf_value_type_name (et),
                    (unsigned long long) left (r));
              return false;
            }
          for (uint64_t i = 0; i < n; i++)
            {
              gguf_value elem;
              if (!parse_value (r, where, (uint32_t) et, depth + 1, &elem))
                return false;
            }
        }
      out->n_bytes = r->pos - (uint64_t) (out->ptr - r->base);
      return true;
    }

  fail (r, "%s: unknown value type %u", where, type);
  return false;
}

/* ------------------------------------------------------------- the parser */

/* Grows the array whose pointer is at arrp (any element type) to hold need
 * elements, doubling; the pointer is moved with memcpy to stay clear of
 * aliasing rules. */
static bool
grow (void *arrp, size_t *cap, size_t need, size_t elem)
{
  void *arr, *na;
  size_t ncap;

  if (need <= *cap)
    return true;
  ncap = *cap ? *cap * 2 : 16;
  if (ncap < need || ncap > SIZE_MAX / elem)
    return false;
  memcpy (&arr, arrp, sizeof arr);
  na = realloc (arr, ncap * elem);
  if (na == NULL)
    return false;
  memcpy (arrp, &na, sizeof na);
  *cap = ncap;
  return true;
}

static char *
dup_bytes (const uint8_t *p, uint64_t len)
{
  char *s = malloc ((size_t) len + 1);

  if (s != NULL)
    {
      memcpy (s, p, (size_t) len);
      s[len] = '\0';
    }
  return s;
}

static bool
index_string_array (reader *r, kv_entry *kv, const char *where)
{
  const uint8_t *p = kv->value.ptr;
  uint64_t n = kv->value.arr_len;

  if (n == 0)
    return true;
  /* n is verified now: the strings were walked and fit in the file. */
  kv->str_elems = malloc ((size_t) n * sizeof *kv->str_elems);
  if (kv->str_elems == NULL)
    {
      fail (r, "%s: out of memory indexing %llu strings", where, (unsigned long long) n);
      return false;
    }
  for (uint64_t i = 0; i < n; i++)
    {
      kv->str_elems[i] = p;
      p += 8 + rd_le (p, 8);
    }
  return true;
}

static bool
parse_kvs (reader *r, gguf_file *f, uint64_t n_kv)
{
  for (uint64_t i = 0; i < n_kv; i++)
    {
      char where[160], name[96];
      uint64_t klen, type;
      kv_entry *kv;

      snprintf (where, sizeof where, "metadata key #%llu", (unsigned long long) i);
      if (!take (r, 8, &klen))
        {
          fail (r, "%s: key length truncated at byte %llu (end of file)", where,
                (unsigned long long) r->pos);
          return false;
        }
      if (klen > left (r))
        {
          fail (r, "%s: key length %llu exceeds the %llu bytes left in the file", where,
                (unsigned long long) klen, (unsigned long long) left (r));
          return false;
        }
      if (klen == 0)
        {
          fail (r, "%s (at byte %llu): empty key name", where, (unsigned long long) (r->pos - 8));
          return false;
        }
      if (memchr (r->base + r->pos, '\0', (size_t) klen) != NULL
          || !valid_utf8 (r->base + r->pos, klen))
        {
          fail (r, "%s ('%s'): key name is not valid UTF-8 text", where,
                printable (r->base + r->pos, klen, name, sizeof name));
          return false;
        }
      printable (r->base + r->pos, klen, name, sizeof name);
      snprintf (where, sizeof where, "metadata key #%llu ('%s')", (unsigned long long) i, name);

      if (!grow (&f->kvs, &f->kv_cap, (size_t) f->n_kv + 1, sizeof *f->kvs))
        {
          fail (r, "%s: out of memory", where);
          return false;
        }
      kv = &f->kvs[f->n_kv];
      memset (kv, 0, sizeof *kv);
      kv->key = dup_bytes (r->base + r->pos, klen);
      if (kv->key == NULL)
        {
          fail (r, "%s: out of memory", where);
          return false;
        }
      f->n_kv++;
      r->pos += klen;

      if (!take (r, 4, &type))
        {
          fail (r, "%s: value type truncated at byte %llu (end of file)", where,
                (unsigned long long) r->pos);
          return false;
        }
      if (type >= GGUF_VT_COUNT)
        {
          fail (r, "%s: unknown value type %llu", where, (unsigned long long) type);
          return false;
        }
      if (!parse_value (r, where, (uint32_t) type, 0, &kv->value))
        return false;
      if (kv->value.type == GGUF_VT_ARRAY && kv->value.arr_type == GGUF_VT_STRING
          && !index_string_array (r, kv, where))
        return false;
    }
  return true;
}

static bool
read_alignment (reader *r, gguf_file *f)
{
  int64_t i = gguf_find_key (f, "general.alignment");
  uint64_t a;

  f->alignment = GGUF_DEFAULT_ALIGNMENT;
  if (i < 0)
    return true;
  /* llama.cpp insists on u32; so do we, to accept exactly the same files. */
  if (f->kvs[i].value.type != GGUF_VT_UINT32)
    {
      fail (r, "metadata key #%lld ('general.alignment'): must be a u32, found %s", (long long) i,
            gguf_value_type_name (f->kvs[i].value.type));
      return false;
    }
  a = rd_le (f->kvs[i].value.ptr, 4);
  if (a == 0 || (a & (a - 1)) != 0)
    {
      fail (r, "metadata key #%lld ('general.alignment'): alignment %llu is not a power of two",
            (long long) i, (unsigned long long) a);
      return false;
    }
  f->alignment = a;
  return true;
}

static bool
parse_tensor_info (reader *r, gguf_file *f, uint64_t idx)
{
  char where[128], name[96];
  uint64_t len, v, n_elem = 1;
  gguf_tensor *t;
  const gk_type_info *ti;

  snprintf (where, sizeof where, "tensor #%llu", (unsigned long long) idx);
  if (!take (r, 8, &len))
    {
      fail (r, "%s: name length truncated at byte %llu (end of file)", where,
            (unsigned long long) r->pos);
      return false;
    }
  if (len > left (r))
    {
      fail (r, "%s: name length %llu exceeds the %llu bytes left in the file", where,
            (unsigned long long) len, (unsigned long long) left (r));
      return false;
    }
  if (len == 0)
    {
      fail (r, "%s (at byte %llu): empty tensor name", where, (unsigned long long) (r->pos - 8));
      return false;
    }
  if (len >= GGUF_MAX_NAME)
    {
      fail (r, "%s ('%s'): name is %llu bytes long, at most %d allowed", where,
            printable (r->base + r->pos, len, name, sizeof name), (unsigned long long) len,
            GGUF_MAX_NAME - 1);
      return false;
    }
  if (memchr (r->base + r->pos, '\0', (size_t) len) != NULL)
    {
      fail (r, "%s ('%s'): tensor name contains a NUL byte", where,
            printable (r->base + r->pos, len, name, sizeof name));
      return false;
    }
  printable (r->base + r->pos, len, name, sizeof name);
  snprintf (where, sizeof where, "tensor '%s'", name);

  if (!grow (&f->tensors, &f->tensor_cap, (size_t) f->n_tensors + 1, sizeof *f->tensors))
    {
      fail (r, "%s: out of memory", where);
      return false;
    }
  t = &f->tensors[f->n_tensors];
  memset (t, 0, sizeof *t);
  t->name = dup_bytes (r->base + r->pos, len);
  if (t->name == NULL)
    {
      fail (r, "%s: out of memory", where);
      return false;
    }
  f->n_tensors++;
  r->pos += len;

  if (!take (r, 4, &v))
    {
      fail (r, "%s: dimension count truncated at byte %llu (end of file)", where,
            (unsigned long long) r->pos);
      return false;
    }
  if (v > GGUF_MAX_DIMS)
    {
      fail (r, "%s: %llu dimensions, at most %d allowed", where, (unsigned long long) v,
            GGUF_MAX_DIMS);
      return false;
    }
  t->n_dims = (uint32_t) v;
  for (int d = 0; d < GGUF_MAX_DIMS; d++)
    t->ne[d] = 1;
  for (uint32_t d = 0; d < t->n_dims; d++)
    {
      if (!take (r, 8, &v))
        {
          fail (r, "%s: dimension %u truncated at byte %llu (end of file)", where, d,
                (unsigned long long) r->pos);
          return false;
        }
      /* Sizes are signed in ggml; like llama.cpp we accept 0 (an empty
       * tensor) but nothing negative. */
      if (v > (uint64_t) INT64_MAX)
        {
          fail (r, "%s: dimension %u has negative size %lld", where, d, (long long) (int64_t) v);
          return false;
        }
      t->ne[d] = (int64_t) v;
    }
  for (int d = 0; d < GGUF_MAX_DIMS; d++)
    {
      uint64_t ne = (uint64_t) t->ne[d];
      if (ne != 0 && n_elem > (uint64_t) INT64_MAX / ne)
        {
          fail (r, "%s: shape (%lld, %lld, %lld, %lld) has more than 2^63 elements", where,
                (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2],
                (long long) t->ne[3]);
          return false;
        }
      n_elem *= ne;
    }

  if (!take (r, 4, &v))
    {
      fail (r, "%s: type truncated at byte %llu (end of file)", where, (unsigned long long) r->pos);
      return false;
    }
  ti = gk_type_get ((uint32_t) v);
  if (ti == NULL || ti->name == NULL || ti->block_size == 0 || ti->type_size == 0)
    {
      fail (r, "%s: unknown tensor type id %llu", where, (unsigned long long) v);
      return false;
    }
  t->type = (uint32_t) v;
  if ((uint64_t) t->ne[0] % ti->block_size != 0)
    {
      fail (r, "%s: row of %lld values is not a multiple of the %s block size %u", where,
            (long long) t->ne[0], ti->name, ti->block_size);
      return false;
    }
  if (n_elem / ti->block_size > UINT64_MAX / ti->type_size)
    {
      fail (r, "%s: byte size of shape (%lld, %lld, %lld, %lld) overflows", where,
            (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2], (long long) t->ne[3]);
      return false;
    }
  t->n_bytes = n_elem / ti->block_size * ti->type_size;

  if (!take (r, 8, &t->offset))
    {
      fail (r, "%s: data offset truncated at byte %llu (end of file)", where,
            (unsigned long long) r->pos);
      return false;
    }
  if (t->offset % f->alignment != 0)
    {
      fail (r, "%s: data offset %llu is not a multiple of the alignment %llu", where,
            (unsigned long long) t->offset, (unsigned long long) f->alignment);
      return false;
    }
  return true;
}

static int
cmp_by_offset (const void *a, const void *b)
{
  const gguf_tensor *x = *(const gguf_tensor *const *) a;
  const gguf_tensor *y = *(const gguf_tensor *const *) b;

  if (x->offset != y->offset)
    return x->offset < y->offset ? -1 : 1;
  /* ties in file order, so messages do not depend on qsort */
  return x < y ? -1 : x > y;
}

static bool
place_tensors (reader *r, gguf_file *f)
{
  const gguf_tensor **order;
  const gguf_tensor *last = NULL;
  uint64_t pad, last_end = 0;

  pad = (f->alignment - r->pos % f->alignment) % f->alignment;
  f->data_offset = r->pos + pad; /* r->pos <= size < 2^63: cannot overflow */
  if (f->n_tensors == 0)
    return true;
  if (f->data_offset > f->size)
    {
      fail (r, "data section would start at byte %llu, past end of file (%llu)",
            (unsigned long long) f->data_offset, (unsigned long long) f->size);
      return false;
    }

  for (int64_t i = 0; i < f->n_tensors; i++)
    {
      gguf_tensor *t = &f->tensors[i];
      uint64_t rel = t->offset;
      char name[96];

      printable ((const uint8_t *) t->name, strlen (t->name), name, sizeof name);
      if (rel > f->size - f->data_offset)
        {
          fail (r, "tensor '%s': data starts at byte %llu of the data section, past end of file (%llu)",
                name, (unsigned long long) rel, (unsigned long long) f->size);
          return false;
        }
      t->offset = f->data_offset + rel;
      if (t->n_bytes > f->size - t->offset)
        {
          uint64_t end = t->offset + t->n_bytes;
          if (end < t->offset)
            fail (r, "tensor '%s': data of %llu bytes at byte %llu overflows", name,
                  (unsigned long long) t->n_bytes, (unsigned long long) t->offset);
          else
            fail (r, "tensor '%s': data ends at byte %llu, past end of file (%llu)", name,
                  (unsigned long long) end, (unsigned long long) f->size);
          return false;
        }
      t->data = f->base + t->offset;
    }

  order = malloc ((size_t) f->n_tensors * sizeof *order);
  if (order == NULL)
    {
      fail (r, "out of memory sorting %lld tensors", (long long) f->n_tensors);
      return false;
    }
  for (int64_t i = 0; i < f->n_tensors; i++)
    order[i] = &f->tensors[i];
  qsort (order, (size_t) f->n_tensors, sizeof *order, cmp_by_offset);
  for (int64_t i = 0; i < f->n_tensors; i++)
    {
      const gguf_tensor *t = order[i];
      if (t->n_bytes == 0)
        continue;
      if (last != NULL && t->offset < last_end)
        {
          char a[96], b[96];
          fail (r, "tensor '%s' (bytes %llu-%llu) overlaps tensor '%s' (bytes %llu-%llu)",
                printable ((const uint8_t *) t->name, strlen (t->name), a, sizeof a),
                (unsigned long long) t->offset, (unsigned long long) (t->offset + t->n_bytes),
                printable ((const uint8_t *) last->name, strlen (last->name), b, sizeof b),
                (unsigned long long) last->offset, (unsigned long long) last_end);
          free (order);
          return false;
        }
      if (t->offset + t->n_bytes > last_end)
        {
          last_end = t->offset + t->n_bytes;
          last = t;
        }
    }
  free (order);
  return true;
}

static gguf_file *
parse (const uint8_t *base, uint64_t size, char *err, size_t err_size)
{
  reader r = { base, size, 0, err, err_size };
  gguf_file *f;
  uint64_t version, n_tensors, n_kv;
  int64_t dup_a, dup_b;

  if (err != NULL && err_size > 0)
    err[0] = '\0';
  if (size < 4)
    {
      fail (&r, "file is %llu bytes long, too short for a GGUF header", (unsigned long long) size);
      return NULL;
    }
  if (memcmp (base, "GGUF", 4) != 0)
    {
      char m[40];
      fail (&r, "not a GGUF file (starts with '%s', expected 'GGUF')", printable (base, 4, m, sizeof m));
      return NULL;
    }
  r.pos = 4;
  if (!take (&r, 4, &version))
    {
      fail (&r, "header truncated: file is %llu bytes long, the GGUF header needs %d",
            (unsigned long long) size, GGUF_HEADER_SIZE);
      return NULL;
    }
  if (version == 1)
    {
      fail (&r, "GGUF version 1 is not supported (only versions 2 and 3)");
      return NULL;
    }
  if (version != 2 && version != 3)
    {
      if ((version & 0xffff) == 0)
        fail (&r, "unsupported GGUF version %llu (a big-endian file? only little-endian v2 and v3 are supported)",
              (unsigned long long) version);
      else
        fail (&r, "unsupported GGUF version %llu (only versions 2 and 3)", (unsigned long long) version);
      return NULL;
    }
  if (!take (&r, 8, &n_tensors) || !take (&r, 8, &n_kv))
    {
      fail (&r, "header truncated: file is %llu bytes long, the GGUF header needs %d",
            (unsigned long long) size, GGUF_HEADER_SIZE);
      return NULL;
    }
  if (n_kv > left (&r) / GGUF_MIN_KV_SIZE)
    {
      fail (&r, "header: %llu metadata keys cannot fit in the %llu bytes left in the file",
            (unsigned long long) n_kv, (unsigned long long) left (&r));
      return NULL;
    }
  if (n_tensors > (left (&r) - n_kv * GGUF_MIN_KV_SIZE) / GGUF_MIN_TENSOR_SIZE)
    {
      fail (&r, "header: %llu tensor infos cannot fit in the %llu bytes left in the file",
            (unsigned long long) n_tensors, (unsigned long long) left (&r));
      return NULL;
    }

  f = calloc (1, sizeof *f);
  if (f == NULL)
    {
      fail (&r, "out of memory");
      return NULL;
    }
  f->base = base;
  f->size = size;
  f->version = (uint32_t) version;

  if (!parse_kvs (&r, f, n_kv))
    goto error;
  if (!index_build (&f->kv_index, kv_name_at, f->kvs, f->n_kv, &dup_a, &dup_b))
    {
      char name[96];
      if (dup_b < 0)
        fail (&r, "out of memory indexing %lld metadata keys", (long long) f->n_kv);
      else
        fail (&r, "metadata key #%lld ('%s'): duplicate key (already defined by key #%lld)",
              (long long) dup_b,
              printable ((const uint8_t *) f->kvs[dup_b].key, strlen (f->kvs[dup_b].key), name,
                         sizeof name),
              (long long) dup_a);
      goto error;
    }
  if (!read_alignment (&r, f))
    goto error;
  if (n_tensors > left (&r) / GGUF_MIN_TENSOR_SIZE)
    {
      fail (&r, "header: %llu tensor infos cannot fit in the %llu bytes left after the metadata",
            (unsigned long long) n_tensors, (unsigned long long) left (&r));
      goto error;
    }
  for (uint64_t i = 0; i < n_tensors; i++)
    if (!parse_tensor_info (&r, f, i))
      goto error;
  if (!index_build (&f->tensor_index, tensor_name_at, f->tensors, f->n_tensors, &dup_a, &dup_b))
    {
      char name[96];
      if (dup_b < 0)
        fail (&r, "out of memory indexing %lld tensors", (long long) f->n_tensors);
      else
        fail (&r, "tensor '%s' (tensor #%lld): duplicate tensor name (already used by tensor #%lld)",
              printable ((const uint8_t *) f->tensors[dup_b].name,
                         strlen (f->tensors[dup_b].name), name, sizeof name),
              (long long) dup_b, (long long) dup_a);
      goto error;
    }
  if (!place_tensors (&r, f))
    goto error;
  return f;

error:
  gguf_close (f);
  return NULL;
}

/* ----------------------------------------------------------- open / close */

gguf_file *
gguf_open_memory (const void *buf, size_t size, char *err, size_t err_size)
{
  static const uint8_t empty[1];

  if (buf == NULL)
    buf = empty, size = 0;
  return parse (buf, size, err, err_size);
}

gguf_file *
gguf_open_full (const char *path, bool *io_error, char *err, size_t err_size)
{
  gm_file_map map;
  gguf_file *f;

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

gguf_file *
gguf_open (const char *path, char *err, size_t err_size)
{
  return gguf_open_full (path, NULL, err, err_size);
}

void
gguf_close (gguf_file *f)
{
  if (f == NULL)
    return;
  for (int64_t i = 0; i < f->n_kv; i++)
    {
      free (f->kvs[i].key);
      free (f->kvs[i].str_elems);
    }
  free (f->kvs);
  for (int64_t i = 0; i < f->n_tensors; i++)
    free ((char *) f->tensors[i].name);
  free (f->tensors);
  free (f->kv_index.entries);
  free (f->tensor_index.entries);
  gm_file_map_close (&f->map);
  free (f);
}

uint32_t
gguf_version (const gguf_file *f)
{
  return f->version;
}

uint64_t
gguf_file_size (const gguf_file *f)
{
  return f->size;
}

const void *
gguf_base (const gguf_file *f)
{
  return f->base;
}

uint64_t
gguf_alignment (const gguf_file *f)
{
  return f->alignment;
}

uint64_t
gguf_data_offset (const gguf_file *f)
{
  return f->data_offset;
}

/* --------------------------------------------------------------- metadata */

int64_t
gguf_n_kv (const gguf_file *f)
{
  return f->n_kv;
}

int64_t
gguf_find_key (const gguf_file *f, const char *key)
{
  return index_find (&f->kv_index, key);
}

static const kv_entry *
kv_at (const gguf_file *f, int64_t i)
{
  return i >= 0 && i < f->n_kv ? &f->kvs[i] : NULL;
}

const char *
gguf_key_name (const gguf_file *f, int64_t i)
{
  const kv_entry *kv = kv_at (f, i);
  return kv ? kv->key : NULL;
}

gguf_value_type
gguf_kv_type (const gguf_file *f, int64_t i)
{
  const kv_entry *kv = kv_at (f, i);
  return kv ? kv->value.type : GGUF_VT_COUNT;
}

gguf_value_type
gguf_arr_type (const gguf_file *f, int64_t i)
{
  const kv_entry *kv = kv_at (f, i);
  return kv && kv->value.type == GGUF_VT_ARRAY ? kv->value.arr_type : GGUF_VT_COUNT;
}

uint64_t
gguf_arr_len (const gguf_file *f, int64_t i)
{
  const kv_entry *kv = kv_at (f, i);
  return kv && kv->value.type == GGUF_VT_ARRAY ? kv->value.arr_len : 0;
}

bool
gguf_kv_value (const gguf_file *f, int64_t key_index, gguf_value *out)
{
  const kv_entry *kv = kv_at (f, key_index);

  if (kv == NULL)
    return false;
  *out = kv->value;
  return true;
}

/* Integer (or bool) scalar at p as a signed/unsigned pair; false for
 * non-integer types. neg is set when the value is below zero. */
static bool
int_at (gguf_value_type type, const uint8_t *p, uint64_t *mag, bool *neg)
{
  uint64_t v;
  unsigned n = fixed_size (type);

  *neg = false;
  switch (type)
    {
    case GGUF_VT_BOOL:
      *mag = p[0] != 0;
      return true;
    case GGUF_VT_UINT8:
    case GGUF_VT_UINT16:
    case GGUF_VT_UINT32:
    case GGUF_VT_UINT64:
      *mag = rd_le (p, n);
      return true;
    case GGUF_VT_INT8:
    case GGUF_VT_INT16:
    case GGUF_VT_INT32:
    case GGUF_VT_INT64:
      v = rd_le (p, n);
      if (n < 8 && (v >> (8 * n - 1)) & 1)
        v |= ~0ull << (8 * n); /* sign-extend */
      *neg = (int64_t) v < 0;
      *mag = v;
      return true;
    default:
      return false;
    }
}

static bool
float_at (gguf_value_type type, const uint8_t *p, double *out)
{
  uint64_t mag;
  bool neg;

  if (type == GGUF_VT_FLOAT32)
    {
      uint32_t bits = (uint32_t) rd_le (p, 4);
      float v;
      memcpy (&v, &bits, sizeof v);
      *out = v;
      return true;
    }
  if (type == GGUF_VT_FLOAT64)
    {
      uint64_t bits = rd_le (p, 8);
      memcpy (out, &bits, sizeof *out);
      return true;
    }
  if (type == GGUF_VT_BOOL || !int_at (type, p, &mag, &neg))
    return false;
  *out = neg ? (double) (int64_t) mag : (double) mag;
  return true;
}

static const kv_entry *
kv_by_key (const gguf_file *f, const char *key)
{
  return kv_at (f, gguf_find_key (f, key));
}

bool
gguf_get_u64 (const gguf_file *f, const char *key, uint64_t *out)
{
  const kv_entry *kv = kv_by_key (f, key);
  uint64_t mag;
  bool neg;

  if (kv == NULL || !int_at (kv->value.type, kv->value.ptr, &mag, &neg) || neg)
    return false;
  *out = mag;
  return true;
}

bool
gguf_get_u32 (const gguf_file *f, const char *key, uint32_t *out)
{
  uint64_t v;

  if (!gguf_get_u64 (f, key, &v) || v > UINT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

bool
gguf_get_i64 (const gguf_file *f, const char *key, int64_t *out)
{
  const kv_entry *kv = kv_by_key (f, key);
  uint64_t mag;
  bool neg;

  if (kv == NULL || !int_at (kv->value.type, kv->value.ptr, &mag, &neg)
      || (!neg && mag > INT64_MAX))
    return false;
  *out = (int64_t) mag;
  return true;
}

bool
gguf_get_f32 (const gguf_file *f, const char *key, float *out)
{
  const kv_entry *kv = kv_by_key (f, key);
  double v;

  if (kv == NULL || !float_at (kv->value.type, kv->value.ptr, &v))
    return false;
  *out = (float) v;
  return true;
}

bool
gguf_get_bool (const gguf_file *f, const char *key, bool *out)
{
  const kv_entry *kv = kv_by_key (f, key);

  if (kv == NULL || kv->value.type != GGUF_VT_BOOL)
    return false;
  *out = kv->value.ptr[0] != 0;
  return true;
}

bool
gguf_get_str (const gguf_file *f, const char *key, gguf_str *out)
{
  const kv_entry *kv = kv_by_key (f, key);

  if (kv == NULL || kv->value.type != GGUF_VT_STRING)
    return false;
  out->ptr = (const char *) kv->value.ptr;
  out->len = kv->value.n_bytes;
  return true;
}

/* Scalar or array of n entries. Integer keys take any integer type; flag
 * keys take bools or integers (0/1 writers exist). */
static bool
per_layer_ints (const gguf_file *f, const char *key, uint64_t *out, uint32_t n, bool bools,
                char *err, size_t err_size)
{
  const kv_entry *kv = kv_by_key (f, key);
  gguf_value_type t;
  unsigned es;
  bool neg;

  if (kv == NULL)
    {
      gm_err_printf (err, err_size, "metadata key '%s' is missing", key);
      return false;
    }
  if (kv->value.type != GGUF_VT_ARRAY)
    {
      uint64_t v;
      if ((kv->value.type == GGUF_VT_BOOL && !bools)
          || !int_at (kv->value.type, kv->value.ptr, &v, &neg) || neg)
        {
          gm_err_printf (err, err_size, "metadata key '%s': %s is not a valid %s", key,
                   gguf_value_type_name (kv->value.type), bools ? "bool" : "unsigned integer");
          return false;
        }
      for (uint32_t i = 0; i < n; i++)
        out[i] = v;
      return true;
    }
  t = kv->value.arr_type;
  es = fixed_size (t);
  if (es == 0 || t == GGUF_VT_FLOAT32 || t == GGUF_VT_FLOAT64 || (t == GGUF_VT_BOOL && !bools))
    {
      gm_err_printf (err, err_size, "metadata key '%s': array of %s, expected %s", key,
               gguf_value_type_name (t), bools ? "bool" : "integers");
      return false;
    }
  if (kv->value.arr_len != n)
    {
      gm_err_printf (err, err_size, "metadata key '%s': array has %llu entries, expected %u (one per layer)",
               key, (unsigned long long) kv->value.arr_len, n);
      return false;
    }
  for (uint32_t i = 0; i < n; i++)
    {
      int_at (t, kv->value.ptr + (size_t) i * es, &out[i], &neg);
      if (neg)
        {
          gm_err_printf (err, err_size, "metadata key '%s': entry %u is negative", key, i);
          return false;
        }
    }
  return true;
}

bool
gguf_get_u32_per_layer (const gguf_file *f, const char *key, uint32_t *out, uint32_t n,
                        char *err, size_t err_size)
{
  uint64_t *tmp = malloc ((n ? n : 1) * sizeof *tmp);
  bool ok;

  if (tmp == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  ok = per_layer_ints (f, key, tmp, n, false, err, err_size);
  for (uint32_t i = 0; ok && i < n; i++)
    {
      if (tmp[i] > UINT32_MAX)
        {
          gm_err_printf (err, err_size, "metadata key '%s': entry %u (%llu) does not fit in 32 bits", key,
                   i, (unsigned long long) tmp[i]);
          ok = false;
        }
      else
        out[i] = (uint32_t) tmp[i];
    }
  free (tmp);
  return ok;
}

bool
gguf_get_bool_per_layer (const gguf_file *f, const char *key, bool *out, uint32_t n,
                         char *err, size_t err_size)
{
  uint64_t *tmp = malloc ((n ? n : 1) * sizeof *tmp);
  bool ok;

  if (tmp == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  ok = per_layer_ints (f, key, tmp, n, true, err, err_size);
  for (uint32_t i = 0; ok && i < n; i++)
    out[i] = tmp[i] != 0;
  free (tmp);
  return ok;
}

bool
gguf_value_elem (const gguf_value *arr, uint64_t i, gguf_value *out)
{
  const uint8_t *p, *end;
  unsigned es;

  if (arr == NULL || arr->type != GGUF_VT_ARRAY || i >= arr->arr_len)
    return false;
  memset (out, 0, sizeof *out);
  out->type = arr->arr_type;
  es = fixed_size (arr->arr_type);
  if (es != 0)
    {
      out->ptr = arr->ptr + i * es;
      out->n_bytes = es;
      return true;
    }
  /* Variable-size elements: walk. The whole array was validated at open,
   * the bounds checks below only guard against a corrupted view. */
  p = arr->ptr;
  end = arr->ptr + arr->n_bytes;
  for (uint64_t k = 0;; k++)
    {
      uint64_t sz;
      if (arr->arr_type == GGUF_VT_STRING)
        {
          if (end - p < 8)
            return false;
          sz = rd_le (p, 8);
          if (sz > (uint64_t) (end - p - 8))
            return false;
          if (k == i)
            {
              out->ptr = p + 8;
              out->n_bytes = sz;
              return true;
            }
          p += 8 + sz;
        }
      else
        {
          reader r = { p, (uint64_t) (end - p), 0, NULL, 0 };
          gguf_value v;
          if (!parse_value (&r, "", GGUF_VT_ARRAY, 1, &v))
            return false;
          if (k == i)
            {
              *out = v;
              return true;
            }
          p += r.pos;
        }
    }
}

bool
gguf_arr_get_str (const gguf_file *f, int64_t key_index, uint64_t i, gguf_str *out)
{
  const kv_entry *kv = kv_at (f, key_index);

  if (kv == NULL || kv->value.type != GGUF_VT_ARRAY || kv->value.arr_type != GGUF_VT_STRING
      || i >= kv->value.arr_len)
    return false;
  out->len = rd_le (kv->str_elems[i], 8);
  out->ptr = (const char *) kv->str_elems[i] + 8;
  return true;
}

bool
gguf_arr_get_i64 (const gguf_file *f, int64_t key_index, uint64_t i, int64_t *out)
{
  const kv_entry *kv = kv_at (f, key_index);
  unsigned es;
  uint64_t mag;
  bool neg;

  if (kv == NULL || kv->value.type != GGUF_VT_ARRAY || i >= kv->value.arr_len)
    return false;
  es = fixed_size (kv->value.arr_type);
  if (es == 0 || !int_at (kv->value.arr_type, kv->value.ptr + i * es, &mag, &neg)
      || (!neg && mag > INT64_MAX))
    return false;
  *out = (int64_t) mag;
  return true;
}

bool
gguf_arr_get_f64 (const gguf_file *f, int64_t key_index, uint64_t i, double *out)
{
  const kv_entry *kv = kv_at (f, key_index);
  unsigned es;

  if (kv == NULL || kv->value.type != GGUF_VT_ARRAY || i >= kv->value.arr_len)
    return false;
  es = fixed_size (kv->value.arr_type);
  return es != 0 && float_at (kv->value.arr_type, kv->value.ptr + i * es, out);
}

const void *
gguf_arr_data (const gguf_file *f, int64_t key_index)
{
  const kv_entry *kv = kv_at (f, key_index);

  if (kv == NULL || kv->value.type != GGUF_VT_ARRAY || fixed_size (kv->value.arr_type) == 0)
    return NULL;
  return kv->value.ptr;
}

/* ---------------------------------------------------------------- tensors */

int64_t
gguf_n_tensors (const gguf_file *f)
{
  return f->n_tensors;
}

const gguf_tensor *
gguf_tensor_at (const gguf_file *f, int64_t i)
{
  return i >= 0 && i < f->n_tensors ? &f->tensors[i] : NULL;
}

const gguf_tensor *
gguf_find_tensor (const gguf_file *f, const char *name)
{
  return gguf_tensor_at (f, index_find (&f->tensor_index, name));
}
