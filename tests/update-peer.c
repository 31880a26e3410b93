/*
 * update-peer - a tiny host side for tests/e2e-agent.sh: serves the update
 * channel (harness/update.c) and reads the serial console of ONE QEMU boot,
 * without the harness. It listens on the two sockets, starts the QEMU argv
 * given after "--" (which must connect to them), and drives everything from
 * one poll loop until the boot is judged:
 *
 *   clean    the console printed "bootproof: boot complete" (with -p: and
 *            then the push was acknowledged)
 *   crash    the console printed "Kernel panic - not syncing"
 *   exit     QEMU exited first
 *   timeout  none of these within -t seconds
 *
 * Then QEMU is killed (as the harness does once a boot is judged) and a
 * summary is printed on stdout, one key=value per line, for the test to
 * check (marker_ms: from starting QEMU to the marker, -1 if none). The
 * console goes to the -l file.
 *
 *   update-peer -s SERIAL_SOCK -l LOG [-u UPDATE_SOCK [-i ID] [-f HOST:NAME]...
 *               [-p HOST:NAME:PERSIST]] [-t SECONDS] -- QEMU ARGV...
 *
 * -f publishes files as one content set (id -i, or derived); -p pushes a
 * file live once the boot-complete marker appears.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "update.h"

#define MARKER "bootproof: boot complete"
#define PANIC "Kernel panic - not syncing"
#define LINGER_MS 400

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "update-peer: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		die("cannot listen on '%s': %s", path, strerror(errno));
	return fd;
}

static int accept_within(int lfd, pid_t qemu, int64_t deadline)
{
	while (now_ms() < deadline) {
		struct pollfd p = {lfd, POLLIN, 0};

		if (poll(&p, 1, 100) > 0)
			return accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (waitpid(qemu, NULL, WNOHANG) == qemu)
			die("qemu exited before connecting");
	}
	die("qemu did not connect");
	return -1;
}

/* Split "A:B[:C]" in place. */
static int split(char *s, char **parts, int n)
{
	int k = 0;

	parts[k++] = s;
	for (char *c = s; *c && k < n; c++)
		if (*c == ':') {
			*c = '\0';
			parts[k++] = c + 1;
		}
	return k;
}

int main(int argc, char **argv)
{
	const char *serial_path = NULL, *update_path = NULL, *log_path = NULL, *id = NULL;
	struct update_file files[16];
	char *push[3] = {NULL};
	size_t nr_files = 0;
	int timeout_s = 60, opt, ls, lu = -1, sfd, logfd, pushed = 0;
	struct update *u = NULL;
	struct bp_error err;
	const char *outcome = NULL;
	char line[4096];
	size_t line_len = 0;
	int64_t deadline, linger_until = 0, t0, marker_ms = -1;
	pid_t qemu;

	while ((opt = getopt(argc, argv, "s:u:l:i:f:p:t:")) != -1) {
		char *parts[3];

		switch (opt) {
		case 's': serial_path = optarg; break;
		case 'u': update_path = optarg; break;
		case 'l': log_path = optarg; break;
		case 'i': id = optarg; break;
		case 't': timeout_s = atoi(optarg); break;
		case 'f':
			if (nr_files == ARRAY_SIZE(files) || split(optarg, parts, 2) != 2)
				die("bad -f '%s'", optarg);
			files[nr_files++] = (struct update_file){parts[0], parts[1]};
			break;
		case 'p':
			if (split(optarg, push, 3) != 3)
				die("bad -p '%s' (HOST:NAME:PERSIST)", optarg);
			break;
		default:
			die("usage: see the comment at the top of tests/update-peer.c");
		}
	}
	if (!serial_path || !log_path || optind >= argc)
		die("usage: update-peer -s SOCK -l LOG [-u SOCK ...] -- QEMU ARGV");
	logfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0)
		die("cannot create '%s': %s", log_path, strerror(errno));
	ls = listen_on(serial_path);
	if (update_path)
		lu = listen_on(update_path);

	t0 = now_ms();
	qemu = fork();
	if (qemu < 0)
		die("fork: %s", strerror(errno));
	if (qemu == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 0);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	deadline = now_ms() + timeout_s * 1000LL;
	sfd = accept_within(ls, qemu, deadline);
	if (lu >= 0) {
		u = update_new(accept_within(lu, qemu, deadline));
		if (nr_files && update_publish(u, id, files, nr_files, &err) < 0)
			die("%s", err.msg);
	}

	while (!outcome || (linger_until && now_ms() < linger_until)) {
		struct pollfd p[2] = {{sfd, POLLIN, 0}, {-1, 0, 0}};
		int64_t left = (linger_until ? linger_until : deadline) - now_ms();
		int status;

		if (u && update_fd(u) >= 0)
			p[1] = (struct pollfd){update_fd(u),
					       POLLIN | (update_want_write(u) ? POLLOUT : 0), 0};
		if (left <= 0) {
			if (!outcome)
				outcome = "timeout";
			break;
		}
		if (poll(p, 2, left > 100 ? 100 : (int)left) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			update_on_readable(u, &err);
		if (p[1].revents & POLLOUT)
			update_on_writable(u, &err);
		if (p[0].revents) {
			char buf[4096];
			ssize_t n = read(sfd, buf, sizeof(buf));

			if (n <= 0) {
				if (!outcome)
					outcome = "exit";
				break;
			}
			if (write(logfd, buf, (size_t)n) != n)
				die("cannot write the log");
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] != '\n' && line_len < sizeof(line) - 1) {
					line[line_len++] = buf[i];
					continue;
				}
				if (buf[i] != '\n')
					continue;
				line[line_len] = '\0';
				line_len = 0;
				if (!outcome && strstr(line, PANIC)) {
					outcome = "crash";
					linger_until = now_ms() + 2000;
				} else if (outcome && !strcmp(outcome, "crash") &&
					   strstr(line, "end Kernel panic")) {
					linger_until = now_ms();
				} else if (!outcome && strstr(line, MARKER)) {
					if (marker_ms < 0)
						marker_ms = now_ms() - t0;
					if (push[0] && !pushed) {
						if (update_push(u, push[0], push[1], atoi(push[2]), &err) < 0)
							die("%s", err.msg);
						pushed = 1;
					} else {
						outcome = "clean";
						linger_until = now_ms() + LINGER_MS;
					}
				}
			}
		}
		if (!outcome && pushed && update_state(u)->pushes_done) {
			outcome = "clean";
			linger_until = now_ms() + LINGER_MS;
		}
		if (waitpid(qemu, &status, WNOHANG) == qemu) {
			qemu = -1;
			if (!outcome)
				outcome = "exit";
			break;
		}
	}
	if (qemu > 0) {
		kill(qemu, SIGKILL);
		waitpid(qemu, NULL, 0);
	}
	printf("outcome=%s\nmarker_ms=%lld\n", outcome, (long long)marker_ms);
	if (u) {
		const struct update_state *st = update_state(u);

		printf("published=%s\nhellos=%d\nboot=%u\nversion=%u\nguest_set=%s\nchecks=%d\n"
		       "nones=%d\nsets_sent=%d\nsets_done=%d\nset_done_boot=%u\npushes_sent=%d\n"
		       "pushes_done=%d\npush_loaded=%d\nerrors=%d\nerror=%s\nprotocol_error=%d\n"
		       "protocol_msg=%s\n",
		       st->published, st->hellos, st->boot, st->version, st->guest_set, st->checks,
		       st->nones, st->sets_sent, st->sets_done, st->set_done_boot, st->pushes_sent,
		       st->pushes_done, st->push_loaded, st->errors, st->error, st->protocol_error,
		       st->protocol_msg);
		update_free(u);
	}
	close(sfd);
	close(logfd);
	unlink(serial_path);
	if (update_path)
		unlink(update_path);
	return 0;
}
