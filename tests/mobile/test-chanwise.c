/* test-chanwise.c — the channel-wise int2/int4/int8 reference kernels
 * against values computed here: codes packed by the test writer, scales
 * chosen exactly representable, dot products in double or exact integers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "gemlet-kernels.h"
#include "st-writer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int check_failures;

static uint32_t rng = 777;

static uint32_t
next_rand (void)
{
  rng = rng * 1664525u + 1013904223u;
  return rng >> 8;
}

enum { N = 200, GROUP = 40 };

static void
test_bits (int bits, bool packed, gk_cw_scale_type st)
{
  const int lo = -(1 << (bits - 1)), span = 1 << bits;
  const int n_groups = N / GROUP;
  int8_t codes[N], back[N], xq[N];
  uint8_t row[N + 8];
  float scales[N / GROUP], x[N], deq[N];
  uint8_t scale_bytes[4 * (N / GROUP)];
  gk_cw_row r;
  double want = 0.0;
  int64_t iwant_group[N / GROUP] = { 0 };
  float got, want_i8 = 0.0f;

  for (int j = 0; j < N; j++)
    {
      codes[j] = (int8_t) (lo + (int) (next_rand () % (uint32_t) span));
      x[j] = (float) ((int) (next_rand () % 2001) - 1000) / 256.0f;
      xq[j] = (int8_t) ((int) (next_rand () % 256) - 128);
    }
  for (int g = 0; g < n_groups; g++)
    {
      scales[g] = (float) (1 + next_rand () % 16) / 128.0f;
      if (st == GK_CW_SCALE_F32)
        memcpy (scale_bytes + 4 * g, &scales[g], 4);
      else
        {
          uint16_t h = st == GK_CW_SCALE_F16 ? gk_fp32_to_fp16 (scales[g]) : stw_bf16 (scales[g]);

          scale_bytes[2 * g] = (uint8_t) h;
          scale_bytes[2 * g + 1] = (uint8_t) (h >> 8);
        }
    }
  /* Offset by one byte: kernels must not need aligned rows. */
  if (packed)
    stw_pack_codes (codes, 1, N, bits, row + 1);
  else
    memcpy (row + 1, codes, N);

  r = (gk_cw_row) { row + 1, bits, packed, scale_bytes, st, GROUP };
  gk_cw_unpack_row (row + 1, bits, packed, back, N);
  CHECK (memcmp (back, codes, N) == 0);

  gk_cw_dequant_row (&r, deq, N);
  for (int j = 0; j < N; j++)
    if (deq[j] != (float) codes[j] * scales[j / GROUP])
      {
        fprintf (stderr, "bits %d: dequant[%d] = %g, want %g\n", bits, j, (double) deq[j],
                 (double) codes[j] * scales[j / GROUP]);
        check_failures++;
        break;
      }

  for (int j = 0; j < N; j++)
    {
      want += (double) codes[j] * scales[j / GROUP] * x[j];
      iwant_group[j / GROUP] += (int64_t) codes[j] * xq[j];
    }
  got = gk_cw_dot_f32 (&r, x, N);
  CHECK (fabs ((double) got - want) <= 1e-4 * (1.0 + fabs (want)));
  for (int g = 0; g < n_groups; g++)
    want_i8 += (float) iwant_group[g] * scales[g];
  want_i8 *= 0.5f;
  CHECK (gk_cw_dot_i8 (&r, xq, 0.5f, N) == want_i8);

  /* Channel-wise: one group spanning the row. */
  r.group_size = N;
  want = 0.0;
  for (int j = 0; j < N; j++)
    want += (double) codes[j] * scales[0] * x[j];
  got = gk_cw_dot_f32 (&r, x, N);
  CHECK (fabs ((double) got - want) <= 1e-4 * (1.0 + fabs (want)));
}

static void
test_activations (void)
{
  /* Half-way cases round to even; out-of-range values saturate. */
  const float x[] = { 2.5f, 3.5f, -2.5f, -0.5f, 0.49f, 1000.0f, -1000.0f, 127.5f, -128.5f, NAN };
  const int8_t want[] = { 2, 4, -2, 0, 0, 127, -128, 127, -128, 0 };
  int8_t q[10];
  float y[3] = { 0.26f, -1.0f, 100.0f };

  gk_cw_quant_act (x, 1.0f, q, 10);
  for (int i = 0; i < 10; i++)
    CHECK (q[i] == want[i]);
  gk_cw_fake_quant (y, 0.5f, 3);
  CHECK (y[0] == 0.5f && y[1] == -1.0f && y[2] == 63.5f);
  gk_cw_fake_quant (y, 0.0f, 3);   /* uncalibrated: unchanged */
  CHECK (y[2] == 63.5f);
}

int
main (void)
{
  static const gk_cw_scale_type st[] = { GK_CW_SCALE_F32, GK_CW_SCALE_F16, GK_CW_SCALE_BF16 };

  for (int s = 0; s < 3; s++)
    {
      test_bits (2, true, st[s]);
      test_bits (4, true, st[s]);
      test_bits (8, true, st[s]);
      test_bits (8, false, st[s]);
      test_bits (4, false, st[s]);
    }
  test_activations ();
  return CHECK_DONE ();
}
