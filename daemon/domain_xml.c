/* libvirt domain XML -> struct domain_def: reading the document safely and
 * the top-level elements. The rule-table walk is in domain_xml_walk.c,
 * devices in domain_xml_devices.c (disks and NICs in their own files),
 * writing in domain_xml_format.c. */
#include "domain.h"
#include "domain_xml_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "util.h"

static const char *
node_name(xmlNode *node)
{
	return (const char *)node->name;
}

/* ---- values ---- */

/* libvirt's scaled integers: b/bytes, KB=1000, k/KiB=1024, MB, M/MiB ...
 * up to E/EiB, case-insensitive; kept in KiB, rounded up like libvirt. */
static int
parse_scaled_kib(const char *num, const char *unit, uint64_t *kib)
{
	uint64_t v, mult = 1024;	/* default unit: KiB */
	unsigned power;

	if (util_parse_uint(num, 0, UINT64_MAX, &v) < 0)
		return -EINVAL;
	if (unit && *unit) {
		static const char letters[] = "kmgtpe";
		const char *p = strchr(letters, tolower((unsigned char)unit[0]));
		unsigned base;

		if (!strcasecmp(unit, "b") || !strcasecmp(unit, "bytes")) {
			mult = 1;
		} else if (p && unit[0]) {
			if (!unit[1] || !strcasecmp(unit + 1, "iB"))
				base = 1024;
			else if (!strcasecmp(unit + 1, "B"))
				base = 1000;
			else
				return -EINVAL;
			mult = 1;
			for (power = 0; power <= (unsigned)(p - letters); power++)
				mult *= base;
		} else {
			return -EINVAL;
		}
	}
	if (v && mult > UINT64_MAX / v)
		return -ERANGE;
	v *= mult;
	*kib = v / 1024 + (v % 1024 != 0);
	return 0;
}

static int
parse_memory_elem(struct xml_ctx *c, xmlNode *node, uint64_t *kib)
{
	static const char *const attrs[] = { "unit", NULL };
	const char *text, *unit = xml_attr(c, node, "unit");
	int r;

	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_text_trim(c, node, &text)) < 0)
		return r;
	r = parse_scaled_kib(text, unit, kib);
	if (r == -ERANGE)
		return xml_invalid(c, node, "'%s %s' is too large", text,
				   unit ? unit : "KiB");
	if (r < 0)
		return xml_invalid(c, node, "'%s' with unit '%s' is not a size "
				   "(units: b, KB, KiB/k, MB, MiB/M, GB, "
				   "GiB/G, TB, TiB/T)", text,
				   unit ? unit : "KiB");
	return 0;
}

/* ---- top-level elements ---- */

static int
p_name(struct xml_ctx *c, xmlNode *node)
{
	const char *s;
	int r = xml_text(c, node, &s);

	if (r < 0)
		return r;
	if (!domain_name_valid(s))
		return xml_invalid(c, node, "invalid name '%.80s': use 1-%d "
				   "letters, digits and '_.+-', not starting "
				   "with '.' or '-'", s, DOMAIN_NAME_MAX);
	util_strlcpy(c->def->name, s, sizeof(c->def->name));
	return 0;
}

static int
p_uuid(struct xml_ctx *c, xmlNode *node)
{
	const char *s;
	int r = xml_text_trim(c, node, &s);

	if (r < 0)
		return r;
	if (domain_uuid_parse(s, c->def->uuid) < 0)
		return xml_invalid(c, node, "'%.40s' is not a valid UUID", s);
	c->seen_uuid = true;
	return 0;
}

static int
p_title(struct xml_ctx *c, xmlNode *node)
{
	const char *s;
	int r = xml_text(c, node, &s);

	if (r < 0)
		return r;
	/* libvirt's rule: a title is one line (it is shown in lists) */
	if (strchr(s, '\n') || strlen(s) > DOMAIN_TITLE_MAX)
		return xml_invalid(c, node, "title must be one line of at most "
				   "%d bytes", DOMAIN_TITLE_MAX);
	return *s ? xml_dup(c, &c->def->title, s) : 0;
}

static int
p_description(struct xml_ctx *c, xmlNode *node)
{
	const char *s;
	int r = xml_text(c, node, &s);

	if (r < 0)
		return r;
	if (strlen(s) > DOMAIN_DESCRIPTION_MAX)
		return xml_invalid(c, node, "longer than %d bytes",
				   DOMAIN_DESCRIPTION_MAX);
	return *s ? xml_dup(c, &c->def->description, s) : 0;
}

static int
p_memory(struct xml_ctx *c, xmlNode *node)
{
	return parse_memory_elem(c, node, &c->def->memory_kib);
}

static int
p_current_memory(struct xml_ctx *c, xmlNode *node)
{
	return parse_memory_elem(c, node, &c->def->current_memory_kib);
}

static const struct xml_rule memory_backing_rules[] = {
	{ "hugepages", XML_REFUSE, 1, NULL, "huge pages are not used for guest "
	  "memory yet" },
	{ "source", XML_REFUSE, 1, NULL, "guest memory is always anonymous "
	  "memory" },
	{ "access", XML_REFUSE, 1, NULL, "guest memory cannot be shared" },
	{ "nosharepages", XML_WARN, 1, NULL, "KSM merging follows the host's "
	  "settings" },
	{ "locked", XML_WARN, 1, NULL, "guest memory is not locked" },
	{ "allocation", XML_WARN, 1, NULL, "guest memory is allocated on "
	  "demand" },
	{ "discard", XML_WARN, 1, NULL, "no discard on shutdown" },
};

static int
p_memory_backing(struct xml_ctx *c, xmlNode *node)
{
	return xml_walk(c, node, memory_backing_rules,
			ARRAY_SIZE(memory_backing_rules));
}

static int
p_vcpu(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "placement", "current", "cpuset",
					     NULL };
	const char *text, *placement = xml_attr(c, node, "placement");
	const char *current = xml_attr(c, node, "current");
	uint64_t n;
	int r;

	if (xml_attr(c, node, "cpuset"))
		return xml_refuse(c, node, "cpuset (vCPU pinning) is not "
				  "supported");
	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_text_trim(c, node, &text)) < 0)
		return r;
	if (util_parse_uint(text, 1, DOMAIN_MAX_VCPUS, &n) < 0)
		return xml_invalid(c, node, "'%.20s' is not a vCPU count from 1 "
				   "to %d", text, DOMAIN_MAX_VCPUS);
	if (placement && strcmp(placement, "static")) {
		if (strcmp(placement, "auto"))
			return xml_invalid(c, node, "placement '%s' is not "
					   "'static' or 'auto'", placement);
		if ((r = xml_warn(c, node, "placement='auto' ignored: vCPUs "
				  "are placed by the host scheduler")) < 0)
			return r;
	}
	if (current && strcmp(current, text))
		return xml_refuse(c, node, "current='%s' differs from the count: "
				  "vCPU hotplug is not supported", current);
	c->def->vcpus = (unsigned)n;
	return 0;
}

/* <os> */

static int
p_os_type(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "arch", "machine", NULL };
	const char *text, *arch = xml_attr(c, node, "arch");
	const char *machine = xml_attr(c, node, "machine");
	int r;

	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_text_trim(c, node, &text)) < 0)
		return r;
	if (strcmp(text, "hvm"))
		return xml_refuse(c, node, "os type '%.20s' is not supported: "
				  "only 'hvm' (full virtualization)", text);
	if (arch && strcmp(arch, "x86_64"))
		return xml_refuse(c, node, "arch='%.20s' is not supported: "
				  "only 'x86_64'", arch);
	if (machine) {
		/* kept for dumpxml; vmd-vm has one machine type */
		if (!*machine || strlen(machine) > 64)
			return xml_invalid(c, node, "machine must be 1-64 "
					   "characters");
		return xml_dup(c, &c->def->machine, machine);
	}
	return 0;
}

static int
os_path(struct xml_ctx *c, xmlNode *node, char **dst)
{
	const char *s;
	int r = xml_text(c, node, &s);

	if (r < 0)
		return r;
	if (s[0] != '/' || strlen(s) > DOMAIN_PATH_MAX)
		return xml_invalid(c, node, "'%.80s' is not an absolute path",
				   s);
	return xml_dup(c, dst, s);
}

static int
p_os_kernel(struct xml_ctx *c, xmlNode *node)
{
	return os_path(c, node, &c->def->kernel);
}

static int
p_os_initrd(struct xml_ctx *c, xmlNode *node)
{
	return os_path(c, node, &c->def->initrd);
}

static int
p_os_cmdline(struct xml_ctx *c, xmlNode *node)
{
	const char *s;
	int r = xml_text(c, node, &s);

	if (r < 0)
		return r;
	if (strlen(s) > DOMAIN_CMDLINE_MAX)
		return xml_invalid(c, node, "longer than the %d bytes Linux "
				   "accepts", DOMAIN_CMDLINE_MAX);
	return *s ? xml_dup(c, &c->def->cmdline, s) : 0;
}

static const char no_firmware[] = "firmware boot is not supported yet: "
	"boot a <kernel> directly";

static const struct xml_rule os_rules[] = {
	{ "type", XML_SUPPORTED, 1, p_os_type, NULL },
	{ "kernel", XML_SUPPORTED, 1, p_os_kernel, NULL },
	{ "initrd", XML_SUPPORTED, 1, p_os_initrd, NULL },
	{ "cmdline", XML_SUPPORTED, 1, p_os_cmdline, NULL },
	{ "boot", XML_WARN, 0, NULL, "the <kernel> is booted directly" },
	{ "bootmenu", XML_WARN, 1, NULL, "the <kernel> is booted directly" },
	{ "bios", XML_WARN, 1, NULL, "no BIOS runs: the <kernel> is booted "
	  "directly" },
	{ "smbios", XML_WARN, 1, NULL, "no SMBIOS tables are provided" },
	{ "loader", XML_REFUSE, 1, NULL, no_firmware },
	{ "nvram", XML_REFUSE, 1, NULL, no_firmware },
	{ "firmware", XML_REFUSE, 1, NULL, no_firmware },
	{ "dtb", XML_REFUSE, 1, NULL, "device trees are for other "
	  "architectures" },
	{ "acpi", XML_REFUSE, 1, NULL, "custom ACPI tables are not supported" },
	{ "init", XML_REFUSE, 1, NULL, "containers are not supported" },
};

static int
p_os(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "firmware", NULL };
	int r;

	if (xml_attr(c, node, "firmware"))
		return xml_refuse(c, node, "firmware='%s': %s",
				  xml_attr(c, node, "firmware"), no_firmware);
	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_walk(c, node, os_rules, ARRAY_SIZE(os_rules))) < 0)
		return r;
	if (!c->def->kernel)
		return xml_refuse(c, node, "direct kernel boot is required for "
				  "now: add <kernel> (and <initrd>)");
	return 0;
}

/* <features> */

static int
p_feat_acpi(struct xml_ctx *c, xmlNode *node)
{
	c->def->acpi = true;
	return xml_empty(c, node);
}

static int
p_feat_apic(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { NULL };
	int r = xml_check_attrs(c, node, attrs);

	c->def->apic = true;
	return r < 0 ? r : xml_empty(c, node);
}

static const char feat_why[] = "not offered to the guest";

static const struct xml_rule features_rules[] = {
	{ "acpi", XML_SUPPORTED, 1, p_feat_acpi, NULL },
	{ "apic", XML_SUPPORTED, 1, p_feat_apic, NULL },
	{ "pae", XML_WARN, 1, NULL, "always on for x86_64" },
	{ "vmport", XML_WARN, 1, NULL, feat_why },
	{ "hyperv", XML_WARN, 1, NULL, "Hyper-V enlightenments are not "
	  "offered" },
	{ "kvm", XML_WARN, 1, NULL, feat_why },
	{ "pmu", XML_WARN, 1, NULL, feat_why },
	{ "vmcoreinfo", XML_WARN, 1, NULL, feat_why },
	{ "hap", XML_WARN, 1, NULL, "nested paging is always used" },
	{ "viridian", XML_WARN, 1, NULL, feat_why },
	{ "privnet", XML_WARN, 1, NULL, feat_why },
	{ "smm", XML_WARN, 1, NULL, "no SMM is emulated" },
	{ "ioapic", XML_WARN, 1, NULL, "the in-kernel IOAPIC is used" },
	{ "msrs", XML_WARN, 1, NULL, feat_why },
	{ "xen", XML_WARN, 1, NULL, feat_why },
	{ "async-teardown", XML_WARN, 1, NULL, feat_why },
};

static int
p_features(struct xml_ctx *c, xmlNode *node)
{
	c->def->acpi = false;
	c->def->apic = false;
	return xml_walk(c, node, features_rules, ARRAY_SIZE(features_rules));
}

/* <cpu> */

static const struct xml_rule cpu_rules[] = {
	{ "model", XML_WARN, 1, NULL, "no CPU model is emulated" },
	{ "vendor", XML_WARN, 1, NULL, "the host's CPU vendor is seen" },
	{ "feature", XML_WARN, 0, NULL, "CPU feature flags are not changed" },
	{ "topology", XML_WARN, 1, NULL, "every vCPU is a socket of its own" },
	{ "cache", XML_WARN, 1, NULL, "cache topology is not changed" },
	{ "maxphysaddr", XML_WARN, 1, NULL, "physical address bits are the "
	  "host's" },
	{ "numa", XML_REFUSE, 1, NULL, "guest NUMA topology is not supported" },
};

static int
p_cpu(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "mode", "match", "check",
					     "migratable", NULL };
	static const char *const modes[] = { "host-passthrough",
					     "host-model", "maximum",
					     "custom", NULL };
	static const enum domain_cpu_mode map[] = {
		DOMAIN_CPU_HOST_PASSTHROUGH, DOMAIN_CPU_HOST_MODEL,
		DOMAIN_CPU_MAXIMUM,
	};
	const char *mode = xml_attr(c, node, "mode");
	int i, r;

	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	i = xml_lookup(modes, mode ? mode : "custom");
	if (i < 0)
		return xml_invalid(c, node, "unknown mode '%.40s'", mode);
	if (!strcmp(modes[i], "custom")) {
		/* the <model> itself is reported by the walk below */
		if (mode && (r = xml_warn(c, node, "mode='custom' is not "
					  "supported: the guest gets vmd-vm's "
					  "default CPU")) < 0)
			return r;
		c->def->cpu_mode = DOMAIN_CPU_DEFAULT;
	} else {
		c->def->cpu_mode = map[i];
	}
	return xml_walk(c, node, cpu_rules, ARRAY_SIZE(cpu_rules));
}

/* <clock> */

static const struct xml_rule clock_rules[] = {
	{ "timer", XML_WARN, 0, NULL, "vmd-vm's RTC, PIT and kvmclock are "
	  "used as they are" },
};

static int
p_clock(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "offset", NULL };
	static const char *const offsets[] = { "utc", "localtime", NULL };
	const char *offset = xml_attr(c, node, "offset");
	int i, r;

	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	i = xml_lookup(offsets, offset ? offset : "utc");
	if (i < 0)
		return xml_refuse(c, node, "offset='%.40s' is not supported: "
				  "use 'utc' or 'localtime'", offset);
	c->def->clock = i ? DOMAIN_CLOCK_LOCALTIME : DOMAIN_CLOCK_UTC;
	return xml_walk(c, node, clock_rules, ARRAY_SIZE(clock_rules));
}

/* on_poweroff, on_reboot, on_crash: what libvirt offers, folded into
 * destroy or restart (docs/domain-xml.md) */

static int
lifecycle(struct xml_ctx *c, xmlNode *node, enum domain_action *out)
{
	static const struct {
		const char *name;
		enum domain_action action;
		bool exact;
	} table[] = {
		{ "destroy", DOMAIN_ACTION_DESTROY, true },
		{ "restart", DOMAIN_ACTION_RESTART, true },
		{ "preserve", DOMAIN_ACTION_DESTROY, false },
		{ "rename-restart", DOMAIN_ACTION_RESTART, false },
		{ "coredump-destroy", DOMAIN_ACTION_DESTROY, false },
		{ "coredump-restart", DOMAIN_ACTION_RESTART, false },
	};
	const char *s;
	size_t i;
	int r = xml_text_trim(c, node, &s);

	if (r < 0)
		return r;
	for (i = 0; i < ARRAY_SIZE(table); i++) {
		if (strcmp(s, table[i].name))
			continue;
		*out = table[i].action;
		if (table[i].exact)
			return 0;
		return xml_warn(c, node, "'%s' is not supported: treated as "
				"'%s'", s, table[i].action == DOMAIN_ACTION_RESTART
				? "restart" : "destroy");
	}
	return xml_invalid(c, node, "unknown action '%.40s' (destroy, restart)",
			   s);
}

static int
p_on_poweroff(struct xml_ctx *c, xmlNode *node)
{
	return lifecycle(c, node, &c->def->on_poweroff);
}

static int
p_on_reboot(struct xml_ctx *c, xmlNode *node)
{
	return lifecycle(c, node, &c->def->on_reboot);
}

static int
p_on_crash(struct xml_ctx *c, xmlNode *node)
{
	return lifecycle(c, node, &c->def->on_crash);
}

static const char no_limits[] = "resource limits cannot be enforced";

static const struct xml_rule domain_rules[] = {
	{ "name", XML_SUPPORTED, 1, p_name, NULL },
	{ "uuid", XML_SUPPORTED, 1, p_uuid, NULL },
	{ "title", XML_SUPPORTED, 1, p_title, NULL },
	{ "description", XML_SUPPORTED, 1, p_description, NULL },
	{ "memory", XML_SUPPORTED, 1, p_memory, NULL },
	{ "currentMemory", XML_SUPPORTED, 1, p_current_memory, NULL },
	{ "memoryBacking", XML_SUPPORTED, 1, p_memory_backing, NULL },
	{ "vcpu", XML_SUPPORTED, 1, p_vcpu, NULL },
	{ "os", XML_SUPPORTED, 1, p_os, NULL },
	{ "features", XML_SUPPORTED, 1, p_features, NULL },
	{ "cpu", XML_SUPPORTED, 1, p_cpu, NULL },
	{ "clock", XML_SUPPORTED, 1, p_clock, NULL },
	{ "on_poweroff", XML_SUPPORTED, 1, p_on_poweroff, NULL },
	{ "on_reboot", XML_SUPPORTED, 1, p_on_reboot, NULL },
	{ "on_crash", XML_SUPPORTED, 1, p_on_crash, NULL },
	{ "devices", XML_SUPPORTED, 1, xml_parse_devices, NULL },
	{ "metadata", XML_WARN, 1, NULL, "application metadata is not kept" },
	{ "genid", XML_WARN, 1, NULL, "no VM generation ID device is "
	  "emulated" },
	{ "iothreads", XML_WARN, 1, NULL, "device I/O runs on vmd-vm's I/O "
	  "thread" },
	{ "iothreadids", XML_WARN, 1, NULL, "device I/O runs on vmd-vm's I/O "
	  "thread" },
	{ "defaultiothread", XML_WARN, 1, NULL, "device I/O runs on vmd-vm's "
	  "I/O thread" },
	{ "resource", XML_WARN, 1, NULL, "the cgroup is chosen by vmd" },
	{ "sysinfo", XML_WARN, 0, NULL, "no SMBIOS tables are provided" },
	{ "on_lockfailure", XML_WARN, 1, NULL, "no disk lock manager is used" },
	{ "pm", XML_WARN, 1, NULL, "guest suspend to RAM/disk is not offered" },
	{ "perf", XML_WARN, 1, NULL, "perf events are not collected" },
	{ "seclabel", XML_WARN, 0, NULL, "security labels (SELinux/AppArmor) "
	  "are not applied" },
	{ "maxMemory", XML_REFUSE, 1, NULL, "memory hotplug" },
	{ "vcpus", XML_REFUSE, 1, NULL, "vCPU hotplug" },
	{ "cputune", XML_REFUSE, 1, NULL, "vCPU pinning and scheduler tuning" },
	{ "numatune", XML_REFUSE, 1, NULL, "NUMA placement" },
	{ "memtune", XML_REFUSE, 1, NULL, no_limits },
	{ "blkiotune", XML_REFUSE, 1, NULL, no_limits },
	{ "throttlegroups", XML_REFUSE, 1, NULL, no_limits },
	{ "launchSecurity", XML_REFUSE, 1, NULL, "memory encryption (SEV, "
	  "TDX) is not available" },
	{ "keywrap", XML_REFUSE, 1, NULL, "s390 only" },
	{ "idmap", XML_REFUSE, 1, NULL, "containers are not supported" },
	{ "bootloader", XML_REFUSE, 1, NULL, "host boot loaders (Xen)" },
	{ "bootloader_args", XML_REFUSE, 1, NULL, "host boot loaders (Xen)" },
};

static int
parse_domain(struct xml_ctx *c, xmlNode *root)
{
	static const char *const attrs[] = { "type", "id", NULL };
	const char *type = xml_attr(c, root, "type");
	struct domain_def *def = c->def;
	xmlNode *n;
	int r;

	if (!type)
		return xml_invalid(c, root, "missing type='kvm' (or 'vmm')");
	if (!strcmp(type, "kvm"))
		def->type = DOMAIN_TYPE_KVM;
	else if (!strcmp(type, "vmm"))
		def->type = DOMAIN_TYPE_VMM;
	else
		return xml_refuse(c, root, "type='%.20s' is not supported: use "
				  "'kvm' (Linux KVM) or 'vmm' (vmm.ko)", type);
	if ((r = xml_check_attrs(c, root, attrs)) < 0)
		return r;
	if (xml_attr(c, root, "id") &&
	    (r = xml_warn(c, root, "id ignored: ids are given at start")) < 0)
		return r;
	def->current_memory_kib = 0;
	def->vcpus = 1;
	if ((r = xml_walk(c, root, domain_rules, ARRAY_SIZE(domain_rules))) < 0)
		return r;

	if (!def->name[0])
		return xml_invalid(c, root, "missing <name>");
	if (!def->memory_kib)
		return xml_invalid(c, root, "missing <memory>");
	for (n = root->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp(node_name(n), "os"))
			break;
	if (!n)
		return xml_refuse(c, root, "missing <os>: direct kernel boot is "
				  "required for now (<os><type>hvm</type>"
				  "<kernel>...</kernel></os>)");
	if (!def->current_memory_kib)
		def->current_memory_kib = def->memory_kib;
	if (def->current_memory_kib > def->memory_kib)
		return xml_invalid(c, root, "currentMemory (%llu KiB) is larger "
				   "than memory (%llu KiB)",
				   (unsigned long long)def->current_memory_kib,
				   (unsigned long long)def->memory_kib);
	/* vmd-vm needs ACPI for SMP (MADT) and a graceful shutdown (power
	 * button), and the in-kernel APIC for interrupts: always there */
	if (!def->acpi && (r = xml_warn(c, root, "no <features><acpi/>: "
					"ACPI is provided anyway")) < 0)
		return r;
	if (!def->apic && (r = xml_warn(c, root, "no <features><apic/>: "
					"the APIC is provided anyway")) < 0)
		return r;
	def->acpi = def->apic = true;
	return xml_devices_finish(c, root);
}

/* ---- reading the document ---- */

struct read_state {
	char msg[256];
	int line;
	bool dtd;
};

static void
on_xml_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr pc = data;
	struct read_state *st = pc->_private;
	size_t n;

	/* the first error says what went wrong; later ones are fallout */
	if (st->msg[0] || !e->message)
		return;
	util_strlcpy(st->msg, e->message, sizeof(st->msg));
	n = strlen(st->msg);
	while (n && (st->msg[n - 1] == '\n' || st->msg[n - 1] == ' '))
		st->msg[--n] = '\0';
	st->line = e->line;
}

/* Called at "<!DOCTYPE": stopping here means the internal subset (entity
 * declarations: XXE, billion laughs) is never even parsed. */
static void
on_doctype(void *data, const xmlChar *name, const xmlChar *ext,
	   const xmlChar *sys)
{
	xmlParserCtxtPtr pc = data;
	struct read_state *st = pc->_private;

	(void)name, (void)ext, (void)sys;
	st->dtd = true;
	st->line = xmlSAX2GetLineNumber(pc);
	xmlStopParser(pc);
}

static int
read_doc(const char *xml, size_t len, xmlDoc **out, char *err, size_t errlen)
{
	struct read_state st = { .msg = "" };
	xmlParserCtxtPtr pc;
	xmlDoc *doc;

	pc = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (!pc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* no network, nothing printed, entities never substituted (no
	 * XML_PARSE_NOENT), and hooks that catch errors and DTDs */
	xmlCtxtUseOptions(pc, XML_PARSE_NONET | XML_PARSE_NOERROR |
			  XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
	pc->_private = &st;
	pc->sax->serror = on_xml_error;
	pc->sax->internalSubset = on_doctype;
	pc->sax->externalSubset = NULL;
	pc->sax->entityDecl = NULL;
	xmlParseDocument(pc);
	doc = pc->myDoc;
	pc->myDoc = NULL;
	if (st.dtd || (doc && (doc->intSubset || doc->extSubset))) {
		snprintf(err, errlen, "line %d: <!DOCTYPE> is not accepted: "
			 "domain XML must not contain a DTD or entity "
			 "declarations", st.line);
		goto fail;
	}
	if (!doc || !pc->wellFormed) {
		if (st.msg[0])
			snprintf(err, errlen, "malformed XML at line %d: %s",
				 st.line, st.msg);
		else
			snprintf(err, errlen, "malformed XML");
		goto fail;
	}
	xmlFreeParserCtxt(pc);
	*out = doc;
	return 0;
fail:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(pc);
	return -EINVAL;
}

int
domain_xml_parse(const char *xml, size_t len, struct domain_def **out,
		 struct domain_warnings *w, char *err, size_t errlen)
{
	struct xml_ctx c = { .w = w, .err = err, .errlen = errlen };
	xmlDoc *doc = NULL;
	xmlNode *root;
	size_t i;
	int r;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (len > DOMAIN_XML_MAX) {
		snprintf(err, errlen, "domain XML of %zu bytes is larger than "
			 "the %d bytes allowed", len, DOMAIN_XML_MAX);
		return -E2BIG;
	}
	if (!xml || !len) {
		snprintf(err, errlen, "empty domain XML");
		return -EINVAL;
	}
	if ((r = read_doc(xml, len, &doc, err, errlen)) < 0)
		return r;
	root = xmlDocGetRootElement(doc);
	if (!root || root->ns || strcmp(node_name(root), "domain")) {
		r = xml_invalid(&c, root, "the root element must be <domain>");
		goto out;
	}
	c.def = domain_def_new();
	if (!c.def) {
		r = xml_fail(&c, NULL, -ENOMEM, "out of memory");
		goto out;
	}
	r = parse_domain(&c, root);
	if (!r && c.oom)
		r = xml_fail(&c, NULL, -ENOMEM, "out of memory");
	if (!r && !c.seen_uuid && (r = domain_uuid_generate(c.def->uuid)) < 0)
		xml_fail(&c, NULL, r, "cannot generate a UUID: %s", strerror(-r));
	if (!r && (r = domain_def_validate(c.def, err, errlen)) < 0)
		goto out;
	if (!r) {
		*out = c.def;
		c.def = NULL;
	}
out:
	domain_def_free(c.def);
	free(c.console_chr.path);
	for (i = 0; i < c.nstrs; i++)
		xmlFree(c.strs[i]);
	free(c.strs);
	xmlFreeDoc(doc);
	return r;
}
