/*
 * guest - the registry of guest profiles and the crash record (see guest.h).
 */
#include "guest.h"

#include <stdlib.h>
#include <string.h>

/* Every guest OS the harness knows; a new OS adds its profile here. */
static const struct guest_profile *const profiles[] = {
    &guest_profile_linux,
    &guest_profile_windows,
};

int guest_takes_race(const struct guest_profile *g)
{
	return g->race_knobs ||
	       (g->sensor_service && (g->race_values.agent || g->race_values.sensor));
}

const struct guest_profile *guest_profile_find(const char *kind)
{
	for (size_t i = 0; kind && i < ARRAY_SIZE(profiles); i++)
		if (!strcmp(profiles[i]->kind, kind))
			return profiles[i];
	return NULL;
}

void guest_profile_kinds(struct strbuf *sb)
{
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++) {
		if (i)
			strbuf_adds(sb, i + 1 == ARRAY_SIZE(profiles) ? " or " : ", ");
		strbuf_addf(sb, "'%s'", profiles[i]->kind);
	}
}

int guest_crash_line(const char *line, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++)
		if (profiles[i]->crash_line(line, len))
			return 1;
	return 0;
}

void crash_release(struct crash *c)
{
	if (!c)
		return;
	free(c->title);
	free(c->report);
	free(c->func);
	free(c->module);
	free(c->taint);
	c->title = c->report = c->func = c->module = c->taint = NULL;
}
