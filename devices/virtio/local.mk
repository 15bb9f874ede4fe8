# virtio 1.x devices over PCI: core + transport, the virtqueue walker, and
# one file per device.
devices_libvmddevices_a_SOURCES += \
	devices/virtio/virtio.c devices/virtio/virtio.h \
	devices/virtio/queue.c devices/virtio/queue.h \
	devices/virtio/devices.h \
	devices/virtio/rng.c devices/virtio/blk.c
