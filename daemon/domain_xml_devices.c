/* libvirt domain XML: the <devices> section. */
#include "domain.h"
#include "domain_xml_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- <serial>, <console> ---- */

static int
chardev(struct xml_ctx *c, xmlNode *node, struct domain_chardev *chr,
	bool console);

static int
p_serial(struct xml_ctx *c, xmlNode *node)
{
	if (c->seen_serial)
		return xml_refuse(c, node, "only one serial port (COM1) is "
				  "emulated");
	c->seen_serial = true;
	return chardev(c, node, &c->def->serial, false);
}

static int
p_console(struct xml_ctx *c, xmlNode *node)
{
	/* parsed now, reconciled with <serial> in xml_devices_finish() */
	if (c->console)
		return xml_refuse(c, node, "only one console is supported");
	c->console = node;
	return chardev(c, node, &c->console_chr, true);
}

static int
chr_target(struct xml_ctx *c, xmlNode *node, bool console)
{
	static const char *const attrs[] = { "port", "type", NULL };
	const char *port = xml_attr(c, node, "port");
	const char *type = xml_attr(c, node, "type");
	xmlNode *n;
	int r;

	if (console && type && strcmp(type, "serial"))
		return xml_refuse(c, node, "console target type='%.20s' is not "
				  "emulated: only 'serial' (COM1)", type);
	if (!console && type && strcmp(type, "isa-serial"))
		return xml_refuse(c, node, "serial target type='%.20s' is not "
				  "emulated: only 'isa-serial'", type);
	if (port && strcmp(port, "0"))
		return xml_refuse(c, node, "port='%.10s': only port 0 (COM1) "
				  "is emulated", port);
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	/* <model name='isa-serial'/> is what libvirt writes for COM1 */
	for (n = node->children; n; n = n->next) {
		const char *name;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		name = xml_attr(c, n, "name");
		if (n->ns || strcmp((const char *)n->name, "model") ||
		    !name || strcmp(name, "isa-serial"))
			return xml_refuse(c, n, "only <model name='isa-serial'/>"
					  " is emulated");
	}
	return 0;
}

static int
chardev(struct xml_ctx *c, xmlNode *node, struct domain_chardev *chr,
	bool console)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const types[] = { "pty", "file", "unix", NULL };
	const char *type = xml_attr(c, node, "type");
	bool seen_source = false;
	xmlNode *n;
	int i, r;

	i = xml_lookup(types, type);
	if (i < 0)
		return xml_refuse(c, node, "type='%.20s' is not supported: use "
				  "pty, file or unix", type ? type : "");
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	chr->type = i == 0 ? DOMAIN_CHR_PTY : i == 1 ? DOMAIN_CHR_FILE :
		DOMAIN_CHR_UNIX;
	for (n = node->children; n; n = n->next) {
		const char *name = (const char *)n->name;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns)
			return xml_refuse(c, n, "not supported");
		if (!strcmp(name, "source") && !seen_source) {
			static const char *const sattrs[] = { "path", "mode",
							      NULL };
			const char *path = xml_attr(c, n, "path");
			const char *mode = xml_attr(c, n, "mode");

			seen_source = true;
			if (chr->type == DOMAIN_CHR_PTY) {
				/* a live dumpxml names the pty it got */
				r = xml_warn(c, n, "ignored: a pty is "
					     "allocated at start");
			} else if (chr->type == DOMAIN_CHR_UNIX && mode &&
				   strcmp(mode, "bind")) {
				r = xml_refuse(c, n, "mode='%.20s': only "
					       "mode='bind' (vmd listens)",
					       mode);
			} else if (!path || path[0] != '/' ||
				   strlen(path) > DOMAIN_PATH_MAX) {
				r = xml_invalid(c, n, "path='...' must be an "
						"absolute path");
			} else {
				r = xml_check_attrs(c, n, sattrs);
				if (!r)
					r = xml_dup(c, &chr->path, path);
				if (!r)
					r = xml_walk(c, n, NULL, 0);
			}
		} else if (!strcmp(name, "target")) {
			r = chr_target(c, n, console);
		} else if (!strcmp(name, "log")) {
			r = xml_warn(c, n, "ignored: output is not logged");
		} else if (!strcmp(name, "alias")) {
			r = xml_warn(c, n, "ignored: %s", XML_NO_ALIAS);
		} else if (!strcmp(name, "address")) {
			r = xml_warn(c, n, "ignored: %s", XML_NO_ADDRESS);
		} else {
			r = xml_refuse(c, n, "unknown element in <%s>",
				       (const char *)node->name);
		}
		if (r < 0)
			return r;
	}
	if (chr->type != DOMAIN_CHR_PTY && !chr->path)
		return xml_invalid(c, node, "type='%s' needs <source "
				   "path='...'/>", type);
	return 0;
}

/* ---- <graphics> ---- */

static int
listen_address(struct xml_ctx *c, xmlNode *node, const char *addr)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, addr, buf) != 1 &&
	    inet_pton(AF_INET6, addr, buf) != 1)
		return xml_invalid(c, node, "listen address '%.60s' is not an "
				   "IP address", addr);
	if (c->def->graphics.listen && strcmp(c->def->graphics.listen, addr))
		return xml_invalid(c, node, "listen='%s' and <listen "
				   "address='%.60s'/> differ",
				   c->def->graphics.listen, addr);
	return xml_dup(c, &c->def->graphics.listen, addr);
}

static int
p_graphics_listen(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "type", "address", NULL };
	const char *type = xml_attr(c, node, "type");
	const char *addr = xml_attr(c, node, "address");
	int r;

	if (!type || strcmp(type, "address"))
		return xml_refuse(c, node, "listen type='%.20s' is not "
				  "supported: only type='address'",
				  type ? type : "");
	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (addr && (r = listen_address(c, node, addr)) < 0))
		return r;
	return xml_walk(c, node, NULL, 0);
}

static const char spice_why[] = "SPICE tuning is vmd-vm's";

static const struct xml_rule graphics_rules[] = {
	{ "listen", XML_SUPPORTED, 1, p_graphics_listen, NULL },
	{ "image", XML_WARN, 1, NULL, spice_why },
	{ "jpeg", XML_WARN, 1, NULL, spice_why },
	{ "zlib", XML_WARN, 1, NULL, spice_why },
	{ "playback", XML_WARN, 1, NULL, spice_why },
	{ "streaming", XML_WARN, 1, NULL, spice_why },
	{ "clipboard", XML_WARN, 1, NULL, spice_why },
	{ "mouse", XML_WARN, 1, NULL, spice_why },
	{ "filetransfer", XML_WARN, 1, NULL, spice_why },
	{ "gl", XML_WARN, 1, NULL, "no 3D acceleration" },
	{ "channel", XML_WARN, 0, NULL, spice_why },
	{ "audio", XML_WARN, 1, NULL, "no sound device is emulated" },
};

static int
p_graphics(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "type", "port", "autoport",
					     "listen", "passwd", "tlsPort",
					     "keymap", NULL };
	struct domain_graphics *g = &c->def->graphics;
	const char *type = xml_attr(c, node, "type");
	const char *port = xml_attr(c, node, "port");
	const char *autoport = xml_attr(c, node, "autoport");
	const char *listen = xml_attr(c, node, "listen");
	const char *passwd = xml_attr(c, node, "passwd");
	const char *tls = xml_attr(c, node, "tlsPort");
	uint64_t v;
	int r;

	if (!type || strcmp(type, "spice"))
		return xml_refuse(c, node, "graphics type='%.20s' is not "
				  "supported: only 'spice'", type ? type : "");
	if (g->present)
		return xml_refuse(c, node, "only one <graphics> is supported");
	if (tls && strcmp(tls, "-1"))
		return xml_refuse(c, node, "tlsPort: SPICE over TLS is not "
				  "supported");
	if (xml_attr(c, node, "passwdValidTo"))
		return xml_refuse(c, node, "passwdValidTo: password expiry "
				  "cannot be enforced");
	if (xml_attr(c, node, "defaultMode") &&
	    strcmp(xml_attr(c, node, "defaultMode"), "any") &&
	    strcmp(xml_attr(c, node, "defaultMode"), "insecure"))
		return xml_refuse(c, node, "defaultMode: SPICE over TLS is not "
				  "supported");
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	g->present = true;
	if (autoport && strcmp(autoport, "yes") && strcmp(autoport, "no"))
		return xml_invalid(c, node, "autoport must be 'yes' or 'no'");
	g->autoport = !port || !strcmp(port, "-1") ||
		(autoport && !strcmp(autoport, "yes"));
	if (port && strcmp(port, "-1")) {
		if (util_parse_uint(port, 1, 65535, &v) < 0)
			return xml_invalid(c, node, "port='%.20s' is not a TCP "
					   "port", port);
		if (g->autoport && (r = xml_warn(c, node, "port='%s' ignored "
						  "with autoport='yes'",
						  port)) < 0)
			return r;
		g->port = g->autoport ? 0 : (int)v;
	} else if (autoport && !strcmp(autoport, "no")) {
		return xml_invalid(c, node, "autoport='no' needs a port");
	}
	if (passwd) {
		/* SPICE_MAX_PASSWORD_LENGTH */
		if (strlen(passwd) > 60)
			return xml_invalid(c, node, "passwd is longer than 60 "
					   "characters");
		if ((r = xml_dup(c, &g->passwd, passwd)) < 0)
			return r;
	}
	if (listen && (r = listen_address(c, node, listen)) < 0)
		return r;
	if ((r = xml_walk(c, node, graphics_rules,
			  ARRAY_SIZE(graphics_rules))) < 0)
		return r;
	if (!g->listen && (r = xml_dup(c, &g->listen, "127.0.0.1")) < 0)
		return r;
	if (!g->passwd && strcmp(g->listen, "127.0.0.1") &&
	    strcmp(g->listen, "::1"))
		return xml_warn(c, node, "SPICE listens on %s without a "
				"password: anyone who can reach it gets the "
				"screen, keyboard and mouse", g->listen);
	return 0;
}

/* ---- <video>, <memballoon>, <rng>, <input> ---- */

static int
p_video_model(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "type", "primary", "heads", NULL };
	static const char *const types[] = { "none", "vga", "bochs", NULL };
	static const char *const fallback[] = { "qxl", "virtio", "cirrus",
						"vmvga", NULL };
	static const struct xml_rule rules[] = {
		{ "acceleration", XML_WARN, 1, NULL, "no 3D acceleration" },
		{ "resolution", XML_WARN, 1, NULL, "the guest picks its "
		  "resolution" },
	};
	const char *type = xml_attr(c, node, "type");
	const char *heads = xml_attr(c, node, "heads");
	int i, r;

	i = xml_lookup(types, type);
	if (i < 0 && xml_lookup(fallback, type) >= 0) {
		/* guests drive these as plain VGA when no better driver
		 * binds, so the screen still works */
		if ((r = xml_warn(c, node, "model type='%s' is not emulated: "
				  "using 'vga'", type)) < 0)
			return r;
		i = 1;
	}
	if (i < 0)
		return xml_refuse(c, node, "model type='%.20s' is not emulated: "
				  "use vga or bochs", type ? type : "");
	c->def->video = i == 0 ? DOMAIN_VIDEO_NONE : i == 1 ?
		DOMAIN_VIDEO_VGA : DOMAIN_VIDEO_BOCHS;
	if (heads && strcmp(heads, "1") &&
	    (r = xml_warn(c, node, "heads='%.10s': one head is emulated",
			  heads)) < 0)
		return r;
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	return xml_walk(c, node, rules, ARRAY_SIZE(rules));
}

static const struct xml_rule video_rules[] = {
	{ "model", XML_SUPPORTED, 1, p_video_model, NULL },
	{ "driver", XML_WARN, 1, NULL, "vmd-vm's video settings are used" },
	COMMON_RULES,
};

static int
p_video(struct xml_ctx *c, xmlNode *node)
{
	int r;

	if (c->seen_video)
		return xml_refuse(c, node, "only one video device is emulated");
	c->seen_video = true;
	c->def->video = DOMAIN_VIDEO_VGA;
	if ((r = xml_check_attrs(c, node, (const char *const[]){ NULL })) < 0)
		return r;
	return xml_walk(c, node, video_rules, ARRAY_SIZE(video_rules));
}

static const struct xml_rule balloon_rules[] = {
	{ "stats", XML_WARN, 1, NULL, "balloon statistics are not polled" },
	{ "driver", XML_WARN, 1, NULL, "vmd-vm's virtio settings are used" },
	COMMON_RULES,
};

static int
p_memballoon(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "model", NULL };
	const char *model = xml_attr(c, node, "model");
	int r;

	if (!model || (strcmp(model, "virtio") && strcmp(model, "none")))
		return xml_refuse(c, node, "model='%.20s' is not emulated: use "
				  "'virtio' or 'none'", model ? model : "");
	c->def->memballoon = !strcmp(model, "virtio");
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	return xml_walk(c, node, balloon_rules, ARRAY_SIZE(balloon_rules));
}

static int
p_rng_backend(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "model", NULL };
	const char *model = xml_attr(c, node, "model");
	const char *path;
	int r;

	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	if (model && !strcmp(model, "builtin")) {
		c->def->rng = DOMAIN_RNG_URANDOM;
		return xml_warn(c, node, "model='builtin': using /dev/urandom, "
				"which is the same source");
	}
	if (!model || strcmp(model, "random"))
		return xml_refuse(c, node, "backend model='%.20s' is not "
				  "supported: use 'random'", model ? model : "");
	if ((r = xml_text_trim(c, node, &path)) < 0)
		return r;
	if (!*path || !strcmp(path, "/dev/urandom"))
		c->def->rng = DOMAIN_RNG_URANDOM;
	else if (!strcmp(path, "/dev/random"))
		c->def->rng = DOMAIN_RNG_RANDOM;
	else
		return xml_refuse(c, node, "'%.60s': only /dev/urandom or "
				  "/dev/random", path);
	return 0;
}

static const struct xml_rule rng_rules[] = {
	{ "backend", XML_SUPPORTED, 1, p_rng_backend, NULL },
	{ "rate", XML_WARN, 1, NULL, "the rate is not limited" },
	{ "driver", XML_WARN, 1, NULL, "vmd-vm's virtio settings are used" },
	COMMON_RULES,
};

static int
p_rng(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "model", NULL };
	const char *model = xml_attr(c, node, "model");
	int r;

	if (!model || strcmp(model, "virtio"))
		return xml_refuse(c, node, "model='%.20s' is not emulated: use "
				  "'virtio'", model ? model : "");
	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_walk(c, node, rng_rules, ARRAY_SIZE(rng_rules))) < 0)
		return r;
	if (c->def->rng == DOMAIN_RNG_NONE)
		return xml_invalid(c, node, "needs <backend model='random'>"
				   "/dev/urandom</backend>");
	return 0;
}

static const struct xml_rule input_rules[] = {
	COMMON_RULES,
	{ "driver", XML_WARN, 1, NULL, "vmd-vm's virtio settings are used" },
};

static int
p_input(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "type", "bus", NULL };
	static const char *const types[] = { "keyboard", "mouse", "tablet",
					     NULL };
	const char *type = xml_attr(c, node, "type");
	const char *bus = xml_attr(c, node, "bus");
	struct domain_input in;
	int i, r;

	i = xml_lookup(types, type);
	if (i < 0)
		return xml_refuse(c, node, "input type='%.20s' is not "
				  "supported: use keyboard, mouse or tablet",
				  type ? type : "");
	in.type = (enum domain_input_type)i;
	/* a tablet has no PS/2 form; libvirt's default for it is USB */
	in.bus = in.type == DOMAIN_INPUT_TABLET ? DOMAIN_INPUT_VIRTIO :
		DOMAIN_INPUT_PS2;
	if (bus && !strcmp(bus, "usb")) {
		if ((r = xml_warn(c, node, "bus='usb' is not emulated: using "
				  "bus='virtio'")) < 0)
			return r;
		in.bus = DOMAIN_INPUT_VIRTIO;
	} else if (bus && !strcmp(bus, "virtio")) {
		in.bus = DOMAIN_INPUT_VIRTIO;
	} else if (bus && !strcmp(bus, "ps2")) {
		if (in.type == DOMAIN_INPUT_TABLET)
			return xml_invalid(c, node, "a tablet cannot be on "
					   "bus='ps2'");
		in.bus = DOMAIN_INPUT_PS2;
	} else if (bus) {
		return xml_refuse(c, node, "bus='%.20s' is not emulated: use "
				  "ps2 or virtio", bus);
	}
	if (c->def->ninputs == DOMAIN_MAX_INPUTS)
		return xml_fail(c, node, -E2BIG, "more than %d input devices",
				DOMAIN_MAX_INPUTS);
	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_walk(c, node, input_rules, ARRAY_SIZE(input_rules))) < 0)
		return r;
	c->def->inputs[c->def->ninputs++] = in;
	return 0;
}

/* ---- <controller> ---- */

static int
p_controller(struct xml_ctx *c, xmlNode *node)
{
	const char *type = xml_attr(c, node, "type");
	const char *model = xml_attr(c, node, "model");

	/* PCI roots/ports and virtio-serial are the machine vmd-vm builds
	 * anyway; the whole element (model, target, address) is implied */
	if (type && (!strcmp(type, "pci") || !strcmp(type, "virtio-serial")))
		return 0;
	if (type && !strcmp(type, "usb"))
		return model && !strcmp(model, "none") ? 0 :
			xml_warn(c, node, "ignored: no USB controller is "
				 "emulated");
	/* only virtio disks exist, so nothing can sit on these */
	if (type && (!strcmp(type, "scsi") || !strcmp(type, "sata") ||
		     !strcmp(type, "ide") || !strcmp(type, "fdc")))
		return xml_warn(c, node, "ignored: no disk uses a %s "
				"controller; only virtio disks are emulated",
				type);
	if (type && (!strcmp(type, "ccid") || !strcmp(type, "isa")))
		return xml_warn(c, node, "ignored: no %s controller is "
				"emulated", type);
	return xml_refuse(c, node, "controller type='%.20s' is not supported",
			  type ? type : "");
}

static const struct xml_rule devices_rules[] = {
	{ "disk", XML_SUPPORTED, 0, xml_parse_disk, NULL },
	{ "interface", XML_SUPPORTED, 0, xml_parse_interface, NULL },
	{ "serial", XML_SUPPORTED, 0, p_serial, NULL },
	{ "console", XML_SUPPORTED, 0, p_console, NULL },
	{ "graphics", XML_SUPPORTED, 0, p_graphics, NULL },
	{ "video", XML_SUPPORTED, 0, p_video, NULL },
	{ "memballoon", XML_SUPPORTED, 1, p_memballoon, NULL },
	{ "rng", XML_SUPPORTED, 1, p_rng, NULL },
	{ "input", XML_SUPPORTED, 0, p_input, NULL },
	{ "controller", XML_SUPPORTED, 0, p_controller, NULL },
	{ "emulator", XML_WARN, 1, NULL, "vmd runs vmd-vm" },
	{ "sound", XML_WARN, 0, NULL, "no sound device is emulated" },
	{ "audio", XML_WARN, 0, NULL, "no sound device is emulated" },
	{ "channel", XML_WARN, 0, NULL, "no guest agent or SPICE agent "
	  "channel is provided" },
	{ "redirdev", XML_WARN, 0, NULL, "no USB redirection" },
	{ "redirfilter", XML_WARN, 1, NULL, "no USB redirection" },
	{ "smartcard", XML_WARN, 0, NULL, "no smartcard reader is emulated" },
	{ "hub", XML_WARN, 0, NULL, "no USB is emulated" },
	{ "panic", XML_WARN, 0, NULL, "no panic device: a guest crash looks "
	  "like a hang" },
	{ "parallel", XML_WARN, 0, NULL, "no parallel port is emulated" },
	{ "hostdev", XML_REFUSE, 0, NULL, "host device passthrough" },
	{ "filesystem", XML_REFUSE, 0, NULL, "host directory sharing "
	  "(virtiofs, 9p)" },
	{ "shmem", XML_REFUSE, 0, NULL, "shared memory devices" },
	{ "tpm", XML_REFUSE, 0, NULL, "no TPM is emulated, and a guest that "
	  "measures its boot or seals keys relies on one" },
	{ "watchdog", XML_REFUSE, 0, NULL, "no watchdog is emulated, so its "
	  "action could never happen" },
	{ "vsock", XML_REFUSE, 1, NULL, "virtio-vsock is not emulated yet" },
	{ "iommu", XML_REFUSE, 1, NULL, "no IOMMU is emulated" },
	{ "memory", XML_REFUSE, 0, NULL, "memory hotplug" },
	{ "lease", XML_REFUSE, 0, NULL, "lock leases" },
	{ "nvram", XML_REFUSE, 1, NULL, "not an x86 device" },
	{ "crypto", XML_REFUSE, 0, NULL, "no crypto device is emulated" },
	{ "pstore", XML_REFUSE, 1, NULL, "no pstore device is emulated" },
};

int
xml_parse_devices(struct xml_ctx *c, xmlNode *node)
{
	return xml_walk(c, node, devices_rules, ARRAY_SIZE(devices_rules));
}

int
xml_devices_finish(struct xml_ctx *c, xmlNode *root)
{
	struct domain_chardev *con = &c->console_chr;
	struct domain_def *def = c->def;
	int r = 0;

	(void)root;
	if (c->console && def->serial.type == DOMAIN_CHR_NONE) {
		/* a lone console is COM1 */
		def->serial = *con;
		con->path = NULL;
	} else if (c->console) {
		/* libvirt writes COM1 twice, as <serial> and as <console>;
		 * the <serial> wins, as it does in libvirt */
		if (con->type != def->serial.type ||
		    (con->path && def->serial.path &&
		     strcmp(con->path, def->serial.path)))
			r = xml_warn(c, c->console, "differs from <serial> "
				     "port 0: the serial port's settings are "
				     "used");
		if (r < 0)
			return r;
	}
	/* a screen needs a video card: libvirt adds one too */
	if (def->graphics.present && !c->seen_video)
		def->video = DOMAIN_VIDEO_VGA;
	return 0;
}
