/* ops.h — element-wise and row-wise operations of the forward pass, written
 * to reproduce llama.cpp's CPU numerics (ggml-cpu ops.cpp / vec.h) where the
 * order of float operations matters.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* y = x / sqrt(mean(x²) + eps) [· w]; sum of squares in double, scale in
 * float, as ggml does. w may be NULL (V norm). x and y may alias. */
void gm_rms_norm (const float *x, const float *w, float *y, int64_t n, float eps);

/* cos/sin of each of the n_rot/2 rotation angles for position pos, generated
 * iteratively (θ *= base^(−2/n_rot) in float) and divided by the optional
 * per-pair frequency factor. cs receives n_rot floats: cos0 sin0 cos1 ... */
void gm_rope_angles (float *cs, int32_t pos, int n_rot, float base, const float *freq_factors);

/* NEOX rotation of one head vector in place: pairs (i, i + n_rot/2). */
void gm_rope_neox (float *x, int n_rot, const float *cs);

/* In place softmax over n values; entries equal to −INFINITY become 0.
 * Exponent sum in double, like ggml_vec_soft_max_f32. */
void gm_softmax_row (float *x, int64_t n);
