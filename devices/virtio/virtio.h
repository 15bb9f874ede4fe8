/* virtio 1.x devices over PCI (modern transport only). The core owns the
 * transport registers, feature negotiation, status and reset, the queues
 * and their kick/interrupt plumbing; a device fills an ops table and only
 * does its own job.
 *
 * Threads: the driver's register accesses arrive on vCPU threads; queue
 * kicks (ioeventfds) and device work run on the device's libevent base:
 * its own thread for devices that block (blk), the monitor's I/O loop for
 * the others. vd->lock serialises both sides; ops callbacks run with it
 * held. */
#ifndef VMD_DEVICES_VIRTIO_VIRTIO_H
#define VMD_DEVICES_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "virtio/queue.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + device id: modern-only */

/* BAR0 layout. */
#define VIRTIO_BAR_COMMON 0x0000
#define VIRTIO_BAR_ISR    0x1000
#define VIRTIO_BAR_DEVICE 0x2000
#define VIRTIO_BAR_NOTIFY 0x3000
#define VIRTIO_BAR_SIZE   0x4000
#define VIRTIO_NOTIFY_MULTIPLIER 4
#define VIRTIO_MAX_QUEUES 64

struct event_base;
struct event;
struct virtio_dev;

struct virtio_dev_ops {
	const char *name; /* "virtio-blk", for logs */
	uint16_t device_id;
	uint32_t class_code;
	unsigned nqueues;
	uint16_t queue_size;
	uint64_t features;    /* device-type bits offered */
	uint32_t config_size; /* bytes of device config */
	bool own_thread;      /* blocking work: a thread of its own */
	void (*get_config)(struct virtio_dev *vd, uint8_t *cfg);
	/* Optional: the driver wrote [off, off+len) of the config. */
	void (*set_config)(struct virtio_dev *vd, uint32_t off,
			   const uint8_t *data, uint32_t len);
	/* Queue q was kicked (or the driver just became ready). */
	void (*queue_kick)(struct virtio_dev *vd, unsigned q);
	/* Optional: DRIVER_OK was set. */
	void (*start)(struct virtio_dev *vd);
	/* Optional: the driver reset the device. */
	void (*reset)(struct virtio_dev *vd);
	/* Frees the device (after virtio_dev_destroy() and pci_destroy()). */
	void (*free)(struct virtio_dev *vd);
};

struct virtio_dev {
	struct pci_device pci;
	const struct virtio_dev_ops *ops;
	void *priv;
	struct vm *vm;
	pthread_mutex_t lock;
	struct event_base *base;
	pthread_t thread;
	bool thread_started;
	bool has_pci;

	/* Transport state (lock). */
	uint8_t status;
	uint8_t isr;
	uint8_t config_gen;
	uint32_t dfselect, gfselect;
	uint64_t driver_features;
	uint16_t msix_config;
	uint16_t queue_sel;
	bool error_logged; /* one line per reset, not per bad request */
	uint64_t notify_addr; /* BAR0 notify region while mapped, else 0 */

	struct virtq vqs[VIRTIO_MAX_QUEUES];
	int kick_fd[VIRTIO_MAX_QUEUES];
	struct event *kick_ev[VIRTIO_MAX_QUEUES];

	/* Counters, for logs and the control socket. */
	uint64_t kicks, interrupts;
};

/* Sets up the device and, when pci is not NULL, its PCI function, queue
 * eventfds and I/O thread. pci NULL: a bare device for tests/fuzzers. */
int virtio_dev_init(struct virtio_dev *vd, struct vm *vm, struct pci *pci,
		    struct event_base *main_base,
		    const struct virtio_dev_ops *ops, void *priv);
/* Stops the I/O thread and the kicks. Then pci_destroy(), then
 * virtio_dev_free(): an I/O thread may fire MSI-X until it stopped. */
void virtio_dev_destroy(struct virtio_dev *vd);
void virtio_dev_free(struct virtio_dev *vd);

bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit);
bool virtio_dev_ready(const struct virtio_dev *vd);
/* virtq_pop() that puts the device in NEEDS_RESET when the queue breaks. */
int virtio_pop(struct virtio_dev *vd, unsigned q, struct virtq_elem *e);
/* Interrupts the driver for queue q if it wants one. Lock held. */
void virtio_queue_notify(struct virtio_dev *vd, unsigned q);
/* The device config changed (balloon target, ...). Lock held. */
void virtio_config_changed(struct virtio_dev *vd);
/* Something is wrong: NEEDS_RESET, one log line. Lock held. */
void virtio_dev_fail(struct virtio_dev *vd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Runs the device's queue_kick for q as a kick would (takes the lock). */
void virtio_dev_kick(struct virtio_dev *vd, unsigned q);

/* BAR0 handler, exported for tests and fuzzers. */
void virtio_pci_bar_io(void *opaque, uint64_t off, uint8_t *data,
		       uint32_t len, bool is_write);

#endif
