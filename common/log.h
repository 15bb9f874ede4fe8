/* Logging shared by every program of the project: one line per message on
 * stderr, prefixed with the program name, so vmd can pass a child's stderr
 * straight to the journal. */
#ifndef VMD_COMMON_LOG_H
#define VMD_COMMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Log a message only the first time this call site is reached: for things a
 * guest can trigger at will (unknown ports, bad descriptors), where one line
 * tells the story and a million would fill the disk. */
#define log_once(level, ...)                                            \
	do {                                                            \
		static int log_once_done_;                              \
		if (!__atomic_exchange_n(&log_once_done_, 1,            \
					 __ATOMIC_RELAXED))              \
			log_msg(level, __VA_ARGS__);                    \
	} while (0)

#endif
