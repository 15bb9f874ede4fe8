/* i8042 keyboard controller at 0x60 (data) and 0x64 (status/command), with
 * a keyboard on the first port and a plain PS/2 mouse on the aux port.
 *
 * The controller answers instantly, so IBF is never set. Bytes for the
 * guest wait in one FIFO, each tagged keyboard or aux; the head is what
 * the output buffer (OBF, and AUXB for aux bytes) shows. A byte reaching
 * the head pulses IRQ 1 or IRQ 12 (edge) when the command byte enables it,
 * so each byte gets exactly one interrupt, as on the real chip.
 *
 * Locking: one mutex; vCPU threads (ports) and the input thread
 * (i8042_queue_key) both take it. */
#include "i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "vm.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64

#define STS_OBF    0x01
#define STS_SYS    0x04
#define STS_CMD    0x08 /* last write went to 0x64 */
#define STS_UNLOCK 0x10 /* keyboard not inhibited by the key lock */
#define STS_AUXB   0x20

#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS    0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE  0x40

/* What a BIOS leaves: translation on (Linux then says "AT Translated Set 2
 * keyboard"), keyboard interrupt on, aux port off until the guest wants
 * it, self test passed. */
#define CTR_DEFAULT (CTR_XLATE | CTR_AUXDIS | CTR_SYS | CTR_KBDINT)

#define OUTPORT_RESET 0x01 /* active low: clearing it resets the CPU */
#define OUTPORT_A20   0x02

#define ACK 0xfa
#define RESEND 0xfe

#define QUEUE_LEN 64 /* a few key presses; the guest drains at once */

struct i8042_byte {
	uint8_t val;
	bool aux;
};

struct i8042 {
	struct vm *vm;
	pthread_mutex_t lock;
	struct i8042_byte q[QUEUE_LEN];
	unsigned head, count;
	uint8_t ctr;
	uint8_t outport;
	uint8_t status_cmd; /* STS_CMD after a write to 0x64 */
	uint8_t pending_cmd; /* controller command waiting for its data */
	uint8_t kbd_pending; /* keyboard command waiting for its argument */
	uint8_t aux_pending; /* mouse command waiting for its argument */
	bool kbd_scanning;
	bool aux_reporting;
	uint8_t aux_rate, aux_res, aux_scaling21, aux_remote;
};

/* Called with k->lock held: signal the byte at the head of the FIFO. */
static void
i8042_irq_head(struct i8042 *k)
{
	uint32_t irq;

	if (!k->count)
		return;
	if (k->q[k->head].aux) {
		if (!(k->ctr & CTR_AUXINT))
			return;
		irq = VM_IRQ_MOUSE;
	} else {
		if (!(k->ctr & CTR_KBDINT))
			return;
		irq = VM_IRQ_KBD;
	}
	vm_irq_line(k->vm, irq, 1);
	vm_irq_line(k->vm, irq, 0);
}

static void
i8042_push(struct i8042 *k, uint8_t val, bool aux)
{
	if (k->count == QUEUE_LEN) {
		log_once(LOG_LVL_WARN, "i8042: output queue full, dropping "
			 "bytes");
		return;
	}
	k->q[(k->head + k->count) % QUEUE_LEN] = (struct i8042_byte){ val,
								      aux };
	if (++k->count == 1)
		i8042_irq_head(k);
}

static uint8_t
i8042_pop(struct i8042 *k)
{
	uint8_t v;

	/* An empty buffer reads the last byte on real chips; 0 will do. */
	if (!k->count)
		return 0;
	v = k->q[k->head].val;
	k->head = (k->head + 1) % QUEUE_LEN;
	if (--k->count)
		i8042_irq_head(k);
	return v;
}

static uint8_t
i8042_status(const struct i8042 *k)
{
	uint8_t s = STS_UNLOCK | k->status_cmd;

	if (k->ctr & CTR_SYS)
		s |= STS_SYS;
	if (k->count) {
		s |= STS_OBF;
		if (k->q[k->head].aux)
			s |= STS_AUXB;
	}
	return s;
}

static void
i8042_kbd_reply(struct i8042 *k, uint8_t v)
{
	i8042_push(k, v, false);
}

static void
i8042_aux_reply(struct i8042 *k, uint8_t v)
{
	i8042_push(k, v, true);
}

static void
i8042_kbd_write(struct i8042 *k, uint8_t v)
{
	if (k->kbd_pending) {
		/* The argument of 0xED, 0xF0 or 0xF3. */
		if (k->kbd_pending == 0xf0 && v == 0) {
			i8042_kbd_reply(k, ACK);
			i8042_kbd_reply(k, 2); /* always set 2 */
		} else {
			i8042_kbd_reply(k, ACK);
		}
		k->kbd_pending = 0;
		return;
	}
	switch (v) {
	case 0xff: /* reset, then the self-test result (BAT ok) */
		k->kbd_scanning = true;
		i8042_kbd_reply(k, ACK);
		i8042_kbd_reply(k, 0xaa);
		break;
	case 0xf2: /* identify: an MF2 keyboard; with translation on the
		    * controller turns 0x83 into 0x41, as real ones do */
		i8042_kbd_reply(k, ACK);
		i8042_kbd_reply(k, 0xab);
		i8042_kbd_reply(k, (k->ctr & CTR_XLATE) ? 0x41 : 0x83);
		break;
	case 0xee: /* echo */
		i8042_kbd_reply(k, 0xee);
		break;
	case 0xf4:
		k->kbd_scanning = true;
		i8042_kbd_reply(k, ACK);
		break;
	case 0xf5:
	case 0xf6:
		k->kbd_scanning = v == 0xf6;
		i8042_kbd_reply(k, ACK);
		break;
	case 0xed: /* LEDs */
	case 0xf0: /* scancode set */
	case 0xf3: /* typematic rate */
		k->kbd_pending = v;
		i8042_kbd_reply(k, ACK);
		break;
	case 0xf7: case 0xf8: case 0xf9: case 0xfa: /* set-3 key modes */
		i8042_kbd_reply(k, ACK);
		break;
	default:
		i8042_kbd_reply(k, RESEND);
		break;
	}
}

static void
i8042_aux_reset(struct i8042 *k)
{
	k->aux_reporting = false;
	k->aux_rate = 100;
	k->aux_res = 2;
	k->aux_scaling21 = 0;
	k->aux_remote = 0;
}

static void
i8042_aux_write(struct i8042 *k, uint8_t v)
{
	if (k->aux_pending) {
		if (k->aux_pending == 0xf3)
			k->aux_rate = v;
		else
			k->aux_res = v & 3;
		k->aux_pending = 0;
		i8042_aux_reply(k, ACK);
		return;
	}
	switch (v) {
	case 0xff: /* reset: ACK, BAT ok, device ID 0 (standard mouse) */
		i8042_aux_reset(k);
		i8042_aux_reply(k, ACK);
		i8042_aux_reply(k, 0xaa);
		i8042_aux_reply(k, 0x00);
		break;
	case 0xf2: /* get ID */
		i8042_aux_reply(k, ACK);
		i8042_aux_reply(k, 0x00);
		break;
	case 0xf3: /* sample rate */
	case 0xe8: /* resolution */
		k->aux_pending = v;
		i8042_aux_reply(k, ACK);
		break;
	case 0xe9: /* status request: mode byte, resolution, rate */
		i8042_aux_reply(k, ACK);
		i8042_aux_reply(k, (k->aux_remote ? 0x40 : 0) |
					   (k->aux_reporting ? 0x20 : 0) |
					   (k->aux_scaling21 ? 0x10 : 0));
		i8042_aux_reply(k, k->aux_res);
		i8042_aux_reply(k, k->aux_rate);
		break;
	case 0xeb: /* read data: an empty movement packet */
		i8042_aux_reply(k, ACK);
		i8042_aux_reply(k, 0x08);
		i8042_aux_reply(k, 0x00);
		i8042_aux_reply(k, 0x00);
		break;
	case 0xf4:
	case 0xf5:
		k->aux_reporting = v == 0xf4;
		i8042_aux_reply(k, ACK);
		break;
	case 0xf6: /* defaults */
		i8042_aux_reset(k);
		i8042_aux_reply(k, ACK);
		break;
	case 0xe6:
	case 0xe7:
		k->aux_scaling21 = v == 0xe7;
		i8042_aux_reply(k, ACK);
		break;
	case 0xea:
	case 0xf0:
		k->aux_remote = v == 0xf0;
		i8042_aux_reply(k, ACK);
		break;
	case 0xec: /* reset wrap mode; wrap mode itself is not modelled */
	case 0xee:
		i8042_aux_reply(k, ACK);
		break;
	default:
		i8042_aux_reply(k, RESEND);
		break;
	}
}

/* Called with k->lock held. */
static void
i8042_write_cmd(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20: /* read command byte */
		i8042_kbd_reply(k, k->ctr);
		break;
	case 0x60: /* write command byte */
	case 0xd1: /* write output port */
	case 0xd2: /* write keyboard output buffer */
	case 0xd3: /* write aux output buffer (loopback) */
	case 0xd4: /* write to the aux device */
		k->pending_cmd = cmd;
		break;
	case 0xa7:
		k->ctr |= CTR_AUXDIS;
		break;
	case 0xa8:
		k->ctr &= ~CTR_AUXDIS;
		break;
	case 0xa9: /* aux interface test: no error */
	case 0xab: /* keyboard interface test: no error */
		i8042_kbd_reply(k, 0x00);
		break;
	case 0xaa: /* controller self test */
		k->ctr |= CTR_SYS;
		i8042_kbd_reply(k, 0x55);
		break;
	case 0xad:
		k->ctr |= CTR_KBDDIS;
		break;
	case 0xae:
		k->ctr &= ~CTR_KBDDIS;
		break;
	case 0xc0: /* read input port: nothing of note */
		i8042_kbd_reply(k, 0x00);
		break;
	case 0xd0: /* read output port */
		i8042_kbd_reply(k, k->outport);
		break;
	default:
		if (cmd >= 0xf0) {
			/* Pulse output lines: bit 0 low pulses reset. */
			if (!(cmd & 1))
				vm_request_exit(k->vm, VM_EXIT_REBOOT,
						"guest reset via i8042");
			break;
		}
		log_once(LOG_LVL_INFO, "i8042: unknown controller command "
			 "0x%02x (ignored; further ones are not logged)", cmd);
		break;
	}
}

/* Called with k->lock held. */
static void
i8042_write_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case 0x60:
		k->ctr = v;
		break;
	case 0xd1:
		k->outport = v;
		if (!(v & OUTPORT_RESET))
			vm_request_exit(k->vm, VM_EXIT_REBOOT,
					"guest reset via i8042");
		break;
	case 0xd2:
		i8042_kbd_reply(k, v);
		break;
	case 0xd3:
		i8042_aux_reply(k, v);
		break;
	case 0xd4:
		i8042_aux_write(k, v);
		break;
	default:
		/* Sending to the keyboard enables its interface again. */
		k->ctr &= ~CTR_KBDDIS;
		i8042_kbd_write(k, v);
		break;
	}
}

static void
i8042_io(void *dev, uint64_t offset, uint8_t *data, uint32_t len,
	 bool is_write, bool is_cmd_port)
{
	struct i8042 *k = dev;

	(void)offset;
	if (len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		log_once(LOG_LVL_INFO, "i8042: %u-byte access (ignored)", len);
		return;
	}
	pthread_mutex_lock(&k->lock);
	if (is_cmd_port) {
		if (is_write) {
			k->status_cmd = STS_CMD;
			i8042_write_cmd(k, data[0]);
		} else {
			data[0] = i8042_status(k);
		}
	} else {
		if (is_write) {
			k->status_cmd = 0;
			i8042_write_data(k, data[0]);
		} else {
			data[0] = i8042_pop(k);
		}
	}
	pthread_mutex_unlock(&k->lock);
}

static void
i8042_data_io(void *dev, uint64_t offset, uint8_t *data, uint32_t len,
	      bool is_write)
{
	i8042_io(dev, offset, data, len, is_write, false);
}

static void
i8042_cmd_io(void *dev, uint64_t offset, uint8_t *data, uint32_t len,
	     bool is_write)
{
	i8042_io(dev, offset, data, len, is_write, true);
}

void
i8042_queue_key(struct i8042 *k, const uint8_t *codes, unsigned n)
{
	unsigned i;

	pthread_mutex_lock(&k->lock);
	/* Set-1 codes are what a translating controller delivers; without
	 * translation the guest expects set 2, which we do not produce. */
	if (k->kbd_scanning && !(k->ctr & CTR_KBDDIS)) {
		if (!(k->ctr & CTR_XLATE))
			log_once(LOG_LVL_WARN, "i8042: guest turned off "
				 "scancode translation; keys may be wrong");
		for (i = 0; i < n; i++)
			i8042_push(k, codes[i], false);
	}
	pthread_mutex_unlock(&k->lock);
}

struct i8042 *
i8042_create(struct vm *vm)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return NULL;
	k->vm = vm;
	pthread_mutex_init(&k->lock, NULL);
	k->ctr = CTR_DEFAULT;
	k->outport = OUTPORT_RESET | OUTPORT_A20;
	k->kbd_scanning = true;
	i8042_aux_reset(k);
	ret = bus_register(&vm->pio, I8042_DATA_PORT, 1, i8042_data_io, k,
			   "i8042-data");
	if (ret == 0) {
		ret = bus_register(&vm->pio, I8042_CMD_PORT, 1, i8042_cmd_io,
				   k, "i8042-cmd");
		if (ret < 0)
			bus_unregister(&vm->pio, I8042_DATA_PORT);
	}
	if (ret < 0) {
		log_error("i8042: cannot register ports 0x60/0x64: %s",
			  strerror(-ret));
		pthread_mutex_destroy(&k->lock);
		free(k);
		return NULL;
	}
	return k;
}

void
i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	bus_unregister(&k->vm->pio, I8042_DATA_PORT);
	bus_unregister(&k->vm->pio, I8042_CMD_PORT);
	pthread_mutex_destroy(&k->lock);
	free(k);
}
