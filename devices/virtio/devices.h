/* The virtio devices vmd-vm offers. Each create() returns a device on the
 * PCI bus (pci NULL: a bare device for tests and fuzzers); tear down with
 * virtio_dev_destroy(), then pci_destroy(), then virtio_dev_free(). */
#ifndef VMD_DEVICES_VIRTIO_DEVICES_H
#define VMD_DEVICES_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "virtio/virtio.h"

struct vm;
struct pci;
struct event_base;
struct chardev;
struct vm_disk_config;
struct vm_net_config;

struct virtio_dev *virtio_rng_create(struct vm *vm, struct pci *pci,
				     struct event_base *base, char *err,
				     unsigned errlen);
struct virtio_dev *virtio_blk_create(struct vm *vm, struct pci *pci,
				     const struct vm_disk_config *cfg,
				     char *err, unsigned errlen);
struct virtio_dev *virtio_console_create(struct vm *vm, struct pci *pci,
					 struct event_base *base,
					 struct chardev *cd, char *err,
					 unsigned errlen);
struct virtio_dev *virtio_net_create(struct vm *vm, struct pci *pci,
				     struct event_base *base,
				     const struct vm_net_config *cfg,
				     char *err, unsigned errlen);
struct virtio_dev *virtio_balloon_create(struct vm *vm, struct pci *pci,
					 struct event_base *base, char *err,
					 unsigned errlen);
/* Control socket: new target (MiB of guest RAM to take away is
 * ram - target), and the guest's last statistics. Main thread. */
int virtio_balloon_set_target(struct virtio_dev *vd, uint64_t target_mib);
struct json_object;
struct json_object *virtio_balloon_stats(struct virtio_dev *vd);

/* virtio-input (virtio 1.x, 5.8): a keyboard or an absolute pointer (a
 * tablet), fed by the host (SPICE). */
enum virtio_input_kind { VIRTIO_INPUT_KEYBOARD, VIRTIO_INPUT_TABLET };
struct virtio_dev *virtio_input_create(struct vm *vm, struct pci *pci,
				       struct event_base *base,
				       enum virtio_input_kind kind, char *err,
				       unsigned errlen);
/* Queues one evdev event (linux/input-event-codes.h) for the guest;
 * virtio_input_sync() ends the group with SYN_REPORT and delivers what
 * the guest has buffers for. Any thread. */
void virtio_input_send(struct virtio_dev *vd, uint16_t type, uint16_t code,
		       uint32_t value);
void virtio_input_sync(struct virtio_dev *vd);
/* LED bits (LED_NUML, LED_CAPSL, ...) the guest last set; any thread. */
unsigned virtio_input_leds(struct virtio_dev *vd);
/* fn(opaque, leds) when the guest changes its LEDs (fn NULL: nobody
 * listens). Called on the device's event loop (vmd-vm's main thread),
 * without the device lock; for a bare device (tests) right away, with
 * the lock held. */
void virtio_input_set_led_handler(struct virtio_dev *vd,
				  void (*fn)(void *opaque, unsigned leds),
				  void *opaque);

#endif
