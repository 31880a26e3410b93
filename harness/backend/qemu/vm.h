/*
 * vm - the QEMU backend: one supervised qemu-system-x86_64 process.
 *
 * The harness listens on three unix sockets in the VM's run directory (QMP,
 * the serial console, and the virtio-serial port org.bootproof.update over
 * which content reaches the guest's agent) and QEMU connects to them as a
 * client, so there is no race and no output is lost. QEMU starts paused
 * (-S); vm_spawn() and vm_accept() do that from an event loop (machine-qemu.c
 * drives them), vm_start() blocking for callers outside one; either way the
 * VM is ready once all three connections are accepted and QMP is
 * negotiated, and vm_cont() lets the guest run. QEMU is a supervised
 * child (proc.h): it dies with the harness and proc_kill_all() ends it from
 * a signal handler.
 *
 * Exit is observed through a pidfd, so the event loop sees it like any
 * other fd. vm_stop() (outside the loop) asks QEMU to quit, waits a bounded
 * time, then SIGKILLs, and always reaps; machine-qemu.c does the same
 * through loop timers.
 */
#ifndef BP_VM_H
#define BP_VM_H

#include <stdint.h>

#include "proc.h"
#include "qmp.h"
#include "util.h"

/* The qdev id of the update port: QMP VSERPORT_CHANGE names it when the guest opens or closes it. */
#define VM_UPDATE_PORT_ID "bpupdate"

struct guest_profile;

struct vm_config {
	/* The guest OS: its machine description (argv.h builds QEMU's argv from it). */
	const struct guest_profile *guest;
	const char *accel;   /* "tcg" or "kvm" */
	const char *kernel;  /* direct kernel boot (if guest's machine boots that way) */
	const char *initrd;
	const char *append;
	const char *disk;    /* per-trial qcow2 overlay */
	int memory_mib;
	/*
	 * Guest RAM (memory_mib of it, QEMU object "ram" either way, so a
	 * migration stream from one VM names the RAM of any other): NULL for
	 * anonymous memory; else mapped from this file (memory-backend-file),
	 * shared if ram_shared (a snapshot's build: the guest's RAM ends up in
	 * the file) or private copy-on-write if not (a template clone: the
	 * file is never written). See snapshot.h.
	 */
	const char *ram_file;
	int ram_shared;
	const char *run_dir; /* where the sockets and qemu.log go; must exist */
	/*
	 * Start with -incoming defer: the caller restores a saved state (see
	 * snapshot.h) before vm_cont(). The device set is identical either way,
	 * so a state saved from one VM restores into another.
	 */
	int incoming;
};

/*
 * The sockets QEMU connects to: QMP, the serial console, the update port,
 * and the marker port of a profile whose marker has one (guest.h:
 * machine.marker_serial).
 */
#define VM_NR_SOCKS 4

struct vm {
	struct proc proc; /* proc.pidfd is readable once QEMU has exited */
	int nr_socks;		    /* 3, or 4 with a marker port */
	int listen_fd[VM_NR_SOCKS]; /* while QEMU has not connected (vm_spawn) */
	int conn_fd[VM_NR_SOCKS];
	char *sock_path[VM_NR_SOCKS];
	int serial_fd;    /* the guest's serial console stream */
	int update_fd;    /* the guest's virtio-serial port org.bootproof.update */
	int marker_fd;    /* the guest's second serial port (COM2), or -1 */
	struct qmp *qmp;
	char *log_path;   /* QEMU's own stdout/stderr */
	int64_t started_ns;
};

/*
 * For an event loop: listen and spawn QEMU paused, without waiting; then
 * vm_accept(vm, i) whenever listen_fd[i] is readable, which returns 1 once
 * all are connected (qmp, serial_fd, update_fd and marker_fd set, listeners closed),
 * else 0. The QMP greeting and handshake are the caller's (qmp_greeted()).
 */
int vm_spawn(struct vm *vm, const struct vm_config *cfg, struct bp_error *err);
int vm_accept(struct vm *vm, int i);
/* Append the tail of QEMU's own log (" (qemu: ...)") to err: it usually names the cause. */
void vm_add_log(const struct vm *vm, struct bp_error *err);

/* Start QEMU paused and connect, blocking (a private loop); on failure nothing is left running. */
int vm_start(struct vm *vm, const struct vm_config *cfg, int timeout_ms, struct bp_error *err);
/* Let the guest run. */
int vm_cont(struct vm *vm, struct bp_error *err);
/* Reap if it has exited (non-blocking): 1 if exited, 0 if still running. */
int vm_reap(struct vm *vm);
/* Quit (QMP quit, then SIGKILL after grace_ms) and reap; always succeeds in the end. */
void vm_stop(struct vm *vm, int grace_ms);
/* Close fds and free; stops the VM first if still running. Accepts a zeroed vm. */
void vm_release(struct vm *vm);

/* Path of the QEMU binary: $BOOTPROOF_QEMU or "qemu-system-x86_64". */
const char *vm_qemu_binary(void);

#endif
