// SPDX-License-Identifier: GPL-2.0
/*
 * interp - the portable content interpreter (see interp.h): the channel-file
 * parser and the evaluator, shared by the Linux module, the userspace
 * library and the Windows driver. Integers are decoded byte by byte
 * (little-endian on the wire whatever the host), so no byte-order helpers
 * are needed; memory and messages go through the caller's interp_ops.
 */
#include "interp.h"
#include "interp-version.h"

static const struct interp_template interp_templates[] = {
	{ INTERP_TEMPLATE_IPC, "ipc", INTERP_IPC_FIELDS },
};

/* ---- parsing: every read is bounds-checked ---- */

struct interp_reader {
	const uint8_t *p;
	size_t left;
	size_t off; /* for error messages */
};

static bool interp_read(struct interp_reader *r, size_t n, const uint8_t **at)
{
	if (r->left < n)
		return false;
	*at = r->p;
	r->p += n;
	r->left -= n;
	r->off += n;
	return true;
}

static bool interp_read_u8(struct interp_reader *r, uint8_t *v)
{
	const uint8_t *b;

	if (!interp_read(r, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool interp_read_u16(struct interp_reader *r, uint16_t *v)
{
	const uint8_t *b;

	if (!interp_read(r, 2, &b))
		return false;
	*v = (uint16_t)(b[0] | b[1] << 8);
	return true;
}

static bool interp_read_u32(struct interp_reader *r, uint32_t *v)
{
	const uint8_t *b;

	if (!interp_read(r, 4, &b))
		return false;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return true;
}

const struct interp_template *interp_template_find(uint16_t id)
{
	size_t i;

	for (i = 0; i < sizeof(interp_templates) / sizeof(interp_templates[0]); i++)
		if (interp_templates[i].id == id)
			return &interp_templates[i];
	return NULL;
}

/* The header: INTERP_EINVAL after one content error, else 0 with ch's header set. */
static int interp_parse_header(struct interp_channel *ch, struct interp_reader *r,
			       const struct interp_ops *ops)
{
	const char *name = ch->name;
	const uint8_t *magic;
	uint16_t version = 0, type = 0, nfields = 0, reserved = 0;

	if (r->left < INTERP_HEADER_SIZE) {
		ops->error(ops->ctx, name, "truncated header (%zu of %u bytes)", r->left,
			   (unsigned int)INTERP_HEADER_SIZE);
		return INTERP_EINVAL;
	}
	interp_read(r, 4, &magic);
	if (memcmp(magic, INTERP_MAGIC, 4)) {
		ops->error(ops->ctx, name, "bad magic %02x%02x%02x%02x", magic[0], magic[1],
			   magic[2], magic[3]);
		return INTERP_EINVAL;
	}
	interp_read_u16(r, &version);
	interp_read_u16(r, &type);
	interp_read_u32(r, &ch->number);
	interp_read_u16(r, &nfields);
	interp_read_u16(r, &reserved);
	interp_read_u32(r, &ch->ninstances);
	if (version != INTERP_FORMAT_VERSION) {
		ops->error(ops->ctx, name, "unsupported format version %u", version);
		return INTERP_EINVAL;
	}
	ch->tmpl = interp_template_find(type);
	if (!ch->tmpl) {
		ops->error(ops->ctx, name, "unknown template type %u", type);
		return INTERP_EINVAL;
	}
	/* The content must agree with the template type the sensor declares. */
	if (nfields != ch->tmpl->nfields) {
		ops->error(ops->ctx, name, "template %s declares %u fields, file has %u",
			   ch->tmpl->name, ch->tmpl->nfields, nfields);
		return INTERP_EINVAL;
	}
	if (reserved) {
		ops->error(ops->ctx, name, "reserved header field is %u, not 0", reserved);
		return INTERP_EINVAL;
	}
	/* Each field takes at least 3 bytes: refuse counts the file cannot hold. */
	if (ch->ninstances > INTERP_MAX_INSTANCES ||
	    (size_t)ch->ninstances * nfields * 3 > r->left) {
		ops->error(ops->ctx, name, "instance count %u does not fit in %zu bytes",
			   ch->ninstances, r->left);
		return INTERP_EINVAL;
	}
	return 0;
}

/* Criterion f of instance i (0-based) into c: INTERP_EINVAL after one content error, else 0. */
static int interp_parse_criterion(struct interp_criterion *c, const char *name,
				  struct interp_reader *r, uint32_t i, uint32_t f,
				  const struct interp_ops *ops)
{
	size_t at = r->off;

	if (!interp_read_u8(r, &c->kind) || !interp_read_u16(r, &c->len)) {
		ops->error(ops->ctx, name, "instance %u field %u: truncated at offset %zu", i + 1,
			   f + 1, at);
		return INTERP_EINVAL;
	}
	if (c->kind > INTERP_KIND_PREFIX) {
		ops->error(ops->ctx, name, "instance %u field %u: unknown kind %u", i + 1, f + 1,
			   c->kind);
		return INTERP_EINVAL;
	}
	if (c->kind == INTERP_KIND_WILDCARD && c->len) {
		ops->error(ops->ctx, name, "instance %u field %u: wildcard with length %u", i + 1,
			   f + 1, c->len);
		return INTERP_EINVAL;
	}
	if (c->len > INTERP_MAX_CRITERION || c->len > r->left) {
		ops->error(ops->ctx, name,
			   "instance %u field %u: length %u past end of file (offset %zu, %zu bytes left)",
			   i + 1, f + 1, c->len, r->off, r->left);
		return INTERP_EINVAL;
	}
	interp_read(r, c->len, &c->str);
	return 0;
}

int interp_parse(struct interp_channel *ch, const char *name, const uint8_t *buf, size_t len,
		 const struct interp_ops *ops)
{
	struct interp_reader r = { buf, len, 0 };
	uint32_t i, f, nfields, total;
	int err;

	memset(ch, 0, sizeof(*ch));
	ch->name = name;
	err = interp_parse_header(ch, &r, ops);
	if (err)
		return err;

	nfields = ch->tmpl->nfields;
	total = ch->ninstances * nfields;
	ch->crit = ops->alloc(total ? total : 1, sizeof(*ch->crit));
	if (!ch->crit)
		return INTERP_ENOMEM;
	for (i = 0; i < ch->ninstances; i++) {
		for (f = 0; f < nfields; f++) {
			err = interp_parse_criterion(&ch->crit[i * nfields + f], name, &r, i, f,
						     ops);
			if (err)
				goto bad;
		}
	}
	if (r.left) {
		ops->error(ops->ctx, name, "%zu trailing bytes after instance %u", r.left,
			   ch->ninstances);
		err = INTERP_EINVAL;
		goto bad;
	}
	return 0;
bad:
	interp_channel_release(ch, ops);
	return err;
}

void interp_channel_release(struct interp_channel *ch, const struct interp_ops *ops)
{
	ops->free(ch->crit);
	ch->crit = NULL;
}

/* ---- evaluation ---- */

static bool interp_criterion_match(const struct interp_criterion *c, const char *in)
{
	size_t n = strlen(in);

	if (c->kind == INTERP_KIND_PREFIX)
		return n >= c->len && !memcmp(in, c->str, c->len);
	return n == c->len && !memcmp(in, c->str, c->len);
}

#if INTERP_CHECK_INPUT_COUNT
/*
 * The check the 7.11 sensor lacked: every non-wildcard field must name an
 * input the sensor actually supplies.
 */
static bool interp_instance_valid(const struct interp_channel *ch, uint32_t inst,
				  const struct interp_event *ev, const struct interp_ops *ops)
{
	const struct interp_criterion *c = &ch->crit[inst * ch->tmpl->nfields];
	unsigned int f;

	for (f = 0; f < ch->tmpl->nfields; f++) {
		if (c[f].kind != INTERP_KIND_WILDCARD && f >= ev->ninputs) {
			ops->error(ops->ctx, ch->name,
				   "instance %u field %u has no input (sensor supplies %u), instance rejected",
				   inst + 1, f + 1, ev->ninputs);
			return false;
		}
	}
	return true;
}
#endif

INTERP_NOINLINE bool refsensor_eval(const struct interp_channel *ch, uint32_t inst,
				    const struct interp_event *ev)
{
	const struct interp_criterion *c = &ch->crit[inst * ch->tmpl->nfields];
	unsigned int f, compared = 0, matched = 0;

	for (f = 0; f < ch->tmpl->nfields; f++) {
		const char *in;

		if (c[f].kind == INTERP_KIND_WILDCARD)
			continue;
#if INTERP_CHECK_INPUT_COUNT
		if (f >= ev->ninputs)
			return false;
#endif
		/* Versions 1 and 3: f == 20 reads past the inputs (the module's guard page). */
		in = ev->inputs[f];
		compared++;
		if (interp_criterion_match(&c[f], in))
			matched++;
	}
	return matched == compared;
}

void interp_run(const struct interp_channel *ch, const struct interp_event *ev,
		const struct interp_ops *ops, struct interp_result *res)
{
	uint32_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < ch->ninstances; i++) {
		bool match;

#if INTERP_CHECK_INPUT_COUNT
		if (!interp_instance_valid(ch, i, ev, ops)) {
			res->rejected++;
			continue;
		}
#endif
		match = refsensor_eval(ch, i, ev);
		if (match)
			res->matched++;
		else
			res->unmatched++;
		if (ops->instance)
			ops->instance(ops->ctx, ch, i, match);
	}
}
