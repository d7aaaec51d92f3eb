/* fuzz-litertlm.c — libFuzzer harness for the LiteRT-LM header decoder
 * (ltlm_parse_header, engine/litertlm.c): the input is the FlatBuffer
 * exactly (the bytes from 32 to header_end of a bundle), so any read
 * outside it is caught by AddressSanitizer; an accepted header must be
 * self-consistent and a rejected one must say why.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "litertlm.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* as if the header ended at 32 + size in a 1 MiB file */
  ltlm_file lf = { .major = 1, .header_end = 32 + (uint64_t) size, .file_size = 1u << 20 };
  char err[512] = "";

  if (!ltlm_parse_header (data, size, &lf, err, sizeof err))
    {
      if (err[0] == '\0')
        __builtin_trap ();
      ltlm_clear (&lf);
      return 0;
    }
  if (lf.n_sections == 0)
    __builtin_trap ();
  for (size_t i = 0; i < lf.n_sections; i++)
    {
      const ltlm_section *s = &lf.sections[i];
      char text[256];

      if (s->begin > s->end || s->end > lf.file_size
          || (s->begin < lf.header_end && s->end > s->begin))
        __builtin_trap ();
      for (size_t k = 0; k < s->n_items; k++)
        {
          if (s->items[k].key == NULL || (s->items[k].type == LTLM_V_STRING && s->items[k].s == NULL))
            __builtin_trap ();
          ltlm_value_text (&s->items[k], false, text, sizeof text);
        }
    }
  for (size_t k = 0; k < lf.n_system; k++)
    if (lf.system[k].key == NULL)
      __builtin_trap ();
  ltlm_clear (&lf);
  return 0;
}
