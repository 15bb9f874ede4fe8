/* Bochs/QEMU standard VGA: the VBE DISPI registers and a linear
 * framebuffer. The register set and BAR layout follow QEMU's "VGA" PCI
 * device (docs/specs/standard-vga.rst there), which is what Linux's bochs
 * DRM driver programs: it reads the DISPI ID and the memory size, then
 * sets xres/yres/bpp, enables the LFB, and pans with the virtual width
 * and x/y offsets. */
#include "bochs_vga.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "pci.h"
#include "util.h"
#include "vm.h"

#define BOCHS_VGA_VENDOR 0x1234
#define BOCHS_VGA_DEVICE 0x1111
#define BOCHS_VGA_CLASS  0x030000 /* display, VGA compatible */
#define BOCHS_VGA_REVISION 2      /* QEMU's: has the MMIO BAR */

#define BOCHS_VGA_BAR_FB   0
#define BOCHS_VGA_BAR_MMIO 2
#define BOCHS_VGA_MMIO_SIZE 0x1000

/* MMIO BAR layout: EDID blob, VGA ports 0x3c0-0x3df, DISPI, QEMU ext. */
#define BOCHS_VGA_MMIO_VGA   0x400
#define BOCHS_VGA_MMIO_DISPI 0x500
#define BOCHS_VGA_MMIO_QEXT  0x600
#define BOCHS_VGA_QEXT_SIZE  8
#define BOCHS_VGA_QEXT_LE    0x1e1e1e1eu

/* The DISPI index/data ports (0x1d0 is the old data port alias). */
#define BOCHS_VGA_PORT_INDEX 0x1ce
#define BOCHS_VGA_PORTS      3

enum dispi_reg {
	DISPI_ID, DISPI_XRES, DISPI_YRES, DISPI_BPP, DISPI_ENABLE, DISPI_BANK,
	DISPI_VIRT_WIDTH, DISPI_VIRT_HEIGHT, DISPI_X_OFFSET, DISPI_Y_OFFSET,
	DISPI_VIDEO_MEMORY_64K, DISPI_NREGS,
};

#define DISPI_ID0       0xb0c0
#define DISPI_ID5       0xb0c5
#define DISPI_ENABLED   0x01
#define DISPI_GETCAPS   0x02
#define DISPI_LFB       0x40
#define DISPI_MAX_XRES  2560
#define DISPI_MAX_YRES  1600
#define DISPI_MAX_BPP   32

struct bochs_vga {
	struct pci_device pci;
	struct vm *vm;
	uint8_t *vram;
	/* Registers: written by vCPU threads, read by the display back-end. */
	pthread_mutex_t lock;
	uint16_t dispi[DISPI_NREGS];
	uint16_t index; /* port 0x1ce */
	uint8_t vga[0x20]; /* ports 0x3c0-0x3df: kept, not interpreted */
	uint32_t logged_mode[3];
	bool fb_slot; /* the framebuffer is a KVM memory slot right now */
};

static void
bochs_vga_log_mode(struct bochs_vga *vga)
{
	uint32_t m[3] = { vga->dispi[DISPI_XRES], vga->dispi[DISPI_YRES],
			  vga->dispi[DISPI_BPP] };

	/* Tests read the mode the guest set from this line. */
	if (memcmp(m, vga->logged_mode, sizeof(m))) {
		memcpy(vga->logged_mode, m, sizeof(m));
		log_info("bochs-vga: guest set mode %ux%ux%u", m[0], m[1], m[2]);
	}
}

/* lock held */
static uint16_t
bochs_vga_dispi_read(struct bochs_vga *vga, unsigned reg)
{
	bool caps = vga->dispi[DISPI_ENABLE] & DISPI_GETCAPS;

	switch (reg) {
	case DISPI_XRES: return caps ? DISPI_MAX_XRES : vga->dispi[reg];
	case DISPI_YRES: return caps ? DISPI_MAX_YRES : vga->dispi[reg];
	case DISPI_BPP: return caps ? DISPI_MAX_BPP : vga->dispi[reg];
	case DISPI_VIDEO_MEMORY_64K: return BOCHS_VGA_VRAM_SIZE >> 16;
	default: return reg < DISPI_NREGS ? vga->dispi[reg] : 0;
	}
}

/* lock held. Values are kept as written (within the register's range);
 * bochs_vga_get_mode() decides whether the whole makes a mode. */
static void
bochs_vga_dispi_write(struct bochs_vga *vga, unsigned reg, uint16_t val)
{
	uint16_t old;

	switch (reg) {
	case DISPI_ID:
		if (val >= DISPI_ID0 && val <= DISPI_ID5)
			vga->dispi[reg] = val;
		break;
	case DISPI_XRES:
		if (val <= DISPI_MAX_XRES)
			vga->dispi[reg] = val;
		break;
	case DISPI_YRES:
		if (val <= DISPI_MAX_YRES)
			vga->dispi[reg] = val;
		break;
	case DISPI_BPP:
		if (!val)
			val = 8;
		if (val == 4 || val == 8 || val == 15 || val == 16 ||
		    val == 24 || val == 32)
			vga->dispi[reg] = val;
		break;
	case DISPI_ENABLE:
		old = vga->dispi[reg];
		vga->dispi[reg] = val;
		/* Enabling starts from an unpanned screen of the set size,
		 * as on the real (QEMU) device; the driver pans after. */
		if ((val & DISPI_ENABLED) && !(old & DISPI_ENABLED)) {
			vga->dispi[DISPI_VIRT_WIDTH] = vga->dispi[DISPI_XRES];
			vga->dispi[DISPI_VIRT_HEIGHT] = vga->dispi[DISPI_YRES];
			vga->dispi[DISPI_X_OFFSET] = 0;
			vga->dispi[DISPI_Y_OFFSET] = 0;
			bochs_vga_log_mode(vga);
		}
		break;
	case DISPI_BANK:
	case DISPI_VIRT_WIDTH:
	case DISPI_VIRT_HEIGHT:
	case DISPI_X_OFFSET:
	case DISPI_Y_OFFSET:
		vga->dispi[reg] = val;
		break;
	default:
		break;
	}
}

bool
bochs_vga_get_mode(struct bochs_vga *vga, struct bochs_vga_mode *m)
{
	uint32_t bytes;
	uint64_t end;

	memset(m, 0, sizeof(*m));
	pthread_mutex_lock(&vga->lock);
	m->enabled = (vga->dispi[DISPI_ENABLE] & DISPI_ENABLED) &&
		     (vga->dispi[DISPI_ENABLE] & DISPI_LFB);
	m->width = vga->dispi[DISPI_XRES];
	m->height = vga->dispi[DISPI_YRES];
	m->bpp = vga->dispi[DISPI_BPP];
	bytes = (m->bpp + 7) / 8;
	m->stride = (uint32_t)MAX(vga->dispi[DISPI_VIRT_WIDTH], m->width) * bytes;
	m->offset = (uint64_t)vga->dispi[DISPI_Y_OFFSET] * m->stride +
		    (uint64_t)vga->dispi[DISPI_X_OFFSET] * bytes;
	pthread_mutex_unlock(&vga->lock);
	end = m->offset + (uint64_t)m->stride * (m->height ? m->height - 1 : 0) +
	      (uint64_t)m->width * bytes;
	if (!m->width || !m->height || !bytes || end > BOCHS_VGA_VRAM_SIZE)
		m->enabled = false;
	return m->enabled;
}

const uint8_t *
bochs_vga_vram(struct bochs_vga *vga)
{
	return vga->vram;
}

/* 16-bit DISPI access at byte offset off of the register file. */
static void
bochs_vga_dispi_io(struct bochs_vga *vga, uint64_t off, uint8_t *data,
		   uint32_t len, bool is_write)
{
	unsigned reg = (unsigned)(off / 2);
	uint16_t v = 0;

	if (is_write) {
		memcpy(&v, data, MIN(len, 2u));
		bochs_vga_dispi_write(vga, reg, v);
	} else {
		v = bochs_vga_dispi_read(vga, reg);
		memset(data, 0, len);
		memcpy(data, &v, MIN(len, 2u));
	}
}

static void
bochs_vga_mmio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		  bool is_write)
{
	struct bochs_vga *vga = opaque;
	uint32_t v;

	pthread_mutex_lock(&vga->lock);
	if (off >= BOCHS_VGA_MMIO_DISPI &&
	    off < BOCHS_VGA_MMIO_DISPI + 2 * DISPI_NREGS && !(off & 1)) {
		bochs_vga_dispi_io(vga, off - BOCHS_VGA_MMIO_DISPI, data, len,
				   is_write);
	} else if (off >= BOCHS_VGA_MMIO_VGA &&
		   off + len <= BOCHS_VGA_MMIO_VGA + sizeof(vga->vga)) {
		if (is_write)
			memcpy(&vga->vga[off - BOCHS_VGA_MMIO_VGA], data, len);
		else
			memcpy(data, &vga->vga[off - BOCHS_VGA_MMIO_VGA], len);
	} else if (off >= BOCHS_VGA_MMIO_QEXT &&
		   off + len <= BOCHS_VGA_MMIO_QEXT + BOCHS_VGA_QEXT_SIZE) {
		/* Size, then byte order: little-endian, and it stays so. */
		v = off < BOCHS_VGA_MMIO_QEXT + 4 ? BOCHS_VGA_QEXT_SIZE :
						    BOCHS_VGA_QEXT_LE;
		if (!is_write)
			memcpy(data, (uint8_t *)&v + (off & 3), MIN(len, 4u));
	} else if (!is_write) {
		/* No EDID (zeros fail its header check): the driver then
		 * offers the standard modes, 1024x768 preferred. */
		memset(data, 0, len);
	}
	pthread_mutex_unlock(&vga->lock);
}

/* Ports 0x1ce (index), 0x1cf and 0x1d0 (data), 16 bits wide. */
static void
bochs_vga_port_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		  bool is_write)
{
	struct bochs_vga *vga = opaque;
	uint16_t v = 0;

	pthread_mutex_lock(&vga->lock);
	if (off == 0) {
		if (is_write) {
			memcpy(&v, data, MIN(len, 2u));
			vga->index = v;
		} else {
			memset(data, 0, len);
			memcpy(data, &vga->index, MIN(len, 2u));
		}
	} else {
		bochs_vga_dispi_io(vga, 2u * vga->index, data, len, is_write);
	}
	pthread_mutex_unlock(&vga->lock);
}

/* Only reached while the framebuffer is not a KVM memory slot (the
 * accelerator refused one): every access is then an exit. */
static void
bochs_vga_fb_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		bool is_write)
{
	struct bochs_vga *vga = opaque;

	if (off + len > BOCHS_VGA_VRAM_SIZE) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		memcpy(vga->vram + off, data, len);
	else
		memcpy(data, vga->vram + off, len);
}

/* The guest placed (or moved, or turned off) BAR0: the framebuffer RAM
 * follows it as a memory slot, so drawing never exits. */
static void
bochs_vga_bar_mapped(struct pci_device *dev, unsigned bar, uint64_t addr,
		     bool mapped)
{
	struct bochs_vga *vga = dev->opaque;
	int ret;

	if (bar != BOCHS_VGA_BAR_FB)
		return;
	if (vga->fb_slot) {
		vm_set_memory_slot(vga->vm, VM_SLOT_FRAMEBUFFER, 0, 0, vga->vram);
		vga->fb_slot = false;
	}
	if (!mapped)
		return;
	ret = vm_set_memory_slot(vga->vm, VM_SLOT_FRAMEBUFFER, addr,
				 BOCHS_VGA_VRAM_SIZE, vga->vram);
	if (ret) {
		log_once(LOG_LVL_WARN,
			 "bochs-vga: framebuffer memory slot at 0x%llx: %s (drawing will exit to the monitor)",
			 (unsigned long long)addr, strerror(-ret));
		return;
	}
	vga->fb_slot = true;
}

static const struct pci_device_ops bochs_vga_pci_ops = {
	.bar_mapped = bochs_vga_bar_mapped,
};

struct bochs_vga *
bochs_vga_create(struct vm *vm, struct pci *pci, char *err, unsigned errlen)
{
	struct bochs_vga *vga;
	int ret;

	vga = calloc(1, sizeof(*vga));
	if (!vga) {
		snprintf(err, errlen, "bochs-vga: out of memory");
		return NULL;
	}
	vga->vm = vm;
	pthread_mutex_init(&vga->lock, NULL);
	vga->dispi[DISPI_ID] = DISPI_ID5;
	vga->dispi[DISPI_BPP] = 8;
	vga->vram = mmap(NULL, BOCHS_VGA_VRAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vga->vram == MAP_FAILED) {
		snprintf(err, errlen, "bochs-vga: cannot map %u MiB of video memory: %s",
			 BOCHS_VGA_VRAM_SIZE >> 20, strerror(errno));
		vga->vram = NULL;
		bochs_vga_destroy(vga);
		return NULL;
	}
	madvise(vga->vram, BOCHS_VGA_VRAM_SIZE, MADV_DONTDUMP);

	pci_device_init(&vga->pci, BOCHS_VGA_VENDOR, BOCHS_VGA_DEVICE,
			BOCHS_VGA_CLASS, "bochs-vga");
	vga->pci.cfg[0x08] = BOCHS_VGA_REVISION;
	vga->pci.ops = &bochs_vga_pci_ops;
	vga->pci.opaque = vga;
	ret = pci_device_set_bar(&vga->pci, BOCHS_VGA_BAR_FB,
				 BOCHS_VGA_VRAM_SIZE, bochs_vga_fb_io, vga);
	if (!ret)
		ret = pci_device_set_bar(&vga->pci, BOCHS_VGA_BAR_MMIO,
					 BOCHS_VGA_MMIO_SIZE, bochs_vga_mmio_io,
					 vga);
	if (!ret)
		ret = bus_register(&vm->pio, BOCHS_VGA_PORT_INDEX,
				   BOCHS_VGA_PORTS, bochs_vga_port_io, vga,
				   "bochs-vga");
	if (!ret) {
		ret = pci_add_device(pci, &vga->pci);
		if (ret < 0)
			bus_unregister(&vm->pio, BOCHS_VGA_PORT_INDEX);
	}
	if (ret < 0) {
		snprintf(err, errlen, "bochs-vga: cannot add the device: %s",
			 strerror(-ret));
		vga->pci.slot = -1;
		bochs_vga_destroy(vga);
		return NULL;
	}
	return vga;
}

void
bochs_vga_destroy(struct bochs_vga *vga)
{
	if (!vga)
		return;
	if (vga->pci.slot >= 0 && vga->pci.bus)
		bus_unregister(&vga->vm->pio, BOCHS_VGA_PORT_INDEX);
	if (vga->fb_slot)
		vm_set_memory_slot(vga->vm, VM_SLOT_FRAMEBUFFER, 0, 0, vga->vram);
	if (vga->vram)
		munmap(vga->vram, BOCHS_VGA_VRAM_SIZE);
	pthread_mutex_destroy(&vga->lock);
	free(vga);
}
