/*
 * virt-golden - the run's golden saves on libvirt hosts (see virt-golden.h).
 */
#define _GNU_SOURCE
#include "virt-golden.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "util.h"
#include "virt-conn.h"

#define VIRT_NAME_PREFIX "bootproof-"

static struct virt_golden_save **saves;
static size_t nr_saves;

struct left {
	char *uri, *name;
	int reaped;
};
/* Pointers: a reap job holds its entry while another may be added. */
static struct left **left;
static size_t nr_left;

static int same_host(const struct virt_golden_save *s, const char *uri, const void *key)
{
	return s->key == key && !strcmp(s->uri, uri ? uri : VIRT_CONN_DEFAULT_URI);
}

/*
 * "bootproof-g-RAND-HOST-PID-N". libvirt names a domain's files (channel
 * sockets, their lock files in the machine's /var/lock, which two daemons
 * of one machine share) by the domain's id and the first 20 characters of
 * its name: 8 random hex digits among them keep two daemons' domains apart.
 */
#define GOLDEN_RAND_LEN 8

/* "HOST-": this machine's host name, without '-' (the pid after it is found). */
static char *golden_host(void)
{
	char host[64] = "host";

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = 0;
	for (char *p = host; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.", *p))
			*p = '_';
	return xasprintf("%s-", host);
}

char *virt_harness_name(char kind, size_t n)
{
	char *host = golden_host();
	char *name = xasprintf(VIRT_NAME_PREFIX "%c-%0*" PRIx32 "-%s%d-%zu", kind, GOLDEN_RAND_LEN,
			       (uint32_t)random_u64(), host, (int)getpid(), n);

	free(host);
	return name;
}

char *virt_golden_name(size_t n)
{
	return virt_harness_name('g', n);
}

/* The pid in a name of this machine's harnesses (any kind), else 0. */
static long golden_pid(const char *name, const char *host)
{
	size_t plen = strlen(VIRT_NAME_PREFIX) + 2 + GOLDEN_RAND_LEN + 1, hlen = strlen(host);
	char *end;
	long pid;

	if (strncmp(name, VIRT_NAME_PREFIX, strlen(VIRT_NAME_PREFIX)) ||
	    strlen(name) < plen + hlen || name[plen - 1] != '-' ||
	    name[strlen(VIRT_NAME_PREFIX) + 1] != '-' || strncmp(name + plen, host, hlen))
		return 0;
	errno = 0;
	pid = strtol(name + plen + hlen, &end, 10);
	return !errno && end != name + plen + hlen && *end == '-' && pid > 0 ? pid : 0;
}

int virt_harness_gone(const char *name, int mine)
{
	char *host = golden_host();
	long pid = golden_pid(name, host);

	free(host);
	if (!pid)
		return 0;
	if (pid == (long)getpid())
		return mine;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

char *virt_golden_uuid(void)
{
	uint64_t a = random_u64(), b = random_u64();

	return xasprintf("%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-%04" PRIx32 "-%012" PRIx64,
			 (uint32_t)(a >> 32), (uint32_t)(a >> 16) & 0xffff, (uint32_t)a & 0xfff,
			 (uint32_t)(0x8000 | ((b >> 48) & 0x3fff)), (uint64_t)(b & 0xffffffffffffULL));
}

struct sweep {
	void (*note)(void *ctx, const char *msg);
	void *ctx;
	struct strbuf gone; /* one line per domain destroyed */
};

static int sweep_run(virConnectPtr conn, void *ctx, struct bp_error *err)
{
	struct sweep *sw = ctx;
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);

	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);

		/* a harness of this machine that is gone left it */
		if (name && virt_harness_gone(name, 0) && virDomainDestroy(doms[i]) == 0)
			strbuf_addf(&sw->gone, "%s\n", name);
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

static void sweep_done(void *ctx, int r, const struct bp_error *err)
{
	struct sweep *sw = ctx;

	for (char *line = sw->gone.buf, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
		char *msg = xasprintf("destroyed domain %.*s: its harness is gone",
				      (int)(nl - line), line);

		sw->note(sw->ctx, msg);
		free(msg);
	}
	strbuf_release(&sw->gone);
	free(sw);
}

void virt_golden_sweep(struct virt_conn *c, void (*note)(void *ctx, const char *msg), void *ctx)
{
	struct sweep *sw = xcalloc(1, sizeof(*sw));

	sw->note = note;
	sw->ctx = ctx;
	strbuf_init(&sw->gone);
	virt_conn_submit(c, sweep_run, sweep_done, sw);
}

void virt_golden_add(const char *uri, const void *key, const char *path, const char *name,
		     const char *uuid)
{
	struct virt_golden_save *s = xcalloc(1, sizeof(*s));

	s->uri = xstrdup(uri ? uri : VIRT_CONN_DEFAULT_URI);
	s->key = key;
	s->path = xstrdup(path);
	s->name = xstrdup(name);
	s->uuid = xstrdup(uuid);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
	saves = xrealloc(saves, (nr_saves + 1) * sizeof(*saves));
	saves[nr_saves++] = s;
}

struct virt_golden_save *virt_golden_take(const char *uri, const void *key)
{
	for (size_t i = 0; i < nr_saves; i++)
		if (!saves[i]->busy && same_host(saves[i], uri, key)) {
			saves[i]->busy = 1;
			return saves[i];
		}
	return NULL;
}

int virt_golden_free(const char *uri, const void *key)
{
	for (size_t i = 0; i < nr_saves; i++)
		if (!saves[i]->busy && same_host(saves[i], uri, key))
			return 1;
	return 0;
}

void virt_golden_give(struct virt_golden_save *s)
{
	if (s)
		s->busy = 0;
}

void virt_golden_left(const char *uri, const char *name)
{
	struct left *l = xcalloc(1, sizeof(*l));

	l->uri = xstrdup(uri);
	l->name = xstrdup(name);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
	left = xrealloc(left, (nr_left + 1) * sizeof(*left));
	left[nr_left++] = l;
}

static int reap_run(virConnectPtr conn, void *ctx, struct bp_error *err)
{
	struct left *l = ctx;
	virDomainPtr dom = virDomainLookupByName(conn, l->name);
	virErrorPtr e;
	int r;

	if (!dom) {
		e = virGetLastError();
		return e && e->code == VIR_ERR_NO_DOMAIN ? 0 : error_set(err, "lookup failed");
	}
	r = virDomainDestroy(dom);
	virDomainFree(dom);
	return r == 0 ? 0 : error_set(err, "destroy failed");
}

static void reap_done(void *ctx, int r, const struct bp_error *err)
{
	((struct left *)ctx)->reaped = r == 0;
}

void virt_golden_reap(void)
{
	struct bp_error err;

	for (size_t i = 0; i < nr_left; i++) {
		struct virt_conn *c = virt_conn_get(left[i]->uri, &err);

		if (c)
			virt_conn_submit(c, reap_run, reap_done, left[i]);
	}
}

void virt_golden_clear(void (*note)(void *ctx, const char *msg), void *ctx)
{
	for (size_t i = 0; i < nr_left; i++) {
		if (!left[i]->reaped && note) {
			char *msg = xasprintf("domain %s may still run on libvirt host '%s', which "
					      "stopped answering; the next run on this machine "
					      "destroys it",
					      left[i]->name, left[i]->uri);

			note(ctx, msg);
			free(msg);
		}
		free(left[i]->uri);
		free(left[i]->name);
		free(left[i]);
	}
	free(left);
	left = NULL;
	nr_left = 0;
	for (size_t i = 0; i < nr_saves; i++) {
		free(saves[i]->uri);
		free(saves[i]->path);
		free(saves[i]->name);
		free(saves[i]->uuid);
		free(saves[i]);
	}
	free(saves);
	saves = NULL;
	nr_saves = 0;
}
