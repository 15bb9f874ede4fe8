/* Port I/O and MMIO dispatch. A device registers a range with a handler;
 * vCPU threads look the range up on every exit, so lookups take a read lock
 * and registration (PCI BAR moves) a write lock. */
#ifndef VMD_DEVICES_BUS_H
#define VMD_DEVICES_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Called on a vCPU thread with the offset inside the registered range.
 * On a read the handler fills data[0..len); on a write it consumes it.
 * Handlers lock their own device: several vCPUs may call at once. */
typedef void (*bus_io_fn)(void *dev, uint64_t offset, uint8_t *data,
			  uint32_t len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_io_fn fn;
	void *dev;
	const char *name;
};

struct bus {
	const char *name; /* "pio" or "mmio", for log lines */
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base, never overlapping */
	unsigned nr, cap;
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);
/* -EEXIST if [base, base+len) overlaps a registered range. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn,
		 void *dev, const char *name);
int bus_unregister(struct bus *bus, uint64_t base);
/* Returns false when nothing claims addr; a read is then all-ones. */
bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		  bool is_write);

#endif
