/* ACPI tables for the guest: RSDP, RSDT, XSDT, FADT, FACS, DSDT and MADT,
 * written once into guest RAM at VM_ACPI_BASE before the first vCPU runs.
 *
 * The platform is a plain PC (not hardware-reduced): the fixed-hardware
 * registers live in port I/O (see acpi_pm.c and acpi_internal.h), so the
 * guest gets a fixed-feature power button, the PM timer and S5 power-off.
 * Multi-byte fields are little-endian, which is the host's order too (x86
 * only), but we still store them byte by byte through put16/32/64 so the
 * layout never depends on struct packing. */
#include "acpi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_internal.h"
#include "log.h"
#include "util.h"
#include "vm.h"

#define ACPI_OEM_ID   "VMD   " /* 6 bytes, space padded */
#define ACPI_CREATOR  "VMD "
#define ACPI_HDR_LEN  36

/* FADT fields we set (ACPI 6.0, FADT revision 6, 276 bytes). */
#define FADT_REV 6
#define FADT_LEN 276
#define FADT_IAPC_LEGACY_DEVICES (1u << 0)
#define FADT_IAPC_8042           (1u << 1)
#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_SLP_BUTTON    (1u << 5) /* set = no sleep button */
#define FADT_F_FIX_RTC       (1u << 6) /* set = no RTC wake in PM1 */
#define FADT_F_TMR_VAL_EXT   (1u << 8)
#define FADT_F_RESET_REG_SUP (1u << 10)

/* MADT */
#define MADT_PCAT_COMPAT 1u
#define MADT_LAPIC       0
#define MADT_IOAPIC      1
#define MADT_ISO         2
#define MADT_LAPIC_NMI   4
/* ISO flags: polarity 01 = active high, trigger 11 = level. */
#define MADT_ISO_LEVEL_HIGH 0x000D

/* A cursor over the table area in guest RAM. */
struct acpi_area {
	uint8_t *base; /* host address of VM_ACPI_BASE */
	uint64_t used;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

uint8_t
acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* Reserve len bytes at the given alignment; returns the host pointer (zeroed
 * by the caller's memset of the whole area) and the guest address, or NULL
 * when the tables would not fit in VM_ACPI_SIZE. */
static uint8_t *
area_alloc(struct acpi_area *a, uint64_t len, uint64_t align, uint64_t *gpa)
{
	uint64_t off = ALIGN_UP(a->used, align);

	if (off + len > VM_ACPI_SIZE)
		return NULL;
	a->used = off + len;
	*gpa = VM_ACPI_BASE + off;
	return a->base + off;
}

static void
table_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev,
	     const char *table_id)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	t[9] = 0; /* checksum, filled last */
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, table_id, 8);
	put32(t + 24, 1); /* OEM revision */
	memcpy(t + 28, ACPI_CREATOR, 4);
	put32(t + 32, 1); /* creator revision */
}

static void
table_finish(uint8_t *t)
{
	uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;

	t[9] = acpi_checksum(t, len);
}

/* Generic Address Structure in system I/O space. access = 0 means "legacy,
 * use the register's natural width", which is what the PM1 blocks want
 * since ACPICA splits PM1_EVT into two 16-bit halves itself. */
static void
gas_io(uint8_t *p, uint8_t bit_width, uint8_t access, uint16_t port)
{
	p[0] = 1; /* SystemIO */
	p[1] = bit_width;
	p[2] = 0;
	p[3] = access;
	put64(p + 4, port);
}

static void
build_fadt(uint8_t *t, uint64_t facs, uint64_t dsdt)
{
	table_header(t, "FACP", FADT_LEN, FADT_REV, "VMDFACP ");
	put32(t + 36, (uint32_t)facs); /* FIRMWARE_CTRL; X_ stays 0 */
	put32(t + 40, (uint32_t)dsdt);
	t[45] = 0; /* preferred PM profile: unspecified */
	put16(t + 46, VM_IRQ_SCI);
	/* SMI_CMD = 0: no SMM, ACPI mode is on from the start (SCI_EN
	 * always reads 1), so the guest never tries to switch modes. */
	put32(t + 48, 0);
	put32(t + 56, ACPI_PM1A_EVT_PORT);
	put32(t + 64, ACPI_PM1A_CNT_PORT);
	put32(t + 76, ACPI_PM_TMR_PORT);
	t[88] = ACPI_PM1_EVT_LEN;
	t[89] = ACPI_PM1_CNT_LEN;
	t[91] = ACPI_PM_TMR_LEN;
	/* No C2/C3: latencies above 100 and 1000 us mean "not supported". */
	put16(t + 96, 101);
	put16(t + 98, 1001);
	t[108] = 0x32; /* CMOS century register, see rtc.c */
	/* Legacy devices and an 8042: Linux then probes 0x60/0x64 without
	 * PNP entries. "VGA not present" stays clear for the display. */
	put16(t + 109, FADT_IAPC_LEGACY_DEVICES | FADT_IAPC_8042);
	/* PWR_BUTTON clear = the power button is a fixed feature (PM1). */
	put32(t + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
			       FADT_F_FIX_RTC | FADT_F_TMR_VAL_EXT |
			       FADT_F_RESET_REG_SUP);
	gas_io(t + 116, 8, 1, ACPI_RESET_PORT);
	t[128] = ACPI_RESET_VALUE;
	t[131] = 0; /* FADT minor version: ACPI 6.0 */
	put64(t + 140, dsdt);
	gas_io(t + 148, ACPI_PM1_EVT_LEN * 8, 0, ACPI_PM1A_EVT_PORT);
	gas_io(t + 172, ACPI_PM1_CNT_LEN * 8, 0, ACPI_PM1A_CNT_PORT);
	gas_io(t + 208, ACPI_PM_TMR_LEN * 8, 3, ACPI_PM_TMR_PORT);
	memcpy(t + 268, "VMDVMDVM", 8); /* hypervisor vendor identity */
	table_finish(t);
}

static void
build_facs(uint8_t *t)
{
	/* The FACS has no checksum; Linux wants it for the global lock and
	 * the waking vector, neither of which we use, but a non-reduced FADT
	 * without one makes ACPICA complain. */
	memcpy(t, "FACS", 4);
	put32(t + 4, 64);
	t[32] = 2; /* version */
}

static uint32_t
madt_len(unsigned ncpus)
{
	return 44 + 8 * ncpus + 12 + 10 + 6;
}

static void
build_madt(uint8_t *t, unsigned ncpus)
{
	uint8_t *p = t + 44;
	unsigned i;

	table_header(t, "APIC", madt_len(ncpus), 4, "VMDAPIC ");
	put32(t + 36, (uint32_t)VM_LAPIC_BASE);
	put32(t + 40, MADT_PCAT_COMPAT); /* dual 8259s are present too */
	for (i = 0; i < ncpus; i++, p += 8) {
		p[0] = MADT_LAPIC;
		p[1] = 8;
		p[2] = i; /* ACPI processor UID */
		p[3] = i; /* APIC ID, as KVM assigns them per vCPU index */
		put32(p + 4, 1); /* enabled */
	}
	p[0] = MADT_IOAPIC;
	p[1] = 12;
	/* An ID that no LAPIC uses. x86-64 Linux trusts the MADT here and
	 * does not compare with the chip's own (4-bit in KVM) ID register. */
	p[2] = ncpus;
	put32(p + 4, (uint32_t)VM_IOAPIC_BASE);
	put32(p + 8, 0); /* GSI base */
	p += 12;
	/* Only the SCI needs an override: ISA IRQs default to edge/high, the
	 * SCI is level. There is deliberately no IRQ0 -> GSI2 override: KVM's
	 * default GSI routing sends GSI n to IOAPIC pin n (and PIC pin n) and
	 * the in-kernel PIT raises GSI 0, so the timer really is on pin 0.
	 * QEMU's override only holds because QEMU rewires GSI 0 to pin 2. */
	p[0] = MADT_ISO;
	p[1] = 10;
	p[2] = 0; /* ISA bus */
	p[3] = VM_IRQ_SCI;
	put32(p + 4, VM_IRQ_SCI);
	put16(p + 8, MADT_ISO_LEVEL_HIGH);
	p += 10;
	p[0] = MADT_LAPIC_NMI;
	p[1] = 6;
	p[2] = 0xff; /* all processors */
	put16(p + 3, 0); /* conforms to the bus: edge, active high */
	p[5] = 1; /* LINT1 */
	table_finish(t);
}

static void
build_sdt(uint8_t *t, const char *sig, const char *id, unsigned entry_size,
	  const uint64_t *addrs, unsigned n)
{
	unsigned i;

	table_header(t, sig, ACPI_HDR_LEN + entry_size * n, 1, id);
	for (i = 0; i < n; i++) {
		if (entry_size == 8)
			put64(t + ACPI_HDR_LEN + 8 * i, addrs[i]);
		else
			put32(t + ACPI_HDR_LEN + 4 * i, (uint32_t)addrs[i]);
	}
	table_finish(t);
}

static void
build_rsdp(uint8_t *t, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, ACPI_OEM_ID, 6);
	t[15] = 2; /* ACPI 2.0+: XSDT, length and extended checksum valid */
	put32(t + 16, (uint32_t)rsdt);
	put32(t + 20, ACPI_RSDP_LEN);
	put64(t + 24, xsdt);
	t[8] = acpi_checksum(t, 20);
	t[32] = acpi_checksum(t, ACPI_RSDP_LEN);
}

int64_t
acpi_tables_build(struct vm *vm)
{
	struct acpi_area a = { 0 };
	uint64_t rsdp = 0, facs = 0, fadt = 0, dsdt = 0, madt = 0, rsdt = 0, xsdt = 0, tables[2];
	uint8_t *prsdp, *pfacs, *pfadt, *pdsdt, *pmadt, *prsdt, *pxsdt;
	uint8_t *aml;
	size_t aml_len;
	int ret;

	/* APIC ID 0xff is the broadcast ID and the IOAPIC takes ncpus. */
	if (vm->ncpus < 1 || vm->ncpus > 254) {
		log_error("acpi: %u vCPUs do not fit xAPIC IDs (1..254)",
			  vm->ncpus);
		return -EINVAL;
	}
	a.base = vm_gpa_to_hva(vm, VM_ACPI_BASE, VM_ACPI_SIZE);
	if (!a.base) {
		log_error("acpi: guest RAM does not cover 0x%llx..0x%llx",
			  (unsigned long long)VM_ACPI_BASE,
			  (unsigned long long)(VM_ACPI_BASE + VM_ACPI_SIZE));
		return -ERANGE;
	}
	ret = acpi_dsdt_build(&aml, &aml_len);
	if (ret < 0)
		return ret;
	memset(a.base, 0, VM_ACPI_SIZE);

	/* The RSDP sits first, at 0xE0000 on a 16-byte boundary, where
	 * Linux's legacy scan of 0xE0000-0xFFFFF finds it too. */
	prsdp = area_alloc(&a, ACPI_RSDP_LEN, 16, &rsdp);
	pfacs = area_alloc(&a, 64, 64, &facs);
	pfadt = area_alloc(&a, FADT_LEN, 16, &fadt);
	pmadt = area_alloc(&a, madt_len(vm->ncpus), 16, &madt);
	prsdt = area_alloc(&a, ACPI_HDR_LEN + 4 * 2, 16, &rsdt);
	pxsdt = area_alloc(&a, ACPI_HDR_LEN + 8 * 2, 16, &xsdt);
	pdsdt = area_alloc(&a, ACPI_HDR_LEN + aml_len, 16, &dsdt);
	if (!prsdp || !pfacs || !pfadt || !pmadt || !prsdt || !pxsdt ||
	    !pdsdt) {
		free(aml);
		log_error("acpi: tables do not fit in 0x%llx bytes",
			  (unsigned long long)VM_ACPI_SIZE);
		return -ENOSPC;
	}

	table_header(pdsdt, "DSDT", ACPI_HDR_LEN + aml_len, 2, "VMDDSDT ");
	memcpy(pdsdt + ACPI_HDR_LEN, aml, aml_len);
	table_finish(pdsdt);
	free(aml);
	build_facs(pfacs);
	build_fadt(pfadt, facs, dsdt);
	build_madt(pmadt, vm->ncpus);
	/* The DSDT and FACS are reached through the FADT, not listed here. */
	tables[0] = fadt;
	tables[1] = madt;
	build_sdt(prsdt, "RSDT", "VMDRSDT ", 4, tables, 2);
	build_sdt(pxsdt, "XSDT", "VMDXSDT ", 8, tables, 2);
	build_rsdp(prsdp, rsdt, xsdt);
	log_debug("acpi: tables at 0x%llx, %llu bytes, RSDP 0x%llx",
		  (unsigned long long)VM_ACPI_BASE, (unsigned long long)a.used,
		  (unsigned long long)rsdp);
	return (int64_t)rsdp;
}
