// Linux calls that Swift's Glibc module does not expose (they need _GNU_SOURCE).
// A C target of its own because no system library is involved; used by FerryCore only.
#ifndef FERRY_SYSTEM_H
#define FERRY_SYSTEM_H
#include <stdint.h>

/// Starts writeback of [offset, offset+length) without waiting (sync_file_range with
/// SYNC_FILE_RANGE_WRITE). Returns 0 or -1 with errno set; a no-op returning 0 elsewhere.
int ferry_start_writeback(int fd, int64_t offset, int64_t length);

/// Caps glibc's malloc arenas at `arenas` (mallopt M_ARENA_MAX) unless MALLOC_ARENA_MAX is set
/// in the environment, which then wins. Returns 1 when the cap was set, 0 when left alone.
int ferry_limit_malloc_arenas(int arenas);
#endif
