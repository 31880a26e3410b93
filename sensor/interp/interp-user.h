/*
 * interp-user - the content interpreter (interp.h) in a userspace process:
 * the environment the module gives it (calloc/free, content errors kept
 * instead of logged) and the reference IPC event. Built once per sensor
 * version into build/libinterp-vN.a (-DREFSENSOR_VERSION=N), so a process
 * links one version; its behaviour is that version's module's, bug
 * included: v1 and v3 read input 21 of 20 for a non-wildcard field 21 (under
 * ASan a heap-buffer-overflow READ in refsensor_eval), v2 rejects that
 * instance.
 */
#ifndef INTERP_USER_H
#define INTERP_USER_H

#include "interp.h"

/* The sensor version this library was built as (REFSENSOR_VERSION). */
int interp_user_version(void);

/*
 * The reference IPC event (sensor/FORMAT.md) with the values the module
 * would see for `insmod` at boot in the reference guest, fixed so runs
 * repeat: pid 1, parent pid 0, uid 0, gid 0, session 1, process insmod,
 * host (none). Its inputs array is its own allocation of exactly
 * INTERP_IPC_INPUTS pointers, so that reading one more is a heap overflow
 * a sanitizer reports. NULL when out of memory.
 */
struct interp_event *interp_user_event_new(void);
void interp_user_event_free(struct interp_event *ev);

/* What loading one channel file gave, as the module's log would say it. */
struct interp_user_verdict {
	int parsed;                /* 1: the file parsed and was evaluated (res) */
	struct interp_result res;
	unsigned int nerrors;      /* content errors: the file's, or rejected instances' */
	char error[256];           /* the first of them, "" if none */
};

/*
 * Load buf[0..len) as the module loads a file: refuse it empty or over
 * INTERP_MAX_FILE_SIZE, parse, evaluate every instance against ev. Returns
 * 0 when it parsed (v->parsed), INTERP_EINVAL when the whole file was
 * rejected (v->error says why), INTERP_ENOMEM.
 */
int interp_user_load(const struct interp_event *ev, const char *name, const uint8_t *buf,
		     size_t len, struct interp_user_verdict *v);

#endif
