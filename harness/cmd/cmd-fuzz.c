/*
 * cmd-fuzz - the `fuzz` command (see cmd-fuzz.h): a libFuzzer campaign over
 * the sensor's content interpreter, seeded from a scenario's content, its
 * crashes deduplicated by signature and minimized.
 */
#define _GNU_SOURCE
#include "cmd-fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "fuzz-boot.h"
#include "fuzzlog.h"
#include "proc.h"
#include "progress.h"
#include "scenario.h"
#include "session.h"
#include "usage.h"
#include "util.h"

#ifndef BOOTPROOF_DATADIR
#define BOOTPROOF_DATADIR "/usr/share/bootproof"
#endif

#define EXIT_CRASH 1
#define EXIT_INFRA 3
#define MAX_DURATION_S (7 * 24 * 3600)
#define MODULE_MAX (64 << 20) /* the biggest sensor module read for its modinfo */
#define SEED_RUN_MS 30000     /* one seed run alone */
#define MINIMIZE_S 5	      /* libFuzzer's budget for one minimization step */
#define MINIMIZE_MS 30000     /* for all of one input's steps */
#define TICK_MS 100
#define GRACE_MS 30000 /* past -max_total_time before the target is killed */
#define BOOT_SAMPLE 2  /* corpus inputs that did not crash, booted with --boot */

const struct cmd_usage fuzz_usage = {
    "fuzz",
    "fuzz [-c SUITE] [-r REPORTS] [--duration D] [--seed S] [--corpus DIR] [--boot] [-q] "
    "SCENARIO",
    "Fuzz the content interpreter of SCENARIO's sensor, seeded with its content.",
    "options:\n"
    "  -c, --suite SUITE    the suite file (default scenarios.yaml)\n"
    "  -r, --reports DIR    write the campaign into DIR/fuzz-<stamp>-<pid>/ (default reports)\n"
    "  -d, --duration D     fuzz for D: seconds, or with a unit, 90s, 5m, 1h (default 60s)\n"
    "  -s, --seed S         libFuzzer's random seed for the first start, S+k for the\n"
    "                       k-th restart (default: from the clock, recorded in fuzz.json)\n"
    "  --corpus DIR         the corpus to resume from and grow (default\n"
    "                       REPORTS/corpus/SCENARIO)\n"
    "  --boot               then boot each crash's input, and 2 corpus inputs the\n"
    "                       sensor loads without a crash, in the scenario's guest,\n"
    "                       pushed live and cold\n"
    "                       (a run of its own, REPORTS/<run-id>/; TAP on stdout)\n"
    "  -q, --quiet          no progress line on the terminal\n"
    "  -h, --help           this help\n"
    "\n"
    "SCENARIO: one scenario (NAME/SENSOR for a matrix entry); its sensor must be the\n"
    "reference sensor (refsensor.ko, version N: the target fuzz-interp-vN). Crashes are\n"
    "kept once per signature under crashes/ of the campaign's directory, minimized,\n"
    "and listed on stdout and in fuzz.json. Exit status: 0 no crash, 1 crashes found,\n"
    "2 usage or configuration error, 3 the target could not run or interrupted.\n",
};

struct fuzz_opts {
	const char *suite;
	const char *reports;
	const char *corpus;
	const char *scenario;
	int duration_s;
	unsigned int seed; /* 0: from the clock */
	int quiet;
	int boot; /* stage 2: boot the findings */
};

struct finding {
	char *signature;
	unsigned int count;
	double first_s;
	int in_seeds;	 /* the suite's own content crashes */
	char *input;	 /* crashes/crash-N.sys */
	char *minimized; /* crashes/crash-N.min.sys, or NULL if minimizing failed */
	char *report;	 /* crashes/crash-N.txt */
};

/* A stack seen (fuzzlog's stack_key) and the finding it belongs to. */
struct stack_seen {
	char *key;
	size_t finding;
};

struct campaign {
	const struct fuzz_opts *o;
	const struct scenario *sc;
	int version;
	char *bin, *dir, *artifacts, *seeds, *corpus, *crashes;
	struct finding *f;
	size_t nr_f, alloc_f;
	struct stack_seen *seen;
	size_t nr_seen, alloc_seen;
	char *asan_options; /* the user's ASAN_OPTIONS, or NULL */
	unsigned int nr_crashes, starts, nr_seeds, corpus_before;
	uint64_t execs; /* finished starts */
	int64_t start_ms;
	double first_crash_s; /* -1: none */
	double crash_s;	      /* when the last crash was seen */
	double fuzz_s;	      /* how long the campaign fuzzed (minimizing is not counted) */
	unsigned int seed;
	struct progress prog;
	char *failure;	 /* why the campaign could not go on, or NULL */
	char *boot_run;	 /* --boot: the run directory of the findings' boots */
	int boot_status; /* --boot: its exit status (session.h) */
};

/* "90", "90s", "5m", "1h" -> seconds; -1 if not a duration of 1 s to 7 days. */
static int parse_duration(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 1)
		return -1;
	if (!strcmp(end, "m"))
		v = v > MAX_DURATION_S / 60 ? -1 : v * 60;
	else if (!strcmp(end, "h"))
		v = v > MAX_DURATION_S / 3600 ? -1 : v * 3600;
	else if (*end && strcmp(end, "s"))
		return -1;
	return v < 1 || v > MAX_DURATION_S ? -1 : (int)v;
}

/* 0 to run, 1 the help was printed, -1 a usage error (printed). */
static int parse_opts(int argc, char **argv, struct fuzz_opts *o)
{
	static const struct option longopts[] = {
	    {"suite", required_argument, NULL, 'c'},
	    {"reports", required_argument, NULL, 'r'},
	    {"duration", required_argument, NULL, 'd'},
	    {"seed", required_argument, NULL, 's'},
	    {"corpus", required_argument, NULL, 'C'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"boot", no_argument, NULL, 'B'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*o = (struct fuzz_opts){"scenarios.yaml", "reports", NULL, NULL, 60, 0, 0, 0};
	argv[0] = (char *)"bootproof fuzz";
	while ((c = getopt_long(argc, argv, "c:r:d:s:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->suite = optarg;
			break;
		case 'r':
			o->reports = optarg;
			break;
		case 'C':
			o->corpus = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'B':
			o->boot = 1;
			break;
		case 'h':
			usage_help(&fuzz_usage);
			return 1;
		case 'd':
			o->duration_s = parse_duration(optarg);
			if (o->duration_s < 0) {
				fprintf(stderr,
					"bootproof: --duration takes 1s to 7 days (90, 90s, 5m, "
					"1h), got '%s'\n",
					optarg);
				return usage_error(&fuzz_usage), -1;
			}
			break;
		case 's': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > UINT_MAX / 2) {
				fprintf(stderr,
					"bootproof: --seed takes a number from 1 to %u, got '%s'\n",
					UINT_MAX / 2, optarg);
				return usage_error(&fuzz_usage), -1;
			}
			o->seed = (unsigned int)v;
			break;
		}
		default:
			return usage_error(&fuzz_usage), -1;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "bootproof: fuzz takes one SCENARIO\n");
		return usage_error(&fuzz_usage), -1;
	}
	o->scenario = argv[optind];
	return 0;
}

/* The one scenario named (a matrix name must say which sensor). */
static const struct scenario *find_scenario(const struct suite *s, const char *name,
					    struct bp_error *err)
{
	struct strbuf entries = STRBUF_INIT;
	const struct scenario *found = NULL;
	size_t n = strlen(name), nr = 0;

	for (size_t i = 0; i < s->nr_scenarios; i++) {
		const struct scenario *sc = &s->scenarios[i];

		if (!strcmp(sc->name, name)) {
			strbuf_release(&entries);
			return sc;
		}
		if (!strncmp(sc->name, name, n) && sc->name[n] == '/') {
			strbuf_addf(&entries, "%s%s", nr++ ? ", " : "", sc->name);
			found = sc;
		}
	}
	if (nr > 1)
		error_set(err, "'%s' is a matrix: name one of %s", name, entries.buf);
	else if (!nr)
		error_set(err, "no scenario named '%s' in '%s'", name, s->path);
	strbuf_release(&entries);
	return nr == 1 ? found : NULL;
}

/* modinfo holds "\0key=value\0" strings: value of key, or NULL. */
static const char *modinfo(const struct strbuf *sb, const char *key, char *out, size_t size)
{
	char pat[64];
	size_t n = (size_t)snprintf(pat, sizeof(pat), "%c%s=", 0, key);
	const char *p = memmem(sb->buf, sb->len, pat, n), *end;

	if (!p)
		return NULL;
	p += n;
	end = memchr(p, 0, sb->buf + sb->len - p);
	if (!end || (size_t)(end - p) >= size)
		return NULL;
	memcpy(out, p, end - p);
	out[end - p] = 0;
	return out;
}

/* The reference sensor's version N from the module's modinfo; -1 with err otherwise. */
static int sensor_version(const struct sensor *sn, struct bp_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	char name[64], version[16], *end;
	long v = -1;

	if (read_regular(sn->module, MODULE_MAX, &sb, err) < 0)
		return error_prefix(err, "sensor '%s'", sn->name);
	if (!modinfo(&sb, "name", name, sizeof(name)) || strcmp(name, "refsensor") ||
	    !modinfo(&sb, "version", version, sizeof(version)) ||
	    ((v = strtol(version, &end, 10)), *end || v < 1 || v > 999)) {
		error_set(err,
			  "sensor '%s' ('%s') is not the reference sensor (modinfo name=refsensor, "
			  "version=N): only its interpreter can be fuzzed in-process",
			  sn->name, sn->module);
		v = -1;
	}
	strbuf_release(&sb);
	return (int)v;
}

/* fuzz-interp-vN beside this binary, in $BOOTPROOF_DATADIR/build, in the built-in data dir. */
static char *find_target(int version, struct bp_error *err)
{
	char self[PATH_MAX];
	const char *env = getenv("BOOTPROOF_DATADIR");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *cand[3] = {NULL, NULL, NULL};
	char *found = NULL;

	if (n > 0) {
		self[n] = 0;
		cand[0] = xasprintf("%s/fuzz-interp-v%d", dirname(self), version);
	}
	if (env && *env)
		cand[1] = xasprintf("%s/build/fuzz-interp-v%d", env, version);
	cand[2] = xasprintf("%s/build/fuzz-interp-v%d", BOOTPROOF_DATADIR, version);
	for (int i = 0; i < 3; i++) {
		if (!found && cand[i] && access(cand[i], X_OK) == 0)
			found = cand[i];
		else
			free(cand[i]);
	}
	if (!found)
		error_set(err,
			  "no fuzz target fuzz-interp-v%d beside bootproof or in the data "
			  "directory (make builds it)",
			  version);
	return found;
}

/* Regular files in dir (0 if it cannot be read). */
static unsigned int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_type == DT_REG;
	if (d)
		closedir(d);
	return n;
}

static int copy_file(const char *from, const char *to, struct bp_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = read_regular(from, 64 << 20, &sb, err);

	if (ret == 0)
		ret = write_file_atomic(to, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return ret;
}

static int add_seed_set(struct campaign *c, const struct content_set *cs, struct bp_error *err)
{
	for (size_t i = 0; cs && i < cs->nr_files; i++) {
		char *to = xasprintf("%s/%02u-%s", c->seeds, c->nr_seeds + 1, cs->files[i].as);
		int ret = copy_file(cs->files[i].path, to, err);

		free(to);
		if (ret < 0)
			return -1;
		c->nr_seeds++;
	}
	return 0;
}

/* The scenario's content and its deploy/rollback steps' content, into seeds/. */
static int collect_seeds(struct campaign *c, struct bp_error *err)
{
	if (add_seed_set(c, c->sc->content, err) < 0)
		return -1;
	for (size_t i = 0; i < c->sc->nr_steps; i++)
		if (add_seed_set(c, c->sc->steps[i].content, err) < 0)
			return -1;
	if (!c->nr_seeds)
		return error_set(err, "scenario '%s' names no content to start from", c->sc->name);
	return 0;
}

static double elapsed_s(const struct campaign *c)
{
	return (double)(now_ms() - c->start_ms) / 1000.0;
}

/* The progress line (terminal only), at most 4 times a second. */
static void draw(struct campaign *c, uint64_t execs, int force)
{
	static int64_t last;
	struct strbuf name = STRBUF_INIT;
	double t = elapsed_s(c);

	if (!c->prog.enabled || (!force && now_ms() - last < 250))
		return;
	last = now_ms();
	escape_term(&name, c->sc->name);
	fprintf(stderr,
		"\r  fuzz %s (v%d): %.0f/%d s, %.0f execs/s, %u crashes, %zu signatures\033[K",
		name.buf, c->version, t, c->o->duration_s, t > 0 ? (double)execs / t : 0.0,
		c->nr_crashes, c->nr_f);
	fflush(stderr);
	strbuf_release(&name);
}

static void undraw(const struct campaign *c)
{
	if (c->prog.enabled)
		fputs("\r\033[K", stderr);
}

/*
 * Run the target (argv) until it exits, limit_ms passes or we are
 * interrupted, reading its output (log_path) into l as it comes; campaign:
 * it is the fuzzing run (progress, time of the first crash). 0 it exited
 * (p->exit, p->code), 1 it was killed, -1 it could not start (err).
 */
static int run_target(struct campaign *c, char **argv, const char *log_path, int64_t limit_ms,
		      int campaign, struct fuzzlog *l, struct proc *p, struct bp_error *err)
{
	int64_t deadline = now_ms() + limit_ms;
	char buf[65536];
	int killed = 0, exited = 0;
	FILE *f;
	size_t n;

	fuzzlog_init(l);
	if (proc_spawn(p, argv, log_path, err) < 0)
		return -1;
	f = fopen(log_path, "r");
	while (!exited) {
		exited = proc_wait(p, TICK_MS) == 0;
		while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			fuzzlog_feed(l, buf, n);
		if (f)
			clearerr(f);
		if (campaign && l->crashed && c->crash_s < 0)
			c->crash_s = elapsed_s(c);
		if (campaign && l->crashed && c->first_crash_s < 0)
			c->first_crash_s = c->crash_s;
		if (campaign)
			draw(c, c->execs + l->execs, 0);
		if (!exited && (bp_interrupted || now_ms() > deadline)) {
			proc_kill(p);
			killed = 1;
		}
	}
	fuzzlog_finish(l);
	if (f)
		fclose(f);
	proc_release(p);
	return killed;
}

/* Minimize input into out with libFuzzer's -minimize_crash: 0 if out was written. */
static int minimize(struct campaign *c, const char *input, const char *out)
{
	struct argv_builder a = {0};
	char *log = xasprintf("%s/minimize.log", c->dir);
	struct fuzzlog l;
	struct proc p;
	struct bp_error err;
	struct stat st;
	int ret;

	argv_push(&a, c->bin);
	argv_push(&a, "-minimize_crash=1");
	argv_pushf(&a, "-max_total_time=%d", MINIMIZE_S);
	argv_push(&a, "-timeout=10");
	argv_pushf(&a, "-exact_artifact_path=%s", out);
	argv_push(&a, input);
	/* Each smaller input that still crashes is written to out: cut short, out is the last. */
	ret = run_target(c, a.v, log, MINIMIZE_MS, 0, &l, &p, &err);
	fuzzlog_release(&l);
	unlink(log);
	free(log);
	argv_free(a.v);
	return ret >= 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
}

/* ASan symbolizes reports (slow: it forks llvm-symbolizer) or not, after the user's options. */
static void asan_symbolize(const struct campaign *c, int on)
{
	char *v = xasprintf("%s%ssymbolize=%d", c->asan_options ? c->asan_options : "",
			    c->asan_options ? ":" : "", on);

	setenv("ASAN_OPTIONS", v, 1);
	free(v);
}

static void remember_stack(struct campaign *c, const char *key, size_t finding)
{
	ALLOC_GROW(c->seen, c->nr_seen + 1, c->alloc_seen);
	c->seen[c->nr_seen++] = (struct stack_seen){xstrdup(key), finding};
}

/*
 * The signature of a crash in an unsymbolized campaign: run its input once
 * symbolized; its report goes to log_path. Falls back to l's own.
 */
static void symbolized_signature(struct campaign *c, const struct fuzzlog *l, const char *input,
				 const char *log_path, char *sig, size_t size)
{
	char *argv[3] = {c->bin, (char *)input, NULL};
	struct bp_error err;
	struct fuzzlog l2;
	struct proc p;

	snprintf(sig, size, "%s", l->signature);
	if (!input)
		return;
	asan_symbolize(c, 1);
	if (run_target(c, argv, log_path, SEED_RUN_MS, 0, &l2, &p, &err) == 0 && l2.crashed)
		snprintf(sig, size, "%s", l2.signature);
	asan_symbolize(c, 0);
	fuzzlog_release(&l2);
}

/*
 * A crash report in l, its input at input (NULL: none saved), its output
 * at log_path: counted for a stack seen before, else given its symbolized
 * signature and counted for that, or kept as a new finding.
 */
static void record(struct campaign *c, const struct fuzzlog *l, const char *input,
		   const char *log_path, int in_seeds)
{
	const char *key = *l->stack_key ? l->stack_key : l->signature;
	char *sym_log = xasprintf("%s/symbolize.log", c->dir);
	char sig[sizeof(l->signature)];
	struct finding *f;
	struct bp_error err;
	size_t i;

	c->nr_crashes++;
	for (i = 0; i < c->nr_seen; i++)
		if (!strcmp(c->seen[i].key, key)) {
			c->f[c->seen[i].finding].count++;
			goto out;
		}
	if (in_seeds) /* seeds run symbolized */
		snprintf(sig, sizeof(sig), "%s", l->signature);
	else
		symbolized_signature(c, l, input, sym_log, sig, sizeof(sig));
	for (i = 0; i < c->nr_f && strcmp(c->f[i].signature, sig); i++)
		;
	remember_stack(c, key, i);
	if (i < c->nr_f) {
		c->f[i].count++;
		goto out;
	}
	ALLOC_GROW(c->f, c->nr_f + 1, c->alloc_f);
	f = &c->f[c->nr_f++];
	*f = (struct finding){xstrdup(sig),
			      1,
			      in_seeds || c->crash_s < 0 ? 0 : c->crash_s,
			      in_seeds,
			      xasprintf("%s/crash-%zu.sys", c->crashes, c->nr_f),
			      NULL,
			      xasprintf("%s/crash-%zu.txt", c->crashes, c->nr_f)};
	if (!input || copy_file(input, f->input, &err) < 0) {
		free(f->input);
		f->input = NULL;
	}
	if (copy_file(in_seeds || access(sym_log, R_OK) ? log_path : sym_log, f->report, &err) <
	    0) {
		free(f->report);
		f->report = NULL;
	}
out:
	unlink(sym_log);
	free(sym_log);
}

/* After the campaign, so that its time goes to fuzzing: crash-N.min.sys for each finding. */
static void minimize_all(struct campaign *c)
{
	for (size_t i = 0; i < c->nr_f && !bp_interrupted; i++) {
		char *min = xasprintf("%s/crash-%zu.min.sys", c->crashes, i + 1);

		if (c->f[i].input && minimize(c, c->f[i].input, min) == 0)
			c->f[i].minimized = min;
		else
			free(min);
	}
}

/* Run each seed alone: one that crashes is a finding and is not fuzzed from. */
static int triage_seeds(struct campaign *c, struct bp_error *err)
{
	DIR *d = opendir(c->seeds);
	char *log = xasprintf("%s/seed.log", c->dir);
	struct dirent *e;
	int ret = 0;

	while (d && ret == 0 && !bp_interrupted && (e = readdir(d))) {
		char *path, *argv[3];
		struct fuzzlog l;
		struct proc p;

		if (e->d_type != DT_REG)
			continue;
		path = xasprintf("%s/%s", c->seeds, e->d_name);
		argv[0] = c->bin;
		argv[1] = path;
		argv[2] = NULL;
		ret = run_target(c, argv, log, SEED_RUN_MS, 0, &l, &p, err) < 0 ? -1 : 0;
		if (ret == 0 && l.crashed) {
			record(c, &l, path, log, 1);
			unlink(path);
			c->nr_seeds--;
		} else if (ret == 0 && (p.exit != PROC_EXITED || p.code != 0)) {
			char how[64];

			ret = error_set(err, "the fuzz target failed on seed '%s' (%s): see '%s'",
					e->d_name, proc_describe(&p, how, sizeof(how)), log);
		}
		fuzzlog_release(&l);
		free(path);
	}
	if (d)
		closedir(d);
	if (ret == 0)
		unlink(log);
	free(log);
	return ret;
}

/* An artifact path the target printed (untrusted): only one inside artifacts/ is used. */
static const char *own_artifact(const struct campaign *c, const char *path)
{
	size_t n = strlen(c->artifacts);

	if (strncmp(path, c->artifacts, n) || path[n] != '/' || strstr(path + n, "/..") ||
	    strchr(path + n + 1, '/'))
		return NULL;
	return path;
}

/*
 * A crash before the target read its corpus: an entry crashes at once. The
 * artifact is named KIND-SHA1 and corpus entries SHA1: remove that entry
 * (0), or -1 if there is none (fuzzing again would crash again).
 */
static int drop_crashing_entry(struct campaign *c, const struct fuzzlog *l, struct bp_error *err)
{
	const char *art = own_artifact(c, l->artifact), *dash;
	char *entry;
	int ret;

	dash = art ? strchr(strrchr(art, '/'), '-') : NULL;
	if (!dash)
		return error_set(err,
				 "the fuzz target crashes before fuzzing (%s), on no input of "
				 "the corpus",
				 l->signature);
	entry = xasprintf("%s/%s", c->corpus, dash + 1);
	ret = unlink(entry) == 0 ? 0
				 : error_set(err,
					     "the fuzz target crashes on an input that is not in "
					     "the corpus '%s' (%s)",
					     c->corpus, l->signature);
	free(entry);
	return ret;
}

/* Start the target again after each crash until the duration is used up. */
static int campaign_run(struct campaign *c, struct bp_error *err)
{
	char *log = xasprintf("%s/fuzz.log", c->dir);
	int ret = 0;

	while (ret == 0 && !bp_interrupted) {
		int left = c->o->duration_s - (int)elapsed_s(c), r;
		struct argv_builder a = {0};
		struct fuzzlog l;
		struct proc p;

		if (left < 1)
			break;
		argv_push(&a, c->bin);
		argv_pushf(&a, "-max_total_time=%d", left);
		argv_pushf(&a, "-seed=%u", c->seed + c->starts++);
		argv_pushf(&a, "-artifact_prefix=%s/", c->artifacts);
		argv_push(&a, "-print_final_stats=1");
		argv_push(&a, "-timeout=10");
		argv_push(&a, c->corpus);
		argv_push(&a, c->seeds);
		c->crash_s = -1;
		r = run_target(c, a.v, log, (int64_t)left * 1000 + GRACE_MS, 1, &l, &p, err);
		if (r < 0) {
			ret = -1;
		} else if (l.crashed) {
			c->execs += l.execs;
			record(c, &l, own_artifact(c, l.artifact), log, 0);
			if (!l.inited)
				ret = drop_crashing_entry(c, &l, err);
		} else {
			char how[64];

			c->execs += l.execs;
			if (r == 0 && !l.done && (p.exit != PROC_EXITED || p.code != 0))
				ret =
				    error_set(err, "the fuzz target %s without a report: see '%s'",
					      proc_describe(&p, how, sizeof(how)), log);
		}
		fuzzlog_release(&l);
		argv_free(a.v);
	}
	c->fuzz_s = elapsed_s(c);
	draw(c, c->execs, 1);
	undraw(c);
	free(log);
	return ret;
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int write_json(const struct campaign *c, int complete, struct bp_error *err)
{
	json_t *root = json_object(), *list = json_array();
	double t = c->fuzz_s;
	char *path = xasprintf("%s/fuzz.json", c->dir), *text;
	int ret;

	for (size_t i = 0; i < c->nr_f; i++) {
		const struct finding *f = &c->f[i];

		json_array_append_new(
		    list,
		    json_pack("{s:s, s:i, s:f, s:b, s:o, s:o, s:o}", "signature", f->signature,
			      "count", (json_int_t)f->count, "first_s", f->first_s, "in_seeds",
			      f->in_seeds, "input", jstr_or_null(f->input), "minimized",
			      jstr_or_null(f->minimized), "report", jstr_or_null(f->report)));
	}
	json_object_set_new(root, "schema_version", json_integer(1));
	json_object_set_new(root, "complete", json_boolean(complete));
	json_object_set_new(root, "failure", jstr_or_null(c->failure));
	json_object_set_new(root, "scenario", json_string(c->sc->name));
	json_object_set_new(root, "sensor", json_string(c->sc->sensor->name));
	json_object_set_new(root, "sensor_version", json_integer(c->version));
	json_object_set_new(root, "target", json_string(c->bin));
	json_object_set_new(root, "seed", json_integer(c->seed));
	json_object_set_new(root, "starts", json_integer(c->starts));
	json_object_set_new(root, "duration_s", json_integer(c->o->duration_s));
	json_object_set_new(root, "fuzzed_s", json_real(t));
	json_object_set_new(root, "execs", json_integer((json_int_t)c->execs));
	json_object_set_new(root, "execs_per_s", json_real(t > 0 ? (double)c->execs / t : 0));
	json_object_set_new(root, "seeds", json_integer(c->nr_seeds));
	json_object_set_new(root, "corpus", json_string(c->corpus));
	json_object_set_new(root, "corpus_before", json_integer(c->corpus_before));
	json_object_set_new(root, "corpus_after", json_integer(count_files(c->corpus)));
	json_object_set_new(root, "crashes", json_integer(c->nr_crashes));
	json_object_set_new(root, "time_to_first_crash_s",
			    c->first_crash_s < 0 ? json_null() : json_real(c->first_crash_s));
	json_object_set_new(root, "findings", list);
	json_object_set_new(root, "boot_run", jstr_or_null(c->boot_run));
	if (c->boot_run)
		json_object_set_new(root, "boot_status", json_integer(c->boot_status));
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	ret = write_file_atomic(path, text, strlen(text), err);
	free(text);
	free(path);
	json_decref(root);
	return ret;
}

static void print_summary(const struct campaign *c)
{
	double t = c->fuzz_s;

	for (size_t i = 0; i < c->nr_f; i++) {
		const struct finding *f = &c->f[i];
		struct strbuf sig = STRBUF_INIT;

		escape_term(&sig, f->signature);
		if (f->in_seeds)
			printf("crash: %s (%u times; in the suite's content): %s\n", sig.buf,
			       f->count,
			       f->minimized ? f->minimized
			       : f->input   ? f->input
					    : "(input lost)");
		else
			printf("crash: %s (%u times; first after %.1f s): %s\n", sig.buf, f->count,
			       f->first_s,
			       f->minimized ? f->minimized
			       : f->input   ? f->input
					    : "(input lost)");
		strbuf_release(&sig);
	}
	printf("fuzzed %s for %.0f s: %llu execs, %.0f execs/s, %u crashes, %zu signatures; "
	       "corpus %u -> %u entries; %s/fuzz.json\n",
	       c->sc->name, t, (unsigned long long)c->execs, t > 0 ? (double)c->execs / t : 0.0,
	       c->nr_crashes, c->nr_f, c->corpus_before, count_files(c->corpus), c->dir);
}

/* The campaign's scenario, target, directories and seed; -1 with err (a configuration error). */
static int setup(struct campaign *c, const struct fuzz_opts *o, const struct suite *s,
		 struct bp_error *err)
{
	char stamp[32], *name;
	time_t t = time(NULL);

	c->o = o;
	c->first_crash_s = -1;
	c->crash_s = -1;
	c->sc = find_scenario(s, o->scenario, err);
	if (!c->sc)
		return -1;
	c->version = sensor_version(c->sc->sensor, err);
	if (c->version < 0)
		return -1;
	c->bin = find_target(c->version, err);
	if (!c->bin)
		return -1;
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
	c->dir = xasprintf("%s/fuzz-%s-%ld", o->reports, stamp, (long)getpid());
	c->artifacts = xasprintf("%s/artifacts", c->dir);
	c->seeds = xasprintf("%s/seeds", c->dir);
	c->crashes = xasprintf("%s/crashes", c->dir);
	/* One corpus per scenario: "bad-291/v1" -> corpus/bad-291-v1. */
	name = xstrdup(c->sc->name);
	for (char *q = strchr(name, '/'); q; q = strchr(q, '/'))
		*q = '-';
	c->corpus = o->corpus ? xstrdup(o->corpus) : xasprintf("%s/corpus/%s", o->reports, name);
	free(name);
	if (mkdir_p(c->artifacts, err) < 0 || mkdir_p(c->seeds, err) < 0 ||
	    mkdir_p(c->crashes, err) < 0 || mkdir_p(c->corpus, err) < 0)
		return -1;
	c->corpus_before = count_files(c->corpus);
	/* Recorded, so a campaign can be repeated; S+k must not wrap. */
	c->seed = o->seed ? o->seed : (unsigned int)((now_ns() ^ getpid()) % (UINT_MAX / 2)) + 1;
	return 0;
}

static void campaign_release(struct campaign *c)
{
	for (size_t i = 0; i < c->nr_f; i++) {
		free(c->f[i].signature);
		free(c->f[i].input);
		free(c->f[i].minimized);
		free(c->f[i].report);
	}
	free(c->f);
	for (size_t i = 0; i < c->nr_seen; i++)
		free(c->seen[i].key);
	free(c->seen);
	free(c->asan_options);
	free(c->bin);
	free(c->dir);
	free(c->artifacts);
	free(c->seeds);
	free(c->crashes);
	free(c->corpus);
	free(c->failure);
	free(c->boot_run);
}

/* The function a signature names ("... in F"), for a kernel title to contain; NULL if none. */
static const char *signature_function(const char *sig)
{
	const char *in = strstr(sig, " in ");

	/* An unsymbolized "MODULE+0xOFFSET" names no function the guest's report would. */
	return in && !strstr(in, "+0x") ? in + 4 : NULL;
}

/*
 * The sensor version's host loader (interp-load-vN beside fuzz-interp-vN)
 * parses path: 1. Files it rejects whole, and a missing loader, give 0.
 */
static int loader_accepts(struct campaign *c, const char *path)
{
	char *dir = xstrdup(c->bin), *slash = strrchr(dir, '/');
	char *loader = xasprintf("%s/interp-load-v%d", slash ? (*slash = 0, dir) : ".", c->version);
	char *log = xasprintf("%s/loader.log", c->dir);
	char *argv[3] = {loader, (char *)path, NULL};
	struct bp_error err;
	struct fuzzlog l;
	struct proc p;
	int ok = run_target(c, argv, log, SEED_RUN_MS, 0, &l, &p, &err) == 0 &&
		 p.exit == PROC_EXITED && p.code == 0;

	fuzzlog_release(&l);
	unlink(log);
	free(log);
	free(loader);
	free(dir);
	return ok;
}

/* Stage 2: every finding's input, and BOOT_SAMPLE corpus inputs the sensor loads, by the seed. */
static void boot_findings(struct campaign *c)
{
	struct fuzz_boot_input *in = xcalloc(c->nr_f + BOOT_SAMPLE, sizeof(*in));
	char **names = NULL;
	size_t n = 0, nr_names = 0, alloc = 0;
	unsigned int r = c->seed;
	DIR *d = opendir(c->corpus);
	struct dirent *e;

	for (size_t i = 0; i < c->nr_f; i++)
		if (c->f[i].input)
			in[n++] = (struct fuzz_boot_input){
			    c->f[i].minimized ? c->f[i].minimized : c->f[i].input, 1,
			    signature_function(c->f[i].signature)};
	while (d && (e = readdir(d)))
		if (e->d_type == DT_REG) {
			ALLOC_GROW(names, nr_names + 1, alloc);
			names[nr_names++] = xasprintf("%s/%s", c->corpus, e->d_name);
		}
	if (d)
		closedir(d);
	/* A random pick, of inputs the sensor loads (a rejected file is no test of a boot). */
	for (size_t k = 0, picked = 0; picked < BOOT_SAMPLE && k < nr_names; k++) {
		size_t pick = k + (size_t)rand_r(&r) % (nr_names - k);
		char *t = names[k];

		names[k] = names[pick];
		names[pick] = t;
		if (loader_accepts(c, names[k])) {
			in[n++] = (struct fuzz_boot_input){names[k], 0, NULL};
			picked++;
		}
	}
	fflush(stdout);
	c->boot_status =
	    fuzz_boot(c->sc, c->o->suite, c->o->reports, c->o->quiet, in, n, &c->boot_run);
	for (size_t i = 0; i < nr_names; i++)
		free(names[i]);
	free(names);
	free(in);
}

int cmd_fuzz(int argc, char **argv)
{
	struct fuzz_opts o;
	struct suite s = {0};
	struct campaign c = {0};
	struct bp_error err;
	int r = parse_opts(argc, argv, &o), status = 0;

	if (r)
		return r > 0 ? 0 : EXIT_USAGE_ERROR;
	if (suite_load(&s, o.suite, &err) < 0 || setup(&c, &o, &s, &err) < 0 ||
	    collect_seeds(&c, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		status = EXIT_USAGE_ERROR;
		goto out;
	}
	progress_init(&c.prog, 2);
	c.prog.enabled &= !o.quiet;
	/* The sanitizers' stacks name the top frame of every report, UBSan's too. */
	setenv("UBSAN_OPTIONS", "print_stacktrace=1", 0);
	if (getenv("ASAN_OPTIONS"))
		c.asan_options = xstrdup(getenv("ASAN_OPTIONS"));
	proc_stop_on_signals();
	printf(
	    "fuzz %s: sensor %s (v%d), %s, seed files: %u, corpus %s (%u entries), seed %u, %d s\n",
	    c.sc->name, c.sc->sensor->name, c.version, c.bin, c.nr_seeds, c.corpus, c.corpus_before,
	    c.seed, o.duration_s);
	fflush(stdout);
	c.start_ms = now_ms();
	asan_symbolize(&c, 1);
	r = triage_seeds(&c, &err);
	asan_symbolize(&c, 0);
	c.start_ms = now_ms();
	if (r == 0)
		r = campaign_run(&c, &err);
	if (r < 0)
		c.failure = xstrdup(err.msg);
	else if (bp_interrupted)
		c.failure = xasprintf("interrupted by signal %d", (int)bp_interrupted);
	else
		minimize_all(&c);
	print_summary(&c);
	if (o.boot && !c.failure) {
		boot_findings(&c);
		if (c.boot_status == SESSION_EXIT_INFRA)
			c.failure = xasprintf("booting the findings failed: see '%s'",
					      c.boot_run ? c.boot_run : o.reports);
	}
	if (write_json(&c, !c.failure, &err) < 0)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	if (c.failure)
		fprintf(stderr, "bootproof: %s\n", c.failure);
	status = c.failure ? EXIT_INFRA : c.nr_f || c.boot_status ? EXIT_CRASH : 0;
out:
	campaign_release(&c);
	suite_free(&s);
	return status;
}
