/*
 * interp-user - the content interpreter's userspace environment (see
 * interp-user.h): libc memory, content errors collected into the verdict.
 */
#include "interp-user.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "interp-version.h"

int interp_user_version(void)
{
	return REFSENSOR_VERSION;
}

struct interp_event *interp_user_event_new(void)
{
	static const char *const values[INTERP_IPC_INPUTS] = {
	    "\\\\.\\pipe\\bootproof",
	    "/usr/sbin/bootproof-agent",
	    "1",
	    "0",
	    "0",
	    "0",
	    "1",
	    "insmod",
	    "/sbin/init",
	    "duplex",
	    "byte",
	    "255",
	    "4096",
	    "4096",
	    "0",
	    "reject-remote",
	    "system",
	    "(none)",
	    "create",
	    "1",
	};
	struct interp_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	/* Exactly as many pointers as inputs: one more read is past the allocation. */
	ev->inputs = malloc(INTERP_IPC_INPUTS * sizeof(*ev->inputs));
	if (!ev->inputs) {
		free(ev);
		return NULL;
	}
	for (unsigned int i = 0; i < INTERP_IPC_INPUTS; i++)
		ev->inputs[i] = values[i];
	ev->ninputs = INTERP_IPC_INPUTS;
	return ev;
}

void interp_user_event_free(struct interp_event *ev)
{
	if (!ev)
		return;
	free(ev->inputs);
	free(ev);
}

static void *user_alloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static void user_free(void *p)
{
	free(p);
}

static void user_error(void *ctx, const char *name, const char *fmt, ...)
{
	struct interp_user_verdict *v = ctx;
	va_list ap;
	int n;

	if (!v->nerrors++) {
		n = snprintf(v->error, sizeof(v->error), "%s: ", name);
		if (n < 0 || (size_t)n >= sizeof(v->error))
			return;
		va_start(ap, fmt);
		vsnprintf(v->error + n, sizeof(v->error) - n, fmt, ap);
		va_end(ap);
	}
}

int interp_user_load(const struct interp_event *ev, const char *name, const uint8_t *buf,
		     size_t len, struct interp_user_verdict *v)
{
	struct interp_ops ops = {user_alloc, user_free, user_error, NULL, v};
	struct interp_channel ch;
	int err;

	memset(v, 0, sizeof(*v));
	if (!len || len > INTERP_MAX_FILE_SIZE) {
		user_error(v, name, len ? "larger than %u bytes" : "empty file",
			   (unsigned int)INTERP_MAX_FILE_SIZE);
		return INTERP_EINVAL;
	}
	err = interp_parse(&ch, name, buf, len, &ops);
	if (err)
		return err;
	v->parsed = 1;
	interp_run(&ch, ev, &ops, &v->res);
	interp_channel_release(&ch, &ops);
	return 0;
}
