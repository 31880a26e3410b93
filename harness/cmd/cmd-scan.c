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
#include "usage.h"
#include "util.h"
#include "windetect.h"
#include "windump.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct scan;
static void scan_json(struct scan *s, const struct crash *c, json_t *bugcheck);

struct scan {
	struct crash_detector *det;
	const char *name;
	FILE *out;
	int json;
	int crashes;
	int want_first; /* keep the first crash's title in `first` */
	char *first;
};

/* One crash found: printed (out), and its title kept when it is the first asked for. */
static void scan_emit(struct scan *s, const struct crash *c, json_t *bugcheck)
{
	if (s->want_first && !s->first)
		s->first = xstrdup(c->title);
	if (!s->out)
		json_decref(bugcheck);
	else if (s->json)
		scan_json(s, c, bugcheck);
	else
		fprintf(s->out, "%s\t%s:%zu\n", c->title, s->name, c->line);
}

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
static void scan_json(struct scan *s, const struct crash *c, json_t *bugcheck)
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
	if (bugcheck)
		json_object_set_new(o, "bugcheck", bugcheck);
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
		scan_emit(s, &c, NULL);
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
	return scan_file_kind(path, name, out, json, "linux", err);
}

/* 0x%llX as a JSON string: u64 values do not fit JSON numbers exactly everywhere. */
static json_t *json_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llX", (unsigned long long)v);
	return json_string(buf);
}

/* A dump's facts for --json: code, parameters, type, the address attributed and its source. */
static json_t *scan_bugcheck_json(const struct windump *d)
{
	json_t *o = json_object(), *params = json_array();
	char type[16];

	json_object_set_new(o, "code", json_hex(d->code));
	for (int i = 0; i < 4; i++)
		json_array_append_new(params, json_hex(d->param[i]));
	json_object_set_new(o, "parameters", params);
	json_object_set_new(o, "dump_type", json_string(windump_type_name(d->dump_type, type)));
	json_object_set_new(o, "bits", json_integer(d->is64 ? 64 : 32));
	json_object_set_new(o, "build", json_integer(d->minor));
	json_object_set_new(o, "address", d->has_fault ? json_hex(d->fault_addr) : json_null());
	json_object_set_new(o, "address_source",
			    d->has_fault ? json_string(d->fault_source) : json_null());
	json_object_set_new(o, "drivers", json_integer((json_int_t)d->ndrivers));
	return o;
}

/* A dump file (its first bytes in sb already): one crash, line 0. */
static int scan_dump(struct scan *s, int fd, struct strbuf *sb, struct bp_error *err)
{
	struct strbuf title = STRBUF_INIT;
	struct windump d;
	struct crash c = {0};
	int ret = -1;

	if (windump_read_fd(fd, sb, err) < 0 || windump_parse(sb->buf, sb->len, &d, err) < 0)
		goto out;
	windump_title(&d, &title);
	c.title = title.buf;
	c.report = c.func = c.taint = "";
	c.kind = "bugcheck";
	c.module = (char *)windump_driver(&d);
	scan_emit(s, &c, s->json ? scan_bugcheck_json(&d) : NULL);
	ret = 1;
out:
	windump_release(&d);
	strbuf_release(&title);
	return ret;
}

/* A console log (its first bytes in sb already) through the kind's detector. */
static int scan_console(struct scan *s, int fd, struct strbuf *sb, const char *kind,
			struct bp_error *err)
{
	struct console con;
	char buf[65536];
	int ret = -1;

	s->det = !strcmp(kind, "windows") ? win_crash_detector_new()
					  : guest_profile_linux.detector_new();
	console_init(&con, scan_line, s);
	console_feed(&con, sb->buf, sb->len);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0) {
			ret = 0;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(err, "%s", strerror(errno));
			break;
		}
		console_feed(&con, buf, (size_t)n);
	}
	/* on a read error too: report what was read */
	console_finish(&con);
	crash_detector_flush(s->det);
	scan_drain(s);
	crash_detector_free(s->det);
	return ret < 0 ? -1 : s->crashes;
}

static int scan_path(struct scan *s, const char *path, const char *kind, struct bp_error *err);

int scan_file_kind(const char *path, const char *name, FILE *out, int json, const char *kind,
		   struct bp_error *err)
{
	struct scan s = {.name = name, .out = out, .json = json};

	return scan_path(&s, path, kind, err);
}

int scan_file_first(const char *path, const char *kind, char **ret_title, struct bp_error *err)
{
	struct scan s = {.name = path, .want_first = 1};
	int ret = scan_path(&s, path, kind, err);

	*ret_title = ret > 0 ? s.first : NULL;
	if (ret <= 0)
		free(s.first);
	return ret;
}

/* path through the dump reader or the kind's console detector, into s. */
static int scan_path(struct scan *s, const char *path, const char *kind, struct bp_error *err)
{
	struct strbuf head = STRBUF_INIT;
	struct stat st;
	ssize_t n = 0;
	int fd, ret = -1;

	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		error_set(err, "cannot open '%s': %s", path, strerror(EISDIR));
		goto out;
	}
	/* The first bytes say whether this is a dump or a console log. */
	strbuf_grow(&head, 65536);
	while (head.len < 8 && ((n = read(fd, head.buf + head.len, 65536 - head.len)) > 0 ||
				(n < 0 && errno == EINTR)))
		head.len += n > 0 ? (size_t)n : 0;
	if (n < 0) {
		error_set(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (windump_magic(head.buf, head.len))
		ret = scan_dump(s, fd, &head, err);
	else
		ret = scan_console(s, fd, &head, kind, err);
	if (ret < 0)
		error_prefix(err, "cannot %s '%s'",
			     windump_magic(head.buf, head.len) ? "parse dump" : "read", path);
out:
	strbuf_release(&head);
	if (fd != STDIN_FILENO)
		close(fd);
	return ret;
}

const struct cmd_usage scan_usage = {
    "scan",
    "scan [--json] [--kind linux|windows] FILE...",
    "Find kernel crashes in saved console logs and Windows crash dumps.",
    "options:\n"
    "  --json               one JSON object per crash and line (JSON Lines)\n"
    "  --kind linux|windows read console logs with that guest's detector (default linux)\n"
    "  -h, --help           this help\n"
    "\n"
    "Prints one line per crash, TITLE<TAB>FILE:LINE, nothing for a clean log; FILE '-'\n"
    "reads stdin. A Windows crash dump (PAGEDU64/PAGEDUMP) is recognised whatever\n"
    "--kind says: one line, TITLE<TAB>FILE:0. Exit status: 0 whether or not crashes\n"
    "were found, 2 usage error or a file that cannot be read.\n",
};

int cmd_scan(int argc, char **argv)
{
	int i = 1, status = 0, json = 0;
	const char *kind = "linux";

	for (; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
			kind = argv[++i];
			if (strcmp(kind, "linux") && strcmp(kind, "windows")) {
				fprintf(stderr, "bootproof scan: unknown kind '%s'\n", kind);
				return usage_error(&scan_usage);
			}
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			return usage_help(&scan_usage);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "bootproof scan: unknown option '%s'\n", argv[i]);
			return usage_error(&scan_usage);
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage_error(&scan_usage);

	for (; i < argc; i++) {
		struct bp_error err = {{0}};

		if (scan_file_kind(argv[i], argv[i], stdout, json, kind, &err) < 0) {
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
