/*
 * t-virt-golden - the golden saves' registry and the domains that outlive
 * a run (harness/backend/libvirt/virt-golden.h), on libvirt's in-process
 * test driver (test:///default): a save serves one domain at a time, per
 * host and key; names carry 8 random hex digits first, then this machine's
 * host name and the pid; the sweep destroys the golden domains of this
 * machine's harnesses that are gone, and only those; a left domain is
 * destroyed by the reap, and one the reap could not reach is named.
 */
#define _GNU_SOURCE
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "tap.h"
#include "virt-conn.h"
#include "virt-event.h"
#include "virt-golden.h"

#define URI "test:///default"

static void check_registry(void)
{
	int key1, key2;
	struct virt_golden_save *a, *b;

	virt_golden_add("qemu+tcp://h1/system", &key1, "/s/1", "n1", "u1");
	virt_golden_add(NULL, &key1, "/s/2", "n2", "u2");
	tap_ok(virt_golden_free("qemu+tcp://h1/system", &key1), "a save on h1 is free");
	tap_ok(!virt_golden_free("qemu+tcp://h1/system", &key2), "none of another key");
	tap_ok(virt_golden_free(VIRT_CONN_DEFAULT_URI, &key1), "NULL is the default host");
	a = virt_golden_take("qemu+tcp://h1/system", &key1);
	tap_ok(a && !strcmp(a->path, "/s/1") && !strcmp(a->name, "n1") && !strcmp(a->uuid, "u1"),
	       "taken: h1's save, its path, name and UUID");
	tap_ok(!virt_golden_free("qemu+tcp://h1/system", &key1), "in use: not free");
	tap_ok(virt_golden_take("qemu+tcp://h1/system", &key1) == NULL, "one domain per save");
	b = virt_golden_take(NULL, &key1);
	tap_ok(b && !strcmp(b->name, "n2"), "the default host's is its own");
	virt_golden_give(a);
	tap_ok(virt_golden_take("qemu+tcp://h1/system", &key1) == a, "given back: taken again");
	virt_golden_give(NULL);
	virt_golden_clear(NULL, NULL);
	tap_ok(!virt_golden_free(NULL, &key1), "cleared: nothing left");
}

/* A pid no process has: a child reaped. */
static int dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return (int)p;
}

static void check_names(void)
{
	char host[64] = "", *n1 = virt_golden_name(3), *n2 = virt_golden_name(3), *u = virt_golden_uuid();
	char *want;
	regex_t re;

	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (*p == '-')
			*p = '_';
	want = xasprintf("^bootproof-g-[0-9a-f]{8}-%s-%d-3$", host, (int)getpid());
	regcomp(&re, want, REG_EXTENDED | REG_NOSUB);
	tap_ok(regexec(&re, n1, 0, NULL, 0) == 0, "a golden name: prefix, 8 hex, host, pid, number");
	tap_diag(n1);
	tap_ok(strncmp(n1, n2, 20) != 0, "two names differ in their first 20 characters");
	regfree(&re);
	free(want);
	{
		char *v = virt_harness_name('v', 5);
		char *dead = xasprintf("bootproof-v-0123abcd-%s-%d-1.qcow2", host, dead_pid());
		char *other = xasprintf("bootproof-v-0123abcd-%sx-%d-1.qcow2", host, dead_pid());

		want = xasprintf("^bootproof-v-[0-9a-f]{8}-%s-%d-5$", host, (int)getpid());
		regcomp(&re, want, REG_EXTENDED | REG_NOSUB);
		tap_ok(regexec(&re, v, 0, NULL, 0) == 0, "another kind's name: its letter, the rest alike");
		regfree(&re);
		tap_ok(!virt_harness_gone(v, 0) && virt_harness_gone(v, 1),
		       "this harness's: gone only when its own are asked for");
		tap_ok(virt_harness_gone(dead, 0), "a gone harness's of this machine: gone");
		tap_ok(!virt_harness_gone(other, 1) && !virt_harness_gone("sha256-00", 1),
		       "another machine's, or no harness's: never");
		free(v);
		free(dead);
		free(other);
	}
	regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
		REG_EXTENDED | REG_NOSUB);
	tap_ok(regexec(&re, u, 0, NULL, 0) == 0, "a version 4 UUID");
	regfree(&re);
	free(want);
	free(n1);
	free(n2);
	free(u);
}

/* ---- the sweep and the reap, on the test driver ---- */

struct doms {
	const char *names[4];
	int done, r;
	char *list; /* the domains running after, space-separated */
};

static int job_create(virConnectPtr conn, void *ctx, struct bp_error *err)
{
	struct doms *d = ctx;

	for (int i = 0; d->names[i]; i++) {
		char *xml = xasprintf("<domain type='test'><name>%s</name><memory>65536</memory>"
				      "<os><type>hvm</type></os></domain>",
				      d->names[i]);
		virDomainPtr dom = virDomainCreateXML(conn, xml, 0);

		free(xml);
		if (!dom)
			return error_set(err, "create: %s", virGetLastErrorMessage());
		virDomainFree(dom);
	}
	return 0;
}

static int job_list(virConnectPtr conn, void *ctx, struct bp_error *err)
{
	struct doms *d = ctx;
	struct strbuf sb = STRBUF_INIT;
	virDomainPtr *v = NULL;
	int n = virConnectListAllDomains(conn, &v, VIR_CONNECT_LIST_DOMAINS_ACTIVE);

	for (int i = 0; i < n; i++) {
		if (!strncmp(virDomainGetName(v[i]), "bootproof-g-", 12))
			strbuf_addf(&sb, "%s ", virDomainGetName(v[i]));
		virDomainFree(v[i]);
	}
	free(v);
	free(d->list);
	d->list = strbuf_detach(&sb);
	return n < 0 ? error_set(err, "list: %s", virGetLastErrorMessage()) : 0;
}

static void on_done(void *ctx, int r, const struct bp_error *err)
{
	struct doms *d = ctx;

	d->done++;
	d->r |= r;
}

static void run_until(struct loop *l, const int *v, int want)
{
	int64_t end = now_ms() + 10000;

	while (*v < want && now_ms() < end)
		loop_once(l, 100);
}

static struct strbuf notes = STRBUF_INIT;

static void note(void *ctx, const char *msg)
{
	strbuf_addf(&notes, "%s\n", msg);
}

static void check_sweep(struct loop *l)
{
	struct bp_error err;
	struct virt_conn *c = virt_conn_get(URI, &err);
	char host[64] = "";
	char *mine = virt_golden_name(0), *dead, *other, *want;
	struct doms d = {0};

	if (!tap_ok(c != NULL, "a connection to " URI))
		return tap_diag(err.msg);
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (*p == '-')
			*p = '_';
	dead = xasprintf("bootproof-g-0123abcd-%s-%d-0", host, dead_pid());
	other = xasprintf("bootproof-g-0123abcd-%sx-%d-0", host, dead_pid());
	d.names[0] = mine;
	d.names[1] = dead;
	d.names[2] = other;
	virt_conn_submit(c, job_create, on_done, &d);
	run_until(l, &d.done, 1);
	tap_is_int(d.r, 0, "three golden domains running: this harness's, a gone one's, another host's");
	virt_golden_sweep(c, note, NULL);
	virt_conn_submit(c, job_list, on_done, &d);
	run_until(l, &d.done, 2);
	want = xasprintf("destroyed domain %s: its harness is gone\n", dead);
	tap_is_str(notes.buf, want, "the sweep names the gone harness's domain, only it");
	free(want);
	tap_ok(d.list && strstr(d.list, mine) && strstr(d.list, other) && !strstr(d.list, dead),
	       "it is destroyed; this harness's and another host's run on");
	tap_diag(d.list ? d.list : "(no list)");

	/* left domains: one the reap destroys, one on a host it cannot reach */
	strbuf_reset(&notes);
	virt_golden_left(URI, mine);
	virt_golden_left("qemu+tcp://127.0.0.1:1/system", "bootproof-g-unreachable");
	virt_golden_reap();
	virt_conn_submit(c, job_list, on_done, &d);
	run_until(l, &d.done, 3);
	tap_ok(d.list && !strstr(d.list, mine), "the reap destroys a left domain");
	virt_conn_close_all(10000);
	virt_golden_clear(note, NULL);
	tap_like(notes.buf, "domain bootproof-g-unreachable may still run on libvirt host "
			    "'qemu+tcp://127.0.0.1:1/system'",
		 "one it could not reach is named");
	tap_ok(!strstr(notes.buf, mine), "the reaped one is not");
	free(d.list);
	free(mine);
	free(dead);
	free(other);
}

int main(void)
{
	struct loop *l = loop_new();
	struct bp_error err;

	check_registry();
	check_names();
	if (virt_event_register(l, &err) < 0)
		tap_diag(err.msg);
	check_sweep(l);
	strbuf_release(&notes);
	loop_free(l);
	return tap_done();
}
