#include "boot.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi.h"
#include "log.h"
#include "util.h"
#include "vm.h"

/* Low memory layout while booting (all below 1 MiB, none of it touched by
 * the kernel before it has read what it needs). */
#define BOOT_GDT_ADDR     0x500ull
#define BOOT_ZERO_PAGE    0x7000ull
#define BOOT_PML4_ADDR    0x9000ull
#define BOOT_PDPT_ADDR    0xA000ull
#define BOOT_PD_ADDR      0xB000ull /* 4 pages: identity map of 4 GiB */
#define BOOT_CMDLINE_ADDR 0x20000ull
#define BOOT_CMDLINE_MAX  0x10000ull
#define BOOT_EBDA_START   0x9FC00ull
#define BOOT_KERNEL_ADDR  0x100000ull

#define BOOT_HDR_MAGIC 0x53726448 /* "HdrS" */
#define BOOT_MIN_PROTOCOL 0x20c   /* 64-bit entry and xloadflags */

#define BOOT_E820_RAM 1
#define BOOT_E820_RESERVED 2

#define BOOT_SEL_CODE 0x10
#define BOOT_SEL_DATA 0x18

static int
boot_error(char *err, unsigned errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
boot_error(char *err, unsigned errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* Reads all of path into guest RAM at gpa, which must have room for it. */
static int
boot_read_file(struct vm *vm, int fd, off_t off, uint64_t size, uint64_t gpa)
{
	uint8_t *dst = vm_gpa_to_hva(vm, gpa, size);
	uint64_t done = 0;

	if (!dst)
		return -ENOSPC;
	while (done < size) {
		ssize_t n = pread(fd, dst + done, size - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (uint64_t)n;
	}
	return 0;
}

static void
boot_add_e820(struct boot_params *zp, uint64_t addr, uint64_t size,
	      uint32_t type)
{
	struct boot_e820_entry *e;

	if (!size || zp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE)
		return;
	e = &zp->e820_table[zp->e820_entries++];
	e->addr = addr;
	e->size = size;
	e->type = type;
}

static void
boot_write_e820(struct vm *vm, struct boot_params *zp)
{
	boot_add_e820(zp, 0, BOOT_EBDA_START, BOOT_E820_RAM);
	boot_add_e820(zp, VM_ACPI_BASE, VM_ACPI_SIZE, BOOT_E820_RESERVED);
	boot_add_e820(zp, BOOT_KERNEL_ADDR, vm->low_ram - BOOT_KERNEL_ADDR,
		      BOOT_E820_RAM);
	if (vm->ram_size > vm->low_ram)
		boot_add_e820(zp, VM_HIGH_RAM_START,
			      vm->ram_size - vm->low_ram, BOOT_E820_RAM);
}

/* Identity map of the first 4 GiB with 2 MiB pages: the 64-bit entry point
 * needs paging on, and covering the kernel, zero page, command line and
 * initrd wherever they are is simplest. */
static void
boot_write_page_tables(struct vm *vm)
{
	uint64_t *pml4 = vm_gpa_to_hva(vm, BOOT_PML4_ADDR, 4096);
	uint64_t *pdpt = vm_gpa_to_hva(vm, BOOT_PDPT_ADDR, 4096);
	uint64_t *pd = vm_gpa_to_hva(vm, BOOT_PD_ADDR, 4 * 4096);
	unsigned i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_ADDR | 0x3; /* present, writable */
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * 4096ull) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83; /* present, rw, 2 MiB */
}

static void
boot_write_gdt(struct vm *vm)
{
	uint64_t *gdt = vm_gpa_to_hva(vm, BOOT_GDT_ADDR, 4 * 8);

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[BOOT_SEL_CODE / 8] = 0x00af9b000000ffffull; /* 64-bit code */
	gdt[BOOT_SEL_DATA / 8] = 0x00cf93000000ffffull; /* flat data */
}

static int
boot_load_initrd(struct vm *vm, const char *initrd, struct boot_params *zp,
		 uint64_t kernel_end, char *err, unsigned errlen)
{
	uint64_t max = zp->hdr.initrd_addr_max, addr, size;
	struct stat st;
	int fd, ret;

	fd = open(initrd, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		return boot_error(err, errlen, ret, "--initrd %s: %s", initrd,
				  strerror(-ret));
	}
	size = (uint64_t)st.st_size;
	/* Highest page-aligned spot in low RAM the kernel accepts, above the
	 * area it decompresses into. */
	if (!max)
		max = 0x37ffffff;
	max = MIN(max + 1, vm->low_ram);
	if (size > max) {
		close(fd);
		return boot_error(err, errlen, -E2BIG,
			"--initrd %s: %llu MiB does not fit in guest RAM",
			initrd, (unsigned long long)(size >> 20));
	}
	addr = (max - size) & ~0xfffull;
	if (addr < kernel_end) {
		close(fd);
		return boot_error(err, errlen, -E2BIG,
			"--initrd %s: kernel and initrd (%llu MiB) do not fit in %llu MiB of RAM; give the VM more --memory",
			initrd, (unsigned long long)(size >> 20),
			(unsigned long long)(vm->ram_size >> 20));
	}
	ret = boot_read_file(vm, fd, 0, size, addr);
	close(fd);
	if (ret)
		return boot_error(err, errlen, ret, "--initrd %s: %s", initrd,
				  strerror(-ret));
	zp->hdr.ramdisk_image = (uint32_t)addr;
	zp->hdr.ramdisk_size = (uint32_t)size;
	return 0;
}

int
boot_load_linux(struct vm *vm, const char *kernel, const char *initrd,
		const char *cmdline, uint64_t rsdp, struct boot_info *bi,
		char *err, unsigned errlen)
{
	struct boot_params *zp = vm_gpa_to_hva(vm, BOOT_ZERO_PAGE, sizeof(*zp));
	struct setup_header hdr;
	uint64_t setup_size, kernel_size, kernel_end;
	size_t cmdline_len = strlen(cmdline);
	struct stat st;
	int fd, ret;

	fd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		return boot_error(err, errlen, ret, "--kernel %s: %s", kernel,
				  strerror(-ret));
	}
	if (pread(fd, &hdr, sizeof(hdr), 0x1f1) != (ssize_t)sizeof(hdr) ||
	    hdr.header != BOOT_HDR_MAGIC) {
		close(fd);
		return boot_error(err, errlen, -ENOEXEC,
			"--kernel %s: not a Linux bzImage (no \"HdrS\" boot header)",
			kernel);
	}
	if (hdr.version < BOOT_MIN_PROTOCOL || !(hdr.xloadflags & XLF_KERNEL_64)) {
		close(fd);
		return boot_error(err, errlen, -ENOEXEC,
			"--kernel %s: boot protocol %u.%02u without a 64-bit entry point (need a 64-bit kernel, protocol 2.12+)",
			kernel, hdr.version >> 8, hdr.version & 0xff);
	}
	setup_size = ((uint64_t)(hdr.setup_sects ? hdr.setup_sects : 4) + 1) * 512;
	if ((uint64_t)st.st_size <= setup_size) {
		close(fd);
		return boot_error(err, errlen, -ENOEXEC,
				  "--kernel %s: truncated bzImage", kernel);
	}
	kernel_size = (uint64_t)st.st_size - setup_size;
	kernel_end = BOOT_KERNEL_ADDR + MAX(kernel_size, (uint64_t)hdr.init_size);
	if (kernel_end > vm->low_ram) {
		close(fd);
		return boot_error(err, errlen, -E2BIG,
			"--kernel %s: needs %llu MiB to unpack, the VM has %llu MiB",
			kernel, (unsigned long long)(kernel_end >> 20),
			(unsigned long long)(vm->ram_size >> 20));
	}
	ret = boot_read_file(vm, fd, (off_t)setup_size, kernel_size,
			     BOOT_KERNEL_ADDR);
	close(fd);
	if (ret)
		return boot_error(err, errlen, ret, "--kernel %s: %s", kernel,
				  strerror(-ret));

	if (cmdline_len >= BOOT_CMDLINE_MAX ||
	    (hdr.cmdline_size && cmdline_len > hdr.cmdline_size))
		return boot_error(err, errlen, -E2BIG,
			"--cmdline: %zu bytes, the kernel takes at most %u",
			cmdline_len, hdr.cmdline_size);
	memcpy(vm_gpa_to_hva(vm, BOOT_CMDLINE_ADDR, cmdline_len + 1), cmdline,
	       cmdline_len + 1);

	memset(zp, 0, sizeof(*zp));
	zp->hdr = hdr;
	zp->hdr.type_of_loader = 0xff; /* "undefined" boot loader */
	zp->hdr.loadflags |= CAN_USE_HEAP | LOADED_HIGH;
	zp->hdr.loadflags &= (uint8_t)~KEEP_SEGMENTS;
	zp->hdr.heap_end_ptr = 0xfe00;
	zp->hdr.vid_mode = 0xffff;
	zp->hdr.cmd_line_ptr = (uint32_t)BOOT_CMDLINE_ADDR;
	zp->acpi_rsdp_addr = rsdp;
	boot_write_e820(vm, zp);

	if (initrd) {
		ret = boot_load_initrd(vm, initrd, zp, kernel_end, err, errlen);
		if (ret)
			return ret;
	}
	boot_write_page_tables(vm);
	boot_write_gdt(vm);
	bi->entry = BOOT_KERNEL_ADDR + 0x200; /* startup_64 */
	bi->zero_page = BOOT_ZERO_PAGE;
	return 0;
}

void
boot_setup_regs(const struct boot_info *bi, struct kvm_regs *regs,
		struct kvm_sregs *sregs)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = BOOT_SEL_CODE,
		.type = 0xb, .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1,
		.g = 1,
	};
	struct kvm_segment data = code;

	data.selector = BOOT_SEL_DATA;
	data.type = 0x3;
	data.l = 0;
	data.db = 1;

	memset(regs, 0, sizeof(*regs));
	regs->rflags = 0x2;
	regs->rip = bi->entry;
	regs->rsi = bi->zero_page;

	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->gdt.base = BOOT_GDT_ADDR;
	sregs->gdt.limit = 4 * 8 - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cr0 = 0x80000011; /* PG | ET | PE */
	sregs->cr3 = BOOT_PML4_ADDR;
	sregs->cr4 = 0x20;       /* PAE */
	sregs->efer = 0x500;     /* LME | LMA */
}
