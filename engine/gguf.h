/* gguf.h — read-only GGUF (v2, v3) reader over a memory map.
 *
 * Internal to the engine (the app never sees it). Every count, length and
 * offset is validated against the file size before use, so a hostile file
 * yields an error message, never a crash or a huge allocation.
 *
 * Accepted as llama.cpp does: v2 and v3, zero-size dimensions (empty
 * tensors), tensor names of at most 63 bytes, general.alignment only as a
 * power-of-two u32. Unlike llama.cpp: nested arrays are parsed (at most 8
 * levels deep) rather than refused, key names must be valid UTF-8, and
 * tensor data may come in any order (not only back to back) but must be
 * aligned, inside the file and non-overlapping.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  GGUF_VT_UINT8 = 0,
  GGUF_VT_INT8 = 1,
  GGUF_VT_UINT16 = 2,
  GGUF_VT_INT16 = 3,
  GGUF_VT_UINT32 = 4,
  GGUF_VT_INT32 = 5,
  GGUF_VT_FLOAT32 = 6,
  GGUF_VT_BOOL = 7,
  GGUF_VT_STRING = 8,
  GGUF_VT_ARRAY = 9,
  GGUF_VT_UINT64 = 10,
  GGUF_VT_INT64 = 11,
  GGUF_VT_FLOAT64 = 12,
  GGUF_VT_COUNT
} gguf_value_type;

#define GGUF_MAX_DIMS 4

typedef struct {
  const char *name;          /* NUL-terminated copy owned by the gguf_file */
  uint32_t n_dims;
  int64_t ne[GGUF_MAX_DIMS]; /* unused dims are 1 */
  uint32_t type;             /* ggml type id */
  uint64_t offset;           /* absolute byte offset in the file */
  uint64_t n_bytes;          /* size of the data */
  const void *data;          /* points into the mapping */
} gguf_tensor;

/* A string as stored in the file: not NUL-terminated, points into the map. */
typedef struct {
  const char *ptr;
  uint64_t len;
} gguf_str;

typedef struct gguf_file gguf_file;

/* Opens and validates a file. On failure returns NULL and writes a message
 * ("what is wrong, where") into err (err may be NULL). */
gguf_file *gguf_open (const char *path, char *err, size_t err_size);

/* Like gguf_open; *io_error (may be NULL) tells a file that could not be
 * opened or mapped apart from one that is malformed. */
gguf_file *gguf_open_full (const char *path, bool *io_error, char *err, size_t err_size);

/* Parses a buffer the caller keeps alive (used by the fuzzer and tests). */
gguf_file *gguf_open_memory (const void *buf, size_t size, char *err, size_t err_size);

void gguf_close (gguf_file *f);

uint32_t gguf_version (const gguf_file *f);
uint64_t gguf_file_size (const gguf_file *f);
const void *gguf_base (const gguf_file *f);  /* start of the mapping */
uint64_t gguf_alignment (const gguf_file *f);
uint64_t gguf_data_offset (const gguf_file *f);

/* --- metadata ----------------------------------------------------------- */
int64_t gguf_n_kv (const gguf_file *f);
int64_t gguf_find_key (const gguf_file *f, const char *key);  /* -1 if absent */
const char *gguf_key_name (const gguf_file *f, int64_t i);
gguf_value_type gguf_kv_type (const gguf_file *f, int64_t i);
gguf_value_type gguf_arr_type (const gguf_file *f, int64_t i);  /* element type of an array */
uint64_t gguf_arr_len (const gguf_file *f, int64_t i);

/* Typed getters by key. Integers accept any integer width/sign (and bool) that
 * fits the target; return false if absent or of an incompatible type. */
bool gguf_get_u32 (const gguf_file *f, const char *key, uint32_t *out);
bool gguf_get_u64 (const gguf_file *f, const char *key, uint64_t *out);
bool gguf_get_i64 (const gguf_file *f, const char *key, int64_t *out);
bool gguf_get_f32 (const gguf_file *f, const char *key, float *out);  /* f32/f64/ints */
bool gguf_get_bool (const gguf_file *f, const char *key, bool *out);
bool gguf_get_str (const gguf_file *f, const char *key, gguf_str *out);

/* Per-layer values: a scalar is broadcast to all n entries, an array must
 * have exactly n entries. Returns false (with a message) otherwise. */
bool gguf_get_u32_per_layer (const gguf_file *f, const char *key, uint32_t *out, uint32_t n,
                             char *err, size_t err_size);
bool gguf_get_bool_per_layer (const gguf_file *f, const char *key, bool *out, uint32_t n,
                              char *err, size_t err_size);

/* Array element access (index checked; false when out of range/wrong type). */
bool gguf_arr_get_str (const gguf_file *f, int64_t key_index, uint64_t i, gguf_str *out);
bool gguf_arr_get_i64 (const gguf_file *f, int64_t key_index, uint64_t i, int64_t *out);
bool gguf_arr_get_f64 (const gguf_file *f, int64_t key_index, uint64_t i, double *out);
/* Raw pointer to a fixed-size element array (not strings/arrays), else NULL.
 * Elements are little-endian and may be unaligned: memcpy them out. */
const void *gguf_arr_data (const gguf_file *f, int64_t key_index);

/* Generic view of a value, for nested arrays and tools that dump metadata.
 * ptr points into the file: at the value for scalars (little-endian, maybe
 * unaligned), at the bytes for strings, at the first element for arrays. */
typedef struct {
  gguf_value_type type;
  gguf_value_type arr_type;  /* arrays only */
  uint64_t arr_len;          /* arrays only */
  const uint8_t *ptr;
  uint64_t n_bytes;          /* bytes of the payload (string: its length) */
} gguf_value;

bool gguf_kv_value (const gguf_file *f, int64_t key_index, gguf_value *out);
/* Element i of an array value; O(1) for fixed-size elements, O(i) for
 * strings and nested arrays. */
bool gguf_value_elem (const gguf_value *arr, uint64_t i, gguf_value *out);

/* --- tensors ------------------------------------------------------------ */
int64_t gguf_n_tensors (const gguf_file *f);
const gguf_tensor *gguf_tensor_at (const gguf_file *f, int64_t i);
const gguf_tensor *gguf_find_tensor (const gguf_file *f, const char *name);  /* NULL if absent */

/* Name of a metadata value type ("u32", "array", ...). */
const char *gguf_value_type_name (gguf_value_type t);
