/* file-map.c — see file-map.h.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "file-map.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

bool
gm_file_map_open (const char *path, gm_file_map *map, bool *io_error, char *err, size_t err_size)
{
  struct stat st;
  void *data;
  int fd;

  map->data = NULL;
  map->size = 0;
  if (io_error != NULL)
    *io_error = true;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gm_err_printf (err, err_size, "%s", strerror (errno));
      return false;
    }
  if (fstat (fd, &st) != 0)
    {
      gm_err_printf (err, err_size, "%s", strerror (errno));
      close (fd);
      return false;
    }
  if (!S_ISREG (st.st_mode))
    {
      gm_err_printf (err, err_size, "not a regular file");
      close (fd);
      return false;
    }
  if (io_error != NULL)
    *io_error = false;
  if (st.st_size == 0)
    {
      close (fd);
      gm_err_printf (err, err_size, "file is empty");
      return false;
    }
  if ((uint64_t) st.st_size > SIZE_MAX)
    {
      close (fd);
      gm_err_printf (err, err_size, "file is too large to map");
      return false;
    }
  data = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (data == MAP_FAILED)
    {
      if (io_error != NULL)
        *io_error = true;
      gm_err_printf (err, err_size, "cannot map the file: %s", strerror (errno));
      return false;
    }
  map->data = data;
  map->size = (size_t) st.st_size;
  return true;
}

void
gm_file_map_close (gm_file_map *map)
{
  if (map->data != NULL)
    munmap (map->data, map->size);
  map->data = NULL;
  map->size = 0;
}
