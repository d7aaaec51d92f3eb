/* version.c — version and CPU/kernel identification strings.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet.h"
#include "gemlet-config.h"
#include "gemlet-kernels.h"

const char *
gm_version (void)
{
  return GEMLET_VERSION;
}

/* The kernel set chosen at run time from CPUID/XGETBV, e.g. "avx2+fma+f16c". */
const char *
gm_kernel_variant (void)
{
  return gk_variant_name ();
}

const char *
gm_cpu_features (void)
{
  return gk_cpu_features ();
}
