/*
 * screen - what a guest's screen shows, from the screendumps the host takes
 * (QMP screendump, PNG): whether it stopped changing and whether anything
 * is drawn on it. The recovery verdict (boot.h) rests on these: a guest
 * sitting at Windows' Automatic Repair or WinRE screen shows a still,
 * drawn picture and prints nothing more.
 *
 * screen_load() reads a PNG of any bit depth and colour type as 8-bit RGB
 * (libpng's simplified API); it refuses a picture over SCREEN_MAX_PIXELS
 * (a screendump is a few megapixels; a larger file is not one). The
 * comparisons are pure functions over loaded screens.
 *
 * Library rules: no printing, errors through struct bp_error.
 */
#ifndef BP_SCREEN_H
#define BP_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SCREEN_MAX_PIXELS (16u * 1024 * 1024)

struct screen {
	unsigned width, height;
	uint8_t *rgb; /* width * height * 3 bytes */
};

/* Load a PNG. -1 with err: unreadable, not a PNG, or too large. */
int screen_load(const char *png, struct screen *ret, struct bp_error *err);
/* Free the pixels; accepts a zeroed or released screen. */
void screen_release(struct screen *s);

/*
 * Pixels that differ between a and b, in parts per million of a's; 1000000
 * when the sizes differ (the mode changed: the screen is not still).
 */
unsigned screen_diff_ppm(const struct screen *a, const struct screen *b);
/* The share of the most common colour, parts per million (1000000: one flat colour). */
unsigned screen_flat_ppm(const struct screen *s);

/*
 * The verdict on two screendumps of one guest taken apart in time: 1 the
 * screen is still (at most SCREEN_STILL_PPM of it changed: a blinking
 * cursor) and drawn (its most common colour is below SCREEN_FLAT_PPM: text
 * or a picture on a background, not a blank or a one-colour fill), else 0
 * with why ("the screen changed", "the screen is blank"). -1 with err if
 * one cannot be read.
 */
#define SCREEN_STILL_PPM 2000  /* 0.2 % */
#define SCREEN_FLAT_PPM 999000 /* 99.9 % */
int screen_still(const char *png_a, const char *png_b, const char **why, struct bp_error *err);

#endif
