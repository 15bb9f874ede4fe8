/* 16550A UART, enough for Linux's 8250 driver with interrupts and for
 * polling consoles (earlyprintk, firmware).
 *
 * The transmitter is infinitely fast: a THR write goes straight to the
 * chardev and THR/TSR are empty again at once. The receiver takes bytes
 * from the chardev on the I/O thread into a buffer larger than the 16-byte
 * FIFO (the guest cannot tell); when the buffer is full the chardev stops
 * reading, so the host side applies back-pressure and nothing overruns.
 *
 * Threads: vCPU threads (port I/O) and the I/O thread (input) both take
 * s->lock; the IRQ line is driven under it so raises and lowers reach the
 * irqchip in the order the state changed. */
#include "serial.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "bus.h"
#include "chardev.h"
#include "util.h"
#include "vm.h"

/* Register offsets. */
#define UART_RBR 0 /* read, DLAB=0 */
#define UART_THR 0 /* write, DLAB=0 */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1 /* DLAB=0 */
#define UART_DLM 1 /* DLAB=1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK  0x0f /* the upper bits read 0 (Linux probes for UUE) */

#define IIR_NONE  0x01
#define IIR_MSI   0x00
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_RLSI  0x06
#define IIR_CTI   0x0c
#define IIR_FIFO  0xc0 /* "FIFOs enabled": what makes it a 16550A */

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER(fcr) ((fcr) >> 6)

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_DELTAS 0x0f

#define SERIAL_FIFO_SIZE 16
/* Host input buffered inside the device; only the trigger level and the
 * data-ready bit are visible to the guest, not the depth. */
#define SERIAL_RX_SIZE 256

struct serial {
	pthread_mutex_t lock;
	struct vm *vm;
	struct chardev *cd;
	uint16_t base;
	uint32_t irq;

	uint8_t ier, fcr, lcr, mcr, lsr_err, msr, scr, dll, dlm;
	bool thr_ipending; /* THRE interrupt latched, cleared by IIR read */
	bool irq_level;    /* what we last drove on the line */

	uint8_t rx[SERIAL_RX_SIZE];
	unsigned rx_head, rx_count;
	bool rx_blocked; /* the chardev holds bytes we refused */
};

static const unsigned serial_trigger_levels[4] = { 1, 4, 8, 14 };

/* The modem inputs: looped back from MCR in loopback mode, otherwise a
 * cable with the other end present (CTS, DSR, DCD on; no ring), so a
 * guest that waits for carrier or honours CTS flow control can talk. */
static uint8_t
serial_modem_inputs(const struct serial *s)
{
	uint8_t m = s->mcr, v = 0;

	if (!(m & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	if (m & MCR_RTS)
		v |= MSR_CTS;
	if (m & MCR_DTR)
		v |= MSR_DSR;
	if (m & MCR_OUT1)
		v |= MSR_RI;
	if (m & MCR_OUT2)
		v |= MSR_DCD;
	return v;
}

/* Latch the delta bits for inputs that changed with an MCR write. */
static void
serial_update_msr(struct serial *s)
{
	uint8_t now = serial_modem_inputs(s);
	uint8_t diff = (s->msr ^ now) & 0xf0;

	if (diff & MSR_CTS)
		s->msr |= MSR_DCTS;
	if (diff & MSR_DSR)
		s->msr |= MSR_DDSR;
	if (diff & MSR_DCD)
		s->msr |= MSR_DDCD;
	if ((diff & MSR_RI) && !(now & MSR_RI))
		s->msr |= MSR_TERI; /* trailing edge only */
	s->msr = (s->msr & MSR_DELTAS) | now;
}

/* The highest-priority pending interrupt, as IIR bits 0-3. */
static uint8_t
serial_pending(const struct serial *s)
{
	unsigned trig;

	if ((s->ier & IER_ELSI) && s->lsr_err)
		return IIR_RLSI;
	if ((s->ier & IER_ERBFI) && s->rx_count) {
		/* No timer: data below the trigger level reports the
		 * character timeout at once. Linux treats both alike. */
		trig = (s->fcr & FCR_ENABLE) ?
			serial_trigger_levels[FCR_TRIGGER(s->fcr)] : 1;
		return s->rx_count >= trig ? IIR_RDI : IIR_CTI;
	}
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NONE;
}

static void
serial_update_irq(struct serial *s)
{
	/* On the PC, OUT2 gates the UART's interrupt onto the ISA line,
	 * and loopback disconnects OUT2 from the pin. */
	bool level = serial_pending(s) != IIR_NONE &&
		     (s->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(s->vm, s->irq, level);
	}
}

/* Returns true when the chardev should be told there is room again. */
static bool
serial_rx_room(struct serial *s)
{
	if (s->rx_blocked && !(s->mcr & MCR_LOOP) &&
	    s->rx_count <= SERIAL_RX_SIZE / 2) {
		s->rx_blocked = false;
		return true;
	}
	return false;
}

static void
serial_rx_push(struct serial *s, uint8_t c)
{
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_SIZE] = c;
	s->rx_count++;
}

static void
serial_rx_clear(struct serial *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

/* I/O thread: bytes from the chardev. */
static size_t
serial_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct serial *s = opaque;
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* Loopback disconnects the receiver from the line. */
	if (!(s->mcr & MCR_LOOP)) {
		n = MIN(len, (size_t)(SERIAL_RX_SIZE - s->rx_count));
		for (size_t i = 0; i < n; i++)
			serial_rx_push(s, buf[i]);
	}
	if (n < len)
		s->rx_blocked = true;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void
serial_write_thr(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		unsigned cap = (s->fcr & FCR_ENABLE) ? SERIAL_FIFO_SIZE : 1;

		if (s->rx_count < cap)
			serial_rx_push(s, c);
		else
			s->lsr_err |= LSR_OE;
	} else if (s->cd) {
		/* Under s->lock: keeps output from several vCPUs in the
		 * order the guest wrote it; chardev_write never waits. */
		chardev_write(s->cd, &c, 1);
	}
	/* Sent at once: the THR is empty again, which is an interrupt. */
	s->thr_ipending = true;
}

static void
serial_write_fcr(struct serial *s, uint8_t v)
{
	/* Toggling the FIFO enable clears both FIFOs, as on the chip. */
	if ((v ^ s->fcr) & FCR_ENABLE)
		v |= FCR_CLEAR_RX | FCR_CLEAR_TX;
	if (v & FCR_CLEAR_RX) {
		serial_rx_clear(s);
		s->lsr_err &= ~LSR_OE;
	}
	/* The clear bits self-reset; DMA mode (bit 3) has no meaning. */
	s->fcr = v & (FCR_ENABLE | 0xc0);
}

static void
serial_write_reg(struct serial *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			s->dll = v;
		else
			serial_write_thr(s, v);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling ETBEI while THR is empty interrupts at once
		 * (Linux's start_tx and its THRE re-assert test rely on
		 * it). */
		if ((v & IER_ETBEI) && !(s->ier & IER_ETBEI))
			s->thr_ipending = true;
		s->ier = v & IER_MASK;
		break;
	case UART_FCR:
		serial_write_fcr(s, v);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & MCR_MASK;
		serial_update_msr(s);
		break;
	case UART_LSR:
		break; /* factory test register on some chips: ignore */
	case UART_MSR:
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
}

static uint8_t
serial_read_reg(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v = 0, iir;

	switch (reg) {
	case UART_RBR:
		if (dlab)
			return s->dll;
		if (s->rx_count) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
			s->rx_count--;
		}
		return v;
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		iir = serial_pending(s);
		/* Reading IIR is what acknowledges a THRE interrupt. */
		if (iir == IIR_THRI)
			s->thr_ipending = false;
		return iir | ((s->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | s->lsr_err;
		if (s->rx_count)
			v |= LSR_DR;
		s->lsr_err = 0; /* error bits clear on read */
		return v;
	case UART_MSR:
		v = s->msr;
		s->msr &= ~MSR_DELTAS;
		return v;
	case UART_SCR:
		return s->scr;
	}
	return 0xff;
}

/* vCPU thread. Wider accesses are split into byte cycles, as the ISA bus
 * would. */
static void
serial_io(void *dev, uint64_t offset, uint8_t *data, uint32_t len,
	  bool is_write)
{
	struct serial *s = dev;
	bool room;

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < len && offset + i < 8; i++) {
		unsigned reg = (unsigned)(offset + i);

		if (is_write)
			serial_write_reg(s, reg, data[i]);
		else
			data[i] = serial_read_reg(s, reg);
	}
	room = serial_rx_room(s);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (room)
		chardev_accept_input(s->cd);
}

static void
serial_reset(struct serial *s)
{
	s->ier = 0;
	s->fcr = 0;
	s->lcr = 0x03; /* 8N1 */
	s->mcr = 0;
	s->lsr_err = 0;
	s->scr = 0;
	s->dll = 0x0c; /* 9600 baud at 1.8432 MHz: the customary default */
	s->dlm = 0;
	s->thr_ipending = false;
	s->msr = serial_modem_inputs(s);
	serial_rx_clear(s);
}

struct serial *
serial_create(struct vm *vm, uint16_t base, uint32_t irq, struct chardev *cd)
{
	struct serial *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->vm = vm;
	s->cd = cd;
	s->base = base;
	s->irq = irq;
	serial_reset(s);
	ret = bus_register(&vm->pio, base, 8, serial_io, s, "serial");
	if (ret < 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		errno = -ret;
		return NULL;
	}
	if (cd)
		chardev_set_input(cd, serial_input, s);
	return s;
}

void
serial_destroy(struct serial *s)
{
	if (!s)
		return;
	if (s->cd)
		chardev_set_input(s->cd, NULL, NULL);
	bus_unregister(&s->vm->pio, s->base);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
