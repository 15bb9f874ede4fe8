/* The DSDT's AML, made by a tiny builder instead of a hand-kept byte array
 * so every PkgLength is computed, never counted by hand.
 *
 * What the guest gets:
 *   Name (\_S5, Package () { 5, 5, 0, 0 })    S5 = SLP_TYP 5, see acpi_pm.c
 *   Scope (\_SB) {
 *     Device (PCI0) {                         the host bridge on 0xCF8
 *       _HID PNP0A03, _UID 0, _SEG 0, _BBN 0
 *       _CRS  bus 0-255, config ports, I/O and memory windows
 *       _PRT  INTx -> GSI 16..23, ACPI_PCI_INTX_GSI()
 *     }
 *   }
 * PCI0 is not optional: once Linux on x86 runs with ACPI it no longer scans
 * bus 0 by itself (pci_subsys_init skips pci_legacy_init) and finds PCI
 * root buses only through PNP0A03 devices. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_internal.h"
#include "util.h"
#include "vm.h"

/* The bridge's 32-bit memory window: the PCI hole below the IOAPIC. */
#define DSDT_PCI_MEM_START ((uint32_t)VM_PCI_HOLE_START)
#define DSDT_PCI_MEM_END   ((uint32_t)VM_IOAPIC_BASE - 1)

#define AML_ZERO       0x00
#define AML_ONE        0x01
#define AML_NAME       0x08
#define AML_BYTE       0x0A
#define AML_WORD       0x0B
#define AML_DWORD      0x0C
#define AML_QWORD      0x0E
#define AML_SCOPE      0x10
#define AML_BUFFER     0x11
#define AML_PACKAGE    0x12
#define AML_EXT        0x5B
#define AML_DEVICE     0x82 /* after AML_EXT */
#define AML_ROOT       0x5C /* '\' */

struct aml {
	uint8_t *buf;
	size_t len, cap;
	int err; /* sticky: the first failure, checked once at the end */
};

static void
aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (a->len + n > a->cap) {
		size_t cap = MAX(a->cap * 2, a->len + n + 256);
		uint8_t *b = realloc(a->buf, cap);

		if (!b) {
			a->err = -ENOMEM;
			return;
		}
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void
aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void
aml_le(struct aml *a, uint64_t v, unsigned n)
{
	while (n--) {
		aml_byte(a, v & 0xff);
		v >>= 8;
	}
}

/* A NameString: "\\" for the root prefix, then one 4-char NameSeg. */
static void
aml_namestring(struct aml *a, const char *name)
{
	if (*name == '\\') {
		aml_byte(a, AML_ROOT);
		name++;
	}
	aml_bytes(a, name, 4);
}

static void
aml_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v == 1) {
		aml_byte(a, AML_ONE);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD);
		aml_le(a, v, 8);
	}
}

/* PkgLength comes before the body but encodes the body's size, so open a
 * package where the body starts and insert the length when it ends. */
static size_t
aml_pkg_begin(struct aml *a)
{
	return a->len;
}

static void
aml_pkg_end(struct aml *a, size_t start)
{
	size_t body = a->len - start, total;
	uint8_t enc[4];
	unsigned n, i;

	if (a->err)
		return;
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 <= 0xfff)
		n = 2;
	else if (body + 3 <= 0xfffff)
		n = 3;
	else if (body + 4 <= 0xfffffff)
		n = 4;
	else {
		a->err = -E2BIG;
		return;
	}
	total = body + n; /* the length counts its own bytes */
	if (n == 1) {
		enc[0] = total;
	} else {
		enc[0] = (uint8_t)((n - 1) << 6 | (total & 0xf));
		for (i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	aml_bytes(a, enc, n); /* grow first, then shift the body up */
	if (a->err)
		return;
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, enc, n);
}

static void
aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, AML_NAME);
	aml_namestring(a, name);
	aml_int(a, v);
}

/* EISAID("PNP0A03"): three 5-bit letters and four hex digits, stored
 * big-endian in a DWord. */
static uint32_t
aml_eisaid(const char *id)
{
	uint32_t v = (uint32_t)(id[0] - 0x40) << 26 |
		     (uint32_t)(id[1] - 0x40) << 21 |
		     (uint32_t)(id[2] - 0x40) << 16 |
		     (uint32_t)strtoul(id + 3, NULL, 16);

	return __builtin_bswap32(v);
}

/* Resource descriptors (ACPI 6.0 section 6.4). */
#define RES_PRODUCER_FIXED 0x0c /* MinFixed | MaxFixed, producer */

static void
res_word(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min,
	 uint16_t max)
{
	aml_byte(a, 0x88); /* Word Address Space */
	aml_le(a, 13, 2);
	aml_byte(a, type);
	aml_byte(a, RES_PRODUCER_FIXED);
	aml_byte(a, tflags);
	aml_le(a, 0, 2); /* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2); /* translation */
	aml_le(a, (uint32_t)max - min + 1, 2);
}

static void
res_dword_mem(struct aml *a, uint8_t tflags, uint32_t min, uint32_t max)
{
	aml_byte(a, 0x87); /* DWord Address Space */
	aml_le(a, 23, 2);
	aml_byte(a, 0); /* memory */
	aml_byte(a, RES_PRODUCER_FIXED);
	aml_byte(a, tflags);
	aml_le(a, 0, 4);
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4);
	aml_le(a, (uint64_t)max - min + 1, 4);
}

static void
res_io(struct aml *a, uint16_t port, uint8_t len)
{
	aml_byte(a, 0x47); /* I/O port, 16-bit decode */
	aml_byte(a, 1);
	aml_le(a, port, 2);
	aml_le(a, port, 2);
	aml_byte(a, 1);
	aml_byte(a, len);
}

static void
dsdt_pci_crs(struct aml *a)
{
	struct aml r = { 0 };
	size_t pkg;

	res_word(&r, 2, 0, 0x00, 0xff); /* bus numbers */
	res_io(&r, 0xcf8, 8);           /* config address/data */
	res_word(&r, 1, 3, 0x0000, 0x0cf7);
	res_word(&r, 1, 3, 0x0d00, 0xffff);
	res_dword_mem(&r, 0x03, 0x000a0000, 0x000bffff); /* VGA, cacheable */
	res_dword_mem(&r, 0x01, DSDT_PCI_MEM_START, DSDT_PCI_MEM_END);
	aml_byte(&r, 0x79); /* end tag, checksum 0 = "none" */
	aml_byte(&r, 0);
	if (r.err) {
		a->err = r.err;
		free(r.buf);
		return;
	}
	aml_byte(a, AML_NAME);
	aml_namestring(a, "_CRS");
	aml_byte(a, AML_BUFFER);
	pkg = aml_pkg_begin(a);
	aml_int(a, r.len);
	aml_bytes(a, r.buf, r.len);
	aml_pkg_end(a, pkg);
	free(r.buf);
}

static void
dsdt_pci_prt(struct aml *a)
{
	size_t outer, inner;
	unsigned slot, pin;

	aml_byte(a, AML_NAME);
	aml_namestring(a, "_PRT");
	aml_byte(a, AML_PACKAGE);
	outer = aml_pkg_begin(a);
	aml_byte(a, 32 * 4); /* NumElements */
	for (slot = 0; slot < 32; slot++) {
		for (pin = 0; pin < 4; pin++) {
			aml_byte(a, AML_PACKAGE);
			inner = aml_pkg_begin(a);
			aml_byte(a, 4);
			aml_int(a, (uint64_t)slot << 16 | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0); /* no link device: a GSI */
			aml_int(a, ACPI_PCI_INTX_GSI(slot, pin));
			aml_pkg_end(a, inner);
		}
	}
	aml_pkg_end(a, outer);
}

int
acpi_dsdt_build(uint8_t **out, size_t *out_len)
{
	struct aml a = { 0 };
	size_t pkg, sb, dev;

	/* Name (\_S5, Package () { SLP_TYPa, SLP_TYPb, 0, 0 }) */
	aml_byte(&a, AML_NAME);
	aml_namestring(&a, "\\_S5_");
	aml_byte(&a, AML_PACKAGE);
	pkg = aml_pkg_begin(&a);
	aml_byte(&a, 4);
	aml_int(&a, ACPI_SLP_TYP_S5);
	aml_int(&a, ACPI_SLP_TYP_S5);
	aml_int(&a, 0);
	aml_int(&a, 0);
	aml_pkg_end(&a, pkg);

	aml_byte(&a, AML_SCOPE);
	sb = aml_pkg_begin(&a);
	aml_namestring(&a, "\\_SB_");
	aml_byte(&a, AML_EXT);
	aml_byte(&a, AML_DEVICE);
	dev = aml_pkg_begin(&a);
	aml_namestring(&a, "PCI0");
	aml_byte(&a, AML_NAME);
	aml_namestring(&a, "_HID");
	aml_byte(&a, AML_DWORD);
	aml_le(&a, aml_eisaid("PNP0A03"), 4);
	aml_name_int(&a, "_UID", 0);
	aml_name_int(&a, "_SEG", 0);
	aml_name_int(&a, "_BBN", 0);
	dsdt_pci_crs(&a);
	dsdt_pci_prt(&a);
	aml_pkg_end(&a, dev);
	aml_pkg_end(&a, sb);

	if (a.err) {
		free(a.buf);
		return a.err;
	}
	*out = a.buf;
	*out_len = a.len;
	return 0;
}
