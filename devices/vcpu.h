/* Virtual CPUs: one thread each, running the guest and dispatching its
 * exits to the buses. Other threads never touch a vCPU's state: they post
 * a request (pause, resume, stop) and kick the thread out of KVM_RUN with a
 * signal. */
#ifndef VMD_DEVICES_VCPU_H
#define VMD_DEVICES_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct boot_info;
struct kvm_run;

enum vcpu_request { VCPU_RUN, VCPU_PAUSE, VCPU_STOP };

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;

	/* Guarded by lock: what the controller wants, and what the vCPU
	 * thread has acknowledged. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vcpu_request request;
	bool parked; /* the thread is waiting, out of KVM_RUN */

	uint64_t exits; /* exits seen by this vCPU (its thread only) */
};

/* Creates vm->ncpus vCPUs; vCPU 0 starts at the boot entry, the others wait
 * for INIT/SIPI from the guest. */
int vcpus_create(struct vm *vm, const struct boot_info *bi, char *err,
		 unsigned errlen);
int vcpus_start(struct vm *vm);
/* Returns once every vCPU is parked (pause) or running again (resume). */
void vcpus_pause(struct vm *vm);
void vcpus_resume(struct vm *vm);
bool vcpus_paused(struct vm *vm);
/* Stops and joins every vCPU thread, then frees them. */
void vcpus_destroy(struct vm *vm);

#endif
