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
#include "virtq_driver.h"
#include "vm.h"

/* Queue 0's rings where tests/unit/virtq_driver.c puts them; the request
 * buffers below them. */
#define QSIZE VQD_QSIZE
#define DESC  VQD_RING(0)
#define AVAIL (DESC + 0x1000)
#define USED  (DESC + 0x2000)
#define HDR   0x4000
#define DATA  0x5000
#define STATUS 0x9000
#define DISK_SIZE (1u << 20)

struct fixture {
	char path[64];
	struct virtio_dev *vd;
	uint16_t next_avail;
};

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
	vqd_vm_init();
	util_strlcpy(cfg.path, f->path, sizeof(cfg.path));
	strcpy(cfg.serial, "SERIAL-1");
	f->vd = virtio_blk_create(&vqd_vm, NULL, &cfg, err, sizeof(err));
	assert_non_null(f->vd);
	vqd_driver_init(f->vd, 1);
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
	vqd_vm_free();
	free(f);
	return 0;
}

static void
set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc *d = (struct vring_desc *)(vqd_vm.ram + DESC) + i;

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
	struct vring_avail *a = (struct vring_avail *)(vqd_vm.ram + AVAIL);
	struct vring_used *u = (struct vring_used *)(vqd_vm.ram + USED);
	uint16_t before = u->idx;

	memcpy(vqd_vm.ram + HDR, &h, sizeof(h));
	vqd_vm.ram[STATUS] = 0xee;
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
	return vqd_vm.ram[STATUS];
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
		assert_int_equal(vqd_vm.ram[DATA + i], (uint8_t)((1024 + i) * 7 + 3));
}

static void
test_write_flush_read_back(void **state)
{
	struct fixture *f = *state;
	uint8_t back[512];
	int fd;

	memset(vqd_vm.ram + DATA, 0x5a, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 10, 512, false, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
			 VIRTIO_BLK_S_OK);
	fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, back, sizeof(back), 10 * 512), 512);
	close(fd);
	assert_memory_equal(back, vqd_vm.ram + DATA, 512);
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
	assert_string_equal((char *)vqd_vm.ram + DATA, "SERIAL-1");
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
	memcpy(vqd_vm.ram + DATA, &seg, sizeof(seg));
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
	memset(vqd_vm.ram + DATA, 0, sizeof(back));
	assert_memory_equal(back, vqd_vm.ram + DATA, sizeof(back));
	seg.sector = DISK_SIZE / 512 - 1;
	seg.num_sectors = 2;
	memcpy(vqd_vm.ram + DATA, &seg, sizeof(seg));
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

	vqd_write(f->vd, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	lo = vqd_read(f->vd, VIRTIO_PCI_COMMON_DF, 4);
	assert_true(lo & (1u << VIRTIO_BLK_F_RO));
	assert_false(lo & (1u << VIRTIO_BLK_F_DISCARD));
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	memcpy(vqd_vm.ram + DATA, &seg, sizeof(seg));
	assert_int_not_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg),
				     false, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
}

static void
test_broken_chain_needs_reset(void **state)
{
	struct fixture *f = *state;
	struct vring_avail *a = (struct vring_avail *)(vqd_vm.ram + AVAIL);

	set_desc(0, HDR, 16, VRING_DESC_F_NEXT, 0); /* loops on itself */
	a->ring[a->idx % QSIZE] = 0;
	a->idx++;
	virtio_dev_kick(f->vd, 0);
	assert_true(vqd_read(f->vd, VIRTIO_PCI_COMMON_STATUS, 1) &
		    VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A reset brings it back. */
	vqd_driver_init(f->vd, 1);
	assert_false(vqd_read(f->vd, VIRTIO_PCI_COMMON_STATUS, 1) &
		     VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
}

static void
test_features_without_version_1_refused(void **state)
{
	struct fixture *f = *state;

	vqd_write(f->vd, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	vqd_write(f->vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	vqd_write(f->vd, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	vqd_write(f->vd, VIRTIO_PCI_COMMON_GF, 0, 4);
	vqd_write(f->vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	assert_false(vqd_read(f->vd, VIRTIO_PCI_COMMON_STATUS, 1) &
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
