/*
 * progress - live status on a terminal: one line per running VM (scenario,
 * boot k of N, state, elapsed) and an overall ETA, redrawn in place on
 * stderr (scenario names through escape_term()). Without a terminal (CI) it draws nothing, so only the TAP stream is
 * printed. Callers clear the block before printing anything else and redraw
 * after; progress_draw() rate-limits itself.
 */
#ifndef BP_PROGRESS_H
#define BP_PROGRESS_H

#include <stdint.h>

struct progress_line {
	const char *scenario;
	int boot, boots;
	const char *state;
	double elapsed_s;
};

struct progress {
	int enabled;
	int drawn;          /* lines currently on screen */
	int64_t last_draw_ms;
};

void progress_init(struct progress *p, int fd);
void progress_clear(struct progress *p);
/* done/total: boots finished and planned; eta_s < 0 when unknown. */
void progress_draw(struct progress *p, const struct progress_line *lines, int nr, int done,
		   int total, double eta_s);

#endif
