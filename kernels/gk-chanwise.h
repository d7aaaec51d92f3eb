/* gk-chanwise.h — internal helpers of the channel-wise integer kernels
 * (gk-chanwise.c); the entry points are declared in gemlet-kernels.h.
 *
 * Codes come in two storages (engine/MOBILE-FORMAT.md): compressed-tensors
 * "pack-quantized" (field u = q + 2^(bits-1), element j at bit j*bits of the
 * row, least significant first) and "int-quantized" (one two's-complement
 * int8 per element). Rows are read byte by byte, so they may be unaligned.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet-kernels.h"

#include <stdint.h>

/* Signed code of element j of a row. No field crosses a byte for 2, 4 or
 * 8 bits, so one byte load is enough. */
static inline int
gk_cw_code (const uint8_t *row, int bits, bool offset_binary, int64_t j)
{
  if (offset_binary)
    {
      const uint64_t bit = (uint64_t) j * (uint64_t) bits;
      const int field = (row[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);

      return field - (1 << (bits - 1));
    }
  return (int8_t) row[j];
}
