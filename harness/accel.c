/*
 * accel - the KVM probe (see accel.h).
 */
#define _GNU_SOURCE
#include "accel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"
#include "vm.h"

/* Real mode: mov al,1; out 0xf4,al; hlt; jmp $ — QEMU then exits with (1 << 1) | 1. */
static const unsigned char probe_code[] = {0xb0, 0x01, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe};
#define PROBE_EXIT_STATUS 3

static int write_boot_sector(const char *path, struct bp_error *err)
{
	unsigned char sector[512] = {0};

	memcpy(sector, probe_code, sizeof(probe_code));
	sector[510] = 0x55;
	sector[511] = 0xaa;
	return write_file_atomic(path, sector, sizeof(sector), err);
}

const char *accel_probe(const char *work_dir, int timeout_ms, char *reason, size_t reason_len)
{
	const char *forced = getenv("BOOTPROOF_ACCEL");
	char *img = xasprintf("%s/kvm-probe.img", work_dir);
	char *log = xasprintf("%s/kvm-probe.log", work_dir);
	struct argv_builder b = {0};
	struct bp_error err;
	struct proc p;
	const char *accel = "tcg";
	char how[128];

	if (forced && (!strcmp(forced, "tcg") || !strcmp(forced, "kvm"))) {
		snprintf(reason, reason_len, "forced by BOOTPROOF_ACCEL=%s", forced);
		accel = !strcmp(forced, "kvm") ? "kvm" : "tcg";
		goto out;
	}
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		snprintf(reason, reason_len, "/dev/kvm not usable: %s", strerror(errno));
		goto out;
	}
	if (write_boot_sector(img, &err) < 0) {
		snprintf(reason, reason_len, "kvm probe: %s", err.msg);
		goto out;
	}
	argv_push(&b, vm_qemu_binary());
	argv_push(&b, "-accel");
	argv_push(&b, "kvm");
	argv_push(&b, "-M");
	argv_push(&b, "pc");
	argv_push(&b, "-nodefaults");
	argv_push(&b, "-no-user-config");
	argv_push(&b, "-display");
	argv_push(&b, "none");
	argv_push(&b, "-device");
	argv_push(&b, "isa-debug-exit,iobase=0xf4,iosize=0x04");
	argv_push(&b, "-drive");
	argv_pushf(&b, "file=%s,format=raw,if=ide", img);
	if (proc_spawn(&p, b.v, log, &err) < 0) {
		snprintf(reason, reason_len, "kvm probe: %s", err.msg);
		goto out;
	}
	if (proc_wait(&p, timeout_ms) < 0) {
		proc_kill(&p);
		snprintf(reason, reason_len, "kvm probe guest did not finish within %d ms", timeout_ms);
	} else if (p.exit == PROC_EXITED && p.code == PROBE_EXIT_STATUS) {
		accel = "kvm";
		snprintf(reason, reason_len, "kvm probe guest ran");
	} else {
		snprintf(reason, reason_len, "kvm probe qemu %s", proc_describe(&p, how, sizeof(how)));
	}
	proc_release(&p);
out:
	argv_free(b.v);
	unlink(img);
	unlink(log);
	free(img);
	free(log);
	return accel;
}
