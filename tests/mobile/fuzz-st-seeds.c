/* fuzz-st-seeds.c — writes the starting corpus for fuzz-safetensors: small
 * valid files from the test writer (every dtype, metadata, scalars, empty
 * tensors, a packed quantised module) so the fuzzer starts inside the format.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "st-writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *dir;

static void
save (const char *name, const stw_writer *w)
{
  char path[4096];

  snprintf (path, sizeof path, "%s/%s", dir, name);
  if (!stw_write (w, path))
    {
      perror (path);
      exit (1);
    }
}

int
main (int argc, char **argv)
{
  static const char *const dtypes[] = { "BOOL", "U8", "I8", "U16", "I16", "F16", "BF16", "U32",
                                        "I32", "F32", "U64", "I64", "F64", "F8_E4M3" };
  static const uint8_t bytes[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0x3f };
  static const size_t sizes[] = { 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8, 1 };
  stw_writer *w;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DIR\n", argv[0]);
      return 2;
    }
  dir = argv[1];
  if (mkdir (dir, 0700) != 0 && errno != EEXIST)
    {
      perror (dir);
      return 1;
    }

  w = stw_new ();
  stw_metadata (w, "format", "pt");
  for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
    {
      char name[64];

      snprintf (name, sizeof name, "t.%s", dtypes[i]);
      stw_tensor (w, name, dtypes[i], 1, (const int64_t[]) { 2 }, bytes, 2 * sizes[i]);
    }
  save ("dtypes.safetensors", w);
  stw_free (w);

  w = stw_new ();
  stw_tensor (w, "scalar", "F32", 0, NULL, bytes, 4);
  stw_tensor (w, "empty", "BF16", 2, (const int64_t[]) { 0, 3 }, NULL, 0);
  stw_tensor (w, "m.weight_packed", "I32", 2, (const int64_t[]) { 2, 2 }, bytes, 16);
  stw_tensor (w, "m.weight_shape", "I64", 1, (const int64_t[]) { 2 }, bytes, 16);
  stw_tensor (w, "m.weight_scale", "BF16", 2, (const int64_t[]) { 2, 1 }, bytes, 4);
  save ("module.safetensors", w);
  stw_free (w);
  return 0;
}
