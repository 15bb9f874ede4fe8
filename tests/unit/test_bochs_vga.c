/* Bochs VGA as Linux's bochs DRM driver sees it: PCI identity and BARs,
 * the DISPI registers through the MMIO BAR and the legacy ports, the mode
 * the display back-end reads (pan offsets included, modes that do not fit
 * refused) and the framebuffer served by exits when the accelerator gives
 * no memory slot (this fake VM has no KVM at all). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bochs_vga.h"
#include "fake_vm.h"
#include "pci.h"

#define DISPI_PORT 0x1ce
#define DISPI_DATA 0x1cf

struct fixture {
	struct vm *vm;
	struct pci pci;
	struct bochs_vga *vga;
	uint32_t fb, mmio; /* BAR0 and BAR2 as the device was placed */
};

static uint32_t
cfg_read(struct fixture *f, unsigned slot, unsigned reg)
{
	fake_vm_out(f->vm, 0xcf8, 0x80000000u | slot << 11 | reg, 4);
	return fake_vm_in(f->vm, 0xcfc, 4);
}

static uint32_t
mmio_read(struct fixture *f, uint64_t addr, uint32_t len)
{
	uint32_t v = 0;

	assert_true(bus_dispatch(&f->vm->mmio, addr, (uint8_t *)&v, len, false));
	return v;
}

static void
mmio_write(struct fixture *f, uint64_t addr, uint32_t v, uint32_t len)
{
	assert_true(bus_dispatch(&f->vm->mmio, addr, (uint8_t *)&v, len, true));
}

static void
dispi_out(struct fixture *f, unsigned reg, uint16_t v)
{
	fake_vm_out(f->vm, DISPI_PORT, reg, 2);
	fake_vm_out(f->vm, DISPI_DATA, v, 2);
}

static uint16_t
dispi_in(struct fixture *f, unsigned reg)
{
	fake_vm_out(f->vm, DISPI_PORT, reg, 2);
	return (uint16_t)fake_vm_in(f->vm, DISPI_DATA, 2);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256] = "";

	assert_non_null(f);
	f->vm = fake_vm_new(0, false);
	f->vm->vm_fd = -1; /* no KVM: the framebuffer BAR is served by exits */
	bus_init(&f->vm->mmio, "mmio");
	assert_int_equal(pci_init(&f->pci, f->vm), 0);
	f->vga = bochs_vga_create(f->vm, &f->pci, err, sizeof(err));
	assert_non_null(f->vga);
	f->fb = cfg_read(f, 1, 0x10) & ~0xfu;
	f->mmio = cfg_read(f, 1, 0x18) & ~0xfu;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	pci_destroy(&f->pci);
	bochs_vga_destroy(f->vga);
	bus_destroy(&f->vm->mmio);
	fake_vm_free(f->vm);
	free(f);
	return 0;
}

static void
test_pci_identity_and_bars(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_read(f, 1, 0x00), 0x11111234);
	assert_int_equal(cfg_read(f, 1, 0x08) >> 8, 0x030000); /* VGA */
	/* 16 MiB framebuffer, naturally aligned; 4 KiB of registers. */
	assert_int_not_equal(f->fb, 0);
	assert_int_equal(f->fb % BOCHS_VGA_VRAM_SIZE, 0);
	assert_int_not_equal(f->mmio, 0);
	fake_vm_out(f->vm, 0xcf8, 0x80000000u | 1 << 11 | 0x10, 4);
	fake_vm_out(f->vm, 0xcfc, 0xffffffffu, 4);
	assert_int_equal(fake_vm_in(f->vm, 0xcfc, 4), (uint32_t)~(BOCHS_VGA_VRAM_SIZE - 1));
}

/* What bochs_hw_init() checks before it binds. */
static void
test_driver_probe_registers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mmio_read(f, f->mmio + 0x500, 2), 0xb0c5); /* ID */
	assert_int_equal(mmio_read(f, f->mmio + 0x500 + 2 * 0xa, 2),
			 BOCHS_VGA_VRAM_SIZE >> 16);
	assert_int_equal(mmio_read(f, f->mmio + 0x600, 4), 8); /* ext size */
	assert_int_equal(mmio_read(f, f->mmio + 0x604, 4), 0x1e1e1e1e); /* LE */
	assert_int_equal(mmio_read(f, f->mmio + 0x000, 4), 0); /* no EDID */
	assert_int_equal(dispi_in(f, 0), 0xb0c5);
}

static void
test_mode_set_and_pan(void **state)
{
	struct fixture *f = *state;
	struct bochs_vga_mode m;

	assert_false(bochs_vga_get_mode(f->vga, &m));
	/* The driver's sequence, through the MMIO BAR. */
	mmio_write(f, f->mmio + 0x500 + 2 * 4, 0, 2);
	mmio_write(f, f->mmio + 0x500 + 2 * 3, 32, 2);
	mmio_write(f, f->mmio + 0x500 + 2 * 1, 1024, 2);
	mmio_write(f, f->mmio + 0x500 + 2 * 2, 768, 2);
	mmio_write(f, f->mmio + 0x500 + 2 * 4, 0x41, 2);
	assert_true(bochs_vga_get_mode(f->vga, &m));
	assert_int_equal(m.width, 1024);
	assert_int_equal(m.height, 768);
	assert_int_equal(m.bpp, 32);
	assert_int_equal(m.stride, 4096);
	assert_int_equal(m.offset, 0);
	/* Page flip to the second buffer: pitch and y offset. */
	dispi_out(f, 6, 1024);
	dispi_out(f, 9, 768);
	assert_true(bochs_vga_get_mode(f->vga, &m));
	assert_int_equal(m.offset, 768 * 4096);
	/* Panned past the end of video memory: nothing to show. */
	dispi_out(f, 9, 4000);
	assert_false(bochs_vga_get_mode(f->vga, &m));
	dispi_out(f, 9, 0);
	assert_true(bochs_vga_get_mode(f->vga, &m));
	/* Disabled again. */
	dispi_out(f, 4, 0);
	assert_false(bochs_vga_get_mode(f->vga, &m));
}

static void
test_bad_values_are_ignored(void **state)
{
	struct fixture *f = *state;

	dispi_out(f, 3, 32);
	dispi_out(f, 3, 13); /* no such depth */
	assert_int_equal(dispi_in(f, 3), 32);
	dispi_out(f, 1, 9000); /* wider than the device goes */
	assert_int_not_equal(dispi_in(f, 1), 9000);
	dispi_out(f, 0x40, 1); /* no such register */
	assert_int_equal(dispi_in(f, 0x40), 0);
	/* GETCAPS: the limits instead of the values. */
	dispi_out(f, 4, 0x02);
	assert_int_equal(dispi_in(f, 1), 2560);
	assert_int_equal(dispi_in(f, 3), 32);
}

static void
test_framebuffer_by_exits(void **state)
{
	struct fixture *f = *state;

	mmio_write(f, f->fb + 4096 * 10 + 8, 0x00ff8040, 4);
	assert_int_equal(bochs_vga_vram(f->vga)[4096 * 10 + 8], 0x40);
	assert_int_equal(mmio_read(f, f->fb + 4096 * 10 + 8, 4), 0x00ff8040);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pci_identity_and_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_probe_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_set_and_pan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_are_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_framebuffer_by_exits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
