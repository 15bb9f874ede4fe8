/* The domain model: what a domain definition says, as parsed from and
 * written back to libvirt's domain XML (docs/domain-xml.md). A domain_def is
 * what is on disk; live state (pid, run state, console paths) belongs to the
 * daemon and never goes in here. */
#ifndef VMD_DAEMON_DOMAIN_H
#define VMD_DAEMON_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOMAIN_NAME_MAX 64		/* characters, without the NUL */
#define DOMAIN_UUID_LEN 16
#define DOMAIN_UUID_STRLEN 37		/* "xxxxxxxx-xxxx-...", with the NUL */
#define DOMAIN_MAC_LEN 6
#define DOMAIN_MAC_STRLEN 18		/* "52:54:00:xx:xx:xx", with the NUL */
#define DOMAIN_TITLE_MAX 256
#define DOMAIN_DESCRIPTION_MAX 65536
#define DOMAIN_CMDLINE_MAX 2047		/* x86 Linux COMMAND_LINE_SIZE - 1 */
#define DOMAIN_PATH_MAX 4095
#define DOMAIN_DISK_SERIAL_MAX 20	/* virtio-blk ID string */

/* Limits. The vCPU and memory bounds match vmd-vm's (devices/options.h). */
#define DOMAIN_XML_MAX (1024 * 1024)
#define DOMAIN_MAX_DISKS 16
#define DOMAIN_MAX_NICS 16
#define DOMAIN_MAX_INPUTS 8
#define DOMAIN_MAX_VCPUS 64
#define DOMAIN_MIN_MEMORY_KIB (16ull * 1024)		/* 16 MiB */
#define DOMAIN_MAX_MEMORY_KIB (1ull << 30)		/* 1 TiB */
#define DOMAIN_WARNINGS_MAX 64

enum domain_type { DOMAIN_TYPE_KVM, DOMAIN_TYPE_VMM };

/* What to do when the guest powers off, reboots or crashes. Everything
 * libvirt offers is folded into these two (docs/domain-xml.md says how). */
enum domain_action { DOMAIN_ACTION_DESTROY, DOMAIN_ACTION_RESTART };

enum domain_cpu_mode {
	DOMAIN_CPU_DEFAULT,		/* no <cpu>: vmd-vm's default CPUID */
	DOMAIN_CPU_HOST_PASSTHROUGH,
	DOMAIN_CPU_HOST_MODEL,
	DOMAIN_CPU_MAXIMUM,
};

enum domain_clock_offset { DOMAIN_CLOCK_UTC, DOMAIN_CLOCK_LOCALTIME };

enum domain_disk_cache {
	DOMAIN_CACHE_DEFAULT,
	DOMAIN_CACHE_NONE,		/* O_DIRECT */
	DOMAIN_CACHE_WRITEBACK,
};

struct domain_disk {
	char *path;			/* <source file=...>, absolute */
	char target[16];		/* "vda" ... */
	enum domain_disk_cache cache;
	bool readonly;
	char *serial;			/* NULL: none */
};

enum domain_net_type {
	DOMAIN_NET_USER,		/* user-mode networking (slirp) */
	DOMAIN_NET_ETHERNET,		/* an existing tap: ifname */
	DOMAIN_NET_BRIDGE,		/* a tap vmd adds to bridge */
};

struct domain_net {
	enum domain_net_type type;
	uint8_t mac[DOMAIN_MAC_LEN];
	char *bridge;			/* BRIDGE: <source bridge=...> */
	char *ifname;			/* <target dev=...>; NULL: vmd picks */
};

enum domain_chardev_type {
	DOMAIN_CHR_NONE,
	DOMAIN_CHR_PTY,
	DOMAIN_CHR_FILE,		/* path: output appended to a file */
	DOMAIN_CHR_UNIX,		/* path: listening socket vmd creates */
};

struct domain_chardev {
	enum domain_chardev_type type;
	char *path;
};

struct domain_graphics {
	bool present;			/* <graphics type='spice'> */
	bool autoport;			/* port chosen at start */
	int port;			/* when !autoport: 1..65535 */
	char *listen;			/* address; never NULL when present */
	char *passwd;			/* NULL: none */
};

enum domain_video { DOMAIN_VIDEO_NONE, DOMAIN_VIDEO_VGA, DOMAIN_VIDEO_BOCHS };

enum domain_rng {
	DOMAIN_RNG_NONE,
	DOMAIN_RNG_URANDOM,		/* virtio-rng fed from /dev/urandom */
	DOMAIN_RNG_RANDOM,		/* ... from /dev/random */
};

enum domain_input_type {
	DOMAIN_INPUT_KEYBOARD,
	DOMAIN_INPUT_MOUSE,
	DOMAIN_INPUT_TABLET,
};

enum domain_input_bus { DOMAIN_INPUT_PS2, DOMAIN_INPUT_VIRTIO };

struct domain_input {
	enum domain_input_type type;
	enum domain_input_bus bus;
};

struct domain_def {
	enum domain_type type;
	char name[DOMAIN_NAME_MAX + 1];
	uint8_t uuid[DOMAIN_UUID_LEN];
	char *title;			/* NULL: none */
	char *description;		/* NULL: none */

	uint64_t memory_kib;		/* <memory>: the guest's RAM */
	uint64_t current_memory_kib;	/* <currentMemory>: balloon target */
	unsigned vcpus;

	char *machine;			/* <type machine=...>, kept; NULL: none */
	char *kernel;			/* absolute path; required for now */
	char *initrd;			/* NULL: none */
	char *cmdline;			/* NULL: none */

	bool acpi;
	bool apic;
	enum domain_cpu_mode cpu_mode;
	enum domain_clock_offset clock;

	enum domain_action on_poweroff;
	enum domain_action on_reboot;
	enum domain_action on_crash;

	struct domain_disk disks[DOMAIN_MAX_DISKS];
	size_t ndisks;
	struct domain_net nets[DOMAIN_MAX_NICS];
	size_t nnets;
	struct domain_input inputs[DOMAIN_MAX_INPUTS];
	size_t ninputs;
	struct domain_chardev serial;	/* COM1 (port 0); also the console */
	struct domain_graphics graphics;
	enum domain_video video;
	bool memballoon;		/* virtio-balloon */
	enum domain_rng rng;
};

/* Messages about input that was accepted but not honoured in full. Each one
 * names the element and its line. At most DOMAIN_WARNINGS_MAX are kept; the
 * rest are counted in dropped. Zero-initialise (or domain_warnings_init()),
 * always domain_warnings_free(). */
struct domain_warnings {
	char **msgs;
	size_t count;
	size_t dropped;
};

void domain_warnings_init(struct domain_warnings *w);
/* Returns 0 or -ENOMEM. */
int domain_warnings_add(struct domain_warnings *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void domain_warnings_free(struct domain_warnings *w);

/* A new definition with libvirt's defaults (acpi+apic on, on_reboot
 * restart, others destroy, utc clock, virtio balloon) and nothing else:
 * name, uuid, memory, vcpus and kernel are still to be filled in. NULL on
 * ENOMEM. */
struct domain_def *domain_def_new(void);
void domain_def_free(struct domain_def *def);

/* Checks the rules a definition must keep whatever built it (the parser
 * calls this last): name, memory bounds, currentMemory <= memory, vCPU
 * count, kernel present, absolute paths, unique disk targets and MACs. 0, or
 * -EINVAL with a message in err. */
int domain_def_validate(const struct domain_def *def, char *err, size_t errlen);

/* 1-64 characters of [A-Za-z0-9_.+-], not starting with '.' or '-': the name
 * becomes a file name (/var/lib/vmd/domains/<name>.xml) and a directory. */
bool domain_name_valid(const char *name);

/* "8-4-4-4-12" hex (either case), or 32 hex digits without dashes. The nil
 * UUID is refused. 0 or -EINVAL. */
int domain_uuid_parse(const char *s, uint8_t uuid[DOMAIN_UUID_LEN]);
/* Canonical lower-case form into buf (DOMAIN_UUID_STRLEN bytes); returns buf. */
char *domain_uuid_format(const uint8_t uuid[DOMAIN_UUID_LEN], char *buf);
/* A random (version 4) UUID from getrandom(). 0 or -errno. */
int domain_uuid_generate(uint8_t uuid[DOMAIN_UUID_LEN]);

/* "xx:xx:xx:xx:xx:xx"; multicast and all-zero addresses are refused. */
int domain_mac_parse(const char *s, uint8_t mac[DOMAIN_MAC_LEN]);
char *domain_mac_format(const uint8_t mac[DOMAIN_MAC_LEN], char *buf);
/* 52:54:00:xx:xx:xx with random low bytes (the range libvirt/QEMU use). */
int domain_mac_generate(uint8_t mac[DOMAIN_MAC_LEN]);

const char *domain_type_name(enum domain_type type);

/* Parses libvirt domain XML. xml need not be NUL-terminated; len at most
 * DOMAIN_XML_MAX. On success *out is a new definition (uuid generated when
 * absent, MACs generated when absent) and accepted-but-ignored input is
 * described in w (may be NULL to discard). On failure returns
 *   -EINVAL     malformed XML or a bad value,
 *   -EOPNOTSUPP an element or value vmd refuses (cannot honour it),
 *   -E2BIG      the input or a device count is over its limit,
 *   -ENOMEM,
 * with a message in err naming the element and its line; *out is NULL, and
 * w may hold warnings found before the error (free it either way). Nothing
 * is printed. DTDs and entities are refused (no XXE, no entity bombs). */
int domain_xml_parse(const char *xml, size_t len, struct domain_def **out,
		     struct domain_warnings *w, char *err, size_t errlen);

/* Formatting flags. */
#define DOMAIN_XML_NO_SECRETS 0x1u	/* leave out the SPICE passwd */

/* libvirt-style XML that domain_xml_parse() reads back to an equal
 * definition. Includes secrets: this is the on-disk form. Malloc'd; NULL on
 * ENOMEM. */
char *domain_xml_format(const struct domain_def *def);
char *domain_xml_format_flags(const struct domain_def *def, unsigned flags);

#endif
