/* version.c — version and CPU/kernel identification strings.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet.h"
#include "gemlet-config.h"

const char *
gm_version (void)
{
  return GEMLET_VERSION;
}

/* Until run-time dispatch lands every build runs the scalar kernels. */
const char *
gm_kernel_variant (void)
{
  return "scalar";
}

const char *
gm_cpu_features (void)
{
  return "unknown";
}
