/* ACPI tables and PM registers against a fake VM: real port bus, calloc'd
 * RAM, recorded IRQ lines and exit requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acpi.h"
#include "bus.h"
#include "fake_vm.h"

#define RAM_SIZE (2u << 20)

static int
setup(void **state)
{
	struct vm *vm = fake_vm_new(RAM_SIZE, true);

	vm->ncpus = 4;
	*state = vm;
	return 0;
}

static int
teardown(void **state)
{
	fake_vm_free(*state);
	return 0;
}

static uint32_t
rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t
sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* A table at gpa with the given signature and a valid checksum. */
static const uint8_t *
table(struct vm *vm, uint64_t gpa, const char *sig)
{
	const uint8_t *t = vm->ram + gpa;

	assert_true(gpa >= VM_ACPI_BASE && gpa < VM_ACPI_BASE + VM_ACPI_SIZE);
	assert_memory_equal(t, sig, 4);
	assert_true(rd32(t + 4) >= 36);
	assert_int_equal(sum(t, rd32(t + 4)), 0);
	assert_memory_equal(t + 10, "VMD   ", 6);
	return t;
}

static void
test_tables(void **state)
{
	struct vm *vm = *state;
	int64_t rsdp = acpi_tables_build(vm);
	const uint8_t *r, *xsdt, *rsdt, *fadt, *madt, *dsdt, *facs, *p;
	unsigned i, n, lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	bool s5 = false;

	assert_int_equal(rsdp, VM_ACPI_BASE);
	r = vm->ram + rsdp;
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(r[15], 2);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(rd32(r + 20), 36);
	assert_int_equal(sum(r, 36), 0);

	xsdt = table(vm, rd64(r + 24), "XSDT");
	rsdt = table(vm, rd32(r + 16), "RSDT");
	n = (rd32(xsdt + 4) - 36) / 8;
	assert_int_equal(n, 2);
	assert_int_equal((rd32(rsdt + 4) - 36) / 4, n);
	fadt = madt = NULL;
	for (i = 0; i < n; i++) {
		uint64_t a = rd64(xsdt + 36 + 8 * i);

		assert_int_equal(a, rd32(rsdt + 36 + 4 * i));
		if (!memcmp(vm->ram + a, "FACP", 4))
			fadt = table(vm, a, "FACP");
		else
			madt = table(vm, a, "APIC");
	}
	assert_non_null(fadt);
	assert_non_null(madt);

	/* FADT */
	assert_int_equal(rd32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	dsdt = table(vm, rd32(fadt + 40), "DSDT");
	assert_int_equal(rd64(fadt + 140), rd32(fadt + 40));
	facs = vm->ram + rd32(fadt + 36);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(rd32(fadt + 36) % 64, 0);
	assert_int_equal(fadt[46], VM_IRQ_SCI);
	assert_int_equal(rd32(fadt + 48), 0);                /* SMI_CMD */
	assert_int_equal(rd32(fadt + 56), 0x600);            /* PM1a_EVT */
	assert_int_equal(rd32(fadt + 64), 0x604);            /* PM1a_CNT */
	assert_int_equal(rd32(fadt + 76), 0x608);            /* PM_TMR */
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_int_equal(fadt[91], 4);
	assert_int_equal(fadt[148], 1);                      /* X_PM1a_EVT */
	assert_int_equal(fadt[149], 32);
	assert_int_equal(rd64(fadt + 152), 0x600);
	assert_int_equal(rd64(fadt + 176), 0x604);
	assert_int_equal(rd64(fadt + 212), 0x608);
	assert_true(fadt[109] & 2);                          /* 8042 */
	assert_false(fadt[109] & 4);                         /* VGA present */
	assert_false(rd32(fadt + 112) & (1u << 4));          /* fixed PWRBTN */
	assert_true(rd32(fadt + 112) & (1u << 5));           /* no SLPBTN */
	assert_true(rd32(fadt + 112) & (1u << 10));          /* RESET_REG */
	assert_false(rd32(fadt + 112) & (1u << 20));         /* not reduced */
	assert_int_equal(rd64(fadt + 120), 0xcf9);
	assert_int_equal(fadt[128], 6);

	/* DSDT: \_S5 package with SLP_TYP 5 */
	for (p = dsdt + 36; p + 4 <= dsdt + rd32(dsdt + 4); p++)
		if (!memcmp(p, "_S5_", 4) && p[4] == 0x12 && p[7] == 0x0a &&
		    p[8] == 5)
			s5 = true;
	assert_true(s5);

	/* MADT */
	assert_int_equal(rd32(madt + 36), 0xfee00000);
	assert_int_equal(rd32(madt + 40) & 1, 1);
	for (p = madt + 44; p < madt + rd32(madt + 4); p += p[1]) {
		assert_true(p[1] >= 2);
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], 8);
			assert_int_equal(p[3], lapics);
			assert_int_equal(rd32(p + 4) & 1, 1);
			lapics++;
			break;
		case 1:
			assert_int_equal(p[2], vm->ncpus);
			assert_int_equal(rd32(p + 4), 0xfec00000);
			assert_int_equal(rd32(p + 8), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(p[3], 9);
			assert_int_equal(rd32(p + 4), 9);
			assert_int_equal(p[8] | p[9] << 8, 0x000d);
			isos++;
			break;
		case 4:
			assert_int_equal(p[2], 0xff);
			assert_int_equal(p[5], 1);
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, madt + rd32(madt + 4));
	assert_int_equal(lapics, vm->ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 1);
	assert_int_equal(nmis, 1);
}

static void
test_tables_bad_ncpus(void **state)
{
	struct vm *vm = *state;

	vm->ncpus = 0;
	assert_true(acpi_tables_build(vm) < 0);
	vm->ncpus = 255;
	assert_true(acpi_tables_build(vm) < 0);
	vm->ncpus = 254;
	assert_int_equal(acpi_tables_build(vm), VM_ACPI_BASE);
}

static void
test_pm_power_button(void **state)
{
	struct vm *vm = *state;
	struct acpi_pm *pm = acpi_pm_create(vm);

	assert_non_null(pm);
	assert_int_equal(fake_vm_in(vm, 0x604, 2) & 1, 1); /* SCI_EN */

	/* Disabled: status set, no SCI. */
	acpi_pm_press_power_button(pm);
	assert_int_equal(fake_vm_in(vm, 0x600, 2) & 0x100, 0x100);
	assert_int_equal(fake_vm.level[9], 0);
	fake_vm_out(vm, 0x600, 0x100, 2);
	assert_int_equal(fake_vm_in(vm, 0x600, 2) & 0x100, 0);

	/* Enabled: SCI follows status, write-1-to-clear drops it. */
	fake_vm_out(vm, 0x602, 0x100, 2);
	assert_int_equal(fake_vm_in(vm, 0x602, 2), 0x100);
	acpi_pm_press_power_button(pm);
	assert_int_equal(fake_vm.level[9], 1);
	fake_vm_out(vm, 0x600, 0x0001, 2); /* other bit: no effect */
	assert_int_equal(fake_vm.level[9], 1);
	fake_vm_out(vm, 0x601, 0x01, 1); /* byte write to the high half */
	assert_int_equal(fake_vm.level[9], 0);
	assert_int_equal(fake_vm_in(vm, 0x600, 4), 0x01000000); /* STS 0, EN */

	/* Status pending when the guest enables: SCI at once. */
	acpi_pm_press_power_button(pm);
	fake_vm_out(vm, 0x602, 0, 2);
	assert_int_equal(fake_vm.level[9], 0);
	fake_vm_out(vm, 0x602, 0x100, 2);
	assert_int_equal(fake_vm.level[9], 1);
	acpi_pm_destroy(pm);
	assert_int_equal(fake_vm.level[9], 0);
}

static void
test_pm_s5(void **state)
{
	struct vm *vm = *state;
	struct acpi_pm *pm = acpi_pm_create(vm);

	/* ACPICA writes SLP_TYP first, then SLP_TYP | SLP_EN. */
	fake_vm_out(vm, 0x604, 5 << 10 | 1, 2);
	assert_int_equal(fake_vm.exit_calls, 0);
	assert_int_equal(fake_vm_in(vm, 0x604, 2), 5 << 10 | 1);
	fake_vm_out(vm, 0x604, 1 << 10 | 1 << 13, 2); /* S1: ignored */
	assert_int_equal(fake_vm.exit_calls, 0);
	fake_vm_out(vm, 0x604, 5 << 10 | 1 << 13 | 1, 2);
	assert_int_equal(fake_vm.exit_calls, 1);
	assert_int_equal(fake_vm.exit_status, VM_EXIT_POWEROFF);
	assert_int_equal(fake_vm_in(vm, 0x604, 2) & (1 << 13), 0);

	/* 0xCF9 belongs to the PCI host bridge (0xCF8-0xCFB), not to us. */
	{
		uint8_t d = 6;

		assert_false(bus_dispatch(&vm->pio, 0xcf9, &d, 1, true));
	}
	assert_int_equal(fake_vm.exit_calls, 1);
	acpi_pm_destroy(pm);
}

static void
test_pm_timer(void **state)
{
	struct vm *vm = *state;
	struct acpi_pm *pm = acpi_pm_create(vm);
	uint32_t a, b;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	a = fake_vm_in(vm, 0x608, 4);
	nanosleep(&ts, NULL);
	b = fake_vm_in(vm, 0x608, 4);
	/* 10 ms = 35795 ticks; allow a slow, loaded host. */
	assert_true(b - a >= 35000 && b - a < 3579545);
	fake_vm_out(vm, 0x608, 0, 4); /* read-only */
	assert_true(fake_vm_in(vm, 0x608, 4) - b < 3579545);
	acpi_pm_destroy(pm);
}

/* Dump the tables for iasl: TEST_ACPI_DUMP=dir writes dir/<sig>.dat. */
static void
test_dump(void **state)
{
	struct vm *vm = *state;
	const char *dir = getenv("TEST_ACPI_DUMP");
	const uint8_t *fadt, *x;
	uint64_t addrs[4];
	unsigned i;

	if (!dir)
		skip();
	x = vm->ram + rd64(vm->ram + acpi_tables_build(vm) + 24);
	fadt = vm->ram + rd64(x + 36);
	addrs[0] = x - vm->ram;
	addrs[1] = rd64(x + 36);
	addrs[2] = rd64(x + 44);
	addrs[3] = rd32(fadt + 40);
	for (i = 0; i < 4; i++) {
		const uint8_t *t = vm->ram + addrs[i];
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%.4s.dat", dir, t);
		f = fopen(path, "w");
		assert_non_null(f);
		fwrite(t, 1, rd32(t + 4), f);
		fclose(f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_bad_ncpus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pm_power_button, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pm_s5, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pm_timer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
