/*
 * fuzz-boot - fuzz findings booted as trials (see fuzz-boot.h): scenarios
 * made in memory from the campaign's, run through one session.
 */
#define _GNU_SOURCE
#include "fuzz-boot.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "session.h"
#include "util.h"

/* What the made-up scenarios point at, freed together. */
struct fuzz_boot {
	struct content_file *files;   /* n */
	struct content_set *sets;     /* n */
	struct scenario *live, *cold; /* n each */
	struct step *steps;	      /* 3 per input: live deploy, live boot, cold boot */
	size_t n;
};

/* A scenario like sc, named for input i and how it boots, without sc's steps and checks. */
static void like(struct scenario *x, const struct scenario *sc, size_t i, const char *how)
{
	*x = *sc;
	x->name = xasprintf("%s/fuzz-%zu-%s", sc->name, i + 1, how);
	x->log_contains = NULL;
	x->append = NULL;
	x->boots = 1;
}

static void boot_step(struct step *st, const struct fuzz_boot_input *in)
{
	memset(st, 0, sizeof(*st));
	st->kind = STEP_BOOT;
	st->count = 1;
	st->expect = in->crashes ? OUTCOME_CRASH : OUTCOME_CLEAN;
	st->title = in->crashes && in->function ? xstrdup(in->function) : NULL;
}

/*
 * The input's name in the guest: the update channel takes only
 * C-CHANNEL-NNNNNNNN-NNNNNNNN.sys. The channel is the base content's (else
 * 0), the serial high, so the input sorts after the content it replaces.
 */
static char *guest_name(const struct scenario *sc, size_t i)
{
	const char *base = sc->content && sc->content->nr_files ? sc->content->files[0].as : "";
	char chan[9] = "00000000";

	if (!strncmp(base, "C-", 2) && strspn(base + 2, "0123456789") == 8)
		memcpy(chan, base + 2, 8);
	return xasprintf("C-%s-00000000-%08zu.sys", chan, 90000000 + i + 1);
}

static void make(struct fuzz_boot *b, const struct scenario *sc, const struct fuzz_boot_input *in,
		 size_t n)
{
	b->n = n;
	b->files = xcalloc(n ? n : 1, sizeof(*b->files));
	b->sets = xcalloc(n ? n : 1, sizeof(*b->sets));
	b->live = xcalloc(n ? n : 1, sizeof(*b->live));
	b->cold = xcalloc(n ? n : 1, sizeof(*b->cold));
	b->steps = xcalloc(3 * (n ? n : 1), sizeof(*b->steps));
	for (size_t i = 0; i < n; i++) {
		struct step *st = &b->steps[3 * i];
		char *abs = realpath(in[i].path, NULL);

		b->files[i].path = abs ? abs : xstrdup(in[i].path);
		b->files[i].as = guest_name(sc, i);
		b->sets[i] = (struct content_set){
		    .name = xasprintf("fuzz-%zu", i + 1), .files = &b->files[i], .nr_files = 1};

		like(&b->live[i], sc, i, "live");
		st[0].kind = STEP_DEPLOY;
		st[0].content = &b->sets[i];
		st[0].live = 1;
		boot_step(&st[1], &in[i]);
		b->live[i].steps = st;
		b->live[i].nr_steps = 2;
		b->live[i].explicit_steps = 1;

		like(&b->cold[i], sc, i, "cold");
		boot_step(&st[2], &in[i]);
		b->cold[i].content = &b->sets[i];
		b->cold[i].steps = &st[2];
		b->cold[i].nr_steps = 1;
		b->cold[i].explicit_steps = 0;
		b->cold[i].expect = st[2].expect;
		b->cold[i].expect_title = st[2].title;
		b->cold[i].cold = 1;
	}
}

static void release(struct fuzz_boot *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->files[i].path);
		free(b->files[i].as);
		free(b->sets[i].name);
		free(b->live[i].name);
		free(b->cold[i].name);
		free(b->steps[3 * i + 1].title);
		free(b->steps[3 * i + 2].title);
	}
	free(b->files);
	free(b->sets);
	free(b->live);
	free(b->cold);
	free(b->steps);
}

int fuzz_boot(const struct scenario *sc, const char *suite_path, const char *reports, int quiet,
	      const struct fuzz_boot_input *in, size_t n, char **run_dir)
{
	struct session_opts o = {.suite_path = suite_path, .reports = reports, .quiet = quiet};
	struct fuzz_boot b;
	struct session s;
	struct bp_error err;
	int status;

	make(&b, sc, in, n);
	session_init(&s, &o, 2 * n);
	for (size_t i = 0; i < n; i++) {
		/* A live push needs the sensor's agent in the guest to receive it. */
		if (sc->sensor->agent)
			session_add(&s, &b.live[i], NULL);
		session_add(&s, &b.cold[i], NULL);
	}
	if (session_start(&s, &err) < 0 && !s.started)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	for (size_t i = 0; i < s.r.nr_trials; i++)
		session_submit(&s, &s.r.trials[i], NULL, NULL);
	session_loop(&s);
	status = session_finish(&s);
	*run_dir = s.r.dir ? xstrdup(s.r.dir) : NULL;
	session_release(&s);
	release(&b);
	return status;
}
