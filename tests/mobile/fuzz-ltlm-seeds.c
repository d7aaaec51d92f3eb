/* fuzz-ltlm-seeds.c — the starting corpus of fuzz-litertlm: the header
 * FlatBuffers (bytes 32 to header_end) of bundles from the test writer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ltlm-writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static void
save (const char *dir, const char *name, const uint8_t *buf, uint64_t header_end)
{
  char path[4096];

  snprintf (path, sizeof path, "%s/%s", dir, name);
  if (!ltw_write_buf (path, buf + 32, (size_t) (header_end - 32)))
    {
      perror (path);
      exit (1);
    }
}

int
main (int argc, char **argv)
{
  static const uint8_t d[8] = { 1 };
  const ltw_kv kv[] = { { "model_type", LTW_STRING, 0, "tf_lite_prefill_decode" },
                        { "n", LTW_I64, 5, NULL }, { "x", LTW_F32, 0x3f800000u, NULL } };
  const ltw_section one[] = { { 3, kv, 3, d, sizeof d, 0, 0 } };
  const ltw_bundle small = { 1, 9, 0, kv, 2, one, 1, false };
  size_t size;
  uint64_t hend;
  uint8_t *buf;

  if (argc != 2 || (mkdir (argv[1], 0755) != 0 && errno != EEXIST))
    return 2;
  buf = ltw_sample (&size, &hend);
  save (argv[1], "sample", buf, hend);
  free (buf);
  buf = ltw_build (&small, &size, &hend);
  save (argv[1], "small", buf, hend);
  free (buf);
  return 0;
}
