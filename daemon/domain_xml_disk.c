/* libvirt domain XML: <disk>, raw images on virtio-blk. */
#include "domain.h"
#include "domain_xml_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- <disk> ---- */

static struct domain_disk *
cur_disk(struct xml_ctx *c)
{
	return &c->def->disks[c->def->ndisks];
}

static int
p_disk_driver(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "name", "type", "cache", NULL };
	static const char *const caches[] = { "default", "none", "writeback",
					      NULL };
	const char *name = xml_attr(c, node, "name");
	const char *type = xml_attr(c, node, "type");
	const char *cache = xml_attr(c, node, "cache");
	int i, r;

	if (name && strcmp(name, "qemu"))
		return xml_refuse(c, node, "driver name='%.20s' is not "
				  "supported: use 'qemu'", name);
	if (type && strcmp(type, "raw"))
		return xml_refuse(c, node, "image format '%.20s' is not "
				  "supported: only raw images (convert with "
				  "qemu-img convert -O raw)", type);
	if (cache) {
		i = xml_lookup(caches, cache);
		if (!strcmp(cache, "unsafe")) {
			/* honouring the guest's flushes is only safer */
			r = xml_warn(c, node, "cache='unsafe' is not supported: "
				     "using 'writeback'");
			if (r < 0)
				return r;
			i = 2;
		} else if (i < 0) {
			/* writethrough/directsync promise durability on
			 * every write that writeback would not keep */
			return xml_refuse(c, node, "cache='%.20s' is not "
					  "supported: use none, writeback or "
					  "default", cache);
		}
		cur_disk(c)->cache = i == 1 ? DOMAIN_CACHE_NONE :
			i == 2 ? DOMAIN_CACHE_WRITEBACK : DOMAIN_CACHE_DEFAULT;
	}
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	return xml_walk(c, node, NULL, 0);
}

static const struct xml_rule disk_source_rules[] = {
	{ "seclabel", XML_WARN, 0, NULL, "security labels are not applied" },
};

static int
p_disk_source(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "file", NULL };
	const char *file = xml_attr(c, node, "file");
	int r;

	if (!file || file[0] != '/' || strlen(file) > DOMAIN_PATH_MAX)
		return xml_invalid(c, node, "a disk needs file='...' with an "
				   "absolute path");
	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_dup(c, &cur_disk(c)->path, file)) < 0)
		return r;
	return xml_walk(c, node, disk_source_rules,
			ARRAY_SIZE(disk_source_rules));
}

static int
p_disk_target(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "dev", "bus", NULL };
	const char *dev = xml_attr(c, node, "dev");
	const char *bus = xml_attr(c, node, "bus");
	size_t i, n;
	int r;

	if (bus && strcmp(bus, "virtio"))
		return xml_refuse(c, node, "disk bus '%.20s' is not emulated: "
				  "use <target dev='vdX' bus='virtio'/>", bus);
	if (!dev)
		return xml_invalid(c, node, "missing dev='vdX'");
	n = strlen(dev);
	if (n < 3 || n > 5 || strncmp(dev, "vd", 2))
		return xml_refuse(c, node, "dev='%.20s': only virtio disks "
				  "(vda, vdb, ...) are emulated", dev);
	for (i = 2; i < n; i++)
		if (dev[i] < 'a' || dev[i] > 'z')
			return xml_invalid(c, node, "dev='%.20s' is not a disk "
					   "name like vda", dev);
	util_strlcpy(cur_disk(c)->target, dev, sizeof(cur_disk(c)->target));
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	return xml_walk(c, node, NULL, 0);
}

static int
p_disk_readonly(struct xml_ctx *c, xmlNode *node)
{
	cur_disk(c)->readonly = true;
	return xml_walk(c, node, NULL, 0);
}

static int
p_disk_serial(struct xml_ctx *c, xmlNode *node)
{
	const char *s;
	size_t i;
	int r = xml_text(c, node, &s);

	if (r < 0)
		return r;
	for (i = 0; s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			break;
	if (!*s || s[i] || i > DOMAIN_DISK_SERIAL_MAX)
		return xml_invalid(c, node, "a disk serial is 1-%d printable "
				   "ASCII characters", DOMAIN_DISK_SERIAL_MAX);
	return xml_dup(c, &cur_disk(c)->serial, s);
}

static int
p_backing_store(struct xml_ctx *c, xmlNode *node)
{
	xmlNode *n;

	/* <backingStore/> (empty) is how libvirt says "no backing chain",
	 * which is all a raw image can have */
	for (n = node->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return xml_refuse(c, node, "backing chains are not "
					  "supported");
	return 0;
}

static const struct xml_rule disk_rules[] = {
	{ "driver", XML_SUPPORTED, 1, p_disk_driver, NULL },
	{ "source", XML_SUPPORTED, 1, p_disk_source, NULL },
	{ "target", XML_SUPPORTED, 1, p_disk_target, NULL },
	{ "readonly", XML_SUPPORTED, 1, p_disk_readonly, NULL },
	{ "serial", XML_SUPPORTED, 1, p_disk_serial, NULL },
	{ "backingStore", XML_SUPPORTED, 1, p_backing_store, NULL },
	COMMON_RULES,
	{ "boot", XML_WARN, 1, NULL, XML_NO_BOOT },
	{ "shareable", XML_WARN, 1, NULL, "the image is not locked either way" },
	{ "geometry", XML_WARN, 1, NULL, "virtio disks have no geometry" },
	{ "blockio", XML_WARN, 1, NULL, "block sizes are the image's" },
	{ "wwn", XML_WARN, 1, NULL, "SCSI/IDE only" },
	{ "vendor", XML_WARN, 1, NULL, "SCSI only" },
	{ "product", XML_WARN, 1, NULL, "SCSI only" },
	{ "transient", XML_REFUSE, 1, NULL, "writes would not be discarded" },
	{ "iotune", XML_REFUSE, 1, NULL, "I/O limits cannot be enforced" },
	{ "encryption", XML_REFUSE, 1, NULL, "encrypted images" },
	{ "auth", XML_REFUSE, 1, NULL, "network disks" },
	{ "mirror", XML_REFUSE, 1, NULL, "block jobs" },
};

int
xml_parse_disk(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "type", "device", NULL };
	const char *type = xml_attr(c, node, "type");
	const char *device = xml_attr(c, node, "device");
	struct domain_disk *d;
	int r;

	if (type && !strcmp(type, "network"))
		return xml_refuse(c, node, "network disk sources (nbd, iscsi, "
				  "rbd, ...) are not supported");
	if (!type || strcmp(type, "file"))
		return xml_refuse(c, node, "disk type='%.20s' is not supported: "
				  "use type='file'", type ? type : "");
	if (device && strcmp(device, "disk"))
		return xml_refuse(c, node, "device='%.20s' is not emulated: "
				  "only device='disk'", device);
	if (c->def->ndisks == DOMAIN_MAX_DISKS)
		return xml_fail(c, node, -E2BIG, "more than %d disks",
				DOMAIN_MAX_DISKS);
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	d = cur_disk(c);
	/* not counted until complete: on failure it is freed here, and
	 * domain_def_free() never sees half a disk */
	memset(d, 0, sizeof(*d));
	r = xml_walk(c, node, disk_rules, ARRAY_SIZE(disk_rules));
	if (r < 0) {
		free(d->path);
		free(d->serial);
		memset(d, 0, sizeof(*d));
		return r;
	}
	if (!d->path || !d->target[0]) {
		free(d->path);
		free(d->serial);
		memset(d, 0, sizeof(*d));
		return xml_invalid(c, node, "a disk needs <source file=.../> "
				   "and <target dev='vdX'/>");
	}
	c->def->ndisks++;
	return 0;
}
