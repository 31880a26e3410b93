/*
 * screen - still and drawn screens from PNG screendumps (see screen.h).
 */
#include "screen.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

int screen_load(const char *path, struct screen *ret, struct bp_error *err)
{
	png_image img;

	memset(ret, 0, sizeof(*ret));
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path))
		return error_set(err, "cannot read screen '%s': %s", path, img.message);
	if (!img.width || !img.height || (uint64_t)img.width * img.height > SCREEN_MAX_PIXELS) {
		png_image_free(&img);
		return error_set(err, "screen '%s' is %ux%u: not a screendump", path, img.width,
				 img.height);
	}
	img.format = PNG_FORMAT_RGB;
	ret->rgb = xmalloc(PNG_IMAGE_SIZE(img));
	if (!png_image_finish_read(&img, NULL, ret->rgb, 0, NULL)) {
		error_set(err, "cannot decode screen '%s': %s", path, img.message);
		png_image_free(&img);
		screen_release(ret);
		return -1;
	}
	ret->width = img.width;
	ret->height = img.height;
	return 0;
}

void screen_release(struct screen *s)
{
	free(s->rgb);
	memset(s, 0, sizeof(*s));
}

static uint64_t pixels(const struct screen *s)
{
	return (uint64_t)s->width * s->height;
}

unsigned screen_diff_ppm(const struct screen *a, const struct screen *b)
{
	uint64_t n = pixels(a), diff = 0;

	if (!n || a->width != b->width || a->height != b->height)
		return 1000000;
	for (uint64_t i = 0; i < n; i++)
		diff += memcmp(a->rgb + 3 * i, b->rgb + 3 * i, 3) != 0;
	return (unsigned)(diff * 1000000 / n);
}

static int color_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

unsigned screen_flat_ppm(const struct screen *s)
{
	uint64_t n = pixels(s), best = 0, run = 0;
	uint32_t *c;

	if (!n)
		return 1000000;
	c = xcalloc(n, sizeof(*c));
	for (uint64_t i = 0; i < n; i++)
		c[i] = (uint32_t)s->rgb[3 * i] << 16 | (uint32_t)s->rgb[3 * i + 1] << 8 |
		       s->rgb[3 * i + 2];
	qsort(c, n, sizeof(*c), color_cmp);
	for (uint64_t i = 0; i < n; i++) {
		run = i && c[i] == c[i - 1] ? run + 1 : 1;
		if (run > best)
			best = run;
	}
	free(c);
	return (unsigned)(best * 1000000 / n);
}

int screen_still(const char *png_a, const char *png_b, const char **why, struct bp_error *err)
{
	struct screen a, b;
	int ret = -1;

	*why = NULL;
	if (screen_load(png_a, &a, err) < 0)
		return -1;
	if (screen_load(png_b, &b, err) < 0)
		goto out;
	if (screen_diff_ppm(&a, &b) > SCREEN_STILL_PPM)
		*why = "the screen changed";
	else if (screen_flat_ppm(&b) >= SCREEN_FLAT_PPM)
		*why = "the screen is blank";
	ret = *why ? 0 : 1;
out:
	screen_release(&a);
	screen_release(&b);
	return ret;
}
