/*
 * cmd-validate - `bootproof validate` (see cmd-validate.h): a suite checked
 * the way `run` checks it, and its matrix shown, with nothing started.
 */
#include "cmd-validate.h"

#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "run.h"
#include "scenario.h"
#include "usage.h"

const struct cmd_usage validate_usage = {
    "validate",
    "validate [-c SUITE | SUITE] [SCENARIO...]",
    "Check a suite as run does, start nothing, and print the resolved matrix.",
    "options:\n"
    "  -c, --suite SUITE    the suite file (default scenarios.yaml; also the first\n"
    "                       argument without -c)\n"
    "  -h, --help           this help\n"
    "\n"
    "SCENARIO: as for run, only those trials are shown (and each name must select one).\n"
    "Prints one block per trial: image, sensor, content set, settings and one line\n"
    "per step, then the suite's hosts: if any. Exit status: 0 valid, 2 usage error\n"
    "or an invalid suite (FILE:LINE:COL: what was wrong).\n",
};

/* Suite text is the user's, untrusted: escaped for the terminal. */
static void add_safe(struct strbuf *sb, const char *s)
{
	escape_term(sb, s);
}

/* ", " between the elements of a list; "NAME" quoted. */
static void add_list(struct strbuf *sb, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(sb, i ? ", " : "");
		add_safe(sb, v[i]);
	}
}

static void add_quoted(struct strbuf *sb, const char *what, const char *s)
{
	strbuf_addf(sb, "%s \"", what);
	add_safe(sb, s);
	strbuf_addch(sb, '"');
}

static void describe_files(struct strbuf *sb, const struct step *st)
{
	if (st->nr_present) {
		strbuf_adds(sb, "present ");
		add_list(sb, st->present, st->nr_present);
	}
	if (st->nr_absent) {
		strbuf_adds(sb, st->nr_present ? "; absent " : "absent ");
		add_list(sb, st->absent, st->nr_absent);
	}
}

/* One step, readable: "boot: 3 boots, expect crash, title contains "T"". */
static void describe_step(struct strbuf *sb, const struct step *st)
{
	strbuf_addf(sb, "%s: ", step_kind_name(st->kind));
	switch (st->kind) {
	case STEP_BOOT:
		strbuf_addf(sb, "%d boot%s, expect %s", st->count, st->count == 1 ? "" : "s",
			    outcome_name(st->expect));
		if (st->title)
			add_quoted(sb, ", title contains", st->title);
		break;
	case STEP_DEPLOY:
		add_safe(sb, st->content->name);
		strbuf_adds(sb, st->live ? ", pushed live into the running guest"
					 : ", onto the disk offline");
		break;
	case STEP_ROLLBACK:
		add_safe(sb, st->content->name);
		strbuf_adds(sb, " published on the update channel");
		break;
	case STEP_REBOOT_UNTIL_CLEAN:
		strbuf_addf(sb, "boot until clean, at most %d boots", st->count);
		break;
	case STEP_CLEAN_BOOTS:
		strbuf_addf(sb, "%d consecutive clean boot%s", st->count,
			    st->count == 1 ? "" : "s");
		break;
	case STEP_EXPECT_FILES:
		describe_files(sb, st);
		break;
	case STEP_REMEDIATE:
		strbuf_adds(sb, "delete offline ");
		add_list(sb, st->remove, st->nr_remove);
		if (st->only_if_not_recovered)
			strbuf_adds(sb, ", only if not recovered");
		break;
	case STEP_POWER_OFF:
		add_quoted(sb, "power cut when the console prints", st->at);
		if (st->append)
			add_quoted(sb, ", kernel command line +", st->append);
		break;
	case STEP_SOAK:
		if (st->soak_pushes) {
			strbuf_addf(sb, "%d live push%s of ", st->count,
				    st->count == 1 ? "" : "es");
			add_safe(sb, st->content->name);
			strbuf_adds(sb, " into one running guest");
		} else {
			strbuf_addf(sb, "%d clean boot%s", st->count, st->count == 1 ? "" : "s");
		}
		if (st->duration_s)
			strbuf_addf(sb, ", at most %ds", st->duration_s);
		strbuf_adds(sb, ", memory figures after each");
		break;
	}
}

static void describe_ring(struct strbuf *sb, const struct ring *r)
{
	if (!r) {
		strbuf_adds(sb, "none (runs only when named)");
		return;
	}
	strbuf_addf(sb, "%zu (", r->index);
	add_safe(sb, r->name);
	strbuf_adds(sb, ")");
}

static void describe_image(struct strbuf *sb, const struct image *im)
{
	add_safe(sb, im->name);
	strbuf_adds(sb, " (kind ");
	add_safe(sb, im->kind);
	strbuf_adds(sb, ")");
	if (im->kernel) {
		strbuf_adds(sb, ": kernel ");
		add_safe(sb, im->kernel);
	}
	if (im->initrd) {
		strbuf_adds(sb, ", initrd ");
		add_safe(sb, im->initrd);
	}
	strbuf_adds(sb, im->kernel ? ", disk " : ": disk ");
	add_safe(sb, im->disk);
	strbuf_addf(sb, ", %d MiB", im->memory_mib);
}

static void describe_sensor(struct strbuf *sb, const struct sensor *se)
{
	add_safe(sb, se->name);
	strbuf_adds(sb, ": module ");
	add_safe(sb, se->module);
	strbuf_adds(sb, ", agent ");
	add_safe(sb, se->agent ? se->agent : "none");
}

static void describe_content(struct strbuf *sb, const struct content_set *cs)
{
	if (!cs) {
		strbuf_adds(sb, "none");
		return;
	}
	add_safe(sb, cs->name);
	strbuf_adds(sb, ":");
	for (size_t i = 0; i < cs->nr_files; i++) {
		strbuf_adds(sb, i ? ", " : " ");
		add_safe(sb, cs->files[i].path);
		strbuf_adds(sb, " as ");
		add_safe(sb, cs->files[i].as);
	}
}

static void describe_settings(struct strbuf *sb, const struct scenario *sc)
{
	strbuf_addf(sb, "boot_timeout %ds, silence_timeout %ds, settle %dms", sc->boot_timeout_s,
		    sc->silence_timeout_s, sc->settle_ms);
	if (sc->agent_delay_ms >= 0 || sc->sensor_delay_ms >= 0) {
		strbuf_addf(sb, ", race agent_delay_ms %d", sc->agent_delay_ms);
		/* a range: each trial draws its own (session.h) */
		if (sc->agent_delay_max_ms > sc->agent_delay_ms)
			strbuf_addf(sb, "-%d", sc->agent_delay_max_ms);
		strbuf_addf(sb, " sensor_delay_ms %d", sc->sensor_delay_ms);
		if (sc->sensor_delay_max_ms > sc->sensor_delay_ms)
			strbuf_addf(sb, "-%d", sc->sensor_delay_max_ms);
	}
	if (sc->cold)
		strbuf_adds(sb, ", cold");
	if (sc->log_contains)
		add_quoted(sb, ", every log contains", sc->log_contains);
	if (sc->append)
		add_quoted(sb, ", kernel command line +", sc->append);
}

/* One line "  LABEL  TEXT" per call, the text built by fn. */
#define LINE(label, fn, arg)                                                                       \
	do {                                                                                       \
		strbuf_reset(&sb);                                                                 \
		fn(&sb, arg);                                                                      \
		printf("  %-9s %s\n", label, sb.buf);                                              \
	} while (0)

static void print_trial(const struct scenario *sc, int suite_rings)
{
	struct strbuf sb = STRBUF_INIT;

	add_safe(&sb, sc->name);
	printf("trial %s\n", sb.buf);
	LINE("image", describe_image, sc->image);
	LINE("sensor", describe_sensor, sc->sensor);
	LINE("content", describe_content, sc->content);
	LINE("settings", describe_settings, sc);
	if (suite_rings)
		LINE("ring", describe_ring, sc->ring);
	for (size_t i = 0; i < sc->nr_steps; i++) {
		char label[32];

		snprintf(label, sizeof(label), "step %zu", i + 1);
		LINE(label, describe_step, &sc->steps[i]);
	}
	strbuf_release(&sb);
}

/*
 * A suite with rings runs its scenarios ring by ring: one in no ring is
 * run only when named, which is legal but likely an oversight.
 */
static void warn_unringed(const struct suite *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < s->nr_scenarios && s->nr_rings; i++) {
		if (s->scenarios[i].ring)
			continue;
		strbuf_reset(&sb);
		add_safe(&sb, s->path);
		strbuf_addf(&sb, ":%d:%d: warning: scenario '", s->scenarios[i].line,
			    s->scenarios[i].column);
		add_safe(&sb, s->scenarios[i].name);
		strbuf_adds(&sb,
			    "' is in no ring; run runs it only when named on its command line");
		fprintf(stderr, "bootproof: %s\n", sb.buf);
	}
	strbuf_release(&sb);
}

/* The suite's hosts: (run's pool without --host), one line: "hosts     URI (N slots), ...". */
static void print_hosts(const struct suite *s)
{
	struct strbuf sb = STRBUF_INIT;

	if (!s->nr_hosts)
		return;
	for (size_t i = 0; i < s->nr_hosts; i++) {
		strbuf_adds(&sb, i ? ", " : "");
		add_safe(&sb, s->hosts[i].uri);
		strbuf_addf(&sb, " (%d slot%s)", s->hosts[i].slots, s->hosts[i].slots == 1 ? "" : "s");
	}
	printf("hosts     %s\n", sb.buf);
	strbuf_release(&sb);
}

/* -c SUITE, or the first positional argument; the rest are scenario names. */
static int parse_args(int argc, char **argv, const char **suite, char ***names, int *nr)
{
	int i = 1;

	*suite = NULL;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (usage_is_help(argv[i]))
			return usage_help(&validate_usage) + 1;
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--suite")) && i + 1 < argc) {
			*suite = argv[++i];
		} else if (!strncmp(argv[i], "--suite=", 8)) {
			*suite = argv[i] + 8;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "bootproof: unknown option '%s'\n", argv[i]);
			return -1;
		}
	}
	if (!*suite)
		*suite = i < argc ? argv[i++] : "scenarios.yaml";
	*names = argv + i;
	*nr = argc - i;
	return 0;
}

int cmd_validate(int argc, char **argv)
{
	struct suite suite = {0};
	struct bp_error err;
	const char *path;
	char **names = NULL;
	int nr_names = 0, shown = 0, r;
	struct strbuf sb = STRBUF_INIT;

	r = parse_args(argc, argv, &path, &names, &nr_names);
	if (r)
		return r > 0 ? 0 : usage_error(&validate_usage);
	/* The same checks, in the same order and words, as run's before it starts anything. */
	if (suite_load(&suite, path, &err) < 0 ||
	    run_check_names(names, nr_names, &suite, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		suite_free(&suite);
		return EXIT_USAGE_ERROR;
	}
	for (size_t i = 0; i < suite.nr_scenarios; i++)
		if (run_selects(names, nr_names, &suite.scenarios[i])) {
			print_trial(&suite.scenarios[i], suite.nr_rings > 0);
			shown++;
		}
	warn_unringed(&suite);
	print_hosts(&suite);
	add_safe(&sb, path);
	printf("%d trial%s, suite '%s': valid\n", shown, shown == 1 ? "" : "s", sb.buf);
	strbuf_release(&sb);
	suite_free(&suite);
	return 0;
}
