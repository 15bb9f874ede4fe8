/* struct domain_def -> libvirt domain XML, in libvirt's own layout (single
 * quotes, two-space indent, memory in KiB) so that dumpxml output diffs
 * cleanly against virsh's. What is written here is exactly what
 * domain_xml_parse() reads back to an equal definition. */
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>

/* Escapes for both text and single- or double-quoted attributes; raw
 * \t \n \r would be normalised away by the parser, so they are written as
 * character references to come back unchanged. */
static void
put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\t': fputs("&#9;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\r': fputs("&#13;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* <tag>text</tag> on one line at the given indent. */
static void
put_text_elem(FILE *f, int indent, const char *tag, const char *text)
{
	fprintf(f, "%*s<%s>", indent, "", tag);
	put_escaped(f, text);
	fprintf(f, "</%s>\n", tag);
}

/* name='value' with a leading space. */
static void
put_attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s='", name);
	put_escaped(f, value);
	fputc('\'', f);
}

static const char *
action_name(enum domain_action a)
{
	return a == DOMAIN_ACTION_RESTART ? "restart" : "destroy";
}

static void
format_os(FILE *f, const struct domain_def *def)
{
	fputs("  <os>\n    <type arch='x86_64'", f);
	if (def->machine)
		put_attr(f, "machine", def->machine);
	fputs(">hvm</type>\n", f);
	if (def->kernel)
		put_text_elem(f, 4, "kernel", def->kernel);
	if (def->initrd)
		put_text_elem(f, 4, "initrd", def->initrd);
	if (def->cmdline)
		put_text_elem(f, 4, "cmdline", def->cmdline);
	fputs("  </os>\n", f);
}

static void
format_cpu_clock(FILE *f, const struct domain_def *def)
{
	static const char *const modes[] = {
		[DOMAIN_CPU_HOST_PASSTHROUGH] = "host-passthrough",
		[DOMAIN_CPU_HOST_MODEL] = "host-model",
		[DOMAIN_CPU_MAXIMUM] = "maximum",
	};

	if (def->acpi || def->apic) {
		fputs("  <features>\n", f);
		if (def->acpi)
			fputs("    <acpi/>\n", f);
		if (def->apic)
			fputs("    <apic/>\n", f);
		fputs("  </features>\n", f);
	}
	if (def->cpu_mode != DOMAIN_CPU_DEFAULT)
		fprintf(f, "  <cpu mode='%s'/>\n", modes[def->cpu_mode]);
	fprintf(f, "  <clock offset='%s'/>\n",
		def->clock == DOMAIN_CLOCK_LOCALTIME ? "localtime" : "utc");
	fprintf(f, "  <on_poweroff>%s</on_poweroff>\n",
		action_name(def->on_poweroff));
	fprintf(f, "  <on_reboot>%s</on_reboot>\n", action_name(def->on_reboot));
	fprintf(f, "  <on_crash>%s</on_crash>\n", action_name(def->on_crash));
}

static void
format_disk(FILE *f, const struct domain_disk *d)
{
	static const char *const caches[] = {
		[DOMAIN_CACHE_NONE] = "none",
		[DOMAIN_CACHE_WRITEBACK] = "writeback",
	};

	fputs("    <disk type='file' device='disk'>\n"
	      "      <driver name='qemu' type='raw'", f);
	if (d->cache != DOMAIN_CACHE_DEFAULT)
		fprintf(f, " cache='%s'", caches[d->cache]);
	fputs("/>\n      <source", f);
	put_attr(f, "file", d->path);
	fputs("/>\n      <target", f);
	put_attr(f, "dev", d->target);
	fputs(" bus='virtio'/>\n", f);
	if (d->readonly)
		fputs("      <readonly/>\n", f);
	if (d->serial)
		put_text_elem(f, 6, "serial", d->serial);
	fputs("    </disk>\n", f);
}

static void
format_net(FILE *f, const struct domain_net *n)
{
	static const char *const types[] = {
		[DOMAIN_NET_USER] = "user",
		[DOMAIN_NET_ETHERNET] = "ethernet",
		[DOMAIN_NET_BRIDGE] = "bridge",
	};
	char mac[DOMAIN_MAC_STRLEN];

	fprintf(f, "    <interface type='%s'>\n", types[n->type]);
	fprintf(f, "      <mac address='%s'/>\n", domain_mac_format(n->mac, mac));
	if (n->type == DOMAIN_NET_BRIDGE && n->bridge) {
		fputs("      <source", f);
		put_attr(f, "bridge", n->bridge);
		fputs("/>\n", f);
	}
	if (n->type != DOMAIN_NET_USER && n->ifname) {
		fputs("      <target", f);
		put_attr(f, "dev", n->ifname);
		fputs("/>\n", f);
	}
	fputs("      <model type='virtio'/>\n    </interface>\n", f);
}

/* libvirt writes COM1 as <serial> and again as the <console>. */
static void
format_serial(FILE *f, const struct domain_chardev *chr)
{
	static const char *const types[] = {
		[DOMAIN_CHR_PTY] = "pty",
		[DOMAIN_CHR_FILE] = "file",
		[DOMAIN_CHR_UNIX] = "unix",
	};
	static const char *const elems[] = { "serial", "console" };
	size_t i;

	if (chr->type == DOMAIN_CHR_NONE)
		return;
	for (i = 0; i < 2; i++) {
		fprintf(f, "    <%s type='%s'>\n", elems[i], types[chr->type]);
		if (chr->type != DOMAIN_CHR_PTY && chr->path) {
			fputs("      <source", f);
			if (chr->type == DOMAIN_CHR_UNIX)
				fputs(" mode='bind'", f);
			put_attr(f, "path", chr->path);
			fputs("/>\n", f);
		}
		fprintf(f, "      <target%s port='0'/>\n",
			i ? " type='serial'" : "");
		fprintf(f, "    </%s>\n", elems[i]);
	}
}

static void
format_graphics(FILE *f, const struct domain_graphics *g, unsigned flags)
{
	if (!g->present)
		return;
	fputs("    <graphics type='spice'", f);
	if (g->autoport)
		fputs(" autoport='yes'", f);
	else
		fprintf(f, " port='%d' autoport='no'", g->port);
	if (g->listen)
		put_attr(f, "listen", g->listen);
	if (g->passwd && !(flags & DOMAIN_XML_NO_SECRETS))
		put_attr(f, "passwd", g->passwd);
	if (g->listen) {
		fputs(">\n      <listen type='address'", f);
		put_attr(f, "address", g->listen);
		fputs("/>\n    </graphics>\n", f);
	} else {
		fputs("/>\n", f);
	}
}

static void
format_devices(FILE *f, const struct domain_def *def, unsigned flags)
{
	static const char *const inputs[] = {
		[DOMAIN_INPUT_KEYBOARD] = "keyboard",
		[DOMAIN_INPUT_MOUSE] = "mouse",
		[DOMAIN_INPUT_TABLET] = "tablet",
	};
	static const char *const videos[] = {
		[DOMAIN_VIDEO_NONE] = "none",
		[DOMAIN_VIDEO_VGA] = "vga",
		[DOMAIN_VIDEO_BOCHS] = "bochs",
	};
	size_t i;

	fputs("  <devices>\n", f);
	for (i = 0; i < def->ndisks; i++)
		format_disk(f, &def->disks[i]);
	for (i = 0; i < def->nnets; i++)
		format_net(f, &def->nets[i]);
	format_serial(f, &def->serial);
	for (i = 0; i < def->ninputs; i++)
		fprintf(f, "    <input type='%s' bus='%s'/>\n",
			inputs[def->inputs[i].type],
			def->inputs[i].bus == DOMAIN_INPUT_VIRTIO ? "virtio" :
			"ps2");
	format_graphics(f, &def->graphics, flags);
	/* with graphics, no <video> would mean the default card: say 'none' */
	if (def->video != DOMAIN_VIDEO_NONE || def->graphics.present)
		fprintf(f, "    <video>\n      <model type='%s'/>\n"
			"    </video>\n", videos[def->video]);
	fprintf(f, "    <memballoon model='%s'/>\n",
		def->memballoon ? "virtio" : "none");
	if (def->rng != DOMAIN_RNG_NONE)
		fprintf(f, "    <rng model='virtio'>\n      <backend "
			"model='random'>%s</backend>\n    </rng>\n",
			def->rng == DOMAIN_RNG_RANDOM ? "/dev/random" :
			"/dev/urandom");
	fputs("  </devices>\n", f);
}

char *
domain_xml_format_flags(const struct domain_def *def, unsigned flags)
{
	char uuid[DOMAIN_UUID_STRLEN];
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	fprintf(f, "<domain type='%s'>\n", domain_type_name(def->type));
	put_text_elem(f, 2, "name", def->name);
	fprintf(f, "  <uuid>%s</uuid>\n", domain_uuid_format(def->uuid, uuid));
	if (def->title)
		put_text_elem(f, 2, "title", def->title);
	if (def->description)
		put_text_elem(f, 2, "description", def->description);
	fprintf(f, "  <memory unit='KiB'>%llu</memory>\n",
		(unsigned long long)def->memory_kib);
	fprintf(f, "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
		(unsigned long long)def->current_memory_kib);
	fprintf(f, "  <vcpu placement='static'>%u</vcpu>\n", def->vcpus);
	format_os(f, def);
	format_cpu_clock(f, def);
	format_devices(f, def, flags);
	fputs("</domain>\n", f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
domain_xml_format(const struct domain_def *def)
{
	return domain_xml_format_flags(def, 0);
}
