/*
 * bisect - the `bisect` command (see bisect.h): the guilty content, minimized.
 */
#define _GNU_SOURCE
#include "bisect.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bisect-pieces.h"
#include "ddmin.h"
#include "run.h"
#include "scenario.h"
#include "session.h"
#include "usage.h"

struct bisect_opts {
	struct session_opts s;
	const char *scenario;
	const char *title;
	int last_good;
	int reps; /* trials of the full set and of the minimal one */
};

const struct cmd_usage bisect_usage = {
    "bisect",
    "bisect [-c SUITE] [--title T] [--last-good] [--reps M] [-j N] [-r REPORTS] [-q] SCENARIO",
    "Narrow a crashing scenario's content set to the guilty files and instances.",
    "options:\n"
    "  -c, --suite SUITE    the suite file (default scenarios.yaml)\n"
    "  --title T            the crash that counts: a title containing T (default: the\n"
    "                       first crash's title, exactly)\n"
    "  --last-good          also run the set's previous versions (content 'previous:')\n"
    "                       and name the newest one that is clean\n"
    "  --reps M             trials of the full set (p) and of the minimal set, 1 to 100\n"
    "                       (default 6)\n"
    "  -r, --reports DIR    write the run into DIR/<run-id>/ (default reports)\n"
    "  -j, --jobs N         run N guests at once, 1 to 64 (default: one per core, as\n"
    "                       memory allows)\n"
    "  -q, --quiet          no live progress block on the terminal (TAP is still printed)\n"
    "  -h, --help           this help\n"
    "\n"
    "SCENARIO: one scenario (a matrix entry as NAME/SENSOR) whose content set crashes.\n"
    "The full set runs M times first: p, the share that crash, gives k, the clean\n"
    "trials that call a candidate clean (a flaky crash is missed with p < 1 %).\n"
    "Then delta debugging over the set's files, then over each file's template\n"
    "instances (or a split/join format's pieces), candidates in parallel. The\n"
    "findings are TAP comments ('# bisect: ...') and results.json's \"bisect\".\n"
    "Exit status: 0 narrowed, 1 the full set does not crash, 2 usage or\n"
    "configuration error, 3 infrastructure failure or interrupted.\n",
};

enum trial_kind { TK_FULL, TK_DD, TK_VERSION, TK_MINIMAL };
enum phase { PH_FULL, PH_FILES, PH_PIECES, PH_MINIMAL, PH_DONE };

/* A synthesized content set, its files under RUN/bisect/cN/. */
struct cset {
	struct content_set cs;
	struct cset *next;
};

/* One trial's scenario (names are unique in a run) and what it answers. */
struct cand {
	struct scenario sc;
	struct step step; /* a scenario without steps: one neutral boot */
	struct step *steps;
	struct bisect *b;
	enum trial_kind kind;
	unsigned level, round; /* TK_DD: the ddmin search and its round it answers */
	size_t cand, version;
	struct trial_result *t;
	struct cand *next;
};

struct file_state {
	int kept;
	char *path; /* what the file is now: its original, or its kept pieces joined */
	struct pieces pc;
	size_t *keep; /* pieces kept (1-based in the result) */
	size_t nr_keep;
};

struct version_state {
	int out, cleans, crashes, others;
};

struct bisect {
	struct session s;
	const struct bisect_opts *o;
	const struct scenario *sc;
	const struct content_set *set;
	struct bisect_result *res;
	struct cset *csets;
	struct cand *cands;
	struct cand **full;		 /* the full set's trials, o->reps of them */
	struct content_set **round_sets; /* the current round's sets, by candidate */
	size_t nr_round_sets;
	unsigned sets_round;
	const struct content_set *minimal;
	struct file_state *files;
	struct version_state *vs;
	struct ddmin dd;
	enum phase phase;
	size_t level_file; /* PH_PIECES: the file being cut */
	unsigned level;	   /* ddmin searches started (answers of an earlier one are stale) */
	int running, full_left, minimal_out, infra, failed;
	unsigned seq;
	char *work; /* RUN/bisect */
	int64_t t0;
};

/* 0 to run, 1 the help was printed, -1 a usage error (printed). */
static int parse_opts(int argc, char **argv, struct bisect_opts *o)
{
	static const struct option longopts[] = {
	    {"suite", required_argument, NULL, 'c'},
	    {"reports", required_argument, NULL, 'r'},
	    {"title", required_argument, NULL, 't'},
	    {"last-good", no_argument, NULL, 'L'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"reps", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->s.suite_path = "scenarios.yaml";
	o->s.reports = "reports";
	o->reps = BISECT_REPS;
	argv[0] = (char *)"bootproof bisect";
	while ((c = getopt_long(argc, argv, "c:r:j:qh", longopts, NULL)) != -1) {
		char *end;
		long j;

		switch (c) {
		case 'c':
			o->s.suite_path = optarg;
			break;
		case 'r':
			o->s.reports = optarg;
			break;
		case 't':
			o->title = optarg;
			break;
		case 'L':
			o->last_good = 1;
			break;
		case 'q':
			o->s.quiet = 1;
			break;
		case 'h':
			usage_help(&bisect_usage);
			return 1;
		case 'm':
		case 'j':
			j = strtol(optarg, &end, 10);
			if (*end || j < 1 || j > (c == 'j' ? 64 : BISECT_REPS_MAX)) {
				fprintf(stderr,
					"bootproof: %s takes a number from 1 to %d, got '%s'\n",
					c == 'j' ? "-j" : "--reps", c == 'j' ? 64 : BISECT_REPS_MAX,
					optarg);
				usage_error(&bisect_usage);
				return -1;
			}
			if (c == 'j')
				o->s.jobs = (int)j;
			else
				o->reps = (int)j;
			break;
		default:
			usage_error(&bisect_usage);
			return -1;
		}
	}
	if (argc - optind != 1 || (o->title && !*o->title)) {
		fprintf(stderr, "bootproof: bisect takes one SCENARIO%s\n",
			o->title && !*o->title ? " and a non-empty --title" : "");
		usage_error(&bisect_usage);
		return -1;
	}
	o->scenario = argv[optind];
	return 0;
}

/* The one scenario named, and a bisect it allows; NULL with err. */
static const struct scenario *pick_scenario(const struct suite *suite, const struct bisect_opts *o,
					    struct bp_error *err)
{
	const struct scenario *sc = NULL;
	size_t n = 0;

	for (size_t i = 0; i < suite->nr_scenarios; i++)
		if (run_selects((char *const *)&o->scenario, 1, &suite->scenarios[i])) {
			sc = &suite->scenarios[i];
			n++;
		}
	if (!n)
		error_set(err, "no scenario named '%s' in '%s'", o->scenario, suite->path);
	else if (n > 1)
		error_set(err, "'%s' names %zu matrix entries; bisect one of them (NAME/SENSOR)",
			  o->scenario, n);
	else if (!sc->content)
		error_set(err, "scenario '%s' injects no content: nothing to bisect", sc->name);
	else if (o->last_good && !sc->content->nr_previous)
		error_set(err,
			  "--last-good: content '%s' lists no previous versions ('previous:' "
			  "in the suite)",
			  sc->content->name);
	else
		return sc;
	return NULL;
}

static const char *plural(long n)
{
	return n == 1 ? "" : "s";
}

static void note(struct bisect *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct bisect *b, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_adds(&sb, "bisect: ");
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	session_note(&b->s, sb.buf);
	strbuf_release(&sb);
}

/* The bisect cannot go on (the reason noted): what runs ends, nothing new starts. */
static void give_up(struct bisect *b, const char *why)
{
	if (b->failed)
		return;
	b->failed = 1;
	note(b, "stopped: %s", why);
	session_incomplete(&b->s, why);
}

/* A copy of the scenario on content, its expectations neutral: any outcome passes. */
static struct cand *cand_new(struct bisect *b, const struct content_set *content,
			     enum trial_kind kind)
{
	struct cand *c = xcalloc(1, sizeof(*c));
	const struct scenario *sc = b->sc;

	c->sc = *sc;
	c->sc.name = xasprintf("%s@%u", sc->name, ++b->seq);
	c->sc.content = (struct content_set *)content;
	c->sc.expect = OUTCOME_NONE;
	c->sc.expect_title = NULL;
	c->sc.log_contains = NULL;
	if (sc->explicit_steps) {
		c->steps = xcalloc(sc->nr_steps, sizeof(*c->steps));
		memcpy(c->steps, sc->steps, sc->nr_steps * sizeof(*c->steps));
		for (size_t i = 0; i < sc->nr_steps; i++)
			if (c->steps[i].kind == STEP_BOOT) {
				c->steps[i].expect = OUTCOME_NONE;
				c->steps[i].title = NULL;
			}
		c->sc.steps = c->steps;
	} else {
		c->step = sc->steps[0];
		c->step.count = 1;
		c->step.expect = OUTCOME_NONE;
		c->step.title = NULL;
		c->sc.steps = &c->step;
		c->sc.nr_steps = 1;
		c->sc.boots = 1;
	}
	c->b = b;
	c->kind = kind;
	c->next = b->cands;
	b->cands = c;
	return c;
}

static void on_done(void *ctx, struct trial_result *t);

/* A trial of content: 0, or -1 when the run holds all the trials it can. */
static int submit(struct bisect *b, const struct content_set *content, enum trial_kind kind,
		  unsigned round, size_t cand, size_t version)
{
	struct cand *c = cand_new(b, content, kind);

	c->level = b->level;
	c->round = round;
	c->cand = cand;
	c->version = version;
	c->t = session_add(&b->s, &c->sc, NULL);
	if (!c->t) {
		give_up(b, "the run holds as many trials as it can");
		return -1;
	}
	b->running++;
	b->res->trials++;
	session_submit(&b->s, c->t, on_done, c);
	return 0;
}

static int title_matches(const struct bisect *b, const char *title)
{
	if (!title || !b->res->signature)
		return 0;
	return b->res->title_given ? strstr(title, b->res->signature) != NULL
				   : !strcmp(title, b->res->signature);
}

/* A trial's answer: the signature, clean, or none (it could not run); *other: another crash. */
static enum ddmin_answer judge(const struct bisect *b, const struct trial_result *t, int *other)
{
	int infra = !t->finished || t->aborted;

	*other = 0;
	for (size_t i = 0; i < t->nr_boots; i++) {
		const struct boot_result *bt = &t->boots[i];

		if (bt->outcome == OUTCOME_CRASH && title_matches(b, bt->title))
			return DDMIN_ANSWER_CRASH;
		if (bt->outcome == OUTCOME_CRASH)
			*other = 1;
		if (!bt->powered_off &&
		    (bt->outcome == OUTCOME_INFRA || bt->outcome == OUTCOME_NONE))
			infra = 1;
	}
	return infra ? DDMIN_ANSWER_NONE : DDMIN_ANSWER_CLEAN;
}

/* Write a content set: the files kept now, with file `fi`'s pieces pick[0..nr) instead. */
static struct content_set *make_set(struct bisect *b, const size_t *files, size_t nr_files,
				    size_t fi, const size_t *pick, size_t nr_pick)
{
	struct cset *c = xcalloc(1, sizeof(*c));
	char *dir = xasprintf("%s/c%u", b->work, b->seq + 1);
	struct bp_error err;

	c->cs.name = xasprintf("%s@c%u", b->set->name, b->seq + 1);
	c->cs.files = xcalloc(nr_files, sizeof(*c->cs.files));
	c->next = b->csets;
	b->csets = c;
	for (size_t i = 0; i < nr_files; i++) {
		const struct file_state *f = &b->files[files[i]];
		struct content_file *cf = &c->cs.files[c->cs.nr_files++];

		cf->as = xstrdup(b->set->files[files[i]].as);
		if (files[i] != fi || !pick) {
			cf->path = xstrdup(f->path);
			continue;
		}
		cf->path = xasprintf("%s/%s", dir, cf->as);
		if (mkdir_p(dir, &err) < 0 ||
		    pieces_join(&f->pc, pick, nr_pick, dir, cf->path, &err) < 0) {
			give_up(b, err.msg);
			break;
		}
	}
	free(dir);
	return &c->cs;
}

/* The files kept now (numbers in the set), *ret_nr of them; the caller frees it. */
static size_t *kept_files(const struct bisect *b, size_t *ret_nr)
{
	size_t *kept = xcalloc(b->set->nr_files, sizeof(*kept)), n = 0;

	for (size_t i = 0; i < b->set->nr_files; i++)
		if (b->files[i].kept)
			kept[n++] = i;
	*ret_nr = n;
	return kept;
}

/* The content set of candidate cand of the current round (written once). */
static const struct content_set *round_set(struct bisect *b, size_t cand)
{
	const struct ddmin_cand *dc = &b->dd.cands[cand];

	if (b->sets_round != b->dd.round) {
		free(b->round_sets);
		b->nr_round_sets = b->dd.nr_cands;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
		b->round_sets = xcalloc(b->nr_round_sets, sizeof(*b->round_sets));
		b->sets_round = b->dd.round;
	}
	if (!b->round_sets[cand]) {
		if (b->phase == PH_FILES) {
			b->round_sets[cand] = make_set(b, dc->items, dc->nr, (size_t)-1, NULL, 0);
		} else {
			size_t n, *kept = kept_files(b, &n);

			b->round_sets[cand] =
			    make_set(b, kept, n, b->level_file, dc->items, dc->nr);
			free(kept);
		}
	}
	return b->round_sets[cand];
}

static void start_pieces(struct bisect *b);

/* The minimal set: the files kept, each as its kept pieces. */
static void enter_minimal(struct bisect *b)
{
	size_t n, *kept = kept_files(b, &n);

	b->minimal = make_set(b, kept, n, (size_t)-1, NULL, 0);
	b->res->files = xcalloc(n, sizeof(*b->res->files));
	for (size_t i = 0; i < n; i++) {
		struct file_state *f = &b->files[kept[i]];
		struct bisect_file *bf = &b->res->files[b->res->nr_files++];

		bf->as = xstrdup(b->set->files[kept[i]].as);
		bf->path = xstrdup(f->path);
		bf->of_instances = f->keep ? f->pc.nr : 0;
		bf->nr_instances = f->keep ? f->nr_keep : 0;
		bf->instances = f->keep ? xcalloc(f->nr_keep, sizeof(*bf->instances)) : NULL;
		for (size_t j = 0; j < bf->nr_instances; j++)
			bf->instances[j] = f->keep[j] + 1;
	}
	free(kept);
	b->phase = PH_MINIMAL;
	session_save(&b->s);
}

/* One ddmin search ended: apply its result, start the next. */
static void level_end(struct bisect *b)
{
	struct strbuf kept = STRBUF_INIT;
	struct bp_error err;

	b->res->rounds += (int)b->dd.round;
	if (b->phase == PH_FILES) {
		for (size_t i = 0; i < b->set->nr_files; i++)
			b->files[i].kept = 0;
		for (size_t i = 0; i < b->dd.nr_cur; i++) {
			b->files[b->dd.cur[i]].kept = 1;
			strbuf_addf(&kept, "%s%s", i ? ", " : "", b->set->files[b->dd.cur[i]].as);
		}
		if (b->set->nr_files > 1)
			note(b, "files: %zu -> %zu in %u round%s: %s", b->set->nr_files,
			     b->dd.nr_cur, b->dd.round, plural(b->dd.round), kept.buf);
		b->phase = PH_PIECES;
		b->level_file = 0;
	} else {
		struct file_state *f = &b->files[b->level_file];
		const char *as = b->set->files[b->level_file].as;
		char *dir = xasprintf("%s/kept-%zu", b->work, b->level_file);

		f->nr_keep = b->dd.nr_cur;
		f->keep = xcalloc(f->nr_keep, sizeof(*f->keep));
		memcpy(f->keep, b->dd.cur, f->nr_keep * sizeof(*f->keep));
		for (size_t i = 0; i < f->nr_keep; i++)
			strbuf_addf(&kept, "%s%zu", i ? ", " : "", f->keep[i] + 1);
		note(b, "%s: %zu -> %zu instance%s in %u round%s: kept %s", as, f->pc.nr,
		     f->nr_keep, plural((long)f->nr_keep), b->dd.round, plural(b->dd.round),
		     kept.buf);
		free(f->path);
		f->path = xasprintf("%s/%s", dir, as);
		if (mkdir_p(dir, &err) < 0 ||
		    pieces_join(&f->pc, f->keep, f->nr_keep, dir, f->path, &err) < 0)
			give_up(b, err.msg);
		free(dir);
		b->level_file++;
	}
	strbuf_release(&kept);
	ddmin_release(&b->dd);
	b->sets_round = 0;
	start_pieces(b);
}

/* The next kept file from level_file that has two pieces or more: ddmin over them. */
static void start_pieces(struct bisect *b)
{
	for (; b->level_file < b->set->nr_files; b->level_file++) {
		struct file_state *f = &b->files[b->level_file];
		const char *as = b->set->files[b->level_file].as;
		struct bp_error err;

		if (!f->kept)
			continue;
		if (pieces_split(&f->pc, b->set, &b->set->files[b->level_file], b->work, &err) <
		    0) {
			note(b, "%s stays whole: %s", as, err.msg);
			continue;
		}
		if (f->pc.nr < 2) {
			note(b, "%s has %zu instance%s: nothing to cut", as, f->pc.nr,
			     plural((long)f->pc.nr));
			continue;
		}
		b->level++;
		ddmin_init(&b->dd, f->pc.nr, b->res->k);
		return;
	}
	enter_minimal(b);
}

/* The next version trial wanted, or 0. */
static int next_version(struct bisect *b)
{
	for (size_t i = 0; b->vs && i < b->res->nr_versions; i++) {
		struct version_state *v = &b->vs[i];

		if (v->crashes || v->out + v->cleans >= b->res->k)
			continue;
		if (submit(b, b->set->previous[i], TK_VERSION, 0, 0, i) < 0)
			return 0;
		v->out++;
		return 1;
	}
	return 0;
}

/* Start one more trial if one is wanted: 1, else 0. */
static int next_trial(struct bisect *b)
{
	unsigned round;
	size_t cand;

	while (b->phase == PH_FILES || b->phase == PH_PIECES) {
		if (ddmin_next(&b->dd, &round, &cand)) {
			const struct content_set *cs = round_set(b, cand);

			if (b->failed)
				return 0;
			return submit(b, cs, TK_DD, round, cand, 0) == 0;
		}
		if (!ddmin_done(&b->dd))
			break;
		level_end(b);
	}
	if (next_version(b))
		return 1;
	if (b->phase == PH_MINIMAL && b->minimal_out < b->o->reps) {
		b->minimal_out++;
		return submit(b, b->minimal, TK_MINIMAL, 0, 0, 0) == 0;
	}
	return 0;
}

static void pump(struct bisect *b)
{
	while (!bp_interrupted && !b->failed && b->running < b->s.r.jobs && next_trial(b))
		;
}

/*
 * k from p: the fewest clean trials that miss a crash shown with
 * probability p less than 1 % of the time, ceil(log 0.01 / log(1-p)),
 * at most BISECT_K_MAX.
 */
static int clean_trials(double p)
{
	double miss = 1 - p;
	int k = 1;

	while (miss >= 0.01 && k < BISECT_K_MAX) {
		miss *= 1 - p;
		k++;
	}
	return k;
}

/* The full set's trials are in: the signature, p and k; then the files. */
static void after_full(struct bisect *b)
{
	struct bisect_result *r = b->res;
	int other;

	for (int i = 0; !r->signature && i < b->o->reps; i++)
		for (size_t j = 0; !r->signature && j < b->full[i]->t->nr_boots; j++) {
			const struct boot_result *bt = &b->full[i]->t->boots[j];

			if (bt->outcome == OUTCOME_CRASH && bt->title)
				r->signature = xstrdup(bt->title);
		}
	for (int i = 0; i < b->o->reps; i++) {
		enum ddmin_answer a = judge(b, b->full[i]->t, &other);

		r->full.trials += a != DDMIN_ANSWER_NONE;
		r->full.crashes += a == DDMIN_ANSWER_CRASH;
	}
	if (!r->full.crashes) {
		note(b, "content '%s' does not crash in %d trials%s%s%s: nothing to bisect",
		     b->set->name, r->full.trials, r->signature ? " with '" : "",
		     r->signature ? r->signature : "", r->signature ? "'" : "");
		r->outcome = r->full.trials ? "no-crash" : "incomplete";
		b->phase = PH_DONE;
		return;
	}
	r->p = (double)r->full.crashes / r->full.trials;
	r->k = clean_trials(r->p);
	note(b, "full set '%s' (%zu file%s): %d of %d trials crash with '%s'; p = %.2f, k = %d",
	     b->set->name, b->set->nr_files, plural((long)b->set->nr_files), r->full.crashes,
	     r->full.trials, r->signature, r->p, r->k);
	if (b->o->last_good)
		b->vs = xcalloc(r->nr_versions, sizeof(*b->vs));
	b->phase = PH_FILES;
	b->level++;
	ddmin_init(&b->dd, b->set->nr_files, r->k);
	session_save(&b->s);
}

static void on_done(void *ctx, struct trial_result *t)
{
	struct cand *c = ctx;
	struct bisect *b = c->b;
	enum ddmin_answer a = DDMIN_ANSWER_NONE;
	int other;

	b->running--;
	if (c->kind != TK_FULL)
		a = judge(b, t, &other);
	if (c->kind != TK_FULL && a == DDMIN_ANSWER_NONE && ++b->infra > BISECT_INFRA_MAX)
		give_up(b, "too many trials could not run");
	switch (c->kind) {
	case TK_FULL:
		if (--b->full_left == 0)
			after_full(b);
		break;
	case TK_DD:
		if ((b->phase == PH_FILES || b->phase == PH_PIECES) && c->level == b->level)
			ddmin_report(&b->dd, c->round, c->cand, a);
		break;
	case TK_VERSION: {
		struct version_state *v = &b->vs[c->version];

		v->out--;
		v->crashes += a == DDMIN_ANSWER_CRASH;
		v->cleans += a == DDMIN_ANSWER_CLEAN;
		v->others += a == DDMIN_ANSWER_CLEAN && other;
		break;
	}
	case TK_MINIMAL:
		b->res->minimal.trials += a != DDMIN_ANSWER_NONE;
		b->res->minimal.crashes += a == DDMIN_ANSWER_CRASH;
		break;
	}
	pump(b);
}

/* The versions' verdicts, the newest clean one and the one after it. */
static void judge_versions(struct bisect *b)
{
	struct bisect_result *r = b->res;
	struct strbuf clean = STRBUF_INIT;
	long last = -1;

	for (size_t i = 0; b->vs && i < r->nr_versions; i++) {
		struct bisect_version *v = &r->versions[i];
		const struct version_state *s = &b->vs[i];

		v->rate = (struct bisect_rate){s->crashes + s->cleans, s->crashes};
		v->verdict = s->crashes		? "crash"
			     : s->cleans < r->k ? "unknown"
			     : s->others	? "other"
						: "clean";
		if (!strcmp(v->verdict, "clean"))
			last = (long)i;
	}
	if (!b->vs)
		return;
	for (long i = 0; i <= last; i++)
		if (!strcmp(r->versions[i].verdict, "clean"))
			strbuf_addf(&clean, "%s%s", clean.len ? " and " : "",
				    r->versions[i].content);
	r->last_good = last >= 0 ? r->versions[last].content : NULL;
	r->first_bad = last < 0				   ? NULL
		       : (size_t)last + 1 < r->nr_versions ? r->versions[last + 1].content
							   : r->content;
	if (r->last_good)
		note(b, "%s %s clean; %s is the first that crashes", clean.buf,
		     strstr(clean.buf, " and ") ? "are" : "is", r->first_bad);
	else
		note(b, "no previous version of '%s' is clean", r->content);
	strbuf_release(&clean);
}

/* The findings into the TAP stream (results.json has them all). */
static void report(struct bisect *b)
{
	struct bisect_result *r = b->res;

	r->wall_s = (double)(now_ms() - b->t0) / 1000.0;
	if (b->phase != PH_MINIMAL || b->failed || bp_interrupted ||
	    r->minimal.trials < b->o->reps) {
		if (b->phase != PH_DONE || !r->outcome)
			r->outcome = "incomplete";
		return;
	}
	r->outcome = "narrowed";
	for (size_t i = 0; i < r->nr_files; i++) {
		const struct bisect_file *f = &r->files[i];
		struct strbuf inst = STRBUF_INIT;

		for (size_t j = 0; j < f->nr_instances; j++)
			strbuf_addf(&inst, "%s%zu", j ? ", " : "", f->instances[j]);
		if (f->of_instances)
			note(b, "minimal: %s, instance%s %s of %zu", f->as,
			     plural((long)f->nr_instances), inst.buf, f->of_instances);
		else
			note(b, "minimal: %s (whole)", f->as);
		strbuf_release(&inst);
	}
	note(b, "minimal set crashes in %d of %d trials (full set: %d of %d)", r->minimal.crashes,
	     r->minimal.trials, r->full.crashes, r->full.trials);
	judge_versions(b);
	note(b, "steps: %d ddmin round%s, %d trials, %.1f s", r->rounds, plural(r->rounds),
	     r->trials, r->wall_s);
}

static void bisect_init(struct bisect *b, const struct bisect_opts *o, const struct scenario *sc)
{
	struct bisect_result *r = xcalloc(1, sizeof(*r));

	memset(b, 0, sizeof(*b));
	b->o = o;
	b->sc = sc;
	b->set = sc->content;
	b->t0 = now_ms();
	session_init(&b->s, &o->s, BISECT_TRIALS_MAX);
	b->s.r.bisect = b->res = r;
	r->scenario = xstrdup(sc->name);
	r->content = xstrdup(b->set->name);
	r->title_given = o->title != NULL;
	r->signature = o->title ? xstrdup(o->title) : NULL;
	r->outcome = "incomplete";
	if (o->last_good) {
		r->nr_versions = b->set->nr_previous;
		r->versions = xcalloc(r->nr_versions, sizeof(*r->versions));
		for (size_t i = 0; i < r->nr_versions; i++) {
			r->versions[i].content = xstrdup(b->set->previous[i]->name);
			r->versions[i].verdict = "unknown";
		}
	}
	b->files = xcalloc(b->set->nr_files, sizeof(*b->files));
	for (size_t i = 0; i < b->set->nr_files; i++) {
		b->files[i].kept = 1;
		b->files[i].path = xstrdup(b->set->files[i].path);
	}
}

static void bisect_release(struct bisect *b)
{
	while (b->cands) {
		struct cand *c = b->cands;

		b->cands = c->next;
		free(c->sc.name);
		free(c->steps);
		free(c);
	}
	while (b->csets) {
		struct cset *c = b->csets;

		b->csets = c->next;
		for (size_t i = 0; i < c->cs.nr_files; i++) {
			free(c->cs.files[i].path);
			free(c->cs.files[i].as);
		}
		free(c->cs.files);
		free(c->cs.name);
		free(c);
	}
	for (size_t i = 0; i < b->set->nr_files; i++) {
		pieces_release(&b->files[i].pc);
		free(b->files[i].path);
		free(b->files[i].keep);
	}
	ddmin_release(&b->dd);
	free(b->files);
	free(b->full);
	free(b->vs);
	free(b->round_sets);
	free(b->work);
}

/* Boot the full set, bisect as the answers come, report: the session's frame. */
static int bisect_run(struct bisect *b)
{
	struct bp_error err;
	int status;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
	b->full = xcalloc((size_t)b->o->reps, sizeof(*b->full));
	for (int i = 0; i < b->o->reps; i++) {
		b->full[i] = cand_new(b, b->set, TK_FULL);
		b->full[i]->t = session_add(&b->s, &b->full[i]->sc, NULL);
	}
	if (session_start(&b->s, &err) < 0 && !b->s.started)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	if (b->s.started) {
		char *abs;

		/* Absolute: results.json names the files booted wherever it is read from. */
		b->work = xasprintf("%s/bisect", b->s.r.dir);
		if (mkdir_p(b->work, &err) < 0)
			give_up(b, err.msg);
		else if ((abs = realpath(b->work, NULL))) {
			free(b->work);
			b->work = abs;
		}
	}
	b->full_left = b->o->reps;
	b->running = b->o->reps;
	b->res->trials = b->o->reps;
	for (int i = 0; i < b->o->reps; i++)
		session_submit(&b->s, b->full[i]->t, on_done, b->full[i]);
	session_loop(&b->s);
	report(b);
	status = session_finish(&b->s);
	if (status == SESSION_EXIT_INFRA || !strcmp(b->res->outcome, "incomplete"))
		return SESSION_EXIT_INFRA;
	return !strcmp(b->res->outcome, "narrowed") ? 0 : SESSION_EXIT_FAIL;
}

int cmd_bisect(int argc, char **argv)
{
	struct bisect_opts o = {0};
	struct suite suite = {0};
	const struct scenario *sc;
	struct bisect b;
	struct bp_error err;
	int status;

	switch (parse_opts(argc, argv, &o)) {
	case 1:
		return 0;
	case -1:
		return SESSION_EXIT_USAGE;
	}
	if (suite_load(&suite, o.s.suite_path, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		return SESSION_EXIT_USAGE;
	}
	sc = pick_scenario(&suite, &o, &err);
	if (!sc) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		suite_free(&suite);
		return SESSION_EXIT_USAGE;
	}
	bisect_init(&b, &o, sc);
	status = bisect_run(&b);
	session_release(&b.s);
	bisect_release(&b);
	suite_free(&suite);
	return status;
}
