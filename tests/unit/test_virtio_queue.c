/* The split-virtqueue walker over fake guest memory: good chains and
 * indirect tables work; loops, out-of-range addresses and indexes, absurd
 * lengths and misuse of flags break the queue instead of the monitor. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_ring.h>

#include "util.h"
#include "virtio/queue.h"
#include "vm.h"

#define RAM_SIZE (1u << 20)
#define QSIZE 8
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define BUF   0x10000
#define ITABLE 0x8000

static struct vm fake_vm;

struct fixture {
	struct virtq q;
	struct virtq_elem e;
};

static struct vring_desc *
desc(uint64_t table, unsigned i)
{
	return (struct vring_desc *)(fake_vm.ram + table) + i;
}

static void
set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
	 uint16_t flags, uint16_t next)
{
	struct vring_desc *d = desc(table, i);

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

static struct vring_avail *
avail(void)
{
	return (struct vring_avail *)(fake_vm.ram + AVAIL);
}

static struct vring_used *
used(void)
{
	return (struct vring_used *)(fake_vm.ram + USED);
}

static void
offer(uint16_t head)
{
	struct vring_avail *a = avail();

	a->ring[a->idx % QSIZE] = head;
	a->idx++;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fake_vm.ram = calloc(1, RAM_SIZE);
	fake_vm.ram_size = fake_vm.low_ram = RAM_SIZE;
	f->q.max_size = QSIZE;
	virtq_reset(&f->q);
	f->q.desc_gpa = DESC;
	f->q.avail_gpa = AVAIL;
	f->q.used_gpa = USED;
	f->q.enabled = true;
	assert_int_equal(virtq_start(&f->q, &fake_vm, true, true), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	free(fake_vm.ram);
	free(*state);
	return 0;
}

static void
test_good_chain(void **state)
{
	struct fixture *f = *state;
	char out[16];

	set_desc(DESC, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF + 0x1000, 512, VRING_DESC_F_WRITE, 0);
	memcpy(fake_vm.ram + BUF, "hello, virtqueue", 16);
	offer(0);
	assert_int_equal(virtq_pop(&f->q, &f->e), 1);
	assert_int_equal(f->e.head, 0);
	assert_int_equal(f->e.nout, 1);
	assert_int_equal(f->e.nin, 1);
	assert_int_equal(f->e.out_len, 16);
	assert_int_equal(f->e.in_len, 512);
	assert_int_equal(virtq_iov_read(f->e.iov, f->e.nout, 0, out, 16), 16);
	assert_memory_equal(out, "hello, virtqueue", 16);
	assert_int_equal(virtq_iov_write(f->e.iov + 1, 1, 510, "xyz", 3), 2);
	assert_memory_equal(fake_vm.ram + BUF + 0x1000 + 510, "xy", 2);
	virtq_push(&f->q, &f->e, 512);
	assert_int_equal(used()->idx, 1);
	assert_int_equal(used()->ring[0].id, 0);
	assert_int_equal(used()->ring[0].len, 512);
	/* First completion always interrupts. */
	assert_true(virtq_should_notify(&f->q));
	assert_int_equal(virtq_pop(&f->q, &f->e), 0);
	assert_false(f->q.broken);
}

static void
test_indirect(void **state)
{
	struct fixture *f = *state;

	set_desc(ITABLE, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(ITABLE, 1, BUF + 0x100, 100, VRING_DESC_F_NEXT, 2);
	set_desc(ITABLE, 2, BUF + 0x1000, 1, VRING_DESC_F_WRITE, 0);
	set_desc(DESC, 3, ITABLE, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(3);
	assert_int_equal(virtq_pop(&f->q, &f->e), 1);
	assert_int_equal(f->e.head, 3);
	assert_int_equal(f->e.nout, 2);
	assert_int_equal(f->e.nin, 1);
	assert_int_equal(f->e.out_len, 116);
}

static void
expect_broken(struct fixture *f, const char *why)
{
	assert_int_equal(virtq_pop(&f->q, &f->e), -EIO);
	assert_true(f->q.broken);
	assert_non_null(strstr(f->q.error, why));
	/* A broken queue stays broken and is never touched again. */
	assert_int_equal(virtq_pop(&f->q, &f->e), -EIO);
	assert_false(virtq_should_notify(&f->q));
}

static void
test_loop(void **state)
{
	struct fixture *f = *state;

	set_desc(DESC, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF, 16, VRING_DESC_F_NEXT, 0);
	offer(0);
	expect_broken(f, "loops");
}

static void
test_self_loop_in_indirect(void **state)
{
	struct fixture *f = *state;

	set_desc(ITABLE, 0, BUF, 16, VRING_DESC_F_NEXT, 0);
	set_desc(DESC, 0, ITABLE, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(f, "loops");
}

static void
test_buffer_outside_ram(void **state)
{
	struct fixture *f = *state;

	set_desc(DESC, 0, RAM_SIZE - 8, 16, 0, 0);
	offer(0);
	expect_broken(f, "outside guest RAM");
}

static void
test_address_wraps(void **state)
{
	struct fixture *f = *state;

	set_desc(DESC, 0, UINT64_MAX - 4, 16, 0, 0);
	offer(0);
	expect_broken(f, "outside guest RAM");
}

static void
test_absurd_length(void **state)
{
	struct fixture *f = *state;

	set_desc(DESC, 0, BUF, 0xffffffffu, VRING_DESC_F_WRITE, 0);
	offer(0);
	expect_broken(f, "256 MiB");
}

static void
test_bad_head(void **state)
{
	struct fixture *f = *state;

	offer(QSIZE);
	expect_broken(f, "out of range");
}

static void
test_bad_next(void **state)
{
	struct fixture *f = *state;

	set_desc(DESC, 0, BUF, 16, VRING_DESC_F_NEXT, 200);
	offer(0);
	expect_broken(f, "out of range");
}

static void
test_avail_jump(void **state)
{
	struct fixture *f = *state;

	avail()->idx = QSIZE + 1;
	expect_broken(f, "avail index");
}

static void
test_nested_indirect(void **state)
{
	struct fixture *f = *state;

	set_desc(ITABLE, 0, ITABLE, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(DESC, 0, ITABLE, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(f, "nested");
}

static void
test_indirect_bad_len(void **state)
{
	struct fixture *f = *state;

	set_desc(DESC, 0, ITABLE, 17, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(f, "indirect table length");
}

static void
test_indirect_not_negotiated(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtq_start(&f->q, &fake_vm, false, false), 0);
	set_desc(ITABLE, 0, BUF, 16, 0, 0);
	set_desc(DESC, 0, ITABLE, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(f, "not negotiated");
}

static void
test_readable_after_writable(void **state)
{
	struct fixture *f = *state;

	set_desc(DESC, 0, BUF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF, 16, 0, 0);
	offer(0);
	expect_broken(f, "readable buffer after");
}

static void
test_bad_rings(void **state)
{
	struct fixture *f = *state;

	f->q.size = 6;
	assert_int_not_equal(virtq_start(&f->q, &fake_vm, true, true), 0);
	f->q.size = QSIZE;
	f->q.used_gpa = RAM_SIZE - 8;
	assert_int_not_equal(virtq_start(&f->q, &fake_vm, true, true), 0);
	f->q.used_gpa = USED + 2;
	assert_int_not_equal(virtq_start(&f->q, &fake_vm, true, true), 0);
	assert_int_equal(virtq_pop(&f->q, &f->e), -EIO);
}

/* EVENT_IDX: the driver's used_event decides about interrupts and our
 * avail_event tells it when to kick. */
static void
test_event_idx(void **state)
{
	struct fixture *f = *state;
	uint16_t *used_event = &avail()->ring[QSIZE];
	uint16_t *avail_event = (uint16_t *)&used()->ring[QSIZE];
	int i;

	for (i = 0; i < 3; i++) {
		set_desc(DESC, (unsigned)i, BUF, 16, VRING_DESC_F_WRITE, 0);
		offer((uint16_t)i);
	}
	*used_event = 2; /* interrupt once the third completes */
	for (i = 0; i < 3; i++) {
		assert_int_equal(virtq_pop(&f->q, &f->e), 1);
		virtq_push(&f->q, &f->e, 16);
		if (i == 0)
			assert_true(virtq_should_notify(&f->q)); /* first */
		else if (i == 1)
			assert_false(virtq_should_notify(&f->q));
		else
			assert_true(virtq_should_notify(&f->q));
	}
	assert_false(virtq_arm(&f->q));
	assert_int_equal(*avail_event, 3);
	offer(0);
	assert_true(virtq_arm(&f->q));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_good_chain),
		T(test_indirect),
		T(test_loop),
		T(test_self_loop_in_indirect),
		T(test_buffer_outside_ram),
		T(test_address_wraps),
		T(test_absurd_length),
		T(test_bad_head),
		T(test_bad_next),
		T(test_avail_jump),
		T(test_nested_indirect),
		T(test_indirect_bad_len),
		T(test_indirect_not_negotiated),
		T(test_readable_after_writable),
		T(test_bad_rings),
		T(test_event_idx),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
