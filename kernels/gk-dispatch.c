/* gk-dispatch.c — CPU detection and the choice of kernel set.
 *
 * Detection runs once (pthread_once).  A variant is usable only if the CPU
 * has its instructions *and* the OS saves the matching register state
 * (XCR0 via XGETBV); otherwise the first AVX instruction could fault on a
 * kernel or hypervisor that disabled it.  On AArch64 Linux the kernel's
 * HWCAP bits say both at once (it sets them only for what it enables).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define GK_X86 1
#else
#define GK_X86 0
#endif

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#define GK_ARM64_LINUX 1
/* AT_HWCAP bits (linux/arch/arm64/include/uapi/asm/hwcap.h), for C
 * libraries whose headers predate them */
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_FPHP
#define HWCAP_FPHP (1UL << 9)
#endif
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1UL << 10)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#else
#define GK_ARM64_LINUX 0
#endif

static const char *const variant_labels[GK_VARIANT_COUNT] = {
  [GK_VARIANT_SCALAR] = "scalar",
  [GK_VARIANT_AVX2] = "avx2+fma+f16c",
  [GK_VARIANT_AVX512] = "avx512+vnni",
  [GK_VARIANT_NEON] = "neon+dotprod",
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static gk_kernels tables[GK_VARIANT_COUNT];
static bool usable[GK_VARIANT_COUNT];
static gk_variant best_variant = GK_VARIANT_SCALAR;
static char features[256] = "";
static _Atomic (const gk_kernels *) current;

#if GK_X86
typedef struct {
  bool sse42, avx, avx2, fma, f16c, bmi2;
  bool avx512f, avx512bw, avx512vl, avx512dq, avx512vnni, avx512bf16;
  bool os_ymm, os_zmm;
} cpu_caps;

static uint64_t
read_xcr0 (void)
{
  uint32_t lo, hi;
  /* xgetbv with ecx = 0; spelled as asm so no -mxsave is needed here */
  __asm__ volatile (".byte 0x0f, 0x01, 0xd0" : "=a" (lo), "=d" (hi) : "c" (0));
  return ((uint64_t) hi << 32) | lo;
}

static void
detect_x86 (cpu_caps *c)
{
  unsigned a, b, cx, d;

  memset (c, 0, sizeof *c);
  if (!__get_cpuid (1, &a, &b, &cx, &d))
    return;
  c->sse42 = cx & (1u << 20);
  c->fma = cx & (1u << 12);
  c->avx = cx & (1u << 28);
  c->f16c = cx & (1u << 29);
  if (cx & (1u << 27)) /* OSXSAVE: XGETBV is available */
    {
      uint64_t xcr0 = read_xcr0 ();
      c->os_ymm = (xcr0 & 0x6) == 0x6;      /* SSE + AVX state */
      c->os_zmm = (xcr0 & 0xe6) == 0xe6;    /* + opmask, ZMM0-15 hi, ZMM16-31 */
    }
  if (__get_cpuid_count (7, 0, &a, &b, &cx, &d))
    {
      c->avx2 = b & (1u << 5);
      c->bmi2 = b & (1u << 8);
      c->avx512f = b & (1u << 16);
      c->avx512dq = b & (1u << 17);
      c->avx512bw = b & (1u << 30);
      c->avx512vl = b & (1u << 31);
      c->avx512vnni = cx & (1u << 11);
      if (a >= 1 && __get_cpuid_count (7, 1, &a, &b, &cx, &d))
        c->avx512bf16 = a & (1u << 5);
    }
}
#endif

#if GK_X86 || GK_ARM64_LINUX
static void
add_feature (bool on, const char *name)
{
  if (!on)
    return;
  if (features[0])
    strncat (features, " ", sizeof features - strlen (features) - 1);
  strncat (features, name, sizeof features - strlen (features) - 1);
}
#endif

static gk_variant
parse_variant (const char *s)
{
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    if (strcmp (s, variant_labels[v]) == 0)
      return (gk_variant) v;
  if (strcmp (s, "avx2") == 0)
    return GK_VARIANT_AVX2;
  if (strcmp (s, "avx512") == 0)
    return GK_VARIANT_AVX512;
  if (strcmp (s, "neon") == 0)
    return GK_VARIANT_NEON;
  return GK_VARIANT_COUNT;
}

static void
init_once_fn (void)
{
  gk_kernels_fill_scalar (&tables[GK_VARIANT_SCALAR]);
  usable[GK_VARIANT_SCALAR] = true;

#if GK_X86
  cpu_caps c;
  detect_x86 (&c);
  add_feature (c.sse42, "sse4.2");
  add_feature (c.avx && c.os_ymm, "avx");
  add_feature (c.avx2 && c.os_ymm, "avx2");
  add_feature (c.fma && c.os_ymm, "fma");
  add_feature (c.f16c && c.os_ymm, "f16c");
  add_feature (c.bmi2, "bmi2");
  add_feature (c.avx512f && c.os_zmm, "avx512f");
  add_feature (c.avx512dq && c.os_zmm, "avx512dq");
  add_feature (c.avx512bw && c.os_zmm, "avx512bw");
  add_feature (c.avx512vl && c.os_zmm, "avx512vl");
  add_feature (c.avx512vnni && c.os_zmm, "avx512vnni");
  add_feature (c.avx512bf16 && c.os_zmm, "avx512bf16");
  if (c.avx && (c.avx2 || c.avx512f) && !c.os_ymm)
    add_feature (true, "(os-disabled-avx)");

#ifdef GK_HAVE_AVX2
  if (c.os_ymm && c.avx && c.avx2 && c.fma && c.f16c)
    {
      tables[GK_VARIANT_AVX2] = tables[GK_VARIANT_SCALAR];
      gk_kernels_fill_avx2 (&tables[GK_VARIANT_AVX2]);
      usable[GK_VARIANT_AVX2] = true;
      best_variant = GK_VARIANT_AVX2;
    }
#endif
#ifdef GK_HAVE_AVX512
  if (usable[GK_VARIANT_AVX2] && c.os_zmm && c.avx512f && c.avx512bw
      && c.avx512vl && c.avx512dq && c.avx512vnni)
    {
      tables[GK_VARIANT_AVX512] = tables[GK_VARIANT_AVX2];
      gk_kernels_fill_avx512 (&tables[GK_VARIANT_AVX512]);
      usable[GK_VARIANT_AVX512] = true;
      best_variant = GK_VARIANT_AVX512;
    }
#endif
#elif GK_ARM64_LINUX
  const unsigned long hw = getauxval (AT_HWCAP);
  add_feature (hw & HWCAP_ASIMD, "asimd");
  add_feature (hw & HWCAP_FPHP, "fphp");
  add_feature (hw & HWCAP_ASIMDHP, "asimdhp");
  add_feature (hw & HWCAP_ASIMDDP, "dotprod");
#ifdef GK_HAVE_NEON
  /* gk-neon.c is built for armv8.2-a+dotprod: SDOT is all it needs
   * beyond the baseline */
  if ((hw & HWCAP_ASIMD) && (hw & HWCAP_ASIMDDP))
    {
      tables[GK_VARIANT_NEON] = tables[GK_VARIANT_SCALAR];
      gk_kernels_fill_neon (&tables[GK_VARIANT_NEON]);
      usable[GK_VARIANT_NEON] = true;
      best_variant = GK_VARIANT_NEON;
    }
#endif
#elif defined(__aarch64__)
  snprintf (features, sizeof features, "asimd");
#endif
  if (!features[0])
    snprintf (features, sizeof features, "none");

  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    tables[v].name = variant_labels[v];

  /* GEMLET_KERNELS lowers the choice (e.g. to rule out a kernel bug). */
  const char *env = getenv ("GEMLET_KERNELS");
  if (env && *env)
    {
      gk_variant want = parse_variant (env);
      if (want < GK_VARIANT_COUNT && usable[want] && want < best_variant)
        best_variant = want;
    }
  atomic_store (&current, &tables[best_variant]);
}

void
gk_init (void)
{
  pthread_once (&init_once, init_once_fn);
}

const gk_kernels *
gk_kernels_current (void)
{
  const gk_kernels *k = atomic_load_explicit (&current, memory_order_acquire);

  if (k == NULL)
    {
      gk_init ();
      k = atomic_load (&current);
    }
  return k;
}

const char *
gk_variant_name (void)
{
  return gk_kernels_current ()->name;
}

const char *
gk_cpu_features (void)
{
  gk_init ();
  return features;
}

bool
gk_variant_supported (gk_variant v)
{
  gk_init ();
  return (unsigned) v < GK_VARIANT_COUNT && usable[v];
}

const char *
gk_variant_label (gk_variant v)
{
  return (unsigned) v < GK_VARIANT_COUNT ? variant_labels[v] : NULL;
}

gk_variant
gk_variant_current (void)
{
  return (gk_variant) (gk_kernels_current () - tables);
}

bool
gk_force_variant (gk_variant v)
{
  if (!gk_variant_supported (v))
    return false;
  atomic_store (&current, &tables[v]);
  return true;
}
