/*
 * cmd-scan - `bootproof scan FILE...`: replays recorded serial logs through
 * the same console sanitizer and crash detector a live trial uses, so a log
 * from the field (or from a failed run) can be triaged offline. Files are
 * read in fixed-size chunks and crashes are printed as soon as the detector
 * completes them, so memory stays bounded whatever the log holds.
 */
#include "cmd-scan.h"

#include "console.h"
#include "guest.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct scan {
	struct crash_detector *det;
	const char *name;
	FILE *out;
	int json;
	int crashes;
};

/* A JSON string of any bytes: invalid UTF-8 (a file name) becomes '?'. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j)
		return j;
	copy = xstrdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* One JSON object per line: a crash, its class, guilty function and module, its lines. */
static void scan_json(struct scan *s, const struct crash *c)
{
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, "file", json_text(s->name));
	json_object_set_new(o, "line", json_integer((json_int_t)c->line));
	json_object_set_new(o, "end_line", json_integer((json_int_t)c->end_line));
	json_object_set_new(o, "title", json_text(c->title));
	json_object_set_new(o, "kind", json_text(c->kind));
	json_object_set_new(o, "function", c->func[0] ? json_text(c->func) : json_null());
	json_object_set_new(o, "module", c->module[0] ? json_text(c->module) : json_null());
	json_object_set_new(o, "tainted_oot", json_boolean(c->tainted_oot));
	json_object_set_new(o, "taint", json_text(c->taint));
	json_object_set_new(o, "corrupted", json_boolean(c->corrupted));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text)
		fprintf(s->out, "%s\n", text);
	free(text);
	json_decref(o);
}

static void scan_drain(struct scan *s)
{
	struct crash c;

	while (crash_detector_next(s->det, &c)) {
		/* the title is sanitized guest text: an argument, never a format */
		if (s->json)
			scan_json(s, &c);
		else
			fprintf(s->out, "%s\t%s:%zu\n", c.title, s->name, c.line);
		s->crashes++;
		crash_release(&c);
	}
}

static void scan_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct scan *s = ctx;

	crash_detector_feed(s->det, line, len, lineno);
	scan_drain(s);
}

int scan_file(const char *path, const char *name, FILE *out, struct bp_error *err)
{
	return scan_file_as(path, name, out, 0, err);
}

int scan_file_as(const char *path, const char *name, FILE *out, int json, struct bp_error *err)
{
	struct scan s = {.name = name, .out = out, .json = json};
	struct console con;
	struct stat st;
	char buf[65536];
	int fd, ret = -1;

	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		error_set(err, "cannot open '%s': %s", path, strerror(EISDIR));
		goto out;
	}

	/* Field logs are Linux consoles today; another OS would pick its profile here. */
	s.det = guest_profile_linux.detector_new();
	console_init(&con, scan_line, &s);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0) {
			ret = 0;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(err, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		console_feed(&con, buf, (size_t)n);
	}
	/* on a read error too: report what was read */
	console_finish(&con);
	crash_detector_flush(s.det);
	scan_drain(&s);
	crash_detector_free(s.det);
	if (!ret)
		ret = s.crashes;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return ret;
}

static int usage(FILE *f, int status)
{
	fputs("usage: bootproof scan [--json] FILE...\n", f);
	return status;
}

int cmd_scan(int argc, char **argv)
{
	int i = 1, status = 0, json = 0;

	if (i < argc && strcmp(argv[i], "--json") == 0) {
		json = 1;
		i++;
	}
	if (i < argc && strcmp(argv[i], "--") == 0) {
		i++;
	} else if (i < argc && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
		return usage(stdout, 0);
	} else if (i < argc && argv[i][0] == '-' && argv[i][1]) {
		fprintf(stderr, "bootproof scan: unknown option '%s'\n", argv[i]);
		return usage(stderr, 2);
	}
	if (i >= argc)
		return usage(stderr, 2);

	for (; i < argc; i++) {
		struct bp_error err = {{0}};

		if (scan_file_as(argv[i], argv[i], stdout, json, &err) < 0) {
			fflush(stdout);
			fprintf(stderr, "bootproof scan: %s\n", err.msg);
			status = 2;
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bootproof scan: cannot write output: %s\n", strerror(errno));
		status = 2;
	}
	return status;
}
