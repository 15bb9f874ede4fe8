/* ACPI fixed hardware: PM1a event and control blocks and the PM timer, at
 * ACPI_PM_BASE in port I/O (layout in acpi_internal.h).
 *
 * The FADT's RESET_REG (0xCF9, value 6) is not handled here: 0xCF9 lies in
 * the PCI config address dword 0xCF8-0xCFB that pci.c registers, so the
 * PCI host bridge must treat a 1-byte write at offset 1 as a reset.
 *
 * Locking: one mutex guards the registers; vCPU threads (port I/O) and the
 * control thread (power button) both take it. The SCI is driven under it,
 * so the line level always matches the registers. */
#include "acpi.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_internal.h"
#include "log.h"
#include "util.h"
#include "vm.h"

/* Status bits that may raise the SCI. Only the power button ever sets
 * anything: we have no GPEs, no sleep button (FADT SLP_BUTTON), no RTC
 * wake (FIX_RTC) and do not model TMR_STS overflow events. */
#define PM1_SCI_EVENTS ACPI_PM1_PWRBTN

struct acpi_pm {
	struct vm *vm;
	pthread_mutex_t lock;
	uint16_t sts;
	uint16_t en;
	uint16_t cnt;
	int sci_level;
};

/* Called with pm->lock held; drives the level-triggered SCI on changes. */
static void
acpi_pm_update_sci(struct acpi_pm *pm)
{
	int level = (pm->sts & pm->en & PM1_SCI_EVENTS) != 0;

	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	vm_irq_line(pm->vm, VM_IRQ_SCI, level);
}

/* 3.579545 MHz since boot of the host clock; 32 bits wide (TMR_VAL_EXT).
 * Split in seconds and nanoseconds so the product never overflows. */
static uint32_t
acpi_pm_timer(void)
{
	uint64_t ns = util_now_ns();

	return (uint32_t)((ns / 1000000000ull) * ACPI_PM_TMR_HZ +
			  (ns % 1000000000ull) * ACPI_PM_TMR_HZ /
				  1000000000ull);
}

/* Called with pm->lock held after a write to PM1_CNT. */
static void
acpi_pm_sleep(struct acpi_pm *pm)
{
	unsigned typ;

	if (!(pm->cnt & ACPI_PM1_CNT_SLP_EN))
		return;
	pm->cnt &= ~ACPI_PM1_CNT_SLP_EN; /* write-only, reads 0 */
	typ = (pm->cnt & ACPI_PM1_CNT_SLP_TYP_MASK) >>
	      ACPI_PM1_CNT_SLP_TYP_SHIFT;
	if (typ == ACPI_SLP_TYP_S5) {
		vm_request_exit(pm->vm, VM_EXIT_POWEROFF,
				"guest powered off (ACPI S5)");
		return;
	}
	/* Only \_S5 is in the DSDT, so a guest asking for another state
	 * ignored its own tables; it stays awake. */
	log_once(LOG_LVL_WARN, "acpi: guest asked for sleep type %u, which "
		 "is not supported (ignored)", typ);
}

static void
acpi_pm_io(void *dev, uint64_t offset, uint8_t *data, uint32_t len,
	   bool is_write)
{
	struct acpi_pm *pm = dev;
	uint8_t regs[ACPI_PM_SIZE] = { 0 };
	uint32_t i, tmr;
	bool cnt_written = false;

	pthread_mutex_lock(&pm->lock);
	if (!is_write) {
		/* Any width at any offset: read a snapshot of all registers. */
		uint16_t cnt = pm->cnt | ACPI_PM1_CNT_SCI_EN;

		regs[0] = pm->sts;
		regs[1] = pm->sts >> 8;
		regs[2] = pm->en;
		regs[3] = pm->en >> 8;
		regs[4] = cnt;
		regs[5] = cnt >> 8;
		tmr = acpi_pm_timer();
		memcpy(&regs[8], &tmr, 4); /* x86 host: little-endian */
		memcpy(data, &regs[offset], len);
		pthread_mutex_unlock(&pm->lock);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned shift = ((offset + i) & 1) * 8;
		uint16_t v = (uint16_t)(data[i] << shift);

		switch ((offset + i) & ~1ull) {
		case 0: /* PM1_STS: write 1 to clear */
			pm->sts &= ~v;
			break;
		case 2: /* PM1_EN */
			pm->en = (pm->en & ~(0xff << shift)) | v;
			break;
		case 4: /* PM1_CNT; SCI_EN is forced on when read */
			pm->cnt = (pm->cnt & ~(0xff << shift)) | v;
			cnt_written = true;
			break;
		default: /* PM timer and the reserved bytes are read-only */
			break;
		}
	}
	acpi_pm_update_sci(pm);
	if (cnt_written)
		acpi_pm_sleep(pm);
	pthread_mutex_unlock(&pm->lock);
}

struct acpi_pm *
acpi_pm_create(struct vm *vm)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));
	int ret;

	if (!pm)
		return NULL;
	pm->vm = vm;
	pthread_mutex_init(&pm->lock, NULL);
	ret = bus_register(&vm->pio, ACPI_PM_BASE, ACPI_PM_SIZE, acpi_pm_io,
			   pm, "acpi-pm");
	if (ret < 0) {
		log_error("acpi: cannot register ports 0x%x-0x%x: %s",
			  ACPI_PM_BASE, ACPI_PM_BASE + ACPI_PM_SIZE - 1,
			  strerror(-ret));
		pthread_mutex_destroy(&pm->lock);
		free(pm);
		return NULL;
	}
	return pm;
}

void
acpi_pm_press_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_PWRBTN;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

void
acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	bus_unregister(&pm->vm->pio, ACPI_PM_BASE);
	if (pm->sci_level)
		vm_irq_line(pm->vm, VM_IRQ_SCI, 0);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}
