/*
 * cmd-repro - reproduce a field crash on the suite's matrix entries, with
 * a confidence interval (see cmd-repro.h).
 */
#define _GNU_SOURCE
#include "cmd-repro.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd-scan.h"
#include "escape.h"
#include "report-html.h"
#include "run.h"
#include "scenario.h"
#include "session.h"
#include "stats.h"
#include "usage.h"

#define REPRO_MAX_TRIALS_CAP 10000

struct repro_opts {
	struct session_opts s;
	const char *scenario;
	const char *field;
	double precision; /* half-width, 0..1 */
	int max_trials;
};

/* One matrix entry: its derived scenario, its trials, its counts. */
struct repro_lane {
	struct repro *r;
	struct scenario sc;
	struct repro_entry *res; /* in r->s.r.repro->entries */
	struct trial_result **trials;
	int submitted, running, done;
};

struct repro {
	struct session s;
	struct repro_lane *lanes;
	size_t nr_lanes, next_lane;
	int running, infra;
	const char *sig;
};

const struct cmd_usage repro_usage = {
    "repro",
    "repro -c SUITE SCENARIO FIELD_REPORT [--precision P] [--max-trials N] [-j N] "
    "[-r REPORTS] [--cold] [-q] [--seed N]",
    "Boot a scenario again and again: how often does it crash as a field report does?",
    "options:\n"
    "  -c, --suite SUITE    the suite file (default scenarios.yaml)\n"
    "  --precision P        stop an entry once the 95 % interval of its rate is within\n"
    "                       +-P points, 1 to 50 (default 10)\n"
    "  --max-trials N       at most N trials per entry, 1 to 10000 (default 100)\n"
    "  -j, --jobs N         run N guests at once, 1 to 64 (default: one per core, as\n"
    "                       memory allows)\n"
    "  -r, --reports DIR    write the run into DIR/<run-id>/ (default reports)\n"
    "  --cold               no snapshots: every boot is a cold boot\n"
    "  -q, --quiet          no live progress block on the terminal\n"
    "  --seed N             the seed race delay ranges are drawn with (default random;\n"
    "                       results.json records it)\n"
    "  -h, --help           this help\n"
    "\n"
    "SCENARIO: a matrix entry, or NAME for every entry NAME/SENSOR (several images or\n"
    "sensor builds: one line each). FIELD_REPORT: a console log, read with the detector\n"
    "of the entries' image kind, or a Windows crash dump (PAGEDU64/PAGEDUMP), read as\n"
    "`bootproof scan` reads them; its first crash's title is the signature looked for.\n"
    "\n"
    "A trial is the scenario's steps up to and including its first boot, that boot\n"
    "made once: steps before it (an offline deploy, a published rollback) run as\n"
    "written, none after it. The boot reproduces when it crashes with the field\n"
    "signature; else it crashed differently (or hung: listed with its title), or was\n"
    "clean. Restored boots as the suite says; --cold boots cold. An entry stops at\n"
    "--max-trials or once its 95 % Wilson score interval is that narrow; trials\n"
    "already running then finish and count.\n"
    "\n"
    "TAP goes to stdout, then one line per entry and the summary, e.g.\n"
    "  reproduced 37/40 (92 %, 95 % CI 80-97 %) as \"BUG: ...\"\n"
    "Exit status: 0 reproduced (on some entry), 1 not reproduced, 2 usage error (an\n"
    "unknown scenario; a field report unreadable, unparseable or without a crash),\n"
    "3 infrastructure failure (a trial judged infra) or interrupted.\n",
};

/*
 * A number option in [lo, hi] (whole: an integer); -1 with the message and
 * the usage line printed otherwise.
 */
static int number_opt(const char *name, const char *arg, double lo, double hi, int whole,
		      double *ret)
{
	char *end;
	double v = strtod(arg, &end);

	if (!*arg || *end || !(v >= lo && v <= hi) || (whole && v != (double)(uint64_t)v)) {
		fprintf(stderr,
			"bootproof repro: %s takes a%s number from %.0f to %.0f, got '%s'\n", name,
			whole ? " whole" : "", lo, hi, arg);
		usage_error(&repro_usage);
		return -1;
	}
	*ret = v;
	return 0;
}

/* 0 to run, 1 the help was printed, -1 a usage error (printed). */
static int parse_opts(int argc, char **argv, struct repro_opts *o)
{
	static const struct option longopts[] = {
	    {"suite", required_argument, NULL, 'c'},
	    {"reports", required_argument, NULL, 'r'},
	    {"cold", no_argument, NULL, 'K'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"precision", required_argument, NULL, 'P'},
	    {"max-trials", required_argument, NULL, 'N'},
	    {"seed", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	double v;
	int c, taken;

	o->s.suite_path = "scenarios.yaml";
	o->s.reports = "reports";
	o->precision = 0.10;
	o->max_trials = 100;
	argv[0] = (char *)"bootproof repro";
	while ((c = getopt_long(argc, argv, "c:r:j:qh", longopts, NULL)) != -1) {
		taken = c == 'h' || c == '?' ? 0 : run_session_opt(c, optarg, &o->s, &repro_usage);
		if (taken < 0)
			return -1;
		if (taken)
			continue;
		switch (c) {
		case 'P':
			if (number_opt("--precision", optarg, 1, 50, 0, &v) < 0)
				return -1;
			o->precision = v / 100;
			break;
		case 'N':
			if (number_opt("--max-trials", optarg, 1, REPRO_MAX_TRIALS_CAP, 1, &v) < 0)
				return -1;
			o->max_trials = (int)v;
			break;
		case 'S':
			/* 2^53 - 1: results.json's numbers hold it exactly */
			if (number_opt("--seed", optarg, 0, 9007199254740991.0, 1, &v) < 0)
				return -1;
			o->s.seed = (uint64_t)v;
			o->s.has_seed = 1;
			break;
		case 'h':
			usage_help(&repro_usage);
			return 1;
		default:
			usage_error(&repro_usage);
			return -1;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "bootproof repro: expected SCENARIO and FIELD_REPORT\n");
		usage_error(&repro_usage);
		return -1;
	}
	o->scenario = argv[optind];
	o->field = argv[optind + 1];
	return 0;
}

void repro_scenario(const struct scenario *sc, struct scenario *ret)
{
	size_t n = 0;

	while (n < sc->nr_steps && !step_boot_count(&sc->steps[n]))
		n++;
	*ret = *sc;
	/* suite_load() refuses steps that never boot: n is a booting step. */
	ret->nr_steps = n < sc->nr_steps ? n + 1 : sc->nr_steps;
	ret->steps = xcalloc(ret->nr_steps ? ret->nr_steps : 1, sizeof(*ret->steps));
	memcpy(ret->steps, sc->steps, ret->nr_steps * sizeof(*ret->steps));
	if (n < sc->nr_steps)
		ret->steps[n].count = 1;
	ret->boots = 1;
}

void repro_scenario_release(struct scenario *sc)
{
	free(sc->steps);
	sc->steps = NULL;
}

/* The next trial to submit, round robin over the entries still going; NULL: none. */
static struct repro_lane *next_lane(struct repro *r, unsigned max_trials)
{
	for (size_t k = 0; k < r->nr_lanes; k++) {
		struct repro_lane *l = &r->lanes[(r->next_lane + k) % r->nr_lanes];

		if (!l->done && (unsigned)l->submitted < max_trials) {
			r->next_lane = (r->next_lane + k + 1) % r->nr_lanes;
			return l;
		}
	}
	return NULL;
}

static void on_trial(void *ctx, struct trial_result *t);

/* Keep -j trials running while an entry wants more. */
static void fill(struct repro *r)
{
	struct repro_lane *l;

	while (!bp_interrupted && !r->infra && r->running < r->s.r.jobs &&
	       (l = next_lane(r, (unsigned)r->s.r.repro->max_trials))) {
		struct trial_result *t = l->trials[l->submitted++];

		r->running++;
		l->running++;
		session_submit(&r->s, t, on_trial, l);
	}
}

/* Count t's boot into its entry: reproduced, another crash or hang, clean; or infra. */
static void classify(struct repro *r, struct repro_lane *l, const struct trial_result *t)
{
	const struct boot_result *b = t->nr_boots ? &t->boots[0] : NULL;
	struct repro_entry *e = l->res;
	struct stats_interval ci;
	char *sig;

	if (!t->finished || t->aborted || t->verdict == VERDICT_INFRA || !b ||
	    b->outcome == OUTCOME_INFRA || b->outcome == OUTCOME_NONE) {
		r->infra = 1;
		return;
	}
	e->trials++;
	if (b->outcome == OUTCOME_CLEAN) {
		e->clean++;
	} else {
		sig = report_signature(b->title);
		if (b->outcome == OUTCOME_CRASH && !strcmp(sig, r->sig)) {
			e->reproduced++;
		} else {
			char *what = b->outcome == OUTCOME_HANG ? xasprintf("hang: %s", sig) : NULL;

			e->other++;
			repro_add_other(e, what ? what : sig);
			free(what);
		}
		free(sig);
	}
	stats_wilson((unsigned)e->reproduced, (unsigned)e->trials, STATS_Z95, &ci);
	e->rate = ci.rate;
	e->ci_low = ci.low;
	e->ci_high = ci.high;
	l->done = stats_done((unsigned)e->reproduced, (unsigned)e->trials, r->s.r.repro->precision,
			     (unsigned)r->s.r.repro->max_trials);
}

static void on_trial(void *ctx, struct trial_result *t)
{
	struct repro_lane *l = ctx;
	struct repro *r = l->r;
	char *msg;

	r->running--;
	l->running--;
	classify(r, l, t);
	msg = xasprintf("repro %s: %d/%d reproduced%s", l->sc.name, l->res->reproduced,
			l->res->trials, l->done ? ", done" : "");
	session_note(&r->s, msg);
	free(msg);
	session_save(&r->s);
	fill(r);
}

/* "37/40 (92 %, 95 % CI 80-97 %)" */
static void add_rate(struct strbuf *sb, const struct repro_entry *e)
{
	strbuf_addf(sb, "%d/%d (%.0f %%, 95 %% CI %.0f-%.0f %%)", e->reproduced, e->trials,
		    e->rate * 100, e->ci_low * 100, e->ci_high * 100);
}

/* One entry's line: its rate, its other crashes by title, its clean trials. */
static void print_entry(FILE *out, const struct repro_entry *e)
{
	struct strbuf sb = STRBUF_INIT;

	escape_term(&sb, e->scenario);
	strbuf_adds(&sb, e->reproduced ? ": reproduced " : ": not reproduced ");
	add_rate(&sb, e);
	strbuf_addf(&sb, ", %d other crash%s", e->other, e->other == 1 ? "" : "es");
	for (size_t i = 0; i < e->nr_others; i++) {
		strbuf_addf(&sb, "%s%d x \"", i ? ", " : " (", e->others[i].count);
		escape_term(&sb, e->others[i].title);
		strbuf_adds(&sb, i + 1 == e->nr_others ? "\")" : "\"");
	}
	strbuf_addf(&sb, ", %d clean\n", e->clean);
	fputs(sb.buf, out);
	strbuf_release(&sb);
}

/* The entries' lines and the summary; returns 1 when some entry reproduced it. */
static int print_summary(FILE *out, const struct repro_result *rr)
{
	struct strbuf sb = STRBUF_INIT, yes = STRBUF_INIT, no = STRBUF_INIT;
	int found = 0;

	for (size_t i = 0; i < rr->nr_entries; i++) {
		const struct repro_entry *e = &rr->entries[i];
		struct strbuf *list = e->reproduced ? &yes : &no;

		print_entry(out, e);
		found += e->reproduced > 0;
		if (list->len)
			strbuf_adds(list, ", ");
		escape_term(list, e->scenario);
	}
	if (rr->nr_entries == 1) {
		strbuf_adds(&sb, found ? "reproduced " : "not reproduced: ");
		add_rate(&sb, &rr->entries[0]);
		strbuf_adds(&sb, found ? " as \"" : " for \"");
	} else if (found) {
		strbuf_addf(&sb, "reproduced on %d of %zu entries (%s)%s%s as \"", found,
			    rr->nr_entries, yes.buf, no.len ? ", not on " : "", no.buf);
	} else {
		strbuf_addf(&sb, "not reproduced on any of %zu entries for \"", rr->nr_entries);
	}
	escape_term(&sb, rr->signature);
	strbuf_adds(&sb, "\"\n");
	fputs(sb.buf, out);
	strbuf_release(&sb);
	strbuf_release(&yes);
	strbuf_release(&no);
	return found > 0;
}

/* The field report's signature, or -1 (printed: a usage error). */
static int field_signature(const struct repro_opts *o, const struct scenario *first, char **ret)
{
	const char *kind = !strcmp(first->image->kind, "windows") ? "windows" : "linux";
	struct bp_error err;
	char *title = NULL;
	int n = scan_file_first(o->field, kind, &title, &err);

	if (n < 0) {
		fprintf(stderr, "bootproof repro: %s\n", err.msg);
		return -1;
	}
	if (n == 0) {
		struct strbuf sb = STRBUF_INIT;

		escape_term(&sb, o->field);
		fprintf(stderr, "bootproof repro: no crash in the field report '%s' (read as %s)\n",
			sb.buf, kind);
		strbuf_release(&sb);
		return -1;
	}
	*ret = report_signature(title);
	free(title);
	return 0;
}

/* The entries SCENARIO selects as lanes, each with max_trials trials added. */
static void add_lanes(struct repro *r, struct suite *suite, const struct repro_opts *o)
{
	struct repro_result *rr = r->s.r.repro;
	char *names[1] = {(char *)o->scenario};

	for (size_t i = 0; i < suite->nr_scenarios; i++)
		r->nr_lanes += run_selects(names, 1, &suite->scenarios[i]);
	r->lanes = xcalloc(r->nr_lanes, sizeof(*r->lanes));
	rr->entries = xcalloc(r->nr_lanes, sizeof(*rr->entries));
	for (size_t i = 0; i < suite->nr_scenarios; i++) {
		struct repro_lane *l = &r->lanes[rr->nr_entries];

		if (!run_selects(names, 1, &suite->scenarios[i]))
			continue;
		l->r = r;
		repro_scenario(&suite->scenarios[i], &l->sc);
		l->res = &rr->entries[rr->nr_entries++];
		l->res->scenario = xstrdup(l->sc.name);
		l->res->ci_high = 1;
	}
	/*
	 * Every trial an entry may run is added before the start, so its disk
	 * plan sees them all (one base disk per entry); those never submitted
	 * are dropped from the reports (session.h).
	 */
	for (size_t i = 0; i < r->nr_lanes; i++) {
		struct repro_lane *l = &r->lanes[i];

		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
		l->trials = xcalloc((size_t)o->max_trials, sizeof(*l->trials));
		for (int k = 0; k < o->max_trials; k++) {
			char label[16];

			snprintf(label, sizeof(label), "%d", k + 1);
			l->trials[k] = session_add(&r->s, &l->sc, label);
		}
	}
}

static void release_lanes(struct repro *r)
{
	for (size_t i = 0; i < r->nr_lanes; i++) {
		repro_scenario_release(&r->lanes[i].sc);
		free(r->lanes[i].trials);
	}
	free(r->lanes);
}

/* The run, once the options, suite and field report are known good. */
static int repro_run(struct repro *r, struct suite *suite, const struct repro_opts *o, char *sig)
{
	struct repro_result *rr = xcalloc(1, sizeof(*rr));
	struct bp_error err;
	int status, found;

	rr->field_report = xstrdup(o->field);
	rr->signature = sig;
	rr->precision = o->precision;
	rr->max_trials = o->max_trials;
	r->sig = sig;
	session_init(&r->s, &o->s, suite->nr_scenarios * (size_t)o->max_trials);
	r->s.r.repro = rr;
	add_lanes(r, suite, o);
	if (session_start(&r->s, &err) < 0 && !r->s.started)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	if (r->s.started)
		fill(r);
	session_loop(&r->s);
	if (r->infra)
		session_note(&r->s, "repro: a trial was judged infra: no more trials submitted");
	status = session_finish(&r->s);
	if (!r->s.started) {
		release_lanes(r);
		session_release(&r->s);
		return SESSION_EXIT_INFRA;
	}
	fflush(stdout);
	found = print_summary(stdout, rr);
	fflush(stdout);
	release_lanes(r);
	session_release(&r->s);
	if (status == SESSION_EXIT_INFRA || r->infra)
		return SESSION_EXIT_INFRA;
	return found ? 0 : SESSION_EXIT_FAIL;
}

int cmd_repro(int argc, char **argv)
{
	struct repro_opts o = {0};
	struct suite suite = {0};
	struct repro r = {0};
	struct bp_error err;
	char *sig = NULL, *names[1];
	int status = SESSION_EXIT_USAGE;

	switch (parse_opts(argc, argv, &o)) {
	case 1:
		return 0;
	case -1:
		return SESSION_EXIT_USAGE;
	}
	names[0] = (char *)o.scenario;
	if (suite_load(&suite, o.s.suite_path, &err) < 0 ||
	    run_check_names(names, 1, &suite, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		goto out;
	}
	for (size_t i = 0; i < suite.nr_scenarios && !sig; i++)
		if (run_selects(names, 1, &suite.scenarios[i]) &&
		    field_signature(&o, &suite.scenarios[i], &sig) < 0)
			goto out;
	status = repro_run(&r, &suite, &o, sig);
out:
	suite_free(&suite);
	return status;
}
