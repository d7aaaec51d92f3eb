/* st-writer.h — a small safetensors writer for tests. Test-side only: the
 * product never writes safetensors.
 *
 * Tensors are laid out in the order they are added; the JSON header is
 * padded with spaces so the data section starts 8-aligned, as the Python
 * writer does. Raw hooks let tests write deliberately broken headers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct stw_writer stw_writer;

stw_writer *stw_new (void);
void stw_free (stw_writer *w);

void stw_metadata (stw_writer *w, const char *key, const char *value);
/* dtype is the safetensors string ("F32", "I32", ...); data (n_bytes) is
 * copied now. */
void stw_tensor (stw_writer *w, const char *name, const char *dtype, uint32_t n_dims,
                 const int64_t *shape, const void *data, size_t n_bytes);

/* A tensor whose data is all zero and never materialised: stw_write leaves
 * a hole (sparse file), so full-size headers cost no disk or memory. Not
 * for stw_build. */
void stw_tensor_zero (stw_writer *w, const char *name, const char *dtype, uint32_t n_dims,
                      const int64_t *shape, uint64_t n_bytes);

/* The whole file in a malloc'ed buffer. */
uint8_t *stw_build (const stw_writer *w, size_t *size);
bool stw_write (const stw_writer *w, const char *path);

/* A file from a literal header and data section (for malformed headers). */
uint8_t *stw_raw (const char *header, const void *data, size_t data_size, size_t *size);
bool stw_write_buf (const char *path, const void *buf, size_t size);

/* Packs signed codes (rows × cols, each in [-2^(bits-1), 2^(bits-1)-1]) the
 * way compressed-tensors pack_to_int32 does: add 2^(bits-1), fill 32-bit
 * words from the least significant bits, each row padded to whole words,
 * words stored little-endian. out must hold rows * stw_packed_words() * 4
 * bytes. */
int64_t stw_packed_words (int64_t cols, int bits);
void stw_pack_codes (const int8_t *codes, int64_t rows, int64_t cols, int bits, uint8_t *out);

/* BF16 of a float that BF16 holds exactly (tests pick such values). */
uint16_t stw_bf16 (float f);
