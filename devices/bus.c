#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void
bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->lock, NULL);
}

void
bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	pthread_rwlock_destroy(&bus->lock);
	memset(bus, 0, sizeof(*bus));
}

/* Index of the first range whose end is above addr (binary search). */
static unsigned
bus_find_slot(const struct bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn,
	     void *dev, const char *name)
{
	unsigned i;
	int ret = 0;

	if (!len || base + len < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = bus_find_slot(bus, base);
	if (i < bus->nr && bus->ranges[i].base < base + len) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->nr - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct bus_range){ base, len, fn, dev, name };
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int
bus_unregister(struct bus *bus, uint64_t base)
{
	unsigned i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = bus_find_slot(bus, base);
	if (i < bus->nr && bus->ranges[i].base == base) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(bus->ranges[0]));
		bus->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool
bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
	     bool is_write)
{
	const struct bus_range *r;
	unsigned i;
	bool found = false;

	pthread_rwlock_rdlock(&bus->lock);
	i = bus_find_slot(bus, addr);
	if (i < bus->nr) {
		r = &bus->ranges[i];
		/* An access must fit in one range; one that straddles two is a
		 * guest bug and is treated like an unclaimed address. */
		if (r->base <= addr && addr + len <= r->base + r->len) {
			r->fn(r->dev, addr - r->base, data, len, is_write);
			found = true;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!found) {
		if (!is_write)
			memset(data, 0xff, len);
		log_once(LOG_LVL_INFO,
			 "%s: guest %s of %u bytes at 0x%llx hits no device "
			 "(ignored; further ones are not logged)",
			 bus->name, is_write ? "write" : "read", len,
			 (unsigned long long)addr);
	}
	return found;
}
