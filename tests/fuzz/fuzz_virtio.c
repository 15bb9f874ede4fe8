/* libFuzzer target: a virtio device driven by a hostile driver. The input
 * is guest RAM (rings, descriptors, buffers, all at the fuzzer's mercy)
 * plus a few bytes that pick features and queue sizes; the harness goes
 * through the real transport registers (virtio_pci_bar_io), sets
 * DRIVER_OK and kicks every queue. Built per device with -DFUZZ_DEVICE.
 * See tests/fuzz/README.md. */
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "virtio/devices.h"
#include "vm.h"

#define RAM_SIZE (256u << 10)
#define CTRL_LEN 16

static struct vm fake_vm;

int
vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	(void)vm;
	(void)gsi;
	(void)level;
	return 0;
}

void
vm_request_exit(struct vm *vm, enum vm_exit_status status, const char *reason)
{
	(void)vm;
	(void)status;
	(void)reason;
}

static void
wr(struct virtio_dev *vd, uint32_t off, uint32_t val, uint32_t len)
{
	virtio_pci_bar_io(vd, off, (uint8_t *)&val, len, true);
}

static uint32_t
rd(struct virtio_dev *vd, uint32_t off, uint32_t len)
{
	uint32_t val = 0;

	virtio_pci_bar_io(vd, off, (uint8_t *)&val, len, false);
	return val;
}

static struct virtio_dev *
fuzz_create(void)
{
	char err[256];
#if defined(FUZZ_BLK)
	static struct vm_disk_config cfg;
	int fd = memfd_create("fuzz-disk", 0);

	if (fd < 0 || ftruncate(fd, 1 << 20))
		abort();
	snprintf(cfg.path, sizeof(cfg.path), "/proc/self/fd/%d", fd);
	strcpy(cfg.serial, "fuzz");
	return virtio_blk_create(&fake_vm, NULL, &cfg, err, sizeof(err));
#elif defined(FUZZ_RNG)
	return virtio_rng_create(&fake_vm, NULL, NULL, err, sizeof(err));
#elif defined(FUZZ_CONSOLE)
	return virtio_console_create(&fake_vm, NULL, NULL, NULL, err,
				     sizeof(err));
#elif defined(FUZZ_NET)
	static struct vm_net_config cfg; /* mode none: a loopback card */

	return virtio_net_create(&fake_vm, NULL, NULL, &cfg, err, sizeof(err));
#elif defined(FUZZ_BALLOON)
	return virtio_balloon_create(&fake_vm, NULL, NULL, err, sizeof(err));
#elif defined(FUZZ_INPUT)
	return virtio_input_create(&fake_vm, NULL, NULL, VIRTIO_INPUT_KEYBOARD,
				   err, sizeof(err));
#elif defined(FUZZ_TABLET)
	return virtio_input_create(&fake_vm, NULL, NULL, VIRTIO_INPUT_TABLET,
				   err, sizeof(err));
#else
#error "build with -DFUZZ_BLK, FUZZ_RNG, FUZZ_CONSOLE, FUZZ_NET, FUZZ_BALLOON, FUZZ_INPUT or FUZZ_TABLET"
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtio_dev *vd;
	uint8_t ctrl[CTRL_LEN] = { 0 };
	unsigned q, nq, round;
	uint32_t feat_lo, feat_hi;

	if (!vd) {
		log_init("fuzz", LOG_LVL_ERROR);
		fake_vm.ram = calloc(1, RAM_SIZE);
		fake_vm.ram_size = fake_vm.low_ram = RAM_SIZE;
		vd = fuzz_create();
		if (!vd)
			abort();
	}
	memcpy(ctrl, data, size < CTRL_LEN ? size : CTRL_LEN);
	memset(fake_vm.ram, 0, RAM_SIZE);
	if (size > CTRL_LEN)
		memcpy(fake_vm.ram, data + CTRL_LEN,
		       size - CTRL_LEN < RAM_SIZE ? size - CTRL_LEN : RAM_SIZE);

	/* Reset, then negotiate what the input asks for (the device may
	 * refuse: then DRIVER_OK must fail cleanly too). */
	wr(vd, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	wr(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	wr(vd, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	feat_lo = rd(vd, VIRTIO_PCI_COMMON_DF, 4);
	wr(vd, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	feat_hi = rd(vd, VIRTIO_PCI_COMMON_DF, 4);
	{
		uint32_t want;

		/* Mostly what is offered; ctrl[4] lets some refused bits in. */
		memcpy(&want, ctrl, 4);
		feat_lo = want & (feat_lo | ctrl[4]);
	}
	wr(vd, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	wr(vd, VIRTIO_PCI_COMMON_GF, feat_lo, 4);
	wr(vd, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	wr(vd, VIRTIO_PCI_COMMON_GF, (ctrl[5] & 1) ? feat_hi : 0, 4);
	wr(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);

	/* Queue q's rings at 0x4000 * q: descriptors, avail at +0x1000,
	 * used at +0x2000 (a size up to 256 fits). */
	nq = rd(vd, VIRTIO_PCI_COMMON_NUMQ, 2);
	for (q = 0; q < nq && q < 8; q++) {
		uint64_t base = 0x4000ull * q;

		wr(vd, VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
		wr(vd, VIRTIO_PCI_COMMON_Q_SIZE, 1u << (ctrl[6 + q] % 9), 2);
		wr(vd, VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)base, 4);
		wr(vd, VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)base + 0x1000, 4);
		wr(vd, VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)base + 0x2000, 4);
		wr(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	}
	wr(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
	   VIRTIO_CONFIG_S_DRIVER_OK, 1);
	/* Device config reads and writes at input-chosen offsets. */
	rd(vd, VIRTIO_BAR_DEVICE + (ctrl[14] & 0x3f), 1 << (ctrl[15] % 3));
	wr(vd, VIRTIO_BAR_DEVICE + (ctrl[15] & 0x3f), ctrl[14], 1);
#if defined(FUZZ_INPUT) || defined(FUZZ_TABLET)
	/* The host's side: up to 510 events (2 * ctrl[12]; past the
	 * device's ring of 256 when the input posts few buffers), every
	 * fourth closing a group, into whatever eventq buffers it posted. */
	for (round = 0; round < ctrl[12] * 2u; round++) {
		virtio_input_send(vd, (uint16_t)(ctrl[13] % 4 + 1),
				  (uint16_t)(round + ctrl[14]), round);
		if (round % 4 == 3)
			virtio_input_sync(vd);
	}
	virtio_input_sync(vd);
#endif
	for (round = 0; round < 2; round++)
		for (q = 0; q < nq && q < 8; q++)
			virtio_dev_kick(vd, q);
	rd(vd, VIRTIO_BAR_ISR, 1);
	return 0;
}
