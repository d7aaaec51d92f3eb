/* gk-blocks.h — on-disk block layouts of the quantized formats.
 *
 * Each layout is defined here and nowhere else; SIMD code reads these
 * structs but never redefines a format.  Layouts and sizes are ggml's (a
 * GGUF tensor is an array of these blocks, little-endian, no padding).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <assert.h>
#include <stdint.h>

#define GK_QK32 32   /* values per block of the "legacy" formats */
#define GK_QK_K 256  /* values per super-block of the K formats */
#define GK_K_SCALE_BYTES 12

typedef uint16_t gk_half; /* IEEE binary16 bits */

/* Q4_0: x = (q - 8) * d, q in 0..15. Low nibbles hold values 0..15,
 * high nibbles values 16..31. */
typedef struct {
  gk_half d;
  uint8_t qs[GK_QK32 / 2];
} gk_block_q4_0;
static_assert (sizeof (gk_block_q4_0) == 18, "q4_0 block size");

/* Q4_1: x = q * d + m. */
typedef struct {
  gk_half d;
  gk_half m;
  uint8_t qs[GK_QK32 / 2];
} gk_block_q4_1;
static_assert (sizeof (gk_block_q4_1) == 20, "q4_1 block size");

/* Q5_0: x = (q - 16) * d; bit 4 of value j is bit j of qh (LE u32). */
typedef struct {
  gk_half d;
  uint8_t qh[4];
  uint8_t qs[GK_QK32 / 2];
} gk_block_q5_0;
static_assert (sizeof (gk_block_q5_0) == 22, "q5_0 block size");

/* Q5_1: x = q * d + m. */
typedef struct {
  gk_half d;
  gk_half m;
  uint8_t qh[4];
  uint8_t qs[GK_QK32 / 2];
} gk_block_q5_1;
static_assert (sizeof (gk_block_q5_1) == 24, "q5_1 block size");

/* Q8_0: x = q * d. */
typedef struct {
  gk_half d;
  int8_t qs[GK_QK32];
} gk_block_q8_0;
static_assert (sizeof (gk_block_q8_0) == 34, "q8_0 block size");

/* Q8_1: Q8_0 plus s = d * sum(q), which lets Q4_1/Q5_1 dots fold in m. */
typedef struct {
  gk_half d;
  gk_half s;
  int8_t qs[GK_QK32];
} gk_block_q8_1;
static_assert (sizeof (gk_block_q8_1) == 36, "q8_1 block size");

/* Q2_K: 16 groups of 16; x = d*(sc&15)*q - dmin*(sc>>4). */
typedef struct {
  uint8_t scales[GK_QK_K / 16];
  uint8_t qs[GK_QK_K / 4];
  gk_half d;
  gk_half dmin;
} gk_block_q2_K;
static_assert (sizeof (gk_block_q2_K) == 84, "q2_K block size");

/* Q3_K: 16 groups of 16, 6-bit signed scales; x = d*(sc-32)*(q-4). */
typedef struct {
  uint8_t hmask[GK_QK_K / 8];
  uint8_t qs[GK_QK_K / 4];
  uint8_t scales[GK_K_SCALE_BYTES];
  gk_half d;
} gk_block_q3_K;
static_assert (sizeof (gk_block_q3_K) == 110, "q3_K block size");

/* Q4_K: 8 groups of 32, 6-bit scales and mins; x = d*sc*q - dmin*m. */
typedef struct {
  gk_half d;
  gk_half dmin;
  uint8_t scales[GK_K_SCALE_BYTES];
  uint8_t qs[GK_QK_K / 2];
} gk_block_q4_K;
static_assert (sizeof (gk_block_q4_K) == 144, "q4_K block size");

/* Q5_K: Q4_K plus one high bit per value. */
typedef struct {
  gk_half d;
  gk_half dmin;
  uint8_t scales[GK_K_SCALE_BYTES];
  uint8_t qh[GK_QK_K / 8];
  uint8_t qs[GK_QK_K / 2];
} gk_block_q5_K;
static_assert (sizeof (gk_block_q5_K) == 176, "q5_K block size");

/* Q6_K: 16 groups of 16, int8 scales; x = d*sc*(q-32). */
typedef struct {
  uint8_t ql[GK_QK_K / 2];
  uint8_t qh[GK_QK_K / 4];
  int8_t scales[GK_QK_K / 16];
  gk_half d;
} gk_block_q6_K;
static_assert (sizeof (gk_block_q6_K) == 210, "q6_K block size");

/* Q8_K: activation format for K-quant dots; F32 scale, per-16 sums. */
typedef struct {
  float d;
  int8_t qs[GK_QK_K];
  int16_t bsums[GK_QK_K / 16];
} gk_block_q8_K;
static_assert (sizeof (gk_block_q8_K) == 292, "q8_K block size");

/* Unpack the j-th (0..7) 6-bit scale and min of a Q4_K/Q5_K block: the
 * first four live in the low 6 bits of bytes 0..3 / 4..7, the last four
 * are split between the nibbles of bytes 8..11 and the top 2 bits of
 * bytes 0..7. */
static inline void
gk_k4_scale_min (int j, const uint8_t *s, uint8_t *sc, uint8_t *m)
{
  if (j < 4)
    {
      *sc = s[j] & 63;
      *m = s[j + 4] & 63;
    }
  else
    {
      *sc = (uint8_t) ((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
      *m = (uint8_t) ((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}
