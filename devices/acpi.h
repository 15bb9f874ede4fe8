/* ACPI: the tables the guest reads (RSDP, XSDT, FADT, DSDT, MADT) and the
 * fixed-hardware PM registers behind them (PM1 event/control, PM timer),
 * which give the guest a power button and a way to power off. */
#ifndef VMD_DEVICES_ACPI_H
#define VMD_DEVICES_ACPI_H

#include <stdint.h>

/* Tables are written into guest RAM here; boot.c marks the range reserved
 * in the e820 map and passes the RSDP address in the zero page. */
#define VM_ACPI_BASE 0xE0000ull
#define VM_ACPI_SIZE 0x20000ull

struct vm;
struct acpi_pm;

/* Writes all tables for vm->ncpus CPUs; returns the RSDP's guest-physical
 * address (> 0) or a negative errno. */
int64_t acpi_tables_build(struct vm *vm);

/* Registers the PM register block on vm->pio. Writing SLP_TYP=S5|SLP_EN
 * ends the VM with VM_EXIT_POWEROFF. */
struct acpi_pm *acpi_pm_create(struct vm *vm);
/* A press of the power button: sets PWRBTN_STS and raises the SCI when the
 * guest enabled it. Thread-safe (called from the control socket). */
void acpi_pm_press_power_button(struct acpi_pm *pm);
void acpi_pm_destroy(struct acpi_pm *pm);

#endif
