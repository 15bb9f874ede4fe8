/* The domain model: allocation, validation, names, UUIDs and MACs. */
#include "domain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"

void
domain_warnings_init(struct domain_warnings *w)
{
	memset(w, 0, sizeof(*w));
}

int
domain_warnings_add(struct domain_warnings *w, const char *fmt, ...)
{
	va_list ap;
	char **msgs;
	char *msg;
	int n;

	/* A hostile or generated file could hold thousands of ignored
	 * elements: a bounded list, and a count of the rest, says enough. */
	if (w->count >= DOMAIN_WARNINGS_MAX) {
		w->dropped++;
		return 0;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	msgs = realloc(w->msgs, (w->count + 1) * sizeof(*msgs));
	if (!msgs) {
		free(msg);
		return -ENOMEM;
	}
	msgs[w->count++] = msg;
	w->msgs = msgs;
	return 0;
}

void
domain_warnings_free(struct domain_warnings *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->count; i++)
		free(w->msgs[i]);
	free(w->msgs);
	domain_warnings_init(w);
}

struct domain_def *
domain_def_new(void)
{
	struct domain_def *def = calloc(1, sizeof(*def));

	if (!def)
		return NULL;
	def->type = DOMAIN_TYPE_KVM;
	def->acpi = true;
	def->apic = true;
	def->clock = DOMAIN_CLOCK_UTC;
	def->on_poweroff = DOMAIN_ACTION_DESTROY;
	def->on_reboot = DOMAIN_ACTION_RESTART;
	def->on_crash = DOMAIN_ACTION_DESTROY;
	def->memballoon = true;
	return def;
}

void
domain_def_free(struct domain_def *def)
{
	size_t i;

	if (!def)
		return;
	free(def->title);
	free(def->description);
	free(def->machine);
	free(def->kernel);
	free(def->initrd);
	free(def->cmdline);
	for (i = 0; i < def->ndisks; i++) {
		free(def->disks[i].path);
		free(def->disks[i].serial);
	}
	for (i = 0; i < def->nnets; i++) {
		free(def->nets[i].bridge);
		free(def->nets[i].ifname);
	}
	free(def->serial.path);
	free(def->graphics.listen);
	free(def->graphics.passwd);
	free(def);
}

bool
domain_name_valid(const char *name)
{
	size_t i, n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n > DOMAIN_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '+' || c == '-'))
			return false;
	}
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
domain_uuid_parse(const char *s, uint8_t uuid[DOMAIN_UUID_LEN])
{
	uint8_t u[DOMAIN_UUID_LEN];
	bool dashed;
	size_t i, pos = 0;
	uint8_t any = 0;

	if (!s)
		return -EINVAL;
	dashed = strlen(s) == 36;
	if (!dashed && strlen(s) != 32)
		return -EINVAL;
	for (i = 0; i < DOMAIN_UUID_LEN; i++) {
		int hi, lo;

		/* dashes after bytes 4, 6, 8 and 10: 8-4-4-4-12 */
		if (dashed && (i == 4 || i == 6 || i == 8 || i == 10)) {
			if (s[pos] != '-')
				return -EINVAL;
			pos++;
		}
		hi = hexval(s[pos]);
		lo = hi < 0 ? -1 : hexval(s[pos + 1]);
		if (lo < 0)
			return -EINVAL;
		u[i] = (uint8_t)(hi << 4 | lo);
		any |= u[i];
		pos += 2;
	}
	if (s[pos] || !any)
		return -EINVAL;
	memcpy(uuid, u, sizeof(u));
	return 0;
}

char *
domain_uuid_format(const uint8_t uuid[DOMAIN_UUID_LEN], char *buf)
{
	snprintf(buf, DOMAIN_UUID_STRLEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5],
		 uuid[6], uuid[7], uuid[8], uuid[9], uuid[10], uuid[11],
		 uuid[12], uuid[13], uuid[14], uuid[15]);
	return buf;
}

static int
random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
domain_uuid_generate(uint8_t uuid[DOMAIN_UUID_LEN])
{
	int r = random_bytes(uuid, DOMAIN_UUID_LEN);

	if (r < 0)
		return r;
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);	/* version 4 */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	return 0;
}

int
domain_mac_parse(const char *s, uint8_t mac[DOMAIN_MAC_LEN])
{
	uint8_t m[DOMAIN_MAC_LEN];
	uint8_t any = 0;
	size_t i;

	if (!s || strlen(s) != DOMAIN_MAC_STRLEN - 1)
		return -EINVAL;
	for (i = 0; i < DOMAIN_MAC_LEN; i++) {
		const char *p = s + i * 3;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < DOMAIN_MAC_LEN - 1 && p[2] != ':')
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
		any |= m[i];
	}
	/* a multicast source address would make the guest's frames be
	 * flooded or dropped by every bridge on the way */
	if (!any || (m[0] & 1))
		return -EINVAL;
	memcpy(mac, m, sizeof(m));
	return 0;
}

char *
domain_mac_format(const uint8_t mac[DOMAIN_MAC_LEN], char *buf)
{
	snprintf(buf, DOMAIN_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

int
domain_mac_generate(uint8_t mac[DOMAIN_MAC_LEN])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	return random_bytes(mac + 3, 3);
}

const char *
domain_type_name(enum domain_type type)
{
	return type == DOMAIN_TYPE_VMM ? "vmm" : "kvm";
}

static bool
path_ok(const char *path)
{
	return path && path[0] == '/' && strlen(path) <= DOMAIN_PATH_MAX;
}

static int
validate_devices(const struct domain_def *def, char *err, size_t errlen)
{
	char mac[DOMAIN_MAC_STRLEN];
	size_t i, j;

	if (def->ndisks > DOMAIN_MAX_DISKS || def->nnets > DOMAIN_MAX_NICS ||
	    def->ninputs > DOMAIN_MAX_INPUTS) {
		snprintf(err, errlen, "too many devices (at most %d disks, "
			 "%d interfaces, %d inputs)", DOMAIN_MAX_DISKS,
			 DOMAIN_MAX_NICS, DOMAIN_MAX_INPUTS);
		return -EINVAL;
	}
	for (i = 0; i < def->ndisks; i++) {
		const struct domain_disk *d = &def->disks[i];

		if (!path_ok(d->path)) {
			snprintf(err, errlen, "disk %s: source file must be "
				 "an absolute path", d->target);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(d->target, def->disks[j].target)) {
				snprintf(err, errlen, "two disks use target "
					 "dev '%s'", d->target);
				return -EINVAL;
			}
		}
	}
	for (i = 0; i < def->nnets; i++) {
		const struct domain_net *n = &def->nets[i];

		if (n->type == DOMAIN_NET_BRIDGE && !n->bridge) {
			snprintf(err, errlen, "bridge interface without a "
				 "bridge name");
			return -EINVAL;
		}
		if (n->type == DOMAIN_NET_ETHERNET && !n->ifname) {
			snprintf(err, errlen, "ethernet interface without "
				 "a tap device name");
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!memcmp(n->mac, def->nets[j].mac, DOMAIN_MAC_LEN)) {
				snprintf(err, errlen, "two interfaces use "
					 "MAC address %s",
					 domain_mac_format(n->mac, mac));
				return -EINVAL;
			}
		}
	}
	if ((def->serial.type == DOMAIN_CHR_FILE ||
	     def->serial.type == DOMAIN_CHR_UNIX) && !path_ok(def->serial.path)) {
		snprintf(err, errlen, "serial: source path must be an "
			 "absolute path");
		return -EINVAL;
	}
	if (def->graphics.present && !def->graphics.listen) {
		snprintf(err, errlen, "graphics: no listen address");
		return -EINVAL;
	}
	return 0;
}

int
domain_def_validate(const struct domain_def *def, char *err, size_t errlen)
{
	if (!domain_name_valid(def->name)) {
		snprintf(err, errlen, "invalid domain name '%s': use 1-%d "
			 "letters, digits and '_.+-', not starting with '.' "
			 "or '-'", def->name, DOMAIN_NAME_MAX);
		return -EINVAL;
	}
	if (def->memory_kib < DOMAIN_MIN_MEMORY_KIB ||
	    def->memory_kib > DOMAIN_MAX_MEMORY_KIB) {
		snprintf(err, errlen, "memory of %llu KiB is out of range "
			 "(%llu KiB to %llu KiB)",
			 (unsigned long long)def->memory_kib,
			 DOMAIN_MIN_MEMORY_KIB, DOMAIN_MAX_MEMORY_KIB);
		return -EINVAL;
	}
	if (def->current_memory_kib == 0 ||
	    def->current_memory_kib > def->memory_kib) {
		snprintf(err, errlen, "currentMemory (%llu KiB) must be "
			 "between 1 KiB and memory (%llu KiB)",
			 (unsigned long long)def->current_memory_kib,
			 (unsigned long long)def->memory_kib);
		return -EINVAL;
	}
	if (def->vcpus < 1 || def->vcpus > DOMAIN_MAX_VCPUS) {
		snprintf(err, errlen, "vcpu count %u is out of range (1 to "
			 "%d)", def->vcpus, DOMAIN_MAX_VCPUS);
		return -EINVAL;
	}
	if (!def->kernel) {
		snprintf(err, errlen, "direct kernel boot is required for now: "
			 "add <kernel> (and <initrd>) to <os>");
		return -EINVAL;
	}
	if (!path_ok(def->kernel) || (def->initrd && !path_ok(def->initrd))) {
		snprintf(err, errlen, "kernel and initrd must be absolute "
			 "paths");
		return -EINVAL;
	}
	if (def->cmdline && strlen(def->cmdline) > DOMAIN_CMDLINE_MAX) {
		snprintf(err, errlen, "kernel command line longer than %d "
			 "bytes", DOMAIN_CMDLINE_MAX);
		return -EINVAL;
	}
	return validate_devices(def, err, errlen);
}
