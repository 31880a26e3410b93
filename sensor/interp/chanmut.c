/*
 * chanmut - structure-aware channel-file mutations (see chanmut.h). The
 * mutations are the ways content goes wrong: a wildcard becomes a real
 * criterion (July 19), an instance uses one more field, the field count or
 * instance count disagrees with what follows, a length lies.
 */
#include "chanmut.h"

#include <stdlib.h>
#include <string.h>

/* Mutants stay small: the interpreter's cost is per instance and field. */
#define MAX_ROWS 64
#define MAX_FIELDS 64
#define MAX_STR 64
#define HEADER 20

void chanmut_rng_seed(struct chanmut_rng *r, uint64_t seed)
{
	r->s = seed * 0x9E3779B97F4A7C15ull + 1;
	if (!r->s)
		r->s = 1;
}

uint32_t chanmut_rng_below(struct chanmut_rng *r, uint32_t n)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return n ? (uint32_t)(r->s % n) : 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static struct chanmut_crit *cell(const struct chanmut_file *f, uint32_t i, uint32_t j)
{
	return &f->crit[(size_t)i * f->nfields + j];
}

/* c takes a copy of s[0..n) as its string, honestly sized. */
static void crit_set(struct chanmut_crit *c, uint8_t kind, const void *s, size_t n)
{
	uint8_t *copy = n ? malloc(n) : NULL;

	if (n && !copy)
		n = 0;
	if (n)
		memcpy(copy, s, n);
	free(c->str);
	c->kind = kind;
	c->str = copy;
	c->slen = n;
	c->len = (uint16_t)n;
}

void chanmut_release(struct chanmut_file *f)
{
	for (size_t k = 0; f->crit && k < (size_t)f->ninstances * f->nfields; k++)
		free(f->crit[k].str);
	free(f->crit);
	memset(f, 0, sizeof(*f));
}

int chanmut_read(struct chanmut_file *f, const uint8_t *buf, size_t len)
{
	size_t off = HEADER, total;

	memset(f, 0, sizeof(*f));
	if (len < HEADER)
		return -1;
	memcpy(f->magic, buf, 4);
	f->version = get16(buf + 4);
	f->type = get16(buf + 6);
	f->number = get32(buf + 8);
	f->nfields = get16(buf + 12);
	f->reserved = get16(buf + 14);
	f->declared = get32(buf + 16);
	if (f->nfields > MAX_FIELDS || f->declared > MAX_ROWS ||
	    (size_t)f->declared * f->nfields * 3 > len - HEADER)
		return -1;
	f->ninstances = f->declared;
	total = (size_t)f->ninstances * f->nfields;
	f->crit = calloc(total ? total : 1, sizeof(*f->crit));
	if (!f->crit)
		return -1;
	for (size_t k = 0; k < total; k++) {
		struct chanmut_crit *c = &f->crit[k];

		if (len - off < 3 || get16(buf + off + 1) > len - off - 3)
			goto bad;
		c->kind = buf[off];
		c->len = get16(buf + off + 1);
		off += 3;
		crit_set(c, c->kind, buf + off, c->len);
		off += c->len;
	}
	if (off != len)
		goto bad;
	return 0;
bad:
	chanmut_release(f);
	return -1;
}

size_t chanmut_write(const struct chanmut_file *f, uint8_t *out, size_t max)
{
	size_t off = HEADER, total = (size_t)f->ninstances * f->nfields;

	if (max < HEADER)
		return 0;
	memcpy(out, f->magic, 4);
	put16(out + 4, f->version);
	put16(out + 6, f->type);
	put32(out + 8, f->number);
	put16(out + 12, f->nfields);
	put16(out + 14, f->reserved);
	put32(out + 16, f->declared);
	for (size_t k = 0; k < total; k++) {
		const struct chanmut_crit *c = &f->crit[k];

		if (max - off < 3 + c->slen)
			return 0;
		out[off] = c->kind;
		put16(out + off + 1, c->len);
		if (c->slen)
			memcpy(out + off + 3, c->str, c->slen);
		off += 3 + c->slen;
	}
	return off;
}

/* Rebuild f as rows x cols, copying the overlap and dropping the rest. */
static void reshape(struct chanmut_file *f, uint32_t rows, uint32_t cols)
{
	struct chanmut_crit *n = calloc(rows && cols ? (size_t)rows * cols : 1, sizeof(*n));

	if (!n)
		return;
	for (uint32_t i = 0; i < f->ninstances; i++)
		for (uint32_t j = 0; j < f->nfields; j++) {
			struct chanmut_crit *c = cell(f, i, j);

			if (i < rows && j < cols) {
				n[(size_t)i * cols + j] = *c;
				c->str = NULL;
			}
			free(c->str);
		}
	free(f->crit);
	f->crit = n;
	f->ninstances = rows;
	f->nfields = (uint16_t)cols;
}

static void random_string(struct chanmut_crit *c, struct chanmut_rng *r, const char *const *dict,
			  const struct chanmut_file *f, chanmut_bytes_fn bytes)
{
	uint8_t kind = (uint8_t)(1 + chanmut_rng_below(r, 2)); /* equals or prefix */
	size_t nd = 0, total = (size_t)f->ninstances * f->nfields;
	uint8_t buf[MAX_STR];
	size_t n;

	while (dict && dict[nd])
		nd++;
	switch (chanmut_rng_below(r, 3)) {
	case 0: /* a value the event really has: a match, or a near one */
		if (nd) {
			const char *s = dict[chanmut_rng_below(r, (uint32_t)nd)];

			n = strlen(s);
			crit_set(c, kind, s, n < MAX_STR ? n : MAX_STR);
			return;
		}
		/* fall through */
	case 1: { /* another criterion's string */
		const struct chanmut_crit *o =
		    total ? &f->crit[chanmut_rng_below(r, (uint32_t)total)] : c;

		n = o->slen < MAX_STR ? o->slen : MAX_STR;
		memcpy(buf, o->str ? o->str : buf, n);
		break;
	}
	default: /* this one's, changed by bytes */
		n = c->slen < MAX_STR ? c->slen : MAX_STR;
		if (c->str)
			memcpy(buf, c->str, n);
		if (bytes)
			n = bytes(buf, n, MAX_STR);
		break;
	}
	crit_set(c, kind, buf, n);
}

/* Field j of row i becomes a real criterion or a wildcard. */
static void flip(struct chanmut_file *f, uint32_t i, uint32_t j, struct chanmut_rng *r,
		 const char *const *dict, chanmut_bytes_fn bytes)
{
	struct chanmut_crit *c = cell(f, i, j);

	if (c->kind)
		crit_set(c, 0, NULL, 0);
	else
		random_string(c, r, dict, f, bytes);
}

/* Row i uses one more field: the first wildcard after its last real criterion. */
static void widen(struct chanmut_file *f, uint32_t i, struct chanmut_rng *r,
		  const char *const *dict, chanmut_bytes_fn bytes)
{
	uint32_t j = f->nfields;

	while (j > 0 && !cell(f, i, j - 1)->kind)
		j--;
	if (j < f->nfields)
		random_string(cell(f, i, j), r, dict, f, bytes);
}

/* Instance rows: copy row `from` over a new row at the end, or drop row i. */
static void add_row(struct chanmut_file *f, int64_t from)
{
	uint32_t i = f->ninstances;

	if (i >= MAX_ROWS)
		return;
	reshape(f, i + 1, f->nfields);
	if (f->ninstances != i + 1)
		return;
	for (uint32_t j = 0; from >= 0 && j < f->nfields; j++) {
		const struct chanmut_crit *o = cell(f, (uint32_t)from, j);

		crit_set(cell(f, i, j), o->kind, o->str, o->slen);
		cell(f, i, j)->len = o->len;
	}
	f->declared++;
}

static void drop_row(struct chanmut_file *f, uint32_t i)
{
	for (uint32_t j = 0; j < f->nfields; j++) {
		struct chanmut_crit t = *cell(f, i, j);

		*cell(f, i, j) = *cell(f, f->ninstances - 1, j);
		*cell(f, f->ninstances - 1, j) = t;
	}
	reshape(f, f->ninstances - 1, f->nfields);
	f->declared--;
}

/* A header or length that lies: the parser's content errors. */
static void lie(struct chanmut_file *f, struct chanmut_rng *r)
{
	size_t total = (size_t)f->ninstances * f->nfields;
	int d = chanmut_rng_below(r, 2) ? 1 : -1;

	switch (chanmut_rng_below(r, 5)) {
	case 0:
		f->declared = f->declared == f->ninstances ? f->declared + d : f->ninstances;
		break;
	case 1:
		if (total) {
			struct chanmut_crit *c = &f->crit[chanmut_rng_below(r, (uint32_t)total)];

			c->len = c->len == c->slen ? (uint16_t)(c->len + d) : (uint16_t)c->slen;
		}
		break;
	case 2:
		f->version = (uint16_t)(f->version + d);
		break;
	case 3:
		f->type = (uint16_t)(f->type + d);
		break;
	default:
		f->reserved = f->reserved ? 0 : (uint16_t)(1 + chanmut_rng_below(r, 0xffff));
		break;
	}
}

static void mutate_one(struct chanmut_file *f, struct chanmut_rng *r, const char *const *dict,
		       chanmut_bytes_fn bytes)
{
	uint32_t rows = f->ninstances, cols = f->nfields;
	uint32_t i = chanmut_rng_below(r, rows), j = chanmut_rng_below(r, cols);
	uint32_t op = chanmut_rng_below(r, 15);

	if ((!rows || !cols) && op < 8)
		op = 8; /* nothing to change inside: add an instance */
	if (op < 4)
		flip(f, i, j, r, dict, bytes);
	else if (op < 6)
		widen(f, i, r, dict, bytes);
	else if (op < 8)
		random_string(cell(f, i, j), r, dict, f, bytes);
	else if (op < 10)
		add_row(f, rows && chanmut_rng_below(r, 2) ? (int64_t)i : -1);
	else if (op < 11 && rows)
		drop_row(f, i);
	else if (op < 13 && cols < MAX_FIELDS) /* the field count: one more, or one fewer */
		reshape(f, rows, chanmut_rng_below(r, 2) || !cols ? cols + 1 : cols - 1);
	else
		lie(f, r);
}

void chanmut_mutate(struct chanmut_file *f, struct chanmut_rng *r, const char *const *dict,
		    chanmut_bytes_fn bytes)
{
	uint32_t n = 1 + chanmut_rng_below(r, 4);

	while (n--)
		mutate_one(f, r, dict, bytes);
}

int chanmut_cross(struct chanmut_file *out, const struct chanmut_file *a,
		  const struct chanmut_file *b, struct chanmut_rng *r)
{
	uint32_t k = chanmut_rng_below(r, a->ninstances + 1),
		 m = chanmut_rng_below(r, b->ninstances + 1);
	uint32_t rows = k + (b->ninstances - m);

	memset(out, 0, sizeof(*out));
	if (a->nfields != b->nfields)
		return -1;
	if (rows > MAX_ROWS)
		rows = MAX_ROWS;
	*out = *a;
	out->crit = calloc(rows && a->nfields ? (size_t)rows * a->nfields : 1, sizeof(*out->crit));
	if (!out->crit) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->ninstances = rows;
	out->declared = rows;
	for (uint32_t i = 0; i < rows; i++)
		for (uint32_t j = 0; j < a->nfields; j++) {
			const struct chanmut_crit *o =
			    i < k ? cell(a, i, j) : cell(b, m + i - k, j);

			crit_set(cell(out, i, j), o->kind, o->str, o->slen);
			cell(out, i, j)->len = o->len;
		}
	return 0;
}
