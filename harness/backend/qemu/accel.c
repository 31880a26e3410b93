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

#include "argv.h"
#include "guest.h"
#include "proc.h"
#include "util.h"

const char *accel_probe(const char *work_dir, const struct guest_profile *guest,
			const char *kernel, int timeout_ms, char *reason, size_t reason_len)
{
	const char *forced = getenv("BOOTPROOF_ACCEL");
	char *log = xasprintf("%s/kvm-probe.log", work_dir);
	char *serial = xasprintf("%s/kvm-probe.serial", work_dir);
	struct strbuf out = STRBUF_INIT;
	int64_t t0 = now_ns();
	char **argv = NULL;
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
	if (!guest || !guest->probe_done) {
		snprintf(reason, reason_len, "no guest to probe kvm with");
		goto out;
	}
	if (guest->machine.direct_kernel && !kernel) {
		snprintf(reason, reason_len, "no guest kernel to probe kvm with");
		goto out;
	}
	argv = qemu_argv_probe(guest, "kvm", kernel, serial);
	if (proc_spawn(&p, argv, log, &err) < 0) {
		snprintf(reason, reason_len, "kvm probe: %s", err.msg);
		goto out;
	}
	if (proc_wait(&p, timeout_ms) < 0) {
		proc_kill(&p);
		snprintf(reason, reason_len, "kvm probe guest did not finish within %d ms", timeout_ms);
	} else if (p.exit == PROC_EXITED && p.code == 0 &&
		   read_file(serial, &out, NULL) == 0 && strstr(out.buf, guest->probe_done)) {
		accel = "kvm";
		snprintf(reason, reason_len, "kvm probe: the guest booted to its end in %d ms",
			 (int)((now_ns() - t0) / 1000000));
	} else {
		snprintf(reason, reason_len, "kvm probe qemu %s", proc_describe(&p, how, sizeof(how)));
	}
	proc_release(&p);
out:
	argv_free(argv);
	unlink(serial);
	unlink(log);
	free(serial);
	free(log);
	strbuf_release(&out);
	return accel;
}
