/* fuzz-safetensors.c — libFuzzer harness for the safetensors reader. The
 * input buffer is exactly the file, so any read outside it is caught by
 * AddressSanitizer; every accepted file must be self-consistent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "safetensors.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static volatile float sink;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char err[512] = "";
  sft_file *f = sft_open_memory (data, size, err, sizeof err);
  uint64_t end = 0;

  if (f == NULL)
    {
      if (err[0] == '\0')
        __builtin_trap (); /* every rejection says why */
      return 0;
    }
  for (int64_t i = 0; i < sft_n_tensors (f); i++)
    {
      const sft_tensor *t = sft_tensor_at (f, i);
      float v;
      int64_t iv;

      if (t == NULL || sft_find (f, t->name) != t || t->name[0] == '\0')
        __builtin_trap ();
      if (t->offset < sft_data_offset (f) || t->offset + t->n_bytes > size
          || (const uint8_t *) t->data != data + t->offset
          || t->n_bytes != t->n_elements * sft_dtype_size (t->dtype))
        __builtin_trap ();
      /* Sorted by offset and non-overlapping (empty tensors aside). */
      if (t->n_bytes > 0)
        {
          if (t->offset < end)
            __builtin_trap ();
          end = t->offset + t->n_bytes;
        }
      if (t->n_elements > 0)
        {
          if (sft_read_float (t, t->n_elements - 1, &v))
            sink += v;
          if (sft_read_int (t, 0, &iv))
            sink += (float) iv;
        }
    }
  for (int64_t i = 0; i < sft_n_metadata (f); i++)
    if (sft_metadata_get (f, sft_metadata_key (f, i)) == NULL || sft_metadata_value (f, i) == NULL)
      __builtin_trap ();
  sft_close (f);
  return 0;
}
