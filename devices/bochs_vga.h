/* The Bochs/QEMU "standard VGA" PCI display (1234:1111) as Linux's bochs
 * DRM driver sees it: BAR0 the linear framebuffer (guest RAM mapped into
 * the VM, so drawing costs no exits), BAR2 4 KiB of registers (the VBE
 * DISPI registers at 0x500, QEMU's extended registers at 0x600), and the
 * DISPI index/data ports 0x1ce/0x1cf. No legacy VGA (text mode, planes).
 *
 * vCPU threads write the registers; a display back-end (SPICE) reads the
 * scanout mode and the framebuffer from another thread. */
#ifndef VMD_DEVICES_BOCHS_VGA_H
#define VMD_DEVICES_BOCHS_VGA_H

#include <stdbool.h>
#include <stdint.h>

#define BOCHS_VGA_VRAM_SIZE (16u << 20)

struct vm;
struct pci;
struct bochs_vga;

/* What the guest scans out: width x height pixels of bpp bits, rows of
 * stride bytes from offset in the framebuffer. Not enabled (or a mode we
 * cannot show): nothing to display. */
struct bochs_vga_mode {
	bool enabled;
	uint32_t width, height, bpp;
	uint32_t stride;
	uint64_t offset;
};

struct bochs_vga *bochs_vga_create(struct vm *vm, struct pci *pci,
				   char *err, unsigned errlen);
/* After the vCPUs stopped and pci_destroy() (which still reads the PCI
 * device inside). */
void bochs_vga_destroy(struct bochs_vga *vga);
/* A consistent copy of the scanout registers; any thread. Returns false
 * unless enabled with a layout that fits in the framebuffer. */
bool bochs_vga_get_mode(struct bochs_vga *vga, struct bochs_vga_mode *mode);
/* The framebuffer (guest-writable at any time: readers see it change). */
const uint8_t *bochs_vga_vram(struct bochs_vga *vga);

#endif
