/* The 16550A model driven through the port I/O bus the way Linux's 8250
 * driver drives it, with a fake VM that records the IRQ line. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "bus.h"
#include "chardev.h"
#include "fake_vm.h"
#include "serial.h"

#define COM1 0x3f8
#define IRQ  4

static struct vm *test_vm; /* the fake VM: a pio bus, no RAM */

static void
outb(unsigned reg, uint8_t v)
{
	fake_vm_outb(test_vm, COM1 + reg, v);
}

static uint8_t
inb(unsigned reg)
{
	return fake_vm_inb(test_vm, COM1 + reg);
}

struct fixture {
	struct event_base *base;
	struct chardev *cd;
	struct serial *s;
	char dir[64];
	char path[128];
};

static int
setup_with(void **state, const char *kind)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char spec[160], *err = NULL;

	assert_non_null(f);
	test_vm = fake_vm_new(0, false);
	f->base = event_base_new();
	test_vm->base = f->base;
	strcpy(f->dir, "/tmp/test_serial.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (kind) {
		snprintf(f->path, sizeof(f->path), "%s/%s", f->dir,
			 !strcmp(kind, "file") ? "out" : "sock");
		snprintf(spec, sizeof(spec), "%s=%s", kind, f->path);
		f->cd = chardev_open(spec, f->base, &err);
		assert_null(err);
		assert_non_null(f->cd);
	}
	f->s = serial_create(test_vm, COM1, IRQ, f->cd);
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static int
setup_plain(void **state)
{
	return setup_with(state, NULL);
}

static int
setup_file(void **state)
{
	return setup_with(state, "file");
}

static int
setup_unix(void **state)
{
	return setup_with(state, "unix");
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	serial_destroy(f->s);
	chardev_close(f->cd);
	if (f->path[0])
		unlink(f->path);
	rmdir(f->dir);
	event_base_free(f->base);
	fake_vm_free(test_vm);
	test_vm = NULL;
	free(f);
	/* The model must only drive changes of the line. */
	assert_int_equal(fake_vm.irq_redundant, 0);
	return 0;
}

/* Run the I/O loop for a while (the chardev reads on it). */
static void
pump(struct event_base *base, int ms)
{
	for (int i = 0; i < ms; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static int
connect_client(struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	pump(f->base, 20); /* accept */
	return fd;
}

/* The probe of drivers/tty/serial/8250/8250_port.c:autoconfig(). */
static void
test_linux_probe(void **state)
{
	uint8_t save, s1, s2;

	(void)state;
	/* Existence: IER low nibble reads back 0 and 0x0f. */
	save = inb(1);
	outb(1, 0);
	assert_int_equal(inb(1) & 0x0f, 0);
	outb(1, 0x0f);
	assert_int_equal(inb(1) & 0x0f, 0x0f);
	outb(1, save);

	/* Scratch register. */
	outb(7, 0xa5);
	assert_int_equal(inb(7), 0xa5);
	outb(7, 0x5a);
	assert_int_equal(inb(7), 0x5a);

	/* Loopback: MCR = LOOP|RTS|OUT2 must show CTS|DCD in MSR. */
	save = inb(4);
	outb(4, 0x10 | 0x0a);
	assert_int_equal(inb(6) & 0xf0, 0x90);
	outb(4, save);

	/* FIFO enable makes IIR bits 6-7 read 11: a 16550A. */
	outb(3, 0);
	outb(2, 0x01);
	assert_int_equal(inb(2) >> 6, 3);

	/* No EFR behind LCR=0x80 / 0xbf (not an ST16C650 / 16C654). */
	outb(3, 0x80);
	assert_int_not_equal(inb(2), 0);
	outb(3, 0xbf);
	assert_int_not_equal(inb(2), 0);

	/* Not a TI16750: IIR bit 5 stays 0 with and without DLAB. */
	outb(3, 0);
	outb(2, 0x01 | 0x20);
	s1 = inb(2) >> 5;
	outb(2, 0x01);
	outb(3, 0x80);
	outb(2, 0x01 | 0x20);
	s2 = inb(2) >> 5;
	outb(2, 0x01);
	outb(3, 0);
	assert_false(s1 == 6 && s2 == 7);

	/* Not an XScale: IER bit 6 (UUE) does not stick. */
	outb(1, 0x40);
	assert_int_equal(inb(1) & 0x40, 0);
	outb(1, 0);

	/* Transmitter idle, no data: LSR = THRE|TEMT. */
	assert_int_equal(inb(5), 0x60);
	/* No interrupt pending with FIFOs on. */
	assert_int_equal(inb(2), 0xc1);
	assert_int_equal(fake_vm.level[IRQ], 0);
}

static void
test_dlab_divisor(void **state)
{
	(void)state;
	outb(3, 0x83);
	outb(0, 0x01);
	outb(1, 0x02);
	assert_int_equal(inb(0), 0x01);
	assert_int_equal(inb(1), 0x02);
	outb(3, 0x03);
	/* With DLAB off the same ports are RBR/IER again. */
	assert_int_equal(inb(1), 0);
	outb(1, 0x01);
	outb(3, 0x83);
	assert_int_equal(inb(1), 0x02);
	assert_int_equal(inb(0), 0x01);
	outb(3, 0x03);
	assert_int_equal(inb(1), 0x01);
	assert_int_equal(inb(3), 0x03);
}

static void
test_thre_interrupt(void **state)
{
	(void)state;
	outb(2, 0x01); /* FIFOs on */
	outb(4, 0x08); /* OUT2: interrupts reach the line */
	assert_int_equal(fake_vm.level[IRQ], 0);

	/* Enabling ETBEI with THR empty interrupts at once. */
	outb(1, 0x02);
	assert_int_equal(fake_vm.level[IRQ], 1);
	/* Reading IIR reports and acknowledges it. */
	assert_int_equal(inb(2), 0xc2);
	assert_int_equal(fake_vm.level[IRQ], 0);
	assert_int_equal(inb(2), 0xc1);

	/* Linux's startup test: IER off then on re-asserts THRE. */
	outb(1, 0);
	outb(1, 0x02);
	assert_int_equal(inb(2), 0xc2);
	assert_int_equal(inb(2), 0xc1);

	/* Each THR write empties at once: THRE again. */
	outb(0, 'x');
	assert_int_equal(fake_vm.level[IRQ], 1);
	assert_int_equal(inb(5) & 0x60, 0x60);
	assert_int_equal(inb(2), 0xc2);
	assert_int_equal(fake_vm.level[IRQ], 0);

	/* Pending but masked by IER: no interrupt, and it is still
	 * latched when unmasked... unless IIR was read meanwhile. */
	outb(1, 0);
	outb(0, 'y');
	assert_int_equal(fake_vm.level[IRQ], 0);
	assert_int_equal(inb(2), 0xc1);
}

static void
test_out2_gates_irq(void **state)
{
	(void)state;
	outb(1, 0x02); /* THRE pending, OUT2 off */
	assert_int_equal(fake_vm.level[IRQ], 0);
	assert_int_equal(inb(2) & 0x0f, 0x02);
	outb(0, 'a');
	outb(4, 0x08);
	assert_int_equal(fake_vm.level[IRQ], 1);
	outb(4, 0x00);
	assert_int_equal(fake_vm.level[IRQ], 0);
	/* Loopback disconnects OUT2 from the pin. */
	outb(4, 0x18);
	assert_int_equal(fake_vm.level[IRQ], 0);
	outb(4, 0x08);
	assert_int_equal(fake_vm.level[IRQ], 1);
}

static void
test_loopback_data_and_overrun(void **state)
{
	(void)state;
	outb(2, 0x01);
	outb(4, 0x10 | 0x08);
	outb(1, 0x05); /* RX data + line status */
	for (int i = 0; i < 16; i++)
		outb(0, (uint8_t)('a' + i));
	assert_int_equal(inb(5) & 0x03, 0x01); /* DR, no overrun yet */
	outb(0, 'Z'); /* 17th byte: FIFO full */
	assert_int_equal(inb(2) & 0x0f, 0x06); /* line status first */
	assert_int_equal(inb(5) & 0x03, 0x03); /* DR|OE, clears OE */
	assert_int_equal(inb(2) & 0x0f, 0x04); /* then data (>= 1) */
	for (int i = 0; i < 16; i++)
		assert_int_equal(inb(0), 'a' + i);
	assert_int_equal(inb(5) & 0x01, 0);
	assert_int_equal(inb(2), 0xc1);
}

static void
test_modem_status(void **state)
{
	(void)state;
	/* Outside loopback the cable is there: CTS, DSR, DCD. */
	assert_int_equal(inb(6) & 0xf0, 0xb0);
	outb(1, 0x08);
	outb(4, 0x10 | 0x08); /* loopback: only OUT2 -> DCD */
	assert_int_equal(inb(2) & 0x0f, 0x00); /* modem status pending */
	/* CTS and DSR dropped, DCD stayed: deltas DCTS|DDSR. */
	assert_int_equal(inb(6), 0x80 | 0x03);
	assert_int_equal(inb(6), 0x80); /* deltas clear on read */
	assert_int_equal(inb(2), 0x01);
	outb(4, 0x10 | 0x04); /* RI on, DCD off */
	assert_int_equal(inb(6), 0x40 | 0x08);
	outb(4, 0x10); /* RI off: trailing edge */
	assert_int_equal(inb(6), 0x04);
}

static void
test_output_to_file(void **state)
{
	struct fixture *f = *state;
	const char *msg = "hello, serial\r\n";
	char buf[64] = { 0 };
	int fd;

	for (const char *p = msg; *p; p++) {
		while (!(inb(5) & 0x20))
			;
		outb(0, (uint8_t)*p);
	}
	/* Loopback bytes stay inside the UART. */
	outb(4, 0x10);
	outb(0, '!');
	outb(4, 0);
	assert_int_equal(inb(0), '!');
	/* A word write to THR is two byte cycles: THR then IER. */
	{
		uint8_t w[2] = { 'W', 0x00 };

		assert_true(bus_dispatch(&test_vm->pio, COM1, w, 2, true));
	}
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1),
			 (ssize_t)strlen(msg) + 1);
	close(fd);
	assert_memory_equal(buf, msg, strlen(msg));
	assert_int_equal(buf[strlen(msg)], 'W');
}

static void
test_rx_interrupt(void **state)
{
	struct fixture *f = *state;
	int c = connect_client(f);

	outb(2, 0x01); /* FIFO, trigger level 1 */
	outb(4, 0x0b); /* DTR|RTS|OUT2 */
	outb(1, 0x01); /* ERBFI */
	assert_int_equal(fake_vm.level[IRQ], 0);
	assert_int_equal(write(c, "abc", 3), 3);
	pump(f->base, 20);
	assert_int_equal(fake_vm.level[IRQ], 1);
	assert_int_equal(inb(2), 0xc4);
	assert_int_equal(inb(5) & 0x01, 0x01);
	assert_int_equal(inb(0), 'a');
	assert_int_equal(inb(0), 'b');
	assert_int_equal(fake_vm.level[IRQ], 1);
	assert_int_equal(inb(0), 'c');
	/* Reading the last byte clears the interrupt. */
	assert_int_equal(fake_vm.level[IRQ], 0);
	assert_int_equal(inb(5) & 0x01, 0);
	assert_int_equal(inb(2), 0xc1);

	/* Trigger level 8: 3 bytes report the character timeout. */
	outb(2, 0x81);
	assert_int_equal(write(c, "xyz", 3), 3);
	pump(f->base, 20);
	assert_int_equal(inb(2), 0xcc);
	assert_int_equal(fake_vm.level[IRQ], 1);
	outb(2, 0x83); /* clear RX FIFO */
	assert_int_equal(fake_vm.level[IRQ], 0);
	assert_int_equal(inb(5) & 0x01, 0);
	close(c);
}

/* More input than the UART buffers: the chardev holds the rest and
 * nothing is lost or reordered. */
static void
test_rx_backpressure(void **state)
{
	struct fixture *f = *state;
	int c = connect_client(f);
	enum { N = 3000 };
	static uint8_t out[N], in[N];
	size_t got = 0;

	for (int i = 0; i < N; i++)
		out[i] = (uint8_t)(i * 7 + i / 256);
	assert_int_equal(write(c, out, N), N);
	for (int spins = 0; got < N && spins < 2000; spins++) {
		pump(f->base, 1);
		while (got < N && (inb(5) & 0x01))
			in[got++] = inb(0);
	}
	assert_int_equal(got, N);
	assert_memory_equal(in, out, N);
	close(c);
}

/* Output reaches a unix client; input typed there reaches RBR. */
static void
test_console_roundtrip(void **state)
{
	struct fixture *f = *state;
	char buf[16] = { 0 };
	struct pollfd p;
	int c;

	outb(0, 'b');
	outb(0, 'l');
	c = connect_client(f);
	outb(0, '>');
	p = (struct pollfd){ .fd = c, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(read(c, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "bl>");
	close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_linux_probe,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_dlab_divisor,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_out2_gates_irq,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_loopback_data_and_overrun,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_modem_status,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_output_to_file,
						setup_file, teardown),
		cmocka_unit_test_setup_teardown(test_rx_interrupt,
						setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_rx_backpressure,
						setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_console_roundtrip,
						setup_unix, teardown),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
