/* virtio-blk through the real transport registers, over fake guest RAM and
 * a temporary image: reads, writes, flush, get-id, discard; read-only
 * disks refuse writes; out-of-range sectors fail the request, not the
 * monitor; a broken chain puts the device in NEEDS_RESET. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "options.h"
#include "util.h"
#include "virtio/devices.h"
#include "vm.h"

#define RAM_SIZE (1u << 20)
#define QSIZE 16
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define HDR   0x4000
#define DATA  0x5000
#define STATUS 0x9000
#define DISK_SIZE (1u << 20)

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

struct fixture {
	char path[64];
	struct virtio_dev *vd;
	uint16_t next_avail;
};

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

/* Negotiates everything offered and sets up queue 0, as Linux does. */
static void
driver_init(struct virtio_dev *vd)
{
	uint32_t lo, hi;

	/* A driver starts over with empty rings after a reset. */
	memset(fake_vm.ram + DESC, 0, USED + 0x1000 - DESC);
	wr(vd, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	wr(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	wr(vd, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	lo = rd(vd, VIRTIO_PCI_COMMON_DF, 4);
	wr(vd, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	hi = rd(vd, VIRTIO_PCI_COMMON_DF, 4);
	assert_true(hi & 1); /* VERSION_1 */
	wr(vd, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	wr(vd, VIRTIO_PCI_COMMON_GF, lo, 4);
	wr(vd, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	wr(vd, VIRTIO_PCI_COMMON_GF, hi, 4);
	wr(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	assert_true(rd(vd, VIRTIO_PCI_COMMON_STATUS, 1) &
		    VIRTIO_CONFIG_S_FEATURES_OK);
	wr(vd, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	wr(vd, VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
	wr(vd, VIRTIO_PCI_COMMON_Q_DESCLO, DESC, 4);
	wr(vd, VIRTIO_PCI_COMMON_Q_AVAILLO, AVAIL, 4);
	wr(vd, VIRTIO_PCI_COMMON_Q_USEDLO, USED, 4);
	wr(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	wr(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
	   VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

static int
setup_disk(void **state, bool readonly)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vm_disk_config cfg = { .readonly = readonly };
	char err[256] = "";
	uint8_t *buf = malloc(DISK_SIZE);
	int fd;
	unsigned i;

	for (i = 0; i < DISK_SIZE; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	strcpy(f->path, "/tmp/test_virtio_blk.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, DISK_SIZE), DISK_SIZE);
	close(fd);
	free(buf);
	fake_vm.ram = calloc(1, RAM_SIZE);
	fake_vm.ram_size = fake_vm.low_ram = RAM_SIZE;
	util_strlcpy(cfg.path, f->path, sizeof(cfg.path));
	strcpy(cfg.serial, "SERIAL-1");
	f->vd = virtio_blk_create(&fake_vm, NULL, &cfg, err, sizeof(err));
	assert_non_null(f->vd);
	driver_init(f->vd);
	*state = f;
	return 0;
}

static int
setup_rw(void **state)
{
	return setup_disk(state, false);
}

static int
setup_ro(void **state)
{
	return setup_disk(state, true);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	virtio_dev_destroy(f->vd);
	virtio_dev_free(f->vd);
	unlink(f->path);
	free(fake_vm.ram);
	free(f);
	return 0;
}

static void
set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc *d = (struct vring_desc *)(fake_vm.ram + DESC) + i;

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* One request: header, optional data (in or out), status. Returns the
 * status byte and the used length. */
static uint8_t
request(struct fixture *f, uint32_t type, uint64_t sector, uint32_t data_len,
	bool data_in, uint32_t *used_len)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	struct vring_avail *a = (struct vring_avail *)(fake_vm.ram + AVAIL);
	struct vring_used *u = (struct vring_used *)(fake_vm.ram + USED);
	uint16_t before = u->idx;

	memcpy(fake_vm.ram + HDR, &h, sizeof(h));
	fake_vm.ram[STATUS] = 0xee;
	if (data_len) {
		set_desc(0, HDR, sizeof(h), VRING_DESC_F_NEXT, 1);
		set_desc(1, DATA, data_len,
			 VRING_DESC_F_NEXT | (data_in ? VRING_DESC_F_WRITE : 0), 2);
		set_desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
	} else {
		set_desc(0, HDR, sizeof(h), VRING_DESC_F_NEXT, 2);
		set_desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
	}
	a->ring[a->idx % QSIZE] = 0;
	a->idx++;
	virtio_dev_kick(f->vd, 0);
	assert_int_equal((uint16_t)(u->idx - before), 1);
	if (used_len)
		*used_len = u->ring[before % QSIZE].len;
	return fake_vm.ram[STATUS];
}

static void
test_read(void **state)
{
	struct fixture *f = *state;
	uint32_t len;
	unsigned i;

	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 2, 1024, true, &len),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(len, 1025);
	for (i = 0; i < 1024; i++)
		assert_int_equal(fake_vm.ram[DATA + i], (uint8_t)((1024 + i) * 7 + 3));
}

static void
test_write_flush_read_back(void **state)
{
	struct fixture *f = *state;
	uint8_t back[512];
	int fd;

	memset(fake_vm.ram + DATA, 0x5a, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 10, 512, false, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
			 VIRTIO_BLK_S_OK);
	fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, back, sizeof(back), 10 * 512), 512);
	close(fd);
	assert_memory_equal(back, fake_vm.ram + DATA, 512);
}

static void
test_out_of_range(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(request(f, VIRTIO_BLK_T_IN, DISK_SIZE / 512, 512, true,
				 NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, UINT64_MAX, 512, true,
				 NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 100, true, NULL),
			 VIRTIO_BLK_S_IOERR); /* not whole sectors */
	assert_int_equal(request(f, 99, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
}

static void
test_get_id(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES,
				 true, NULL), VIRTIO_BLK_S_OK);
	assert_string_equal((char *)fake_vm.ram + DATA, "SERIAL-1");
}

static void
test_discard_makes_a_hole(void **state)
{
	struct fixture *f = *state;
	struct virtio_blk_discard_write_zeroes seg = { .sector = 256,
						       .num_sectors = 512 };
	struct stat before, after;
	uint8_t back[4096];
	int fd;

	assert_int_equal(stat(f->path, &before), 0);
	memcpy(fake_vm.ram + DATA, &seg, sizeof(seg));
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg), false,
				 NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(stat(f->path, &after), 0);
	/* /tmp may be a file system without holes; then nothing changes. */
	assert_true(after.st_blocks <= before.st_blocks);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(request(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, sizeof(seg),
				 false, NULL), VIRTIO_BLK_S_OK);
	fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, back, sizeof(back), 256 * 512), sizeof(back));
	close(fd);
	memset(fake_vm.ram + DATA, 0, sizeof(back));
	assert_memory_equal(back, fake_vm.ram + DATA, sizeof(back));
	seg.sector = DISK_SIZE / 512 - 1;
	seg.num_sectors = 2;
	memcpy(fake_vm.ram + DATA, &seg, sizeof(seg));
	assert_int_not_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg),
				     false, NULL), VIRTIO_BLK_S_OK);
}

static void
test_readonly_refuses_writes(void **state)
{
	struct fixture *f = *state;
	struct virtio_blk_discard_write_zeroes seg = { .sector = 0,
						       .num_sectors = 8 };
	uint32_t lo;

	wr(f->vd, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	lo = rd(f->vd, VIRTIO_PCI_COMMON_DF, 4);
	assert_true(lo & (1u << VIRTIO_BLK_F_RO));
	assert_false(lo & (1u << VIRTIO_BLK_F_DISCARD));
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	memcpy(fake_vm.ram + DATA, &seg, sizeof(seg));
	assert_int_not_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg),
				     false, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
}

static void
test_broken_chain_needs_reset(void **state)
{
	struct fixture *f = *state;
	struct vring_avail *a = (struct vring_avail *)(fake_vm.ram + AVAIL);

	set_desc(0, HDR, 16, VRING_DESC_F_NEXT, 0); /* loops on itself */
	a->ring[a->idx % QSIZE] = 0;
	a->idx++;
	virtio_dev_kick(f->vd, 0);
	assert_true(rd(f->vd, VIRTIO_PCI_COMMON_STATUS, 1) &
		    VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A reset brings it back. */
	driver_init(f->vd);
	assert_false(rd(f->vd, VIRTIO_PCI_COMMON_STATUS, 1) &
		     VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
}

static void
test_features_without_version_1_refused(void **state)
{
	struct fixture *f = *state;

	wr(f->vd, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	wr(f->vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	wr(f->vd, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	wr(f->vd, VIRTIO_PCI_COMMON_GF, 0, 4);
	wr(f->vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	assert_false(rd(f->vd, VIRTIO_PCI_COMMON_STATUS, 1) &
		     VIRTIO_CONFIG_S_FEATURES_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_write_flush_read_back,
						setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_discard_makes_a_hole,
						setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_refuses_writes,
						setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_broken_chain_needs_reset,
						setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_features_without_version_1_refused,
						setup_rw, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
