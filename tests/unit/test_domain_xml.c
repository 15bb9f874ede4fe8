/* The domain model and libvirt domain XML: what a user sees when they define
 * a domain (the definition, the warnings, the refusals), and that dumpxml
 * reads back to the same definition. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "domain.h"

/* Lines 1-8; a top-level snippet starts at line 8, devices at line 9. */
#define HEAD								\
	"<domain type='kvm'>\n"						\
	"  <name>t</name>\n"						\
	"  <memory unit='MiB'>256</memory>\n"				\
	"  <os>\n"							\
	"    <type arch='x86_64'>hvm</type>\n"				\
	"    <kernel>/boot/vmlinuz</kernel>\n"				\
	"  </os>\n"

struct result {
	struct domain_def *def;
	struct domain_warnings w;
	char err[512];
	int rc;
};

static void
parse_str(struct result *r, const char *xml)
{
	memset(r, 0, sizeof(*r));
	r->rc = domain_xml_parse(xml, strlen(xml), &r->def, &r->w, r->err,
				 sizeof(r->err));
	if (r->rc == 0)
		assert_non_null(r->def);
	else
		assert_null(r->def);
}

/* The snippet goes after </os>, at line 8. */
static void
parse_top(struct result *r, const char *top)
{
	char *xml;

	assert_true(asprintf(&xml, HEAD "%s</domain>\n", top) > 0);
	parse_str(r, xml);
	free(xml);
}

/* The snippet goes inside <devices>, at line 9. */
static void
parse_devs(struct result *r, const char *devs)
{
	char *xml;

	assert_true(asprintf(&xml, HEAD "  <devices>\n%s  </devices>\n"
			     "</domain>\n", devs) > 0);
	parse_str(r, xml);
	free(xml);
}

static void
result_free(struct result *r)
{
	domain_def_free(r->def);
	domain_warnings_free(&r->w);
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/* One warning, containing text. */
static void
assert_one_warning(struct result *r, const char *text)
{
	if (r->rc)
		fail_msg("refused: %s", r->err);
	if (r->w.count != 1)
		fail_msg("%zu warnings, first: %s", r->w.count,
			 r->w.count ? r->w.msgs[0] : "-");
	assert_contains(r->w.msgs[0], text);
}

static void
assert_refused(struct result *r, int rc, const char *text)
{
	if (r->rc != rc)
		fail_msg("rc %d, expected %d; err: %s", r->rc, rc, r->err);
	assert_contains(r->err, text);
}

static const char full_xml[] =
	"<domain type='vmm'>\n"
	"  <name>web-1.example</name>\n"
	"  <uuid>4DEA22B3-1D52-D8F3-2516-782E98AB3FA0</uuid>\n"
	"  <title>Web server &amp; cache</title>\n"
	"  <description>line one\nline 'two' &lt;tagged&gt;</description>\n"
	"  <memory unit='GiB'>2</memory>\n"
	"  <currentMemory unit='MiB'>1536</currentMemory>\n"
	"  <vcpu placement='static'>4</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
	"    <kernel>/var/lib/vmd/images/vmlinuz</kernel>\n"
	"    <initrd>/var/lib/vmd/images/initrd.img</initrd>\n"
	"    <cmdline>console=ttyS0 root=/dev/vda rw</cmdline>\n"
	"  </os>\n"
	"  <features><acpi/><apic/></features>\n"
	"  <cpu mode='host-passthrough' check='none' migratable='on'/>\n"
	"  <clock offset='localtime'/>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>destroy</on_reboot>\n"
	"  <on_crash>restart</on_crash>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='qemu' type='raw' cache='none'/>\n"
	"      <source file='/var/lib/vmd/images/root.img'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"      <serial>ROOT-0001</serial>\n"
	"    </disk>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='qemu' type='raw' cache='writeback'/>\n"
	"      <source file='/srv/data &amp; more.img'/>\n"
	"      <target dev='vdb'/>\n"
	"      <readonly/>\n"
	"    </disk>\n"
	"    <interface type='bridge'>\n"
	"      <mac address='52:54:00:AB:cd:01'/>\n"
	"      <source bridge='br0'/>\n"
	"      <target dev='vnet7'/>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <interface type='user'>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <interface type='ethernet'>\n"
	"      <mac address='52:54:00:00:00:02'/>\n"
	"      <target dev='tap0' managed='no'/>\n"
	"    </interface>\n"
	"    <serial type='unix'>\n"
	"      <source mode='bind' path='/run/vmd/web-1.example/com1.sock'/>\n"
	"      <target type='isa-serial' port='0'>\n"
	"        <model name='isa-serial'/>\n"
	"      </target>\n"
	"    </serial>\n"
	"    <console type='unix'>\n"
	"      <source mode='bind' path='/run/vmd/web-1.example/com1.sock'/>\n"
	"      <target type='serial' port='0'/>\n"
	"    </console>\n"
	"    <input type='keyboard' bus='ps2'/>\n"
	"    <input type='tablet' bus='virtio'/>\n"
	"    <graphics type='spice' port='5901' autoport='no' "
	"listen='::1' passwd='s3cr&apos;t'>\n"
	"      <listen type='address' address='::1'/>\n"
	"    </graphics>\n"
	"    <video>\n"
	"      <model type='bochs' heads='1' primary='yes'/>\n"
	"    </video>\n"
	"    <memballoon model='none'/>\n"
	"    <rng model='virtio'>\n"
	"      <backend model='random'>/dev/random</backend>\n"
	"    </rng>\n"
	"  </devices>\n"
	"</domain>\n";

static void
check_full(const struct domain_def *d)
{
	char buf[DOMAIN_UUID_STRLEN];

	assert_int_equal(d->type, DOMAIN_TYPE_VMM);
	assert_string_equal(d->name, "web-1.example");
	assert_string_equal(domain_uuid_format(d->uuid, buf),
			    "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
	assert_string_equal(d->title, "Web server & cache");
	assert_string_equal(d->description, "line one\nline 'two' <tagged>");
	assert_int_equal(d->memory_kib, 2 * 1024 * 1024);
	assert_int_equal(d->current_memory_kib, 1536 * 1024);
	assert_int_equal(d->vcpus, 4);
	assert_string_equal(d->machine, "pc-q35-7.2");
	assert_string_equal(d->kernel, "/var/lib/vmd/images/vmlinuz");
	assert_string_equal(d->initrd, "/var/lib/vmd/images/initrd.img");
	assert_string_equal(d->cmdline, "console=ttyS0 root=/dev/vda rw");
	assert_true(d->acpi && d->apic);
	assert_int_equal(d->cpu_mode, DOMAIN_CPU_HOST_PASSTHROUGH);
	assert_int_equal(d->clock, DOMAIN_CLOCK_LOCALTIME);
	assert_int_equal(d->on_poweroff, DOMAIN_ACTION_DESTROY);
	assert_int_equal(d->on_reboot, DOMAIN_ACTION_DESTROY);
	assert_int_equal(d->on_crash, DOMAIN_ACTION_RESTART);

	assert_int_equal(d->ndisks, 2);
	assert_string_equal(d->disks[0].path, "/var/lib/vmd/images/root.img");
	assert_string_equal(d->disks[0].target, "vda");
	assert_int_equal(d->disks[0].cache, DOMAIN_CACHE_NONE);
	assert_false(d->disks[0].readonly);
	assert_string_equal(d->disks[0].serial, "ROOT-0001");
	assert_string_equal(d->disks[1].path, "/srv/data & more.img");
	assert_int_equal(d->disks[1].cache, DOMAIN_CACHE_WRITEBACK);
	assert_true(d->disks[1].readonly);
	assert_null(d->disks[1].serial);

	assert_int_equal(d->nnets, 3);
	assert_int_equal(d->nets[0].type, DOMAIN_NET_BRIDGE);
	assert_string_equal(d->nets[0].bridge, "br0");
	assert_string_equal(d->nets[0].ifname, "vnet7");
	assert_memory_equal(d->nets[0].mac, "\x52\x54\x00\xab\xcd\x01", 6);
	assert_int_equal(d->nets[1].type, DOMAIN_NET_USER);
	/* generated: QEMU/libvirt's locally administered range */
	assert_memory_equal(d->nets[1].mac, "\x52\x54\x00", 3);
	assert_int_equal(d->nets[2].type, DOMAIN_NET_ETHERNET);
	assert_string_equal(d->nets[2].ifname, "tap0");

	assert_int_equal(d->serial.type, DOMAIN_CHR_UNIX);
	assert_string_equal(d->serial.path, "/run/vmd/web-1.example/com1.sock");
	assert_int_equal(d->ninputs, 2);
	assert_int_equal(d->inputs[1].type, DOMAIN_INPUT_TABLET);
	assert_int_equal(d->inputs[1].bus, DOMAIN_INPUT_VIRTIO);
	assert_true(d->graphics.present);
	assert_false(d->graphics.autoport);
	assert_int_equal(d->graphics.port, 5901);
	assert_string_equal(d->graphics.listen, "::1");
	assert_string_equal(d->graphics.passwd, "s3cr't");
	assert_int_equal(d->video, DOMAIN_VIDEO_BOCHS);
	assert_false(d->memballoon);
	assert_int_equal(d->rng, DOMAIN_RNG_RANDOM);
}

static void
test_full_example_round_trips(void **state)
{
	struct result a, b;
	char *xml1, *xml2;

	(void)state;
	parse_str(&a, full_xml);
	if (a.rc)
		fail_msg("refused: %s", a.err);
	/* everything in it is supported: nothing to warn about */
	if (a.w.count)
		fail_msg("unexpected warning: %s", a.w.msgs[0]);
	check_full(a.def);

	xml1 = domain_xml_format(a.def);
	assert_non_null(xml1);
	parse_str(&b, xml1);
	if (b.rc)
		fail_msg("dumpxml output refused: %s\n%s", b.err, xml1);
	assert_int_equal(b.w.count, 0);
	check_full(b.def);
	/* same MAC as generated the first time: dumpxml keeps it */
	assert_memory_equal(a.def->nets[1].mac, b.def->nets[1].mac, 6);
	xml2 = domain_xml_format(b.def);
	assert_string_equal(xml1, xml2);
	/* libvirt's layout, so it diffs cleanly against virsh dumpxml */
	assert_contains(xml1, "<domain type='vmm'>\n  <name>web-1.example</name>\n");
	assert_contains(xml1, "  <memory unit='KiB'>2097152</memory>\n");
	assert_contains(xml1, "<title>Web server &amp; cache</title>");
	assert_contains(xml1, "<source file='/srv/data &amp; more.img'/>");
	assert_contains(xml1, "passwd='s3cr&apos;t'");
	free(xml1);
	free(xml2);
	result_free(&a);
	result_free(&b);
}

static void
test_format_without_secrets(void **state)
{
	struct result a;
	char *xml;

	(void)state;
	parse_str(&a, full_xml);
	assert_int_equal(a.rc, 0);
	xml = domain_xml_format_flags(a.def, DOMAIN_XML_NO_SECRETS);
	assert_non_null(xml);
	assert_null(strstr(xml, "passwd"));
	assert_null(strstr(xml, "s3cr"));
	free(xml);
	result_free(&a);
}

static void
test_minimal_round_trips_with_defaults(void **state)
{
	struct result a, b;
	char *xml;

	(void)state;
	parse_str(&a, HEAD "</domain>\n");
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.w.count, 0);
	assert_int_equal(a.def->vcpus, 1);
	assert_int_equal(a.def->current_memory_kib, 256 * 1024);
	assert_int_equal(a.def->on_poweroff, DOMAIN_ACTION_DESTROY);
	assert_int_equal(a.def->on_reboot, DOMAIN_ACTION_RESTART);
	assert_int_equal(a.def->on_crash, DOMAIN_ACTION_DESTROY);
	assert_int_equal(a.def->clock, DOMAIN_CLOCK_UTC);
	assert_int_equal(a.def->cpu_mode, DOMAIN_CPU_DEFAULT);
	assert_true(a.def->memballoon);	/* libvirt's default */
	assert_int_equal(a.def->video, DOMAIN_VIDEO_NONE);
	assert_int_equal(a.def->serial.type, DOMAIN_CHR_NONE);
	xml = domain_xml_format(a.def);
	parse_str(&b, xml);
	assert_int_equal(b.rc, 0);
	assert_memory_equal(a.def->uuid, b.def->uuid, DOMAIN_UUID_LEN);
	free(xml);
	result_free(&a);
	result_free(&b);
}

/* The bundled demo guest (configs/demo.xml.in) is accepted as it is. */
static void
test_demo_guest_accepted(void **state)
{
	struct result r;

	(void)state;
	parse_str(&r,
		  "<!-- The bundled default guest -->\n"
		  "<domain type='kvm'>\n"
		  "  <name>demo</name>\n"
		  "  <title>vmd reference guest</title>\n"
		  "  <memory unit='MiB'>256</memory>\n"
		  "  <vcpu>2</vcpu>\n"
		  "  <os>\n"
		  "    <type arch='x86_64'>hvm</type>\n"
		  "    <kernel>/tmp/guest/vmlinuz</kernel>\n"
		  "    <initrd>/tmp/guest/initramfs.cpio.gz</initrd>\n"
		  "    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>\n"
		  "  </os>\n"
		  "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n"
		  "  <on_poweroff>destroy</on_poweroff>\n"
		  "  <on_reboot>restart</on_reboot>\n"
		  "  <on_crash>destroy</on_crash>\n"
		  "  <devices>\n"
		  "    <serial type='pty'>\n      <target port='0'/>\n"
		  "    </serial>\n"
		  "    <memballoon model='none'/>\n"
		  "  </devices>\n"
		  "</domain>\n");
	if (r.rc)
		fail_msg("refused: %s", r.err);
	assert_int_equal(r.w.count, 0);
	assert_int_equal(r.def->vcpus, 2);
	assert_int_equal(r.def->serial.type, DOMAIN_CHR_PTY);
	assert_false(r.def->memballoon);
	result_free(&r);
}

/* Every example shipped in configs/examples is accepted without a warning
 * and survives dumpxml unchanged. */
static void
test_examples_accepted_cleanly(void **state)
{
	static const char *const files[] = {
		"minimal.xml", "disks-network.xml", "spice.xml",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct result a, b;
		char path[1024], *buf, *xml1, *xml2;
		size_t n;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", EXAMPLES_DIR, files[i]);
		f = fopen(path, "r");
		if (!f)
			fail_msg("%s: %m", path);
		buf = calloc(1, DOMAIN_XML_MAX + 1);
		assert_non_null(buf);
		n = fread(buf, 1, DOMAIN_XML_MAX, f);
		fclose(f);
		parse_str(&a, buf);
		if (a.rc)
			fail_msg("%s refused: %s", files[i], a.err);
		if (a.w.count)
			fail_msg("%s: warning: %s", files[i], a.w.msgs[0]);
		assert_true(n > 0);
		xml1 = domain_xml_format(a.def);
		parse_str(&b, xml1);
		assert_int_equal(b.rc, 0);
		xml2 = domain_xml_format(b.def);
		assert_string_equal(xml1, xml2);
		free(xml1);
		free(xml2);
		free(buf);
		result_free(&a);
		result_free(&b);
	}
}

static void
test_memory_units(void **state)
{
	static const struct {
		const char *value, *unit;
		uint64_t kib;
	} cases[] = {
		{ "268435456", "b", 262144 },
		{ "268435456", "bytes", 262144 },
		{ "268435457", "B", 262145 },	/* rounded up, like libvirt */
		{ "262144", NULL, 262144 },	/* default: KiB */
		{ "262144", "k", 262144 },
		{ "262144", "KiB", 262144 },
		{ "256000", "KB", 250000 },
		{ "256", "M", 262144 },
		{ "256", "MiB", 262144 },
		{ "256", "mib", 262144 },
		{ "256", "MB", 250000 },
		{ "2", "G", 2097152 },
		{ "2", "GiB", 2097152 },
		{ "2", "GB", 1953125 },
		{ "1", "T", 1073741824 },
		{ "1", "TiB", 1073741824 },
		{ "1", "TB", 976562500 },
		{ " 512 ", "MiB", 524288 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;
		char *xml;

		assert_true(asprintf(&xml, "<domain type='kvm'><name>t</name>"
				     "<memory%s%s%s>%s</memory><os><type>hvm"
				     "</type><kernel>/k</kernel></os>"
				     "</domain>",
				     cases[i].unit ? " unit='" : "",
				     cases[i].unit ? cases[i].unit : "",
				     cases[i].unit ? "'" : "",
				     cases[i].value) > 0);
		parse_str(&r, xml);
		if (r.rc)
			fail_msg("%s %s: %s", cases[i].value, cases[i].unit,
				 r.err);
		if (r.def->memory_kib != cases[i].kib)
			fail_msg("%s %s: %llu KiB, expected %llu",
				 cases[i].value, cases[i].unit,
				 (unsigned long long)r.def->memory_kib,
				 (unsigned long long)cases[i].kib);
		result_free(&r);
		free(xml);
	}
}

static void
test_memory_errors(void **state)
{
	struct result r;

	(void)state;
	parse_str(&r, "<domain type='kvm'><name>t</name>\n"
		  "<memory unit='parsecs'>2</memory><os><type>hvm</type>"
		  "<kernel>/k</kernel></os></domain>");
	assert_refused(&r, -EINVAL, "line 2: <memory>: '2' with unit "
		       "'parsecs' is not a size");
	result_free(&r);

	parse_str(&r, "<domain type='kvm'><name>t</name>\n"
		  "<memory>-5</memory><os><type>hvm</type>"
		  "<kernel>/k</kernel></os></domain>");
	assert_refused(&r, -EINVAL, "line 2: <memory>: '-5'");
	result_free(&r);

	parse_str(&r, "<domain type='kvm'><name>t</name>\n"
		  "<memory unit='EiB'>99999</memory><os><type>hvm</type>"
		  "<kernel>/k</kernel></os></domain>");
	assert_refused(&r, -EINVAL, "too large");
	result_free(&r);

	/* below what vmd-vm can boot */
	parse_str(&r, "<domain type='kvm'><name>t</name>\n"
		  "<memory unit='MiB'>1</memory><os><type>hvm</type>"
		  "<kernel>/k</kernel></os></domain>");
	assert_refused(&r, -EINVAL, "memory of 1024 KiB is out of range");
	result_free(&r);
}

static void
test_current_memory_above_memory_refused(void **state)
{
	struct result r;

	(void)state;
	parse_top(&r, "  <currentMemory unit='GiB'>1</currentMemory>\n");
	assert_refused(&r, -EINVAL, "line 1: <domain>: currentMemory "
		       "(1048576 KiB) is larger than memory (262144 KiB)");
	result_free(&r);

	parse_top(&r, "  <currentMemory unit='MiB'>128</currentMemory>\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.def->current_memory_kib, 131072);
	result_free(&r);
}

static void
test_uuid_generated_when_absent(void **state)
{
	struct result a, b;
	char s[DOMAIN_UUID_STRLEN];

	(void)state;
	parse_str(&a, HEAD "</domain>\n");
	parse_str(&b, HEAD "</domain>\n");
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, 0);
	/* a random version 4, RFC 4122 UUID, different every time */
	assert_int_equal(a.def->uuid[6] >> 4, 4);
	assert_int_equal(a.def->uuid[8] & 0xc0, 0x80);
	assert_memory_not_equal(a.def->uuid, b.def->uuid, DOMAIN_UUID_LEN);
	domain_uuid_format(a.def->uuid, s);
	assert_int_equal(strlen(s), 36);
	assert_int_equal(s[14], '4');
	result_free(&a);
	result_free(&b);
}

static void
test_uuid_kept_when_present(void **state)
{
	struct result r;
	char *xml;

	(void)state;
	parse_top(&r, "  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n");
	assert_int_equal(r.rc, 0);
	xml = domain_xml_format(r.def);
	assert_contains(xml, "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>");
	free(xml);
	result_free(&r);

	parse_top(&r, "  <uuid>not-a-uuid</uuid>\n");
	assert_refused(&r, -EINVAL, "line 8: <uuid>: 'not-a-uuid' is not a "
		       "valid UUID");
	result_free(&r);
}

static void
test_uuid_helpers(void **state)
{
	uint8_t u[DOMAIN_UUID_LEN];
	char s[DOMAIN_UUID_STRLEN];

	(void)state;
	assert_int_equal(domain_uuid_parse("C7A5FDBDEDAF9455926AD65C16DB1809",
					   u), 0);
	assert_string_equal(domain_uuid_format(u, s),
			    "c7a5fdbd-edaf-9455-926a-d65c16db1809");
	assert_int_equal(domain_uuid_parse(s, u), 0);
	assert_int_equal(domain_uuid_parse("c7a5fdbd-edaf-9455-926a-d65c16db180",
					   u), -EINVAL);
	assert_int_equal(domain_uuid_parse("c7a5fdbd-edaf-9455-926a-d65c16db18099",
					   u), -EINVAL);
	assert_int_equal(domain_uuid_parse("c7a5fdbd+edaf-9455-926a-d65c16db1809",
					   u), -EINVAL);
	assert_int_equal(domain_uuid_parse("g7a5fdbd-edaf-9455-926a-d65c16db1809",
					   u), -EINVAL);
	assert_int_equal(domain_uuid_parse("00000000-0000-0000-0000-000000000000",
					   u), -EINVAL);
	assert_int_equal(domain_uuid_parse("", u), -EINVAL);
}

static void
test_name_validation(void **state)
{
	static const char *const good[] = {
		"a", "web-1", "db_2.prod", "A+B", "x.y-z_1",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	static const char *const bad[] = {
		"", ".hidden", "-opt", "a/b", "../etc", "a b", "caf\xc3\xa9",
		"x\n", "semi;colon",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!domain_name_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (domain_name_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(domain_name_valid(NULL));

	parse_str(&r, "<domain type='kvm'>\n  <name>../../etc/passwd</name>\n"
		  "<memory>262144</memory><os><type>hvm</type>"
		  "<kernel>/k</kernel></os></domain>");
	assert_refused(&r, -EINVAL, "line 2: <name>: invalid name "
		       "'../../etc/passwd'");
	result_free(&r);

	parse_str(&r, "<domain type='kvm'>\n<memory>262144</memory><os>"
		  "<type>hvm</type><kernel>/k</kernel></os></domain>");
	assert_refused(&r, -EINVAL, "line 1: <domain>: missing <name>");
	result_free(&r);
}

static void
test_mac_helpers_and_checks(void **state)
{
	uint8_t m[DOMAIN_MAC_LEN];
	char s[DOMAIN_MAC_STRLEN];
	struct result r;

	(void)state;
	assert_int_equal(domain_mac_parse("52:54:00:AB:cd:0f", m), 0);
	assert_string_equal(domain_mac_format(m, s), "52:54:00:ab:cd:0f");
	assert_int_equal(domain_mac_parse("01:00:5e:00:00:01", m), -EINVAL);
	assert_int_equal(domain_mac_parse("00:00:00:00:00:00", m), -EINVAL);
	assert_int_equal(domain_mac_parse("52:54:00:ab:cd", m), -EINVAL);
	assert_int_equal(domain_mac_parse("52-54-00-ab-cd-0f", m), -EINVAL);
	assert_int_equal(domain_mac_generate(m), 0);
	assert_memory_equal(m, "\x52\x54\x00", 3);

	parse_devs(&r, "    <interface type='user'>\n"
		   "      <mac address='01:00:5e:00:00:01'/>\n"
		   "    </interface>\n");
	assert_refused(&r, -EINVAL, "line 10: <mac>: address='01:00:5e:00:00:01'"
		       " is not a unicast MAC address");
	result_free(&r);

	parse_devs(&r, "    <interface type='user'><mac address='52:54:00:"
		   "00:00:01'/></interface>\n"
		   "    <interface type='user'><mac address='52:54:00:"
		   "00:00:01'/></interface>\n");
	assert_refused(&r, -EINVAL, "two interfaces use MAC address "
		       "52:54:00:00:00:01");
	result_free(&r);
}

static void
test_warnings_name_element_and_line(void **state)
{
	static const struct {
		const char *devs, *warning;
	} cases[] = {
		{ "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n",
		  "line 9: <emulator>: ignored: vmd runs vmd-vm" },
		{ "    <sound model='ich9'/>\n",
		  "line 9: <sound>: ignored: no sound device is emulated" },
		{ "    <controller type='usb' model='qemu-xhci'/>\n",
		  "line 9: <controller>: ignored: no USB controller" },
		{ "    <controller type='sata' index='0'/>\n",
		  "line 9: <controller>: ignored: no disk uses a sata "
		  "controller" },
		{ "    <channel type='unix'>\n      <target type='virtio' "
		  "name='org.qemu.guest_agent.0'/>\n    </channel>\n",
		  "line 9: <channel>: ignored: no guest agent" },
		{ "    <input type='tablet' bus='usb'/>\n",
		  "line 9: <input>: bus='usb' is not emulated: using "
		  "bus='virtio'" },
		{ "    <video>\n      <model type='qxl' primary='yes'/>\n"
		  "    </video>\n",
		  "line 10: <model>: model type='qxl' is not emulated: using "
		  "'vga'" },
		{ "    <disk type='file' device='disk'>\n"
		  "      <source file='/x.img'/>\n"
		  "      <target dev='vda' bus='virtio'/>\n"
		  "      <address type='pci' domain='0x0000' bus='0x04' "
		  "slot='0x00' function='0x0'/>\n"
		  "    </disk>\n",
		  "line 12: <address>: ignored: PCI addresses are assigned "
		  "by vmd" },
		{ "    <disk type='file' device='disk'>\n"
		  "      <driver name='qemu' type='raw' io='native'/>\n"
		  "      <source file='/x.img'/>\n"
		  "      <target dev='vda'/>\n"
		  "    </disk>\n",
		  "line 10: <driver>: attribute 'io' ignored" },
	};
	static const struct {
		const char *top, *warning;
	} top_cases[] = {
		{ "  <pm>\n    <suspend-to-mem enabled='no'/>\n  </pm>\n",
		  "line 8: <pm>: ignored: guest suspend" },
		{ "  <seclabel type='dynamic' model='apparmor'/>\n",
		  "line 8: <seclabel>: ignored: security labels" },
		{ "  <on_crash>preserve</on_crash>\n",
		  "line 8: <on_crash>: 'preserve' is not supported: treated "
		  "as 'destroy'" },
		{ "  <on_poweroff>rename-restart</on_poweroff>\n",
		  "line 8: <on_poweroff>: 'rename-restart' is not supported: "
		  "treated as 'restart'" },
		{ "  <clock offset='utc'>\n    <timer name='rtc' "
		  "tickpolicy='catchup'/>\n  </clock>\n",
		  "line 9: <timer>: ignored" },
		{ "  <features>\n    <acpi/>\n    <apic/>\n"
		  "    <vmport state='off'/>\n  </features>\n",
		  "line 11: <vmport>: ignored" },
		{ "  <cpu mode='custom' match='exact'/>\n",
		  "line 8: <cpu>: mode='custom' is not supported" },
		{ "  <metadata>\n    <libosinfo:libosinfo xmlns:libosinfo="
		  "'http://libosinfo.org/xmlns/libvirt/domain/1.0'/>\n"
		  "  </metadata>\n",
		  "line 8: <metadata>: ignored: application metadata is not "
		  "kept" },
	};
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_devs(&r, cases[i].devs);
		assert_one_warning(&r, cases[i].warning);
		result_free(&r);
	}
	for (i = 0; i < sizeof(top_cases) / sizeof(top_cases[0]); i++) {
		parse_top(&r, top_cases[i].top);
		assert_one_warning(&r, top_cases[i].warning);
		result_free(&r);
	}
}

static void
test_boot_warns_with_kernel(void **state)
{
	struct result r;

	(void)state;
	parse_str(&r, "<domain type='kvm'><name>t</name><memory>262144"
		  "</memory>\n<os>\n<type>hvm</type>\n<boot dev='hd'/>\n"
		  "<kernel>/k</kernel></os></domain>");
	assert_one_warning(&r, "line 4: <boot>: ignored: the <kernel> is "
			   "booted directly");
	result_free(&r);
}

static void
test_kernel_required(void **state)
{
	struct result r;

	(void)state;
	parse_str(&r, "<domain type='kvm'><name>t</name><memory>262144"
		  "</memory>\n<os>\n<type>hvm</type>\n<boot dev='hd'/>\n"
		  "</os></domain>");
	assert_refused(&r, -EOPNOTSUPP, "line 2: <os>: direct kernel boot is "
		       "required for now");
	result_free(&r);

	parse_str(&r, "<domain type='kvm'><name>t</name><memory>262144"
		  "</memory></domain>");
	assert_refused(&r, -EOPNOTSUPP, "missing <os>: direct kernel boot is "
		       "required for now");
	result_free(&r);
}

static void
test_refusals_name_element_and_line(void **state)
{
	static const struct {
		const char *devs, *error;
		int rc;
	} cases[] = {
		{ "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
		  "      <source><address domain='0' bus='1' slot='0' "
		  "function='0'/></source>\n    </hostdev>\n",
		  "line 9: <hostdev>: not supported: host device passthrough",
		  -EOPNOTSUPP },
		{ "    <disk type='network' device='disk'>\n"
		  "      <source protocol='nbd' name='x'>\n"
		  "        <host name='example.org' port='10809'/>\n"
		  "      </source>\n      <target dev='vda'/>\n    </disk>\n",
		  "line 9: <disk>: network disk sources", -EOPNOTSUPP },
		{ "    <disk type='file' device='cdrom'>\n"
		  "      <source file='/x.iso'/><target dev='hdc'/>\n"
		  "    </disk>\n",
		  "line 9: <disk>: device='cdrom' is not emulated", -EOPNOTSUPP },
		{ "    <disk type='file' device='disk'>\n"
		  "      <driver name='qemu' type='qcow2'/>\n"
		  "      <source file='/x.qcow2'/><target dev='vda'/>\n"
		  "    </disk>\n",
		  "line 10: <driver>: image format 'qcow2' is not supported",
		  -EOPNOTSUPP },
		{ "    <disk type='file' device='disk'>\n"
		  "      <source file='/x.img'/>\n"
		  "      <target dev='sda' bus='sata'/>\n"
		  "    </disk>\n",
		  "line 11: <target>: disk bus 'sata' is not emulated",
		  -EOPNOTSUPP },
		{ "    <filesystem type='mount'>\n      <source dir='/srv'/>\n"
		  "      <target dir='srv'/>\n    </filesystem>\n",
		  "line 9: <filesystem>: not supported: host directory sharing",
		  -EOPNOTSUPP },
		{ "    <interface type='network'>\n"
		  "      <source network='default'/>\n    </interface>\n",
		  "line 9: <interface>: type='network' needs libvirt's network "
		  "service", -EOPNOTSUPP },
		{ "    <interface type='user'>\n"
		  "      <model type='e1000'/>\n    </interface>\n",
		  "line 10: <model>: model type='e1000' is not emulated",
		  -EOPNOTSUPP },
		{ "    <graphics type='vnc' port='-1'/>\n",
		  "line 9: <graphics>: graphics type='vnc' is not supported",
		  -EOPNOTSUPP },
		{ "    <serial type='tcp'>\n      <source mode='bind' "
		  "host='0.0.0.0' service='4444'/>\n    </serial>\n",
		  "line 9: <serial>: type='tcp' is not supported", -EOPNOTSUPP },
		{ "    <serial type='pty'><target port='1'/></serial>\n",
		  "line 9: <target>: port='1': only port 0 (COM1)",
		  -EOPNOTSUPP },
		{ "    <watchdog model='i6300esb' action='reset'/>\n",
		  "line 9: <watchdog>: not supported", -EOPNOTSUPP },
		{ "    <frobnicator/>\n",
		  "line 9: <frobnicator>: unknown element in <devices>",
		  -EOPNOTSUPP },
		{ "    <video><model type='ramfb'/></video>\n",
		  "line 9: <model>: model type='ramfb' is not emulated",
		  -EOPNOTSUPP },
		{ "    <rng model='virtio'><backend model='egd' type='tcp'/>"
		  "</rng>\n",
		  "line 9: <backend>: backend model='egd' is not supported",
		  -EOPNOTSUPP },
		{ "    <disk type='file' device='disk'>\n"
		  "      <source file='relative.img'/><target dev='vda'/>\n"
		  "    </disk>\n",
		  "line 10: <source>: a disk needs file='...' with an absolute "
		  "path", -EINVAL },
		{ "    <memballoon model='virtio'/>\n"
		  "    <memballoon model='none'/>\n",
		  "line 10: <memballoon>: may appear only once in <devices>",
		  -EINVAL },
	};
	static const struct {
		const char *top, *error;
		int rc;
	} top_cases[] = {
		{ "  <cputune>\n    <vcpupin vcpu='0' cpuset='1'/>\n"
		  "  </cputune>\n",
		  "line 8: <cputune>: not supported: vCPU pinning", -EOPNOTSUPP },
		{ "  <numatune><memory nodeset='0'/></numatune>\n",
		  "line 8: <numatune>: not supported: NUMA", -EOPNOTSUPP },
		{ "  <memoryBacking>\n    <hugepages/>\n  </memoryBacking>\n",
		  "line 9: <hugepages>: not supported: huge pages",
		  -EOPNOTSUPP },
		{ "  <vcpu cpuset='0-3'>2</vcpu>\n",
		  "line 8: <vcpu>: cpuset (vCPU pinning) is not supported",
		  -EOPNOTSUPP },
		{ "  <cpu mode='host-model'>\n    <numa><cell id='0' cpus='0' "
		  "memory='262144'/></numa>\n  </cpu>\n",
		  "line 9: <numa>: not supported", -EOPNOTSUPP },
		{ "  <clock offset='variable' adjustment='3600'/>\n",
		  "line 8: <clock>: offset='variable' is not supported",
		  -EOPNOTSUPP },
		{ "  <launchSecurity type='sev'/>\n",
		  "line 8: <launchSecurity>: not supported: memory encryption",
		  -EOPNOTSUPP },
		{ "  <frobnicate/>\n",
		  "line 8: <frobnicate>: unknown element in <domain>",
		  -EOPNOTSUPP },
		{ "  <qemu:commandline xmlns:qemu='http://libvirt.org/schemas/"
		  "domain/qemu/1.0'>\n    <qemu:arg value='-s'/>\n"
		  "  </qemu:commandline>\n",
		  "line 8: <qemu:commandline>: elements of namespace "
		  "'http://libvirt.org/schemas/domain/qemu/1.0' are not "
		  "supported", -EOPNOTSUPP },
		{ "  <memory>1024</memory>\n",
		  "line 8: <memory>: may appear only once in <domain>",
		  -EINVAL },
		{ "  <on_reboot>explode</on_reboot>\n",
		  "line 8: <on_reboot>: unknown action 'explode'", -EINVAL },
		{ "  stray text\n",
		  "line 1: <domain>: unexpected text", -EINVAL },
	};
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_devs(&r, cases[i].devs);
		assert_refused(&r, cases[i].rc, cases[i].error);
		result_free(&r);
	}
	for (i = 0; i < sizeof(top_cases) / sizeof(top_cases[0]); i++) {
		parse_top(&r, top_cases[i].top);
		assert_refused(&r, top_cases[i].rc, top_cases[i].error);
		result_free(&r);
	}
}

static void
test_arch_and_type_refused(void **state)
{
	struct result r;

	(void)state;
	parse_str(&r, "<domain type='kvm'><name>t</name><memory>262144"
		  "</memory>\n<os>\n  <type arch='aarch64' machine='virt'>hvm"
		  "</type>\n<kernel>/k</kernel></os></domain>");
	assert_refused(&r, -EOPNOTSUPP, "line 3: <type>: arch='aarch64' is "
		       "not supported: only 'x86_64'");
	result_free(&r);

	parse_str(&r, "<domain type='xen'><name>t</name></domain>");
	assert_refused(&r, -EOPNOTSUPP, "line 1: <domain>: type='xen' is not "
		       "supported");
	result_free(&r);

	parse_str(&r, "<domain type='kvm'><name>t</name><memory>262144"
		  "</memory>\n<os firmware='efi'><type>hvm</type>"
		  "<kernel>/k</kernel></os></domain>");
	assert_refused(&r, -EOPNOTSUPP, "line 2: <os>: firmware='efi'");
	result_free(&r);
}

static void
test_malformed_xml(void **state)
{
	static const struct {
		const char *xml, *error;
	} cases[] = {
		{ "<domain type='kvm'>\n  <name>t</name>\n  <memory>26",
		  "malformed XML at line 3: " },
		{ "<domain type='kvm'><name>t</nam></domain>",
		  "malformed XML at line 1: Opening and ending tag mismatch" },
		{ "<domain type='kvm'/>\n<domain type='kvm'/>\n",
		  "malformed XML at line 2: Extra content at the end of the "
		  "document" },
		{ "<network><name>default</name></network>",
		  "line 1: <network>: the root element must be <domain>" },
		{ "just text", "malformed XML at line 1" },
		{ "<domain type='kvm'><name>&xxe;</name></domain>",
		  "malformed XML at line 1: Entity 'xxe' not defined" },
	};
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_str(&r, cases[i].xml);
		assert_refused(&r, -EINVAL, cases[i].error);
		result_free(&r);
	}
	/* empty input */
	r.def = (struct domain_def *)&r;
	assert_int_equal(domain_xml_parse("", 0, &r.def, NULL, r.err,
					  sizeof(r.err)), -EINVAL);
	assert_null(r.def);
	assert_string_equal(r.err, "empty domain XML");
}

static void
test_dtd_and_entities_refused(void **state)
{
	static const char *const attacks[] = {
		/* XXE: would read a host file into the definition */
		"<?xml version='1.0'?>\n"
		"<!DOCTYPE domain [\n"
		"  <!ENTITY xxe SYSTEM 'file:///etc/shadow'>\n"
		"]>\n"
		"<domain type='kvm'><name>&xxe;</name></domain>\n",
		/* billion laughs */
		"<?xml version='1.0'?>\n"
		"<!DOCTYPE lolz [\n"
		"  <!ENTITY lol 'lol'>\n"
		"  <!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>\n"
		"  <!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>\n"
		"  <!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>\n"
		"]>\n"
		"<domain type='kvm'><name>&lol3;</name></domain>\n",
		/* external DTD over the network */
		"<?xml version='1.0'?>\n"
		"<!DOCTYPE domain SYSTEM 'http://example.org/evil.dtd'>\n"
		"<domain type='kvm'><name>t</name></domain>\n",
	};
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		parse_str(&r, attacks[i]);
		assert_refused(&r, -EINVAL, "line 2: <!DOCTYPE> is not "
			       "accepted");
		result_free(&r);
	}
}

static void
test_limits(void **state)
{
	struct result r;
	char *devs, *p, *big;
	size_t i;

	(void)state;
	devs = calloc(1, 17 * 160 + 1);
	assert_non_null(devs);
	for (i = 0, p = devs; i < 17; i++)
		p += sprintf(p, "    <disk type='file' device='disk'><source "
			     "file='/d%zu.img'/><target dev='vd%c'/></disk>\n",
			     i, (char)('a' + i));
	parse_devs(&r, devs);
	assert_refused(&r, -E2BIG, "line 25: <disk>: more than 16 disks");
	result_free(&r);

	for (i = 0, p = devs; i < 17; i++)
		p += sprintf(p, "    <interface type='user'/>\n");
	parse_devs(&r, devs);
	assert_refused(&r, -E2BIG, "line 25: <interface>: more than 16 "
		       "interfaces");
	result_free(&r);
	free(devs);

	parse_devs(&r, "    <disk type='file'><source file='/a.img'/>"
		   "<target dev='vda'/></disk>\n"
		   "    <disk type='file'><source file='/b.img'/>"
		   "<target dev='vda'/></disk>\n");
	assert_refused(&r, -EINVAL, "two disks use target dev 'vda'");
	result_free(&r);

	big = malloc(DOMAIN_XML_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', DOMAIN_XML_MAX + 1);
	r.def = NULL;
	assert_int_equal(domain_xml_parse(big, DOMAIN_XML_MAX + 1, &r.def,
					  NULL, r.err, sizeof(r.err)), -E2BIG);
	assert_contains(r.err, "larger than the 1048576 bytes allowed");
	free(big);

	parse_top(&r, "  <vcpu>65</vcpu>\n");
	assert_refused(&r, -EINVAL, "line 8: <vcpu>: '65' is not a vCPU count "
		       "from 1 to 64");
	result_free(&r);
}

static void
test_many_warnings_are_bounded(void **state)
{
	struct result r;
	char *devs, *p;
	size_t i, n = DOMAIN_WARNINGS_MAX + 10;

	(void)state;
	devs = calloc(1, n * 32 + 1);
	assert_non_null(devs);
	for (i = 0, p = devs; i < n; i++)
		p += sprintf(p, "    <sound model='ich9'/>\n");
	parse_devs(&r, devs);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.w.count, DOMAIN_WARNINGS_MAX);
	assert_int_equal(r.w.dropped, 10);
	result_free(&r);
	free(devs);
}

static void
test_console_and_serial(void **state)
{
	struct result r;
	char *xml;

	(void)state;
	/* a lone <console> is COM1 */
	parse_devs(&r, "    <console type='pty'><target type='serial' "
		   "port='0'/></console>\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.w.count, 0);
	assert_int_equal(r.def->serial.type, DOMAIN_CHR_PTY);
	xml = domain_xml_format(r.def);
	assert_contains(xml, "    <serial type='pty'>\n      <target "
			"port='0'/>\n    </serial>\n    <console type='pty'>\n"
			"      <target type='serial' port='0'/>\n"
			"    </console>\n");
	free(xml);
	result_free(&r);

	parse_devs(&r, "    <serial type='file'><source path='/var/log/"
		   "t.log'/></serial>\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.def->serial.type, DOMAIN_CHR_FILE);
	assert_string_equal(r.def->serial.path, "/var/log/t.log");
	result_free(&r);

	parse_devs(&r, "    <serial type='unix'><source mode='connect' "
		   "path='/tmp/s'/></serial>\n");
	assert_refused(&r, -EOPNOTSUPP, "line 9: <source>: mode='connect': "
		       "only mode='bind'");
	result_free(&r);

	parse_devs(&r, "    <console type='virtio'><target type='virtio'/>"
		   "</console>\n");
	assert_refused(&r, -EOPNOTSUPP, "line 9: <console>: type='virtio' is "
		       "not supported");
	result_free(&r);
}

static void
test_graphics(void **state)
{
	struct result r;
	char *xml;

	(void)state;
	parse_devs(&r, "    <graphics type='spice' autoport='yes'/>\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.w.count, 0);
	assert_true(r.def->graphics.autoport);
	/* local only unless asked otherwise */
	assert_string_equal(r.def->graphics.listen, "127.0.0.1");
	/* a screen needs a card */
	assert_int_equal(r.def->video, DOMAIN_VIDEO_VGA);
	xml = domain_xml_format(r.def);
	assert_contains(xml, "<graphics type='spice' autoport='yes' "
			"listen='127.0.0.1'>");
	free(xml);
	result_free(&r);

	parse_devs(&r, "    <graphics type='spice' port='5900'>\n"
		   "      <listen type='address' address='0.0.0.0'/>\n"
		   "    </graphics>\n");
	assert_one_warning(&r, "line 9: <graphics>: SPICE listens on 0.0.0.0 "
			   "without a password");
	result_free(&r);

	parse_devs(&r, "    <graphics type='spice' port='5900' "
		   "listen='127.0.0.1'>\n"
		   "      <listen type='address' address='10.0.0.1'/>\n"
		   "    </graphics>\n");
	assert_refused(&r, -EINVAL, "line 10: <listen>: listen='127.0.0.1' "
		       "and <listen address='10.0.0.1'/> differ");
	result_free(&r);

	parse_devs(&r, "    <graphics type='spice' listen='example.org'/>\n");
	assert_refused(&r, -EINVAL, "listen address 'example.org' is not an "
		       "IP address");
	result_free(&r);

	parse_devs(&r, "    <graphics type='spice' port='70000'/>\n");
	assert_refused(&r, -EINVAL, "port='70000' is not a TCP port");
	result_free(&r);

	/* explicit "no video" survives dumpxml */
	parse_devs(&r, "    <graphics type='spice'/>\n"
		   "    <video><model type='none'/></video>\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.def->video, DOMAIN_VIDEO_NONE);
	xml = domain_xml_format(r.def);
	assert_contains(xml, "<model type='none'/>");
	free(xml);
	result_free(&r);
}

static void
test_def_validate(void **state)
{
	struct domain_def *def = domain_def_new();
	char err[256];

	(void)state;
	assert_non_null(def);
	assert_int_equal(domain_def_validate(def, err, sizeof(err)), -EINVAL);
	assert_contains(err, "invalid domain name");
	strcpy(def->name, "ok");
	def->memory_kib = 262144;
	def->current_memory_kib = 262144;
	def->vcpus = 1;
	assert_int_equal(domain_def_validate(def, err, sizeof(err)), -EINVAL);
	assert_contains(err, "direct kernel boot is required");
	def->kernel = strdup("/k");
	assert_int_equal(domain_def_validate(def, err, sizeof(err)), 0);
	def->current_memory_kib = 262145;
	assert_int_equal(domain_def_validate(def, err, sizeof(err)), -EINVAL);
	domain_def_free(def);
	domain_def_free(NULL);
}

/* What "virt-install --boot kernel=...,initrd=..." and then virt-manager
 * leave behind: libosinfo metadata, q35, host-passthrough with check and
 * migratable, timers, pm, an emulator, PCI addresses and aliases on every
 * device, USB controller and tablet, a qemu-ga channel, SPICE with qxl,
 * sound and USB redirection. All of it is accepted: what we honour is kept,
 * the rest is warned about, and nothing vanishes silently. */
static const char virt_install_xml[] =
	"<domain type='kvm' id='3'>\n"
	"  <name>fedora-web</name>\n"
	"  <uuid>3f2c8a60-9d5e-4c1b-8f5e-2a7c9e1b0d44</uuid>\n"
	"  <metadata>\n"
	"    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>\n"
	"      <libosinfo:os id='http://fedoraproject.org/fedora/38'/>\n"
	"    </libosinfo:libosinfo>\n"
	"  </metadata>\n"
	"  <memory unit='KiB'>2097152</memory>\n"
	"  <currentMemory unit='KiB'>2097152</currentMemory>\n"
	"  <vcpu placement='static'>2</vcpu>\n"
	"  <resource>\n"
	"    <partition>/machine</partition>\n"
	"  </resource>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
	"    <kernel>/var/lib/libvirt/boot/vmlinuz</kernel>\n"
	"    <initrd>/var/lib/libvirt/boot/initrd.img</initrd>\n"
	"    <cmdline>console=ttyS0 root=/dev/vda1</cmdline>\n"
	"    <boot dev='hd'/>\n"
	"  </os>\n"
	"  <features>\n"
	"    <acpi/>\n"
	"    <apic/>\n"
	"    <vmport state='off'/>\n"
	"  </features>\n"
	"  <cpu mode='host-passthrough' check='none' migratable='on'/>\n"
	"  <clock offset='utc'>\n"
	"    <timer name='rtc' tickpolicy='catchup'/>\n"
	"    <timer name='pit' tickpolicy='delay'/>\n"
	"    <timer name='hpet' present='no'/>\n"
	"  </clock>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>restart</on_reboot>\n"
	"  <on_crash>destroy</on_crash>\n"
	"  <pm>\n"
	"    <suspend-to-mem enabled='no'/>\n"
	"    <suspend-to-disk enabled='no'/>\n"
	"  </pm>\n"
	"  <devices>\n"
	"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='qemu' type='raw' cache='none' discard='unmap'/>\n"
	"      <source file='/var/lib/libvirt/images/fedora-web.img'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"      <alias name='virtio-disk0'/>\n"
	"      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>\n"
	"    </disk>\n"
	"    <controller type='usb' index='0' model='qemu-xhci' ports='15'>\n"
	"      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>\n"
	"    </controller>\n"
	"    <controller type='pci' index='0' model='pcie-root'/>\n"
	"    <controller type='virtio-serial' index='0'>\n"
	"      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>\n"
	"    </controller>\n"
	"    <interface type='user'>\n"
	"      <mac address='52:54:00:6b:3c:58'/>\n"
	"      <model type='virtio'/>\n"
	"      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
	"    </interface>\n"
	"    <serial type='pty'>\n"
	"      <target type='isa-serial' port='0'>\n"
	"        <model name='isa-serial'/>\n"
	"      </target>\n"
	"    </serial>\n"
	"    <console type='pty'>\n"
	"      <target type='serial' port='0'/>\n"
	"    </console>\n"
	"    <channel type='unix'>\n"
	"      <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
	"    </channel>\n"
	"    <input type='tablet' bus='usb'/>\n"
	"    <input type='mouse' bus='ps2'/>\n"
	"    <input type='keyboard' bus='ps2'/>\n"
	"    <graphics type='spice' autoport='yes'>\n"
	"      <listen type='address'/>\n"
	"      <image compression='off'/>\n"
	"    </graphics>\n"
	"    <sound model='ich9'/>\n"
	"    <audio id='1' type='spice'/>\n"
	"    <video>\n"
	"      <model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>\n"
	"    </video>\n"
	"    <redirdev bus='usb' type='spicevmc'/>\n"
	"    <memballoon model='virtio'/>\n"
	"    <rng model='virtio'>\n"
	"      <backend model='random'>/dev/urandom</backend>\n"
	"    </rng>\n"
	"  </devices>\n"
	"</domain>\n";

static void
test_virt_install_shaped_xml(void **state)
{
	struct result r, again;
	char *xml, *xml2;
	size_t i;
	int seen_sound = 0, seen_channel = 0, seen_usb = 0;

	(void)state;
	parse_str(&r, virt_install_xml);
	if (r.rc)
		fail_msg("refused: %s", r.err);
	assert_string_equal(r.def->name, "fedora-web");
	assert_int_equal(r.def->vcpus, 2);
	assert_int_equal(r.def->memory_kib, 2097152);
	assert_string_equal(r.def->machine, "pc-q35-7.2");
	assert_int_equal(r.def->ndisks, 1);
	assert_string_equal(r.def->disks[0].path,
			    "/var/lib/libvirt/images/fedora-web.img");
	assert_int_equal(r.def->disks[0].cache, DOMAIN_CACHE_NONE);
	assert_int_equal(r.def->nnets, 1);
	assert_int_equal(r.def->nets[0].type, DOMAIN_NET_USER);
	assert_true(r.def->graphics.present);
	assert_true(r.def->memballoon);
	assert_int_equal(r.def->rng, DOMAIN_RNG_URANDOM);
	assert_int_equal(r.def->serial.type, DOMAIN_CHR_PTY);
	/* Warned, each naming what it is about. */
	assert_true(r.w.count > 0);
	for (i = 0; i < r.w.count; i++) {
		seen_sound |= !!strstr(r.w.msgs[i], "sound");
		seen_channel |= !!strstr(r.w.msgs[i], "channel");
		seen_usb |= !!strstr(r.w.msgs[i], "usb");
		assert_contains(r.w.msgs[i], "line ");
	}
	assert_true(seen_sound && seen_channel && seen_usb);
	/* What we write back reads back the same, with no warning left. */
	xml = domain_xml_format(r.def);
	assert_non_null(xml);
	parse_str(&again, xml);
	if (again.rc)
		fail_msg("our own output refused: %s", again.err);
	assert_int_equal(again.w.count, 0);
	xml2 = domain_xml_format(again.def);
	assert_string_equal(xml, xml2);
	free(xml);
	free(xml2);
	result_free(&again);
	result_free(&r);
}

/* Nesting deep enough to exhaust a recursive parser is refused cleanly. */
static void
test_deep_nesting_refused(void **state)
{
	const unsigned depth = 100000;
	size_t len = 0, cap = depth * 8 + 4096;
	char *xml = malloc(cap);
	struct result r;
	unsigned i;

	(void)state;
	len += (size_t)sprintf(xml + len, "%s", HEAD "  <metadata>");
	for (i = 0; i < depth; i++)
		len += (size_t)sprintf(xml + len, "<a>");
	for (i = 0; i < depth; i++)
		len += (size_t)sprintf(xml + len, "</a>");
	len += (size_t)sprintf(xml + len, "</metadata></domain>\n");
	parse_str(&r, xml);
	assert_int_not_equal(r.rc, 0);
	assert_true(strlen(r.err) > 0);
	result_free(&r);
	free(xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example_round_trips),
		cmocka_unit_test(test_format_without_secrets),
		cmocka_unit_test(test_minimal_round_trips_with_defaults),
		cmocka_unit_test(test_demo_guest_accepted),
		cmocka_unit_test(test_examples_accepted_cleanly),
		cmocka_unit_test(test_memory_units),
		cmocka_unit_test(test_memory_errors),
		cmocka_unit_test(test_current_memory_above_memory_refused),
		cmocka_unit_test(test_uuid_generated_when_absent),
		cmocka_unit_test(test_uuid_kept_when_present),
		cmocka_unit_test(test_uuid_helpers),
		cmocka_unit_test(test_name_validation),
		cmocka_unit_test(test_mac_helpers_and_checks),
		cmocka_unit_test(test_warnings_name_element_and_line),
		cmocka_unit_test(test_boot_warns_with_kernel),
		cmocka_unit_test(test_kernel_required),
		cmocka_unit_test(test_refusals_name_element_and_line),
		cmocka_unit_test(test_arch_and_type_refused),
		cmocka_unit_test(test_malformed_xml),
		cmocka_unit_test(test_dtd_and_entities_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_many_warnings_are_bounded),
		cmocka_unit_test(test_console_and_serial),
		cmocka_unit_test(test_graphics),
		cmocka_unit_test(test_def_validate),
		cmocka_unit_test(test_virt_install_shaped_xml),
		cmocka_unit_test(test_deep_nesting_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
