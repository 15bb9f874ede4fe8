/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One trip into an SVM guest.
 *
 * void vmm_svm_vmrun(unsigned long vmcb_pa, unsigned long *regs,
 *                    unsigned long host_save_pa);
 *
 * Called with GIF=0 (clgi) and interrupts disabled.  VMRUN switches only
 * RAX, RSP, RIP, RFLAGS and the control/segment state it documents; the
 * other general registers are ours to load and store (regs[] is indexed
 * in the x86 encoding order, RAX and RSP slots unused here).  VMSAVE and
 * VMLOAD move the rest of the "hidden" state: FS, GS, TR, LDTR with their
 * bases, KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK and the SYSENTER MSRs --
 * host values to host_save_pa around the trip, guest values in the VMCB.
 *
 * Host interrupts: STI before VMRUN sets RFLAGS.IF, which (with
 * V_INTR_MASKING) lets physical interrupts and NMIs force a #VMEXIT; GIF=0
 * holds them after the exit until the caller's stgi / irq enable.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/cpufeatures.h>
#include <asm/nospec-branch.h>

#define REG(n)	((n) * 8)

.section .text, "ax"

SYM_FUNC_START(vmm_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi		/* 16(%rsp): regs */
	push	%rdx		/*  8(%rsp): host save area */
	push	%rdi		/*  0(%rsp): VMCB */

	mov	%rdx, %rax
	vmsave	%rax
	mov	(%rsp), %rax
	vmload	%rax

	/*
	 * STI well before VMRUN: GIF=0 holds interrupts anyway, and an STI
	 * shadow still open at VMRUN must not become the guest's (QEMU's
	 * SVM carries it over into the guest's first instruction).
	 */
	sti

	mov	%rsi, %rax
	mov	REG(1)(%rax), %rcx
	mov	REG(2)(%rax), %rdx
	mov	REG(3)(%rax), %rbx
	mov	REG(5)(%rax), %rbp
	mov	REG(6)(%rax), %rsi
	mov	REG(7)(%rax), %rdi
	mov	REG(8)(%rax), %r8
	mov	REG(9)(%rax), %r9
	mov	REG(10)(%rax), %r10
	mov	REG(11)(%rax), %r11
	mov	REG(12)(%rax), %r12
	mov	REG(13)(%rax), %r13
	mov	REG(14)(%rax), %r14
	mov	REG(15)(%rax), %r15

	mov	(%rsp), %rax
	vmrun	%rax
	cli

	/* RAX is the VMCB address again (host RAX is restored on #VMEXIT). */
	mov	16(%rsp), %rax
	mov	%rcx, REG(1)(%rax)
	mov	%rdx, REG(2)(%rax)
	mov	%rbx, REG(3)(%rax)
	mov	%rbp, REG(5)(%rax)
	mov	%rsi, REG(6)(%rax)
	mov	%rdi, REG(7)(%rax)
	mov	%r8, REG(8)(%rax)
	mov	%r9, REG(9)(%rax)
	mov	%r10, REG(10)(%rax)
	mov	%r11, REG(11)(%rax)
	mov	%r12, REG(12)(%rax)
	mov	%r13, REG(13)(%rax)
	mov	%r14, REG(14)(%rax)
	mov	%r15, REG(15)(%rax)

	/*
	 * Before any RET: untrain the return predictor (RETBleed/SRSO, as
	 * the kernel's entry code does) and overwrite the RSB, which may hold
	 * guest-chosen targets.  Both clobber only registers saved above.
	 */
	UNTRAIN_RET
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE

	mov	(%rsp), %rax
	vmsave	%rax
	mov	8(%rsp), %rax
	vmload	%rax

	/* Leave no guest values in registers for speculation to use. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(vmm_svm_vmrun)
