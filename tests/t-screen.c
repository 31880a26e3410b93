/*
 * t-screen - the screen comparison behind the recovery verdict
 * (harness/engine/screen.h): PNG screendumps written by the test with
 * libpng (RGB, as QEMU's screendump writes them, and palette and grey ones)
 * are compared: the same drawn screen twice is still; a line of text more,
 * a mode change or a blank screen is not; a cursor's few pixels do not
 * count; a file that is not a PNG is an error.
 */
#define _GNU_SOURCE
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "screen.h"
#include "tap.h"

static char dir[] = "/tmp/t-screen.XXXXXX";

/* A 640x480 "recovery screen": a background, a title bar, lines of "text". */
static uint8_t *draw(unsigned w, unsigned h, int lines, int cursor)
{
	uint8_t *p = malloc((size_t)w * h * 3);

	for (unsigned i = 0; i < w * h; i++) {
		p[3 * i] = 0x00;
		p[3 * i + 1] = 0x78;
		p[3 * i + 2] =
		    0xd7; /* Windows 10's blue, the recovery screens' as the stop screen's */
	}
	for (int l = 0; l < lines; l++)
		for (unsigned y = 40 + 30 * (unsigned)l; y < 52 + 30 * (unsigned)l && y < h; y++)
			for (unsigned x = 40; x < 400 && x < w; x += (x % 7) ? 1 : 3)
				memset(p + 3 * ((size_t)y * w + x), 0xff, 3);
	if (cursor)
		for (unsigned y = 300; y < 316; y++)
			for (unsigned x = 40; x < 48; x++)
				memset(p + 3 * ((size_t)y * w + x), 0xff, 3);
	return p;
}

static char *png(const char *name, unsigned w, unsigned h, const uint8_t *rgb, unsigned format)
{
	png_image img;
	char *path;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = w;
	img.height = h;
	img.format = format;
	if (asprintf(&path, "%s/%s", dir, name) < 0 ||
	    !png_image_write_to_file(&img, path, 0, rgb, 0, NULL)) {
		printf("Bail out! cannot write %s\n", name);
		exit(1);
	}
	return path;
}

static int still(const char *a, const char *b, const char **why)
{
	struct bp_error err = {0};

	return screen_still(a, b, why, &err);
}

int main(void)
{
	struct bp_error err = {0};
	struct screen s = {0}, t = {0};
	const char *why;
	uint8_t *base, *more, *cur, *black, grey[64 * 48];
	char *a, *b, *c, *d, *k1, *k2, *small, *g, *junk;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	base = draw(640, 480, 5, 0);
	more = draw(640, 480, 6, 0);
	cur = draw(640, 480, 5, 1);
	black = calloc(640 * 480, 3);
	a = png("a.png", 640, 480, base, PNG_FORMAT_RGB);
	b = png("b.png", 640, 480, base, PNG_FORMAT_RGB);
	c = png("c.png", 640, 480, more, PNG_FORMAT_RGB);
	d = png("d.png", 640, 480, cur, PNG_FORMAT_RGB);
	k1 = png("k1.png", 640, 480, black, PNG_FORMAT_RGB);
	k2 = png("k2.png", 640, 480, black, PNG_FORMAT_RGB);
	small = png("small.png", 320, 240, base, PNG_FORMAT_RGB);

	tap_is_int(screen_load(a, &s, &err), 0, "a PNG screendump loads");
	tap_ok(s.width == 640 && s.height == 480, "  640x480");
	tap_ok(s.rgb && s.rgb[0] == 0x00 && s.rgb[1] == 0x78 && s.rgb[2] == 0xd7,
	       "  its first pixel as drawn (RGB)");
	tap_is_int(screen_load(b, &t, &err), 0, "the same screen again");
	tap_is_int(screen_diff_ppm(&s, &t), 0, "identical screens differ in 0 ppm");
	tap_ok(screen_flat_ppm(&s) > 900000 && screen_flat_ppm(&s) < SCREEN_FLAT_PPM,
	       "a drawn screen: mostly background, not flat");
	screen_release(&t);
	tap_is_int(screen_load(c, &t, &err), 0, "a screen with one more line");
	tap_ok(screen_diff_ppm(&s, &t) > SCREEN_STILL_PPM,
	       "  differs by more than the still bound");
	screen_release(&t);
	screen_release(&s);
	screen_release(&s); /* twice: a released screen is a zeroed one */

	tap_is_int(still(a, b, &why), 1, "the same drawn screen twice: still");
	tap_ok(why == NULL, "  no reason given");
	tap_is_int(still(a, c, &why), 0, "a line more: not still");
	tap_is_str(why, "the screen changed", "  the screen changed");
	tap_is_int(still(a, d, &why), 1, "a cursor's few pixels do not count: still");
	tap_is_int(still(k1, k2, &why), 0, "a black screen twice: not a recovery screen");
	tap_is_str(why, "the screen is blank", "  the screen is blank");
	tap_is_int(still(a, small, &why), 0, "a mode change (another size): not still");
	tap_is_str(why, "the screen changed", "  the screen changed");

	/* Grey and palette PNGs load as RGB too. */
	for (size_t i = 0; i < sizeof(grey); i++)
		grey[i] = (uint8_t)(i % 5 ? 0x20 : 0xe0);
	g = png("grey.png", 64, 48, grey, PNG_FORMAT_GRAY);
	tap_is_int(screen_load(g, &s, &err), 0, "a greyscale PNG loads");
	tap_ok(s.rgb && s.rgb[0] == 0xe0 && s.rgb[1] == 0xe0 && s.rgb[3] == 0x20,
	       "  as RGB, each grey in all three");
	tap_is_int(screen_flat_ppm(&s), 2457LL * 1000000 / 3072,
		   "  its flat share: 2457 of 3072 pixels are one grey");
	screen_release(&s);

	if (asprintf(&junk, "%s/junk.png", dir) < 0)
		return 1;
	f = fopen(junk, "w");
	fputs("this is not a PNG, a guest could have made it", f);
	fclose(f);
	tap_is_int(screen_load(junk, &s, &err), -1, "a file that is not a PNG: an error");
	tap_like(err.msg, "cannot read screen", "  which says so");
	tap_ok(s.rgb == NULL, "  and leaves no pixels");
	tap_is_int(still(a, junk, &why), -1, "screen_still on it: an error, not a verdict");
	tap_is_int(screen_load("/nonexistent/x.png", &s, &err), -1, "a missing file: an error");

	for (char **p = (char *[]){a, b, c, d, k1, k2, small, g, junk, NULL}; *p; p++) {
		unlink(*p);
		free(*p);
	}
	rmdir(dir);
	free(base);
	free(more);
	free(cur);
	free(black);
	return tap_done();
}
