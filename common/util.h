/* Small helpers used on both sides (monitor and control plane). */
#ifndef VMD_COMMON_UTIL_H
#define VMD_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Parse "256M", "2G", "1024K", "512" (bytes) into bytes. Suffixes are
 * binary (K = 1024) and case-insensitive; an optional trailing "iB" or "B"
 * is accepted. Returns 0, or -EINVAL on malformed input, -ERANGE on
 * overflow. */
int util_parse_size(const char *s, uint64_t *out);

/* Parse a whole decimal unsigned number in [min, max]. */
int util_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Copy with truncation that always terminates; returns -ENAMETOOLONG if the
 * source did not fit. */
int util_strlcpy(char *dst, const char *src, size_t size);

/* write() all of buf, retrying on EINTR and short writes. */
int util_write_all(int fd, const void *buf, size_t len);

/* Monotonic clock in nanoseconds. */
uint64_t util_now_ns(void);

#endif
