/*
 * interp - the reference sensor's content interpreter, portable: it parses a
 * channel file (sensor/FORMAT.md) into template instances and evaluates
 * them against an event's input values. One source serves the Linux module
 * (sensor/refsensor.c), the userspace library libinterp-vN (interp-user.h:
 * unit tests, the fuzz target) and a Windows driver.
 *
 * It allocates, reports and logs only through the caller's struct
 * interp_ops and uses nothing else from its environment beyond
 * interp-sys.h. The sensor version's behaviour is chosen at compile time
 * (interp-version.h, -DREFSENSOR_VERSION=N):
 *
 *   - every version: parsing is bounds-checked; a malformed file is rejected
 *     whole with one content error, never trusted;
 *   - v1, v3: refsensor_eval reads the input of every non-wildcard field,
 *     including field 21 of the IPC template, which has no input (the event
 *     supplies 20): an out-of-bounds read (a kernel page fault in the module,
 *     an ASan report in userspace). This is the reproduced bug, on purpose;
 *   - v2: interp_run rejects such an instance with a content error and
 *     evaluates the rest; refsensor_eval also bounds-checks.
 */
#ifndef INTERP_H
#define INTERP_H

#include "interp-sys.h"

/* Channel file format, see sensor/FORMAT.md. */
#define INTERP_MAGIC "BPCF"
#define INTERP_FORMAT_VERSION 1
#define INTERP_HEADER_SIZE 20
#define INTERP_KIND_WILDCARD 0
#define INTERP_KIND_EQUALS 1
#define INTERP_KIND_PREFIX 2

/* Limits that keep hostile content from costing more than it weighs. */
#define INTERP_MAX_FILE_SIZE (1024 * 1024)
#define INTERP_MAX_INSTANCES 4096
#define INTERP_MAX_CRITERION 1024

#define INTERP_TEMPLATE_IPC 1
/* The IPC template type declares 21 fields ... */
#define INTERP_IPC_FIELDS 21
/* ... but the sensor's IPC event only supplies 20 input values. */
#define INTERP_IPC_INPUTS 20

/* Negative results: the caller maps them to its own error codes. */
#define INTERP_EINVAL (-1) /* content error (reported through ops->error) */
#define INTERP_ENOMEM (-2) /* ops->alloc failed (not reported) */

struct interp_template {
	uint16_t id;
	const char *name;
	uint16_t nfields;
};

struct interp_criterion {
	uint8_t kind;
	uint16_t len;
	const uint8_t *str; /* points into the file buffer, not NUL-terminated */
};

/* A parsed channel file; criteria point into the caller's buffer. */
struct interp_channel {
	const char *name;
	uint32_t number;
	const struct interp_template *tmpl;
	uint32_t ninstances;
	struct interp_criterion *crit; /* ninstances rows of tmpl->nfields */
};

/*
 * An event: ninputs NUL-terminated input values. inputs must hold exactly
 * ninputs pointers, placed so that reading inputs[ninputs] is caught (the
 * module ends it at a guard page, userspace allocates exactly that many
 * under ASan).
 */
struct interp_event {
	const char **inputs;
	unsigned int ninputs;
};

/* The environment, provided by the caller. */
struct interp_ops {
	/* n zeroed elements of size bytes each; NULL when out of memory. */
	void *(*alloc)(size_t n, size_t size);
	void (*free)(void *p);
	/*
	 * One content error about the channel file (the file's name is
	 * ch->name, the caller prefixes it); the format uses only %u, %zu,
	 * %s and %02x, which every kernel's printf takes.
	 */
	void (*error)(void *ctx, const char *name, const char *fmt, ...) INTERP_PRINTF(3, 4);
	/* Optional (may be NULL): the verdict on instance inst (0-based). */
	void (*instance)(void *ctx, const struct interp_channel *ch, uint32_t inst, bool match);
	void *ctx;
};

struct interp_result {
	uint32_t matched;
	uint32_t unmatched;
	uint32_t rejected; /* v2: instances naming an input the event lacks */
};

/* The template type with this id, or NULL. */
const struct interp_template *interp_template_find(uint16_t id);

/*
 * Fill ch from buf[0..len) (name is kept for messages). 0, or INTERP_EINVAL
 * after one ops->error, or INTERP_ENOMEM; on failure nothing is left
 * allocated. A parsed ch is released with interp_channel_release().
 */
int interp_parse(struct interp_channel *ch, const char *name, const uint8_t *buf, size_t len,
		 const struct interp_ops *ops);
void interp_channel_release(struct interp_channel *ch, const struct interp_ops *ops);

/*
 * Evaluate every instance of ch against ev, in order, into res (zeroed
 * first), calling ops->instance for each evaluated one. v2 rejects an
 * instance with a non-wildcard field past ev->ninputs (ops->error, counted
 * in res->rejected) and goes on; v1 and v3 read past ev->inputs there.
 */
void interp_run(const struct interp_channel *ch, const struct interp_event *ev,
		const struct interp_ops *ops, struct interp_result *res);

/*
 * Evaluate instance inst: every non-wildcard criterion is compared with the
 * input of the same index, without short-circuiting; it matches when all
 * of them do (an all-wildcard instance matches every event). Exported under
 * this name because crash reports name it: keep it.
 */
bool refsensor_eval(const struct interp_channel *ch, uint32_t inst, const struct interp_event *ev);

#endif
