/*
 * progress - the live terminal status block (see progress.h).
 */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "util.h"

#define REDRAW_MS 200

void progress_init(struct progress *p, int fd)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->enabled = isatty(fd) && !getenv("CI") && !(term && !strcmp(term, "dumb"));
}

void progress_clear(struct progress *p)
{
	if (!p->enabled || !p->drawn)
		return;
	/* Up to the block's first line and clear to the end of the screen. */
	fprintf(stderr, "\r\033[%dA\033[J", p->drawn);
	fflush(stderr);
	p->drawn = 0;
}

void progress_draw(struct progress *p, const struct progress_line *lines, int nr, int done,
		   int total, double eta_s)
{
	int64_t now = now_ms();

	if (!p->enabled || now - p->last_draw_ms < REDRAW_MS)
		return;
	progress_clear(p);
	p->last_draw_ms = now;
	for (int i = 0; i < nr; i++) {
		struct strbuf name = STRBUF_INIT;

		escape_term(&name, lines[i].scenario);
		fprintf(stderr, "  %-32.32s boot %d/%d  %-10s %6.1fs\033[K\n", name.buf,
			lines[i].boot, lines[i].boots, lines[i].state, lines[i].elapsed_s);
		strbuf_release(&name);
	}
	if (eta_s >= 0)
		fprintf(stderr, "  %d/%d boots done, about %.0fs left\033[K\n", done, total, eta_s);
	else
		fprintf(stderr, "  %d/%d boots done\033[K\n", done, total);
	fflush(stderr);
	p->drawn = nr + 1;
}
