/* Shared between acpi_tables.c, acpi_dsdt.c and acpi_pm.c (and the unit
 * tests): where the fixed-hardware registers live and what the tables
 * promise about them. Not for other devices. */
#ifndef VMD_DEVICES_ACPI_INTERNAL_H
#define VMD_DEVICES_ACPI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* PM register block in port I/O: 0x600..0x60F, away from every legacy PC
 * device and from the PCI I/O window users' usual 0xC000 range.
 *   0x600 PM1a_EVT: PM1_STS (16 bit, write 1 to clear), 0x602 PM1_EN
 *   0x604 PM1a_CNT (16 bit): SCI_EN, SLP_TYP, SLP_EN
 *   0x608 PM_TMR   (32 bit, 3.579545 MHz, read-only)
 *   0x60C..0x60F   reserved, reads 0 */
#define ACPI_PM_BASE        0x600
#define ACPI_PM_SIZE        0x10
#define ACPI_PM1A_EVT_PORT  (ACPI_PM_BASE + 0x0)
#define ACPI_PM1A_CNT_PORT  (ACPI_PM_BASE + 0x4)
#define ACPI_PM_TMR_PORT    (ACPI_PM_BASE + 0x8)
#define ACPI_PM1_EVT_LEN    4
#define ACPI_PM1_CNT_LEN    2
#define ACPI_PM_TMR_LEN     4

/* FADT RESET_REG: the PIIX/ICH reset control register. */
#define ACPI_RESET_PORT     0xCF9
#define ACPI_RESET_VALUE    0x06

#define ACPI_PM_TMR_HZ      3579545ull

/* PM1 bits. */
#define ACPI_PM1_TMR        (1u << 0)
#define ACPI_PM1_PWRBTN     (1u << 8)
#define ACPI_PM1_WAK        (1u << 15)
#define ACPI_PM1_CNT_SCI_EN (1u << 0)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK  (7u << 10)
#define ACPI_PM1_CNT_SLP_EN (1u << 13)

/* The SLP_TYP value \_S5 names in the DSDT. */
#define ACPI_SLP_TYP_S5     5

/* PCI INTx routing that \_SB.PCI0._PRT promises for bus 0: INTA..INTD
 * (pin 0..3) of device `slot` raise IOAPIC GSI 16..23, level-triggered,
 * active-low as ACPI defines it for PCI. GSIs 16-23 are IOAPIC-only in
 * KVM's default routing, so they never collide with ISA lines. The PCI
 * host bridge must assert exactly this GSI. */
#define ACPI_PCI_INTX_GSI(slot, pin) (16u + (((slot) + (pin)) & 7u))

#define ACPI_RSDP_LEN 36

uint8_t acpi_checksum(const uint8_t *p, size_t len);
/* The DSDT's AML body (without the 36-byte header), malloc'd. */
int acpi_dsdt_build(uint8_t **aml, size_t *len);

#endif
