/*
 * floor - the benchmark's floor: QEMU booting the reference guest by itself,
 * no harness, timed from exec to the boot-complete marker on its stdout.
 *
 * The argv is the harness's own (qemu_argv_vm), so the flags are the same by
 * construction; only the QMP monitor and -S go, and the serial console goes
 * to a pipe instead of the harness's socket.
 *
 * usage: floor KERNEL INITRD APPEND DISK MARKER   -> prints milliseconds
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argv.h"
#include "guest.h"
#include "vm.h"

int main(int argc, char **argv)
{
	struct vm_config cfg = {.guest = &guest_profile_linux, .accel = "tcg", .memory_mib = 256};
	char **qargv, **out, window[8192];
	size_t n = 0, have = 0;
	int pfd[2];
	int64_t t0;
	pid_t pid;

	if (argc != 6) {
		fprintf(stderr, "usage: floor KERNEL INITRD APPEND DISK MARKER\n");
		return 2;
	}
	cfg.kernel = argv[1];
	cfg.initrd = argv[2];
	cfg.append = argv[3];
	cfg.disk = argv[4];
	qargv = qemu_argv_vm(&cfg, "unused-qmp", "unused-serial", "unused-update", "unused-marker");
	for (char **p = qargv; *p; p++)
		n++;
	out = calloc(n + 3, sizeof(*out));
	n = 0;
	for (char **p = qargv; *p; p++) {
		if (!strcmp(*p, "-S"))
			continue;
		if (!strcmp(*p, "-mon") || (!strcmp(*p, "-chardev") && p[1] && strstr(p[1], "id=qmp"))) {
			p++;
			continue;
		}
		if (!strcmp(*p, "-chardev") && p[1] && strstr(p[1], "id=upd")) {
			/* The agent's port exists but nobody serves it, as when the harness is idle. */
			out[n++] = "-chardev";
			out[n++] = "null,id=upd";
			p++;
			continue;
		}
		if (!strcmp(*p, "-chardev") && p[1] && strstr(p[1], "id=ser0")) {
			out[n++] = "-chardev";
			out[n++] = "stdio,id=ser0";
			p++;
			continue;
		}
		out[n++] = *p;
	}
	if (pipe(pfd) < 0)
		return 1;
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execvp(out[0], out);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t r = read(pfd[0], window + have, sizeof(window) - 1 - have);

		if (r <= 0)
			break;
		have += (size_t)r;
		window[have] = '\0';
		if (strstr(window, argv[5])) {
			printf("%.1f\n", (double)(now_ns() - t0) / 1e6);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 0;
		}
		/* Keep the tail so a marker split across reads is still found. */
		if (have > sizeof(window) / 2) {
			memmove(window, window + have - 256, 256);
			have = 256;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fprintf(stderr, "floor: qemu ended before the marker\n");
	return 1;
}
