/*
 * qmp-event - QMP events to machine events (see qmp-event.h).
 */
#include "qmp-event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QMP's "arg1".."arg5": integers, or decimal strings above INT64_MAX (qmp.h). */
static uint64_t qe_u64(json_t *v)
{
	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	if (json_is_string(v))
		return strtoull(json_string_value(v), NULL, 10);
	return 0;
}

static void qe_panic(json_t *data, struct machine_event *ev)
{
	json_t *info = data ? json_object_get(data, "info") : NULL;
	const char *type = json_string_value(json_object_get(info, "type"));

	ev->kind = MACHINE_PANIC;
	if (!type || strcmp(type, "hyper-v"))
		return;
	ev->has_bugcheck = 1;
	ev->bugcheck = qe_u64(json_object_get(info, "arg1"));
	for (int i = 0; i < 4; i++) {
		char key[8];

		snprintf(key, sizeof(key), "arg%d", i + 2);
		ev->param[i] = qe_u64(json_object_get(info, key));
	}
}

static const char *qe_str(json_t *data, const char *key)
{
	const char *s = data ? json_string_value(json_object_get(data, key)) : NULL;

	return s ? s : "unknown";
}

int qmp_machine_event(const char *n, json_t *data, const char *port_id, struct machine_event *ev)
{
	int64_t host_ns = ev->host_ns;

	*ev = (struct machine_event){.ok = 1, .host_ns = host_ns};
	if (!strcmp(n, "GUEST_PANICKED")) {
		qe_panic(data, ev);
	} else if (!strcmp(n, "GUEST_CRASHLOADED")) {
		ev->kind = MACHINE_CRASH_LOADED;
	} else if (!strcmp(n, "SHUTDOWN")) {
		const char *r = qe_str(data, "reason");

		ev->reason = r;
		ev->kind = !strcmp(r, "guest-reset") ? MACHINE_RESET
			   : !strcmp(r, "guest-shutdown") || !strcmp(r, "guest-panic")
			       ? MACHINE_SHUTDOWN_GUEST
			       : MACHINE_SHUTDOWN_HOST;
	} else if (!strcmp(n, "RESET") && data && json_is_true(json_object_get(data, "guest"))) {
		ev->kind = MACHINE_RESET;
		ev->reason = "guest-reset";
	} else if (!strcmp(n, "WATCHDOG")) {
		ev->kind = MACHINE_WATCHDOG;
		ev->reason = qe_str(data, "action");
	} else if (!strcmp(n, "VSERPORT_CHANGE") && data &&
		   json_is_false(json_object_get(data, "open")) &&
		   !strcmp(qe_str(data, "id"), port_id)) {
		ev->kind = MACHINE_CHANNEL_CLOSED;
	} else {
		return 0;
	}
	return 1;
}
