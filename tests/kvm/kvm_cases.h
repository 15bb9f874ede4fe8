/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test cases, one list expanded twice: into prototypes here and into
 * the table main() runs, so a case cannot be written and never run.
 */
#ifndef KVM_CASES_H
#define KVM_CASES_H

#include "kvmt.h"

/* name, summary */
#define KVM_CASES(X)							\
	X(api_version, "KVM_GET_API_VERSION is 12")			\
	X(check_extension, "caps the cases use; unknown cap is 0")	\
	X(memslot_invalid, "unaligned/bad slots are EINVAL")		\
	X(memslot_overlap, "overlapping slots are EEXIST")		\
	X(vcpu_id_invalid, "out-of-range vCPU ids are EINVAL")		\
	X(vcpu_id_duplicate, "a second vCPU 0 is EEXIST")		\
	X(real_mode_io, "OUT/IN of 1, 2, 4 bytes, then HLT")		\
	X(real_mode_mmio, "MMIO writes/reads to an unbacked address")	\
	X(protected_mode, "32-bit flat mode: 32-bit I/O and MMIO")	\
	X(long_mode, "64-bit paging: 64-bit values and MMIO")		\
	X(irq_inject_at_hlt, "HLT exit, KVM_INTERRUPT, handler runs")	\
	X(irq_window_open, "request_interrupt_window -> IRQ_WINDOW_OPEN") \
	X(irq_pic_line, "in-kernel PIC: KVM_IRQ_LINE wakes sti;hlt")

#define KVM_CASE_DECLARE(name, summary) \
	enum kvmt_result kvm_test_##name(struct kvmt_ctx *ctx);
KVM_CASES(KVM_CASE_DECLARE)
#undef KVM_CASE_DECLARE

#endif /* KVM_CASES_H */
