/*
 * report-html - index.html and report_render() (see report-html.h).
 */
#include "report-html.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "guest.h"
#include "report-junit.h"
#include "report-tap.h"

#define SIGNATURE_MAX 200
#define TIMELINE_PX 760
#define TIMELINE_GAP 2
#define BAR_H 26
#define MARK_H 12
#define EXCERPT_MAX (64 * 1024)

/* ---- shared helpers ---------------------------------------------------- */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *report_signature(const char *title)
{
	struct strbuf sb = STRBUF_INIT;
	int pending_space = 0;

	for (const char *p = title ? title : ""; *p; p++) {
		if (is_space(*p)) {
			pending_space = sb.len > 0;
			continue;
		}
		if (pending_space)
			strbuf_addch(&sb, ' ');
		pending_space = 0;
		strbuf_addch(&sb, *p);
	}
	if (sb.len > SIGNATURE_MAX) {
		size_t n = SIGNATURE_MAX;

		/* Back up to the start of a UTF-8 character. */
		while (n > 0 && ((unsigned char)sb.buf[n] & 0xc0) == 0x80)
			n--;
		sb.len = n;
		sb.buf[n] = '\0';
	}
	if (!sb.len)
		strbuf_adds(&sb, "(untitled crash)");
	return strbuf_detach(&sb);
}

int report_path_ok(const char *path)
{
	if (!path || !*path || path[0] == '/')
		return 0;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n + (p[n] == '/');
	}
	return 1;
}

/* Read up to len bytes at offset into sb; returns the count read, or -1. */
static ssize_t read_at(int fd, off_t offset, size_t len, struct strbuf *sb)
{
	size_t got = 0;

	strbuf_grow(sb, len);
	while (got < len) {
		ssize_t n = pread(fd, sb->buf + sb->len + got, len - got, offset + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		got += (size_t)n;
	}
	sb->len += got;
	sb->buf[sb->len] = '\0';
	return (ssize_t)got;
}

int report_log_read(const char *run_dir, const char *log, size_t head, size_t tail,
		    struct strbuf *sb)
{
	struct strbuf h = STRBUF_INIT, t = STRBUF_INIT;
	struct stat st;
	char *path;
	int fd, ret = -1;

	if (!run_dir || !report_path_ok(log))
		return -1;
	path = xasprintf("%s/%s", run_dir, log);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	free(path);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	if ((unsigned long long)st.st_size <= (unsigned long long)head + tail) {
		if (read_at(fd, 0, (size_t)st.st_size, &h) < 0)
			goto out;
		strbuf_add(sb, h.buf, h.len);
	} else {
		size_t skip = 0;
		char *nl;

		if (read_at(fd, 0, head, &h) < 0 ||
		    read_at(fd, st.st_size - (off_t)tail, tail, &t) < 0)
			goto out;
		/* Whole lines only: the head ends after a newline, the tail starts after one. */
		for (size_t i = h.len; i > 0; i--)
			if (h.buf[i - 1] == '\n') {
				h.len = i;
				break;
			}
		nl = memchr(t.buf, '\n', t.len);
		if (nl && (size_t)(nl - t.buf) + 1 < t.len)
			skip = (size_t)(nl - t.buf) + 1;
		strbuf_add(sb, h.buf, h.len);
		strbuf_addf(sb, "[... %lld bytes of the log left out ...]\n",
			    (long long)st.st_size - (long long)h.len - (long long)(t.len - skip));
		strbuf_add(sb, t.buf + skip, t.len - skip);
	}
	ret = 0;
out:
	strbuf_release(&h);
	strbuf_release(&t);
	close(fd);
	return ret;
}

/* ---- the page ---------------------------------------------------------- */

static const char *const outcomes[] = {"clean", "crash", "hang", "infra", "recovery"};

static const char *outcome_class(const char *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(outcomes); i++)
		if (o && !strcmp(o, outcomes[i]))
			return outcomes[i];
	return "none";
}

static const char *outcome_fill(const char *cls)
{
	if (!strcmp(cls, "clean"))
		return "#2e7d32";
	if (!strcmp(cls, "crash"))
		return "#c62828";
	if (!strcmp(cls, "hang"))
		return "#ef6c00";
	if (!strcmp(cls, "infra"))
		return "#6d6d6d";
	if (!strcmp(cls, "recovery"))
		return "#6a1b9a";
	return "#bdbdbd";
}

/* A scenario's state: its verdict, or "skipped" / "unfinished" without one. */
static const char *scenario_class(const json_t *sc);

static const char *verdict_class(const char *v)
{
	if (v && (!strcmp(v, "pass") || !strcmp(v, "fail") || !strcmp(v, "infra")))
		return v;
	return "unfinished";
}

static const char *scenario_class(const json_t *sc)
{
	if (!rj_str(sc, "verdict") && rj_str(sc, "skipped"))
		return "skipped";
	return verdict_class(rj_str(sc, "verdict"));
}

int report_add_url(struct strbuf *sb, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!report_path_ok(path))
		return 0;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._~-", *p)) {
			strbuf_addch(sb, *p);
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, hex[*p >> 4]);
			strbuf_addch(sb, hex[*p & 15]);
		}
	}
	return 1;
}

/* <a href="PATH">LABEL</a>, or the path as plain text when it cannot be a link. */
static void file_link(struct strbuf *sb, const char *path, const char *label)
{
	struct strbuf url = STRBUF_INIT;

	if (!path)
		return;
	if (report_add_url(&url, path)) {
		strbuf_addf(sb, "<a href=\"%s\">%s</a>", url.buf, label);
	} else {
		strbuf_adds(sb, "<code>");
		escape_markups(sb, path, 0);
		strbuf_adds(sb, "</code>");
	}
	strbuf_release(&url);
}

static void add_duration(struct strbuf *sb, double s)
{
	/* results.json may say anything a number can: keep the casts below defined. */
	if (!(s >= 0))
		s = 0;
	if (s > 1e9)
		s = 1e9;
	if (s < 60)
		strbuf_addf(sb, "%.2f s", s);
	else if (s < 3600)
		strbuf_addf(sb, "%d min %02d s", (int)(s / 60), (int)s % 60);
	else
		strbuf_addf(sb, "%d h %02d min", (int)(s / 3600), ((int)s % 3600) / 60);
}

/* One crash signature of the run: the boots it happened on. */
struct sig_seen {
	char *title;
	size_t boots;
	struct strbuf where; /* links to the boots, HTML */
	size_t nr_scenarios;
	long last_scenario;
};

struct page {
	const json_t *root;
	const struct report_context *ctx;
	struct strbuf *out;
	struct sig_seen *sigs;
	size_t nr_sigs, alloc_sigs;
	double px_per_s;
};

static int is_new_sig(const struct page *pg, const char *sig)
{
	for (size_t i = 0; pg->ctx && i < pg->ctx->nr_new_sigs; i++)
		if (!strcmp(pg->ctx->new_sigs[i], sig))
			return 1;
	return 0;
}

static struct sig_seen *sig_find(struct page *pg, const char *sig)
{
	for (size_t i = 0; i < pg->nr_sigs; i++)
		if (!strcmp(pg->sigs[i].title, sig))
			return &pg->sigs[i];
	return NULL;
}

/* Group the run's crashes by signature, in order of first appearance. */
static void collect_sigs(struct page *pg)
{
	const json_t *scenarios = json_object_get(pg->root, "scenarios"), *sc;
	size_t i;

	json_array_foreach(scenarios, i, sc) {
		const json_t *boots = json_object_get(sc, "boots"), *b;
		size_t j;

		json_array_foreach(boots, j, b) {
			char *sig;
			struct sig_seen *s;

			if (strcmp(outcome_class(rj_str(b, "outcome")), "crash"))
				continue;
			sig = report_signature(rj_str(b, "title"));
			s = sig_find(pg, sig);
			if (!s) {
				ALLOC_GROW(pg->sigs, pg->nr_sigs + 1, pg->alloc_sigs);
				s = &pg->sigs[pg->nr_sigs++];
				*s = (struct sig_seen){.title = sig, .last_scenario = -1};
				strbuf_init(&s->where);
				sig = NULL;
			}
			free(sig);
			s->boots++;
			if (s->last_scenario != (long)i) {
				if (s->where.len)
					strbuf_adds(&s->where, "; ");
				escape_markups(&s->where, rj_str(sc, "name"), 0);
				strbuf_adds(&s->where, " boot");
				s->nr_scenarios++;
				s->last_scenario = (long)i;
			} else {
				strbuf_addch(&s->where, ',');
			}
			strbuf_addf(&s->where, " <a href=\"#s%zu-b%lld\">%lld</a>", i, rj_int(b, "n"),
				    rj_int(b, "n"));
		}
	}
}

static const char css[] =
	"*{box-sizing:border-box}"
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"margin:0;color:#1d1d1f;background:#f5f6f8}"
	"main{max-width:1120px;margin:0 auto;padding:20px 24px 48px}"
	"h1{font-size:22px;margin:4px 0 2px}h2{font-size:18px;margin:0}"
	"h3{font-size:15px;margin:0 0 6px}"
	"code,pre,.mono{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}"
	".sub{color:#5f6368;margin:0 0 16px}"
	".banner{background:#fff3cd;border:1px solid #e0c36a;border-radius:6px;padding:10px 14px}"
	"section.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:16px 18px;"
	"margin:16px 0}"
	".tiles{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 12px}"
	".tile{min-width:108px;padding:8px 12px;border-radius:6px;background:#f1f3f4}"
	".tile .n{display:block;font-size:24px;font-weight:600}"
	".tile .l{color:#5f6368;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
	".tile.pass .n{color:#2e7d32}.tile.fail .n{color:#c62828}.tile.infra .n{color:#6d6d6d}"
	".tile.new .n{color:#c62828}"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}"
	"dl.facts dt{color:#5f6368}dl.facts dd{margin:0}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceff1;vertical-align:top}"
	"th{color:#5f6368;font-weight:500;font-size:12px}"
	".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;"
	"font-weight:600;color:#fff;background:#9e9e9e;vertical-align:middle}"
	".badge.pass,.badge.clean{background:#2e7d32}.badge.fail,.badge.crash{background:#c62828}"
	".badge.hang{background:#ef6c00}.badge.infra{background:#6d6d6d}"
	".badge.recovery{background:#6a1b9a}"
	".badge.new{background:#ad1457}"
	".scenario-head{display:flex;align-items:center;gap:10px;flex-wrap:wrap}"
	".meta{color:#5f6368;margin:4px 0 10px}"
	"svg.timeline{display:block;margin:6px 0 4px;overflow:visible}"
	".legend{font-size:12px;color:#5f6368;margin:0 0 10px}"
	".legend .lm{margin:0 3px 0 12px}"
	".legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}"
	"ul.checks{margin:8px 0;padding-left:20px}li.check.fail{color:#b71c1c}"
	".problem{border-left:4px solid #c62828;background:#fdf6f6;border-radius:0 6px 6px 0;"
	"padding:10px 12px;margin:12px 0}"
	".problem.hang{border-color:#ef6c00;background:#fff8f1}"
	".problem.infra{border-color:#6d6d6d;background:#f6f6f6}"
	".problem.recovery{border-color:#6a1b9a;background:#f8f2fb}"
	"pre.excerpt{background:#1e1f22;color:#d7dae0;padding:10px 12px;border-radius:6px;"
	"overflow-x:auto;max-height:420px;margin:8px 0;white-space:pre}"
	"mark.crash-line{background:#6b1d1d;color:#ffd7d7;font-weight:600}"
	"img.screenshot{display:block;max-width:100%;border:1px solid #ccc;border-radius:4px;"
	"margin-top:8px;image-rendering:pixelated}"
	"details{margin:6px 0}summary{cursor:pointer;color:#1a5fb4}"
	"a{color:#1a5fb4}"
	"table.boots td:not(:nth-child(6)){white-space:nowrap}"
	".miss{color:#c62828;font-weight:700}"
	".note{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;"
	"background:#e3ecfa;color:#1a5fb4;margin-left:4px}"
	".note.error{background:#fdecea;color:#b71c1c}"
	"table.sources{margin:6px 0}p.disagree{color:#b71c1c;font-weight:700}"
	"details.console{margin:8px 0}pre.console{max-height:560px}"
	".recovery{border-left:4px solid #1a5fb4;background:#f3f7fd;border-radius:0 6px 6px 0;"
	"padding:10px 12px;margin:12px 0}"
	".recovery.manual{border-color:#ef6c00;background:#fff8f1}"
	"ol.manual{margin:0;padding-left:18px}"
	".badge.skipped{background:#8d6e63}.tile.skipped .n{color:#8d6e63}"
	".skip{border-left:4px solid #8d6e63;background:#f8f4f2;border-radius:0 6px 6px 0;"
	"padding:10px 12px;margin:12px 0}"
	"section.scenario[data-verdict=skipped]{opacity:.8}"
	"table.rings td{white-space:nowrap}table.rings td.reason{white-space:normal}"
	"tr.ring.failed td{background:#fdf6f6}tr.ring.stop td{border-bottom:2px solid #c62828}"
	".badge.passed{background:#2e7d32}.badge.failed{background:#c62828}"
	".soak{border-left:4px solid #00838f;background:#f1f9fa;border-radius:0 6px 6px 0;"
	"padding:10px 12px;margin:12px 0}"
	"svg.trend{display:block;margin:6px 0;background:#fff;border:1px solid #dde1e6;"
	"border-radius:4px}"
	"svg.trend polyline{fill:none;stroke:#00838f;stroke-width:2}"
	"svg.trend text{font-size:11px;fill:#5f6368}";

static void legend(struct strbuf *o)
{
	strbuf_adds(o, "<p class=\"legend\">");
	for (size_t i = 0; i < ARRAY_SIZE(outcomes); i++)
		strbuf_addf(o, "<i style=\"background:%s\"></i>%s", outcome_fill(outcomes[i]),
			    outcomes[i]);
	strbuf_adds(o, "<span class=\"lm\" style=\"color:#1a5fb4\">▼</span>rollback installed"
		       "<span class=\"lm\" style=\"color:#8e24aa\">▼</span>content pushed live"
		       "<span class=\"lm\">┆</span>a new step starts</p>\n");
}

static void tile(struct strbuf *o, const char *cls, const char *id, const char *label,
		 const char *value)
{
	strbuf_addf(o, "<div class=\"tile %s\"><span class=\"n\" id=\"%s\">%s</span>"
		       "<span class=\"l\">%s</span></div>\n",
		    cls, id, value, label);
}

static void tile_n(struct strbuf *o, const char *cls, const char *id, const char *label, long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	tile(o, cls, id, label, buf);
}

static void fact(struct strbuf *o, const char *id, const char *label, const char *value)
{
	strbuf_addf(o, "<dt>%s</dt><dd id=\"%s\">", label, id);
	if (value)
		escape_markups(o, value, 0);
	else
		strbuf_adds(o, "—");
	strbuf_adds(o, "</dd>\n");
}

static void summary(struct page *pg)
{
	const json_t *root = pg->root, *scenarios = json_object_get(root, "scenarios"), *sc;
	struct strbuf *o = pg->out, tmp = STRBUF_INIT;
	/* pass fail infra unfinished skipped; clean crash hang infra recovery none */
	long v[5] = {0}, boots[6] = {0};
	size_t i;

	json_array_foreach(scenarios, i, sc) {
		const char *vc = scenario_class(sc);
		const json_t *b;
		size_t j;

		v[!strcmp(vc, "pass")	   ? 0
		  : !strcmp(vc, "fail")	   ? 1
		  : !strcmp(vc, "infra")   ? 2
		  : !strcmp(vc, "skipped") ? 4
					   : 3]++;
		json_array_foreach(json_object_get(sc, "boots"), j, b) {
			const char *oc = outcome_class(rj_str(b, "outcome"));
			size_t k = 0;

			while (k < ARRAY_SIZE(outcomes) && strcmp(oc, outcomes[k]))
				k++;
			boots[k]++;
		}
	}
	strbuf_adds(o, "<section class=\"card\" id=\"summary\">\n<h2>Summary</h2>\n"
		       "<div class=\"tiles\">\n");
	tile_n(o, "", "sum-scenarios", "scenarios", (long)json_array_size(scenarios));
	tile_n(o, "pass", "sum-pass", "passed", v[0]);
	tile_n(o, "fail", "sum-fail", "failed", v[1]);
	tile_n(o, "infra", "sum-infra", "infra", v[2]);
	if (v[3])
		tile_n(o, "unfinished", "sum-unfinished", "not finished", v[3]);
	if (v[4])
		tile_n(o, "skipped", "sum-skipped", "skipped", v[4]);
	tile_n(o, "", "sum-signatures", "crash signatures", (long)pg->nr_sigs);
	if (pg->ctx && pg->ctx->compared && pg->ctx->compared_with)
		tile_n(o, "new", "sum-new", "new signatures", (long)pg->ctx->nr_new_sigs);
	else
		tile(o, "new", "sum-new", "new signatures", "—");
	add_duration(&tmp, rj_num(root, "duration_s"));
	tile(o, "", "sum-duration", "time taken", tmp.buf);
	strbuf_adds(o, "</div>\n<dl class=\"facts\">\n");
	fact(o, "sum-host", "host", rj_str(root, "host"));
	strbuf_reset(&tmp);
	escape_markups(&tmp, rj_str(root, "accelerator"), 0);
	if (rj_str(root, "accelerator_reason")) {
		strbuf_adds(&tmp, " <span class=\"sub\">(");
		escape_markups(&tmp, rj_str(root, "accelerator_reason"), 0);
		strbuf_adds(&tmp, ")</span>");
	}
	strbuf_addf(o, "<dt>accelerator</dt><dd id=\"sum-accel\">%s</dd>\n", tmp.buf);
	fact(o, "sum-started", "started", rj_str(root, "started"));
	fact(o, "sum-suite", "suite", rj_str(root, "suite"));
	strbuf_reset(&tmp);
	strbuf_addf(&tmp, "%lld clean, %lld crash, %lld hang, %lld infra", (long long)boots[0],
		    (long long)boots[1], (long long)boots[2], (long long)boots[3]);
	if (boots[4])
		strbuf_addf(&tmp, ", %lld stopped at the recovery screen", (long long)boots[4]);
	if (boots[5])
		strbuf_addf(&tmp, ", %lld not judged", (long long)boots[5]);
	fact(o, "sum-boots", "boots", tmp.buf);
	if (json_is_integer(json_object_get(root, "jobs"))) {
		strbuf_reset(&tmp);
		strbuf_addf(&tmp, "%lld at once", rj_int(root, "jobs"));
		fact(o, "sum-jobs", "trials", tmp.buf);
	}
	if (pg->ctx && pg->ctx->compared)
		fact(o, "sum-compared", "compared with",
		     pg->ctx->compared_with ? pg->ctx->compared_with : "no earlier run of this suite");
	strbuf_adds(o, "</dl>\n</section>\n");
	strbuf_release(&tmp);
}

static void signatures(struct page *pg)
{
	struct strbuf *o = pg->out;

	strbuf_adds(o, "<section class=\"card\" id=\"signatures\">\n<h2>Crash signatures</h2>\n");
	if (!pg->nr_sigs) {
		strbuf_adds(o, "<p>No boot crashed.</p>\n</section>\n");
		return;
	}
	strbuf_adds(o, "<table>\n<tr><th>signature</th><th>boots</th><th>where</th></tr>\n");
	for (size_t i = 0; i < pg->nr_sigs; i++) {
		const struct sig_seen *s = &pg->sigs[i];
		int fresh = is_new_sig(pg, s->title);

		strbuf_addf(o, "<tr class=\"signature%s\"><td><code>", fresh ? " new" : "");
		escape_markups(o, s->title, 0);
		strbuf_addf(o, "</code>%s</td><td>%zu</td><td>%s</td></tr>\n",
			    fresh ? " <span class=\"badge new\">new</span>" : "", s->boots,
			    s->where.buf);
	}
	strbuf_adds(o, "</table>\n</section>\n");
}

/*
 * A `repro` run (id="repro"): the field report, its signature, one row per
 * matrix entry (class="repro-entry") with its rate, 95 % interval and the
 * other crashes' titles.
 */
static void repro(struct page *pg)
{
	const json_t *r = json_object_get(pg->root, "repro"), *e, *x;
	struct strbuf *o = pg->out;
	size_t i, j;

	if (!json_is_object(r))
		return;
	strbuf_adds(o, "<section class=\"card\" id=\"repro\">\n<h2>Reproduction</h2>\n"
		       "<p>field report <code>");
	escape_markups(o, rj_str(r, "field_report"), 0);
	strbuf_adds(o, "</code>: <code id=\"repro-signature\">");
	escape_markups(o, rj_str(r, "signature"), 0);
	strbuf_addf(o, "</code>; each entry until its 95 %% interval is within &plusmn;%.0f points "
		       "or %lld trials</p>\n<table>\n<tr><th>entry</th><th>reproduced</th>"
		       "<th>rate</th><th>95 %% CI</th><th>other crashes</th><th>clean</th></tr>\n",
		    rj_num(r, "precision") * 100, rj_int(r, "max_trials"));
	json_array_foreach(json_object_get(r, "entries"), i, e) {
		strbuf_addf(o, "<tr class=\"repro-entry %s\"><td><code>",
			    rj_int(e, "reproduced") ? "crash" : "clean");
		escape_markups(o, rj_str(e, "scenario"), 0);
		strbuf_addf(o, "</code></td><td>%lld/%lld</td><td>%.0f %%</td>"
			       "<td>%.0f&ndash;%.0f %%</td><td>%lld",
			    rj_int(e, "reproduced"), rj_int(e, "trials"), rj_num(e, "rate") * 100,
			    rj_num(e, "ci_low") * 100, rj_num(e, "ci_high") * 100,
			    rj_int(e, "other_crashes"));
		json_array_foreach(json_object_get(e, "others"), j, x) {
			strbuf_addf(o, "<br>%lld &times; <code>", rj_int(x, "count"));
			escape_markups(o, rj_str(x, "title"), 0);
			strbuf_adds(o, "</code>");
		}
		strbuf_addf(o, "</td><td>%lld</td></tr>\n", rj_int(e, "clean"));
	}
	strbuf_adds(o, "</table>\n</section>\n");
}

/* A small marker above a bar: a triangle pointing at the boot's start. */
static void marker(struct strbuf *o, const char *cls, const char *fill, double x, const char *what,
		   long long n)
{
	strbuf_addf(o, "<path class=\"mark %s\" d=\"M%.1f %d l-5 -8 h10 z\" fill=\"%s\">"
		       "<title>boot %lld: %s</title></path>\n",
		    cls, x + 5, MARK_H - 1, fill, n, what);
}

/*
 * The scenario's boots side by side, each as long as it took; a dashed line
 * where a new step starts (steps that do not boot - deploy, rollback, file
 * checks, remediation - ran in a gap of the step numbers), a blue marker on
 * a boot at which the agent installed published content (the rollback), a
 * purple one where content was pushed into the running guest.
 */
static void timeline(struct page *pg, const json_t *sc, size_t si)
{
	const json_t *boots = json_object_get(sc, "boots"), *b;
	const json_t *manual = json_object_get(json_object_get(sc, "recovery"), "manual_steps");
	struct strbuf *o = pg->out;
	double x = 0, total = 0;
	long long prev_step = 0;
	int h = MARK_H + BAR_H + 20;
	size_t j;

	json_array_foreach(boots, j, b)
		total += rj_num(b, "duration_s");
	strbuf_addf(o, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		       "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"boot timeline\">\n",
		    TIMELINE_PX + 130, h, TIMELINE_PX + 130, h);
	json_array_foreach(boots, j, b) {
		const char *cls = outcome_class(rj_str(b, "outcome"));
		double d = rj_num(b, "duration_s"), w = d * pg->px_per_s;
		long long n = rj_int(b, "n"), step = rj_int(b, "step");

		if (w < BOOT_MIN_PX)
			w = BOOT_MIN_PX;
		if (j && step && step != prev_step) {
			strbuf_addf(o, "<line class=\"step-start\" x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" "
				       "y2=\"%d\" stroke=\"#1d1d1f\" stroke-width=\"1.5\" "
				       "stroke-dasharray=\"3 2\"><title>step %lld starts",
				    x - TIMELINE_GAP / 2.0, x - TIMELINE_GAP / 2.0, MARK_H + BAR_H + 3,
				    step);
			if (step > prev_step + 1) {
				strbuf_addf(o, "; step%s %lld", step > prev_step + 2 ? "s" : "",
					    prev_step + 1);
				if (step > prev_step + 2)
					strbuf_addf(o, "-%lld", step - 1);
				strbuf_adds(o, " (no boot: deploy, rollback, file check or "
					       "remediation) ran before it");
				if (json_array_size(manual)) {
					const json_t *m;
					size_t k;

					strbuf_adds(o, "; manual steps of this trial:");
					json_array_foreach(manual, k, m) {
						strbuf_adds(o, " ");
						escape_markups(o, json_string_value(m), 0);
					}
				}
			}
			strbuf_adds(o, "</title></line>\n");
		}
		prev_step = step;
		strbuf_addf(o, "<a href=\"#s%zu-b%lld\"><rect class=\"boot %s\" data-boot=\"%lld\" "
			       "x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"3\" fill=\"%s\">"
			       "<title>boot %lld",
			    si, n, cls, n, x, MARK_H, w, BAR_H, outcome_fill(cls), n);
		if (step)
			strbuf_addf(o, " (step %lld)", step);
		strbuf_addf(o, ": %s, ", strcmp(cls, "none") ? cls : "not judged");
		add_duration(o, d);
		if (rj_str(b, "title")) {
			strbuf_adds(o, " — ");
			escape_markups(o, rj_str(b, "title"), 0);
		}
		strbuf_adds(o, "</title></rect>");
		if (w >= 16)
			strbuf_addf(o, "<text x=\"%.1f\" y=\"%d\" fill=\"#fff\" font-size=\"12\" "
				       "text-anchor=\"middle\" pointer-events=\"none\">%lld</text>",
				    x + w / 2, MARK_H + BAR_H / 2 + 4, n);
		strbuf_adds(o, "</a>\n");
		if (rj_true(b, "update_installed"))
			marker(o, "rollback", "#1a5fb4", x,
			       "the agent installed published content (rollback)", n);
		if (rj_true(b, "live_pushed"))
			marker(o, "live", "#8e24aa", x + (rj_true(b, "update_installed") ? 10 : 0),
			       "content pushed into the running guest", n);
		x += w + TIMELINE_GAP;
	}
	strbuf_addf(o, "<text x=\"%.1f\" y=\"%d\" fill=\"#5f6368\" font-size=\"12\">", x + 6,
		    MARK_H + BAR_H / 2 + 4);
	add_duration(o, total);
	strbuf_addf(o, "</text>\n<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#cfd4da\"/>\n",
		    MARK_H + BAR_H + 5, TIMELINE_PX, MARK_H + BAR_H + 5);
	for (int t = 0; t <= 4; t++) {
		double px = TIMELINE_PX * t / 4.0;

		strbuf_addf(o, "<text x=\"%.1f\" y=\"%d\" fill=\"#80868b\" font-size=\"10\" "
			       "text-anchor=\"%s\">",
			    px, MARK_H + BAR_H + 16, t == 0 ? "start" : t == 4 ? "end" : "middle");
		add_duration(o, px / pg->px_per_s);
		strbuf_adds(o, "</text>\n");
	}
	strbuf_adds(o, "</svg>\n");
}

static void boot_table(struct page *pg, const json_t *sc, size_t si)
{
	const json_t *boots = json_object_get(sc, "boots"), *b;
	struct strbuf *o = pg->out;
	size_t j;

	if (!json_array_size(boots))
		return;
	strbuf_adds(o, "<table class=\"boots\">\n<tr><th>boot</th><th>step</th><th>host</th>"
		       "<th>expected</th><th>outcome</th><th>time</th><th>title</th><th>files</th>"
		       "</tr>\n");
	json_array_foreach(boots, j, b) {
		const char *cls = outcome_class(rj_str(b, "outcome"));
		int ok = rj_true(b, "ok");

		strbuf_addf(o, "<tr id=\"s%zu-b%lld\" class=\"boot-row %s%s\"><td>%lld</td><td>",
			    si, rj_int(b, "n"), cls, ok || !strcmp(cls, "none") ? "" : " unexpected",
			    rj_int(b, "n"));
		if (rj_int(b, "step"))
			strbuf_addf(o, "%lld", rj_int(b, "step"));
		/* every boot of a trial runs where its last attempt did */
		strbuf_adds(o, "</td><td class=\"host\">");
		escape_markups(o, rj_str(sc, "host") ? rj_str(sc, "host") : "", 0);
		strbuf_adds(o, "</td><td>");
		escape_markups(o, rj_str(b, "expect"), 0);
		strbuf_addf(o, "</td><td><span class=\"badge %s\">%s</span>%s</td><td>", cls,
			    strcmp(cls, "none") ? cls : "not judged",
			    ok || !strcmp(cls, "none") ? "" : " <span class=\"miss\">✘</span>");
		add_duration(o, rj_num(b, "duration_s"));
		strbuf_adds(o, "</td><td>");
		escape_markups(o, rj_str(b, "title"), 0);
		if (rj_true(b, "update_installed"))
			strbuf_adds(o, " <span class=\"note\">rollback installed</span>");
		if (rj_true(b, "live_pushed"))
			strbuf_adds(o, " <span class=\"note\">content pushed live</span>");
		if (rj_true(b, "restored"))
			strbuf_adds(o, " <span class=\"note\">restored</span>");
		if (rj_str(b, "update_error")) {
			strbuf_adds(o, " <span class=\"note error\">update channel: ");
			escape_markups(o, rj_str(b, "update_error"), 0);
			strbuf_adds(o, "</span>");
		}
		strbuf_adds(o, "</td><td>");
		file_link(o, rj_str(b, "log"), "serial log");
		if (rj_str(b, "screenshot")) {
			strbuf_addch(o, ' ');
			file_link(o, rj_str(b, "screenshot"), "screenshot");
		}
		strbuf_adds(o, "</td></tr>\n");
	}
	strbuf_adds(o, "</table>\n");
}

/* A rollback scenario's figures (issue 4): did it recover, how, how fast. */
static void recovery(struct page *pg, const json_t *sc)
{
	const json_t *rec = json_object_get(sc, "recovery"), *m;
	struct strbuf *o = pg->out;
	int ok = rj_true(rec, "recovered_without_manual_steps");
	size_t k;

	if (!json_is_object(rec))
		return;
	strbuf_addf(o, "<div class=\"recovery %s\"><h3>Recovery: ", ok ? "recovered" : "manual");
	escape_markups(o, rj_str(rec, "summary"), 0);
	strbuf_addf(o, "</h3>\n<dl class=\"facts\"><dt>without manual steps</dt><dd>%s</dd>\n",
		    ok ? "yes" : "no");
	if (json_is_integer(json_object_get(rec, "boots_to_recovery")))
		strbuf_addf(o, "<dt>boots to recovery</dt><dd>%lld</dd>\n",
			    rj_int(rec, "boots_to_recovery"));
	strbuf_addf(o, "<dt>boots tried</dt><dd>%lld of at most %lld</dd>\n",
		    rj_int(rec, "boots_tried"), rj_int(rec, "max_boots"));
	if (json_is_number(json_object_get(rec, "time_to_recovery_s"))) {
		strbuf_adds(o, "<dt>time to recovery</dt><dd>");
		add_duration(o, rj_num(rec, "time_to_recovery_s"));
		strbuf_adds(o, "</dd>\n");
	}
	if (json_is_integer(json_object_get(rec, "rollback_arrived_at_boot")))
		strbuf_addf(o, "<dt>rollback installed</dt><dd>at boot %lld</dd>\n",
			    rj_int(rec, "rollback_arrived_at_boot"));
	if (json_array_size(json_object_get(rec, "manual_steps"))) {
		strbuf_adds(o, "<dt>manual steps</dt><dd><ol class=\"manual\">");
		json_array_foreach(json_object_get(rec, "manual_steps"), k, m) {
			strbuf_adds(o, "<li>");
			escape_markups(o, json_string_value(m), 0);
			strbuf_adds(o, "</li>");
		}
		strbuf_addf(o, "</ol></dd>\n<dt>remediation verified</dt><dd>%s</dd>\n",
			    rj_true(rec, "manual_remediation_verified") ? "yes" : "no");
	}
	strbuf_adds(o, "</dl></div>\n");
}

static void checks(struct page *pg, const json_t *sc)
{
	const json_t *checks = json_object_get(sc, "checks"), *c;
	struct strbuf *o = pg->out;
	size_t j;

	if (!json_array_size(checks))
		return;
	strbuf_adds(o, "<ul class=\"checks\">\n");
	json_array_foreach(checks, j, c) {
		int ok = rj_true(c, "ok");

		strbuf_addf(o, "<li class=\"check %s\">%s ", ok ? "ok" : "fail", ok ? "✔" : "✘");
		escape_markups(o, rj_str(c, "name"), 0);
		if (rj_str(c, "diag")) {
			strbuf_adds(o, " — ");
			escape_markups(o, rj_str(c, "diag"), 0);
		}
		strbuf_adds(o, "</li>\n");
	}
	strbuf_adds(o, "</ul>\n");
}

/* "BUG: unable to handle page fault in refsensor_eval" -> "refsensor_eval" */
static const char *title_func(const char *title, size_t *len)
{
	const char *in = NULL;

	for (const char *p = title; p && (p = strstr(p, " in ")); p += 4)
		in = p + 4;
	if (!in)
		return NULL;
	*len = strcspn(in, " ");
	return *len >= 3 ? in : NULL;
}

/*
 * Lines that are the crash itself rather than context: what a guest profile
 * says starts a crash (guest.h; any profile, results.json does not say
 * which OS printed the log), or a line naming the guilty function.
 */
static int is_crash_line(const char *line, size_t len, const char *func, size_t func_len)
{
	if (guest_crash_line(line, len))
		return 1;
	if (func) {
		for (const char *q = line; q + func_len <= line + len; q++)
			if (!memcmp(q, func, func_len))
				return 1;
	}
	return 0;
}


/* Guest text, line by line, escaped; crash lines highlighted when asked. */
static void escape_lines(struct strbuf *o, const char *text, size_t len, int highlight,
			 const char *func, size_t func_len)
{
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int hl = highlight && is_crash_line(p, n, func, func_len);

		if (hl)
			strbuf_adds(o, "<mark class=\"crash-line\">");
		escape_markup(o, p, n, 0);
		if (hl)
			strbuf_adds(o, "</mark>");
		strbuf_addch(o, '\n');
		p += n + (nl ? 1 : 0);
	}
}

static void excerpt(struct strbuf *o, const char *text, const char *title, int highlight)
{
	size_t func_len = 0, len;
	const char *func = highlight ? title_func(title, &func_len) : NULL;

	if (!text || !*text)
		return;
	len = strlen(text);
	if (len > EXCERPT_MAX)
		len = EXCERPT_MAX;
	strbuf_adds(o, "<pre class=\"excerpt\">");
	escape_lines(o, text, len, highlight, func, func_len);
	if (strlen(text) > len)
		strbuf_adds(o, "[… excerpt cut]\n");
	strbuf_adds(o, "</pre>\n");
}

/*
 * The boot's whole serial console (bounded, see report_log_read()), folded
 * away: the kernel's command line and everything before the report, for
 * whoever needs more than the excerpt. Crash lines are highlighted.
 */
static void console(struct page *pg, const json_t *b, const char *sig)
{
	struct strbuf log = STRBUF_INIT, *o = pg->out;
	size_t func_len = 0;
	const char *func = sig ? title_func(sig, &func_len) : NULL;
	size_t lines = 0;

	if (!pg->ctx || report_log_read(pg->ctx->run_dir, rj_str(b, "log"), REPORT_LOG_HEAD,
					REPORT_LOG_TAIL, &log) < 0 || !log.len) {
		strbuf_release(&log);
		return;
	}
	for (size_t i = 0; i < log.len; i++)
		lines += log.buf[i] == '\n';
	strbuf_addf(o, "<details class=\"console\"><summary>serial console of boot %lld "
		       "(%zu lines)</summary>\n<pre class=\"excerpt console\">",
		    rj_int(b, "n"), lines + (log.buf[log.len - 1] != '\n'));
	escape_lines(o, log.buf, log.len, sig != NULL, func, func_len);
	strbuf_adds(o, "</pre></details>\n");
	strbuf_release(&log);
}

static int file_exists(const char *dir, const char *rel)
{
	char *path;
	struct stat st;
	int ret;

	if (!dir || !rel)
		return 0;
	path = xasprintf("%s/%s", dir, rel);
	ret = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ret;
}

/* The crash's guilty function and module, and whether an out-of-tree module tainted it. */
static void crash_blame(struct strbuf *o, const json_t *b)
{
	const char *fn = rj_str(b, "crash_function"), *mod = rj_str(b, "crash_module");

	if (!fn)
		return;
	strbuf_adds(o, "; guilty: <code class=\"crash-func\">");
	escape_markups(o, fn, 0);
	strbuf_adds(o, "</code> in <code class=\"crash-module\">");
	escape_markups(o, mod ? mod : "vmlinux", 0);
	strbuf_adds(o, "</code>");
	if (json_is_true(json_object_get(b, "tainted_oot")))
		strbuf_adds(o, " (kernel tainted by an out-of-tree module)");
}

static void screenshot(struct page *pg, const json_t *b)
{
	const char *shot = rj_str(b, "screenshot");
	struct strbuf *o = pg->out;

	if (!shot)
		return;
	if (pg->ctx && pg->ctx->run_dir && !file_exists(pg->ctx->run_dir, shot)) {
		strbuf_adds(o, "<p class=\"no-screenshot\">screenshot <code>");
		escape_markups(o, shot, 0);
		strbuf_adds(o, "</code> is missing</p>\n");
		return;
	}
	strbuf_adds(o, "<img class=\"screenshot\" src=\"");
	if (!report_add_url(o, shot)) {
		strbuf_adds(o, "\" alt=\"(screenshot path refused)\">\n");
		return;
	}
	strbuf_addf(o, "\" alt=\"screen at the end of boot %lld\">\n", rj_int(b, "n"));
}

/*
 * What each source saw of a boot's bugcheck (results.json "sources": serial,
 * event, dumps, each dump linked) and, when they differ, the note saying so.
 */
static void sources(struct page *pg, const json_t *b)
{
	const json_t *srcs = json_object_get(b, "sources"), *v, *p;
	struct strbuf *o = pg->out;
	size_t i, k;

	if (!json_array_size(srcs))
		return;
	if (rj_str(b, "sources_disagree")) {
		strbuf_adds(o, "<p class=\"disagree\">");
		escape_markups(o, rj_str(b, "sources_disagree"), 0);
		strbuf_adds(o, "</p>\n");
	}
	strbuf_addf(o, "<table class=\"sources\"><tr><th>boot %lld: source</th><th>title</th>"
		       "<th>code</th><th>parameters</th><th>driver</th><th>file</th><th>note</th></tr>\n",
		    rj_int(b, "n"));
	json_array_foreach(srcs, i, v) {
		strbuf_adds(o, "<tr class=\"source\"><td>");
		escape_markups(o, rj_str(v, "source"), 0);
		strbuf_adds(o, "</td><td>");
		escape_markups(o, rj_str(v, "title"), 0);
		strbuf_adds(o, "</td><td><code>");
		escape_markups(o, rj_str(v, "code"), 0);
		strbuf_adds(o, "</code></td><td><code>");
		json_array_foreach(json_object_get(v, "parameters"), k, p) {
			if (k)
				strbuf_addch(o, ' ');
			escape_markups(o, json_string_value(p), 0);
		}
		strbuf_adds(o, "</code></td><td>");
		escape_markups(o, rj_str(v, "driver"), 0);
		strbuf_adds(o, "</td><td>");
		file_link(o, rj_str(v, "file"), "dump");
		strbuf_adds(o, "</td><td>");
		escape_markups(o, rj_str(v, "note"), 0);
		strbuf_adds(o, "</td></tr>\n");
	}
	strbuf_adds(o, "</table>\n");
}

/*
 * Crashes grouped by signature (the boots each happened on, the first one's
 * excerpt and screenshot, the others folded), then each hang, recovery and
 * infra boot.
 */
static void problems(struct page *pg, const json_t *sc, size_t si)
{
	const json_t *boots = json_object_get(sc, "boots"), *b, *b2;
	struct strbuf *o = pg->out;
	size_t nb = json_array_size(boots), j, k, nr = 0;
	char **sigs = xcalloc(nb, sizeof(*sigs));

	json_array_foreach(boots, j, b)
		if (!strcmp(outcome_class(rj_str(b, "outcome")), "crash"))
			sigs[j] = report_signature(rj_str(b, "title"));
	for (j = 0; j < nb; j++) {
		int seen = 0, more = 0;

		if (!sigs[j])
			continue;
		for (k = 0; k < j && !seen; k++)
			seen = sigs[k] && !strcmp(sigs[k], sigs[j]);
		if (seen)
			continue;
		b = json_array_get(boots, j);
		strbuf_addf(o, "<div class=\"problem crash\" id=\"s%zu-crash-%zu\">\n"
			       "<h3 class=\"crash-title\">",
			    si, ++nr);
		escape_markups(o, sigs[j], 0);
		if (is_new_sig(pg, sigs[j]))
			strbuf_adds(o, " <span class=\"badge new\">new</span>");
		strbuf_adds(o, "</h3>\n<p class=\"crash-boots\">on boot");
		for (k = j; k < nb; k++)
			if (sigs[k] && !strcmp(sigs[k], sigs[j])) {
				b2 = json_array_get(boots, k);
				strbuf_addf(o, "%s <a href=\"#s%zu-b%lld\">%lld</a>", k == j ? "" : ",",
					    si, rj_int(b2, "n"), rj_int(b2, "n"));
			}
		strbuf_addf(o, " of %zu", nb);
		if (rj_int(b, "crash_line"))
			strbuf_addf(o, "; boot %lld's report starts on line %lld of its log",
				    rj_int(b, "n"), rj_int(b, "crash_line"));
		crash_blame(o, b);
		strbuf_adds(o, "</p>\n");
		excerpt(o, rj_str(b, "excerpt"), sigs[j], 1);
		screenshot(pg, b);
		sources(pg, b);
		console(pg, b, sigs[j]);
		for (k = j + 1; k < nb; k++) {
			if (!sigs[k] || strcmp(sigs[k], sigs[j]))
				continue;
			b2 = json_array_get(boots, k);
			if (!more++)
				strbuf_adds(o, "<details><summary>the same crash on the other boots"
					       "</summary>\n");
			strbuf_addf(o, "<h3>boot %lld</h3>\n", rj_int(b2, "n"));
			excerpt(o, rj_str(b2, "excerpt"), sigs[k], 1);
			screenshot(pg, b2);
			sources(pg, b2);
		}
		if (more)
			strbuf_adds(o, "</details>\n");
		strbuf_adds(o, "</div>\n");
	}
	json_array_foreach(boots, j, b) {
		const char *cls = outcome_class(rj_str(b, "outcome"));

		if (strcmp(cls, "hang") && strcmp(cls, "infra") && strcmp(cls, "recovery"))
			continue;
		strbuf_addf(o, "<div class=\"problem %s\" id=\"s%zu-%s-%lld\">\n<h3>boot %lld: %s",
			    cls, si, cls, rj_int(b, "n"), rj_int(b, "n"),
			    !strcmp(cls, "hang")       ? "hang"
			    : !strcmp(cls, "recovery") ? "stopped at the recovery screen"
						       : "infrastructure failure");
		if (rj_str(b, "title")) {
			strbuf_adds(o, " — ");
			escape_markups(o, rj_str(b, "title"), 0);
		}
		strbuf_adds(o, "</h3>\n");
		if (rj_str(b, "excerpt"))
			strbuf_adds(o, "<p class=\"sub\">the console's last lines:</p>\n");
		excerpt(o, rj_str(b, "excerpt"), NULL, 0);
		screenshot(pg, b);
		console(pg, b, NULL);
		strbuf_adds(o, "</div>\n");
	}
	for (j = 0; j < nb; j++)
		free(sigs[j]);
	free(sigs);
}

/*
 * A staged run's rings, in order: each one's state and counts, the ring
 * where the run stopped marked (class "stop") with its reason.
 */
static void rings(struct page *pg)
{
	const json_t *rs = json_object_get(pg->root, "rings"), *r;
	struct strbuf *o = pg->out;
	size_t i;

	if (!json_array_size(rs))
		return;
	strbuf_adds(o, "<section class=\"card\" id=\"rings\">\n<h2>Rings</h2>\n"
		       "<table class=\"rings\"><tr><th>ring</th><th>name</th><th>state</th>"
		       "<th>trials</th><th>passed</th><th>failed</th><th>skipped</th>"
		       "<th>why</th></tr>\n");
	json_array_foreach(rs, i, r) {
		const char *st = rj_str(r, "state");
		int stop = st && !strcmp(st, "failed");

		strbuf_addf(o, "<tr class=\"ring %s%s\" id=\"ring-%zu\"><td>%lld</td><td><code>",
			    st ? st : "", stop ? " stop" : "", i, rj_int(r, "index"));
		escape_markups(o, rj_str(r, "name"), 0);
		strbuf_addf(o, "</code></td><td><span class=\"badge %s\">", st ? st : "");
		escape_markups(o, st ? st : "", 0);
		strbuf_addf(o, "</span></td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>"
			       "<td class=\"reason\">",
			    rj_int(r, "trials"), rj_int(r, "passed"), rj_int(r, "failed"),
			    rj_int(r, "skipped"));
		if (stop)
			strbuf_adds(o, "<b>the run stopped here:</b> ");
		escape_markups(o, rj_str(r, "reason") ? rj_str(r, "reason") : "", 0);
		strbuf_adds(o, "</td></tr>\n");
	}
	strbuf_adds(o, "</table>\n</section>\n");
}

#define TREND_W 560
#define TREND_H 140
#define TREND_PAD 28

/*
 * One figure over a soak's samples as a line: a polyline in an inline SVG
 * (class "trend"), its lowest and highest value on the axis. Values are
 * integers parsed from the agent's answer, so nothing here is guest text.
 */
static void trend(struct strbuf *o, const long long *v, size_t n, const char *label)
{
	long long lo = v[0], hi = v[0];
	double span, xs = n > 1 ? (double)(TREND_W - 2 * TREND_PAD) / (double)(n - 1) : 0;

	for (size_t i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	span = hi > lo ? (double)(hi - lo) : 1;
	strbuf_addf(o, "<svg class=\"trend\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		       "role=\"img\" aria-label=\"%s over %zu samples\">\n",
		    TREND_W, TREND_H, TREND_W, TREND_H, label, n);
	strbuf_addf(o, "<text x=\"%d\" y=\"14\">%s, KiB: %lld .. %lld</text>\n", TREND_PAD, label,
		    lo, hi);
	strbuf_adds(o, "<polyline points=\"");
	for (size_t i = 0; i < n; i++) {
		double y = hi > lo ? TREND_PAD + (double)(hi - v[i]) / span * (TREND_H - 2 * TREND_PAD)
				   : TREND_H / 2.0;

		strbuf_addf(o, "%s%.1f,%.1f", i ? " " : "", TREND_PAD + xs * (double)i, y);
	}
	strbuf_addf(o, "\"/>\n<text x=\"%d\" y=\"%d\">1</text><text x=\"%d\" y=\"%d\" "
		       "text-anchor=\"end\">%zu</text>\n</svg>\n",
		    TREND_PAD, TREND_H - 8, TREND_W - TREND_PAD, TREND_H - 8, n);
}

/* A soak's figures and, over its samples, MemAvailable as a line: a leak is a slope. */
static void soak(struct page *pg, const json_t *sc)
{
	const json_t *k = json_object_get(sc, "soak"), *b, *m;
	struct strbuf *o = pg->out;
	long long *avail = NULL, *slab = NULL;
	size_t n = 0, alloc = 0, ns = 0, alloc_s = 0, i, j;

	if (!json_is_object(k))
		return;
	strbuf_addf(o, "<div class=\"soak\"><h3>Soak: %lld of %lld %s%s", rj_int(k, "done"),
		    rj_int(k, "planned"), rj_str(k, "unit"),
		    rj_int(k, "planned") == 1 ? "" : !strcmp(rj_str(k, "unit"), "push") ? "es" : "s");
	strbuf_adds(o, " in ");
	add_duration(o, rj_num(k, "seconds"));
	if (rj_str(k, "stopped") && !strcmp(rj_str(k, "stopped"), "count")) {
		strbuf_adds(o, ", all done");
	} else if (rj_str(k, "stopped") && !strcmp(rj_str(k, "stopped"), "duration")) {
		strbuf_adds(o, ", stopped when its time was up");
	} else if (rj_str(k, "stopped")) {
		strbuf_adds(o, ", stopped: ");
		escape_markups(o, rj_str(k, "stopped"), 0);
	}
	strbuf_adds(o, "</h3>\n");
	json_array_foreach(json_object_get(sc, "boots"), i, b)
		json_array_foreach(json_object_get(b, "samples"), j, m) {
			if (json_is_integer(json_object_get(m, "mem_available_kib"))) {
				ALLOC_GROW(avail, n + 1, alloc);
				avail[n++] = rj_int(m, "mem_available_kib");
			}
			if (json_is_integer(json_object_get(m, "slab_kib"))) {
				ALLOC_GROW(slab, ns + 1, alloc_s);
				slab[ns++] = rj_int(m, "slab_kib");
			}
		}
	if (n) {
		strbuf_addf(o, "<p>MemAvailable %lld KiB after the first, %lld KiB after the last "
			       "(%+lld KiB over %zu samples)</p>\n",
			    avail[0], avail[n - 1], avail[n - 1] - avail[0], n);
		trend(o, avail, n, "MemAvailable");
	} else {
		strbuf_adds(o, "<p>The guest reported no memory figures.</p>\n");
	}
	if (ns > 1)
		trend(o, slab, ns, "Slab");
	strbuf_adds(o, "</div>\n");
	free(avail);
	free(slab);
}

/* The attempts lost with their host (--retry-infra), and where the trial ran at last. */
static void attempts(struct page *pg, const json_t *sc)
{
	const json_t *a = json_object_get(sc, "attempts"), *x;
	struct strbuf *o = pg->out;
	size_t i;

	if (!json_array_size(a))
		return;
	strbuf_adds(o, "<ul class=\"attempts\">\n");
	json_array_foreach(a, i, x) {
		strbuf_addf(o, "<li>attempt %zu lost with host <code class=\"host\">", i + 1);
		escape_markups(o, rj_str(x, "host"), 0);
		strbuf_adds(o, "</code>: ");
		escape_markups(o, rj_str(x, "reason"), 0);
		strbuf_adds(o, "</li>\n");
	}
	strbuf_adds(o, "</ul>\n");
}

static void scenario(struct page *pg, const json_t *sc, size_t si)
{
	const char *vc = scenario_class(sc);
	struct strbuf *o = pg->out;
	size_t nb = json_array_size(json_object_get(sc, "boots"));
	long long planned = rj_int(sc, "boots_planned");

	strbuf_addf(o, "<section class=\"card scenario\" id=\"s%zu\" data-verdict=\"%s\">\n"
		       "<div class=\"scenario-head\"><h2 class=\"scenario-name\">",
		    si, vc);
	escape_markups(o, rj_str(sc, "name"), 0);
	strbuf_addf(o, "</h2><span class=\"badge verdict %s\">%s</span></div>\n<p class=\"meta\">",
		    vc, strcmp(vc, "unfinished") ? vc : "not finished");
	if (rj_str(sc, "ring")) {
		strbuf_adds(o, "ring <code class=\"ring\">");
		escape_markups(o, rj_str(sc, "ring"), 0);
		strbuf_adds(o, "</code> · ");
	}
	strbuf_adds(o, "image <code>");
	escape_markups(o, rj_str(sc, "image"), 0);
	strbuf_adds(o, "</code> · sensor <code>");
	escape_markups(o, rj_str(sc, "sensor"), 0);
	strbuf_adds(o, "</code> · content <code>");
	escape_markups(o, rj_str(sc, "content") ? rj_str(sc, "content") : "(none)", 0);
	if (rj_str(sc, "expect")) {
		strbuf_adds(o, "</code> · expected <b>");
		escape_markups(o, rj_str(sc, "expect"), 0);
		strbuf_adds(o, "</b>");
	} else {
		strbuf_adds(o, "</code> · expectations per step");
	}
	strbuf_addf(o, " · %zu boot%s", nb, nb == 1 ? "" : "s");
	if ((long long)nb < planned &&
	    (!strcmp(vc, "unfinished") || !strcmp(vc, "infra") || !strcmp(vc, "skipped")))
		strbuf_addf(o, " of %lld planned", planned);
	strbuf_adds(o, " · ");
	add_duration(o, rj_num(sc, "duration_s"));
	strbuf_adds(o, "</p>\n");
	if (rj_str(sc, "skipped")) {
		strbuf_adds(o, "<p class=\"skip\"><b>Skipped</b>, never started: ");
		escape_markups(o, rj_str(sc, "skipped"), 0);
		strbuf_adds(o, "</p>\n");
	}
	attempts(pg, sc);
	if (nb)
		timeline(pg, sc, si);
	boot_table(pg, sc, si);
	recovery(pg, sc);
	soak(pg, sc);
	checks(pg, sc);
	problems(pg, sc, si);
	strbuf_adds(o, "</section>\n");
}

/* A bisect run's findings (results.json "bisect"): the guilty content and how it was found. */
static void bisect_section(struct page *pg)
{
	const json_t *bi = json_object_get(pg->root, "bisect"), *f, *v;
	struct strbuf *o = pg->out;
	size_t i;

	if (!json_is_object(bi))
		return;
	strbuf_adds(o, "<section class=\"card\" id=\"bisect\">\n<h2>Guilty content</h2>\n"
		       "<p class=\"meta\">scenario <code>");
	escape_markups(o, rj_str(bi, "scenario"), 0);
	strbuf_adds(o, "</code> · content <code>");
	escape_markups(o, rj_str(bi, "content"), 0);
	strbuf_adds(o, "</code> · <b>");
	escape_markups(o, rj_str(bi, "outcome"), 0);
	strbuf_adds(o, "</b></p>\n<p>signature <code>");
	escape_markups(o, rj_str(bi, "signature") ? rj_str(bi, "signature") : "(none)", 0);
	strbuf_addf(o, "</code>; p = %.2f, k = %lld</p>\n<ul>\n", rj_num(bi, "p"), rj_int(bi, "k"));
	json_array_foreach(json_object_get(bi, "minimal"), i, f) {
		const json_t *inst = json_object_get(f, "instances"), *n;
		size_t j;

		strbuf_adds(o, "<li><code>");
		escape_markups(o, rj_str(f, "as"), 0);
		strbuf_adds(o, "</code>");
		if (json_is_array(inst)) {
			strbuf_adds(o, ", instances");
			json_array_foreach(inst, j, n)
				strbuf_addf(o, "%s %lld", j ? "," : "", (long long)json_integer_value(n));
			strbuf_addf(o, " of %lld", rj_int(f, "of_instances"));
		}
		strbuf_adds(o, "</li>\n");
	}
	strbuf_addf(o, "</ul>\n<p>minimal set: %lld of %lld trials crash (full set: %lld of %lld) · "
		       "%lld ddmin rounds, %lld trials, ",
		    rj_int(json_object_get(bi, "minimal_rate"), "crashes"),
		    rj_int(json_object_get(bi, "minimal_rate"), "trials"),
		    rj_int(json_object_get(bi, "full"), "crashes"),
		    rj_int(json_object_get(bi, "full"), "trials"), rj_int(bi, "rounds"),
		    rj_int(bi, "trials"));
	add_duration(o, rj_num(bi, "wall_s"));
	strbuf_adds(o, "</p>\n");
	json_array_foreach(json_object_get(bi, "versions"), i, v) {
		strbuf_adds(o, i ? ", <code>" : "<p>previous versions: <code>");
		escape_markups(o, rj_str(v, "content"), 0);
		strbuf_adds(o, "</code> ");
		escape_markups(o, rj_str(v, "verdict"), 0);
	}
	if (json_array_size(json_object_get(bi, "versions"))) {
		strbuf_adds(o, "; last good <code>");
		escape_markups(o, rj_str(bi, "last_good") ? rj_str(bi, "last_good") : "(none)", 0);
		strbuf_adds(o, "</code></p>\n");
	}
	strbuf_adds(o, "</section>\n");
}

void report_html(const json_t *root, const struct report_context *ctx, struct strbuf *o)
{
	const json_t *scenarios = json_object_get(root, "scenarios"), *sc;
	struct page pg = {.root = root, .ctx = ctx, .out = o};
	double longest = 0;
	size_t i;

	collect_sigs(&pg);
	/* One scale for every timeline, so bars compare across scenarios. */
	json_array_foreach(scenarios, i, sc) {
		const json_t *b;
		double total = 0;
		size_t j;

		json_array_foreach(json_object_get(sc, "boots"), j, b)
			total += rj_num(b, "duration_s");
		if (total > longest)
			longest = total;
	}
	pg.px_per_s = TIMELINE_PX / (longest > 1 ? longest : 1);

	strbuf_adds(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		       "img-src 'self' data:; style-src 'unsafe-inline'\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<title>bootproof run ");
	escape_markups(o, rj_str(root, "run_id"), 0);
	strbuf_addf(o, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<h1>bootproof run "
		       "<code id=\"run-id\">",
		    css);
	escape_markups(o, rj_str(root, "run_id"), 0);
	strbuf_adds(o, "</code></h1>\n<p class=\"sub\">suite <code>");
	escape_markups(o, rj_str(root, "suite"), 0);
	strbuf_adds(o, "</code> · started ");
	escape_markups(o, rj_str(root, "started"), 0);
	strbuf_adds(o, " · <a href=\"results.json\">results.json</a> · "
		       "<a href=\"junit.xml\">junit.xml</a> · <a href=\"results.tap\">results.tap</a>"
		       " · <a id=\"trend-link\" href=\"../trend.html\">trend of every run</a></p>\n");
	if (!rj_true(root, "complete")) {
		strbuf_adds(o, "<p class=\"banner\" id=\"incomplete\"><b>Incomplete run</b>");
		if (rj_str(root, "incomplete_reason")) {
			strbuf_adds(o, ": ");
			escape_markups(o, rj_str(root, "incomplete_reason"), 0);
		}
		strbuf_adds(o, ". Scenarios not finished have no verdict.</p>\n");
	}
	summary(&pg);
	repro(&pg);
	rings(&pg);
	signatures(&pg);
	bisect_section(&pg);
	legend(o);
	json_array_foreach(scenarios, i, sc)
		scenario(&pg, sc, i);
	strbuf_adds(o, "</main>\n</body>\n</html>\n");
	for (i = 0; i < pg.nr_sigs; i++) {
		free(pg.sigs[i].title);
		strbuf_release(&pg.sigs[i].where);
	}
	free(pg.sigs);
}

/* ---- rendering a run directory ----------------------------------------- */

static int write_out(const char *run_dir, const char *name, const struct strbuf *sb,
		     struct bp_error *err)
{
	char *path = xasprintf("%s/%s", run_dir, name);
	int ret = write_file_atomic(path, sb->buf, sb->len, err);

	free(path);
	return ret;
}

int report_render_ctx(const char *run_dir, const struct report_context *ctx, unsigned formats,
		      struct bp_error *err)
{
	struct report_context c = ctx ? *ctx : (struct report_context){0};
	struct strbuf sb = STRBUF_INIT;
	json_t *root;
	int ret = -1;

	if (report_load(run_dir, &root, err) < 0)
		return -1;
	c.run_dir = run_dir;
	if (formats & REPORT_JUNIT) {
		report_junit(root, run_dir, &sb);
		if (write_out(run_dir, "junit.xml", &sb, err) < 0)
			goto out;
	}
	if (formats & REPORT_HTML) {
		strbuf_reset(&sb);
		report_html(root, &c, &sb);
		if (write_out(run_dir, "index.html", &sb, err) < 0)
			goto out;
	}
	if (formats & REPORT_TAP_IF_MISSING) {
		char *tap = xasprintf("%s/results.tap", run_dir);

		if (access(tap, F_OK) < 0 && errno == ENOENT)
			formats |= REPORT_TAP;
		free(tap);
	}
	if (formats & REPORT_TAP) {
		strbuf_reset(&sb);
		report_tap(root, &sb);
		if (write_out(run_dir, "results.tap", &sb, err) < 0)
			goto out;
	}
	ret = 0;
out:
	strbuf_release(&sb);
	json_decref(root);
	return ret;
}

int report_render(const char *run_dir, struct bp_error *err)
{
	return report_render_ctx(run_dir, NULL, REPORT_HTML | REPORT_JUNIT | REPORT_TAP_IF_MISSING,
				 err);
}
