/*
 * t-hostpool - the host pool (harness/model/hostpool.h): --host and
 * --retry-infra parsing with their errors, whether a host's disks are
 * uploaded (disks=, else by the URI), the even and deterministic
 * choice of free slots across hosts, a lost host taking no trials, and the
 * --retry-infra bookkeeping (a trial lost with its host runs again on
 * another one, at most N times, its attempts recorded) down to
 * results.json, whose reader checks the new fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostpool.h"
#include "report-html.h"
#include "report-json.h"
#include "report-junit.h"
#include "report-tap.h"
#include "tap.h"

#define A "qemu+tcp://127.0.0.1:16601/system"
#define B "qemu+tcp://127.0.0.1:16602/system"
#define C "qemu+ssh://vm3/system"

static void test_parse_errors(void)
{
	static const struct {
		const char *arg, *msg;
	} bad[] = {
		{"", "empty URI"},
		{",slots=2", "empty URI"},
		{"  ", "empty URI"},
		{A ",slots=0", "slots takes a number from 1 to 64, got '0'"},
		{A ",slots=-1", "got '-1'"},
		{A ",slots=x", "got 'x'"},
		{A ",slots=", "got ''"},
		{A ",slots=65", "got '65'"},
		{A ",slots=2x", "got '2x'"},
		{A ",slots=1,slots=2", "slots given twice"},
		{A ",cpus=2", "--host '" A ",cpus=2': unknown option 'cpus=2' (known: slots=N, "
			      "disks=shared|upload)"},
		{A ",slots", "unknown option 'slots'"},
		{A ",disks", "unknown option 'disks'"},
		{A ",Disks=shared", "unknown option 'Disks=shared'"},
		{A ",", "empty option after ','"},
		{A ",slots=1,", "empty option after ','"},
		{A ",,slots=1", "empty option after ','"},
		{A ",disks=shared,", "empty option after ','"},
		{A ",disks=local", "--host '" A ",disks=local': disks takes shared or upload, got "
				   "'local'"},
		{A ",disks=", "disks takes shared or upload, got ''"},
		{A ",disks=auto", "got 'auto'"},
		{A ",disks=Shared", "got 'Shared'"},
		{A ",disks=shared ", "got 'shared '"},
		{A ",disks=uploads", "got 'uploads'"},
		{A ",disks=shared,disks=shared", "disks given twice"},
		{A ",disks=shared,slots=2,disks=upload", "disks given twice"},
		{A ",slots=2,disks=upload,slots=2", "slots given twice"},
		{A ",slots=2,disks=bad", "got 'bad'"},
		{A ",disks=upload,slots=0", "slots takes a number from 1 to 64, got '0'"},
	};
	struct hostpool p;
	struct bp_error err;
	char name[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hostpool_init(&p);
		err.msg[0] = 0;
		snprintf(name, sizeof(name), "--host '%s' refused", bad[i].arg);
		tap_is_int(hostpool_add(&p, bad[i].arg, &err), -1, name);
		tap_like(err.msg, bad[i].msg, "  with the reason");
		tap_is_int((long long)p.nr_hosts, 0, "  and no host added");
		hostpool_release(&p);
	}
	hostpool_init(&p);
	tap_is_int(hostpool_add(&p, A, &err), 0, "a URI alone");
	tap_is_int(hostpool_add(&p, A ",slots=3", &err), -1, "the same URI again refused");
	tap_like(err.msg, "given twice", "  as given twice");
	tap_is_int(hostpool_add(&p, A "/", &err), -1, "a trailing '/' makes no other host");
	tap_is_int(hostpool_set_retry(&p, "17", &err), -1, "--retry-infra 17 refused");
	tap_like(err.msg, "from 0 to 16", "  with its range");
	tap_is_int(hostpool_set_retry(&p, "", &err), -1, "--retry-infra '' refused");
	tap_is_int(hostpool_set_retry(&p, "2", &err), 0, "--retry-infra 2");
	tap_is_int(p.retry_infra, 2, "  taken");
	hostpool_release(&p);
}

static void test_parse(void)
{
	struct hostpool p;
	struct bp_error err;

	hostpool_init(&p);
	tap_is_int(hostpool_add(&p, A ",slots=2", &err), 0, "URI,slots=2");
	tap_is_int(hostpool_add(&p, B, &err), 0, "second URI");
	tap_is_int(hostpool_add(&p, C ",slots=64", &err), 0, "slots=64");
	tap_is_int((long long)p.nr_hosts, 3, "three hosts");
	tap_is_str(p.hosts[0].uri, A, "the URI without its options");
	tap_is_int(p.hosts[0].slots, 2, "its slots");
	tap_is_int(p.hosts[1].slots, 1, "default one slot");
	tap_is_int(hostpool_capacity(&p), 67, "capacity: every slot");
	hostpool_lose(&p, 2);
	tap_is_int(hostpool_capacity(&p), 3, "a lost host's slots do not count");
	hostpool_release(&p);
}

/* ,slots= and ,disks= in either order, each alone, and what they set. */
static void test_parse_disks(void)
{
	static const struct {
		const char *arg;
		int slots;
		enum host_disks disks;
	} good[] = {
		{A, 1, HOST_DISKS_AUTO},
		{A ",disks=shared", 1, HOST_DISKS_SHARED},
		{A ",disks=upload", 1, HOST_DISKS_UPLOAD},
		{A ",slots=3,disks=upload", 3, HOST_DISKS_UPLOAD},
		{A ",disks=upload,slots=3", 3, HOST_DISKS_UPLOAD},
		{A ",disks=shared,slots=64", 64, HOST_DISKS_SHARED},
		{A ",slots=5", 5, HOST_DISKS_AUTO},
	};
	struct hostpool p;
	struct bp_error err = {""};
	char name[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		hostpool_init(&p);
		snprintf(name, sizeof(name), "--host '%s'", good[i].arg);
		if (tap_is_int(hostpool_add(&p, good[i].arg, &err), 0, name) && p.nr_hosts == 1) {
			tap_is_str(p.hosts[0].uri, A, "  the URI without its options");
			tap_is_int(p.hosts[0].slots, good[i].slots, "  its slots");
			tap_is_int(p.hosts[0].disks, good[i].disks, "  its disks");
		} else {
			tap_diag(err.msg);
		}
		hostpool_release(&p);
	}
	hostpool_init(&p);
	tap_is_int(hostpool_add_host(&p, C, 2, HOST_DISKS_SHARED, &err), 0,
		   "a host given as its parts");
	tap_ok(p.nr_hosts == 1 && p.hosts[0].disks == HOST_DISKS_SHARED, "  keeps its disks");
	hostpool_release(&p);
}

/* hostpool_uploads(): disks= decides; without it, the URI's host part. */
static void test_uploads(void)
{
	static const struct {
		const char *uri;
		int uploads;
	} by_uri[] = {
		/* this machine's daemon: shared */
		{"qemu:///system", 0},
		{"qemu:///session", 0},
		{"qemu:///system?socket=/run/libvirt/libvirt-sock", 0},
		{"qemu+unix:///system", 0},
		{"qemu+unix:///system?socket=/tmp/bp/libvirt-sock", 0},
		{"qemu+unix://somewhere/system", 0},
		{"qemu+tcp://localhost/system", 0},
		{"qemu+ssh://user@localhost/system", 0},
		{"qemu+tcp://LocalHost:16509/system", 0},
		{"qemu+tcp://127.0.0.1:16510/system", 0},
		{"qemu+tcp://127.0.0.1/system", 0},
		{"qemu+tcp://127.1.2.3:16510/system", 0},
		{"qemu+tcp://[::1]/system", 0},
		{"qemu+tcp://[::1]:16509/system", 0},
		{"qemu+tcp://[0:0:0:0:0:0:0:1]/system", 0},
		{"qemu+tcp://127.0.0.1", 0},
		{"test:///default", 0},
		/* another machine's: upload */
		{"qemu+ssh://build7/system", 1},
		{"qemu+ssh://user@build7/system", 1},
		{"qemu+tcp://10.0.0.5/system", 1},
		{"qemu+tcp://10.0.0.5:16509/system", 1},
		{"qemu+tls://host.example.org/system", 1},
		{"qemu+tcp://128.0.0.1/system", 1},
		{"qemu+tcp://[::2]/system", 1},
		{"qemu+tcp://[fe80::1]:16509/system", 1},
		{"qemu+ssh://localhost.example.org/system", 1},
		{"qemu+ssh://127.0.0.1.example.org/system", 1},
		{"qemu+ssh://localhost@build7/system", 1},
		/* not a URI as libvirt writes them: upload, which works everywhere */
		{"not a uri", 1},
		{"", 1},
		{"///system", 1},
		{"://localhost/system", 1},
		{"1qemu:///system", 1},
		{"qe mu:///system", 1},
		{"qemu+tcp://[::1/system", 1},
		{"qemu+tcp://[::1]x/system", 1},
		{"qemu+tcp://127.0.0.1:/system", 1},
		{"qemu+tcp://127.0.0.1:port/system", 1},
		{"qemu+tcp://127.0.0.1:1650900/system", 1},
		{"qemu+tcp://127.1/system", 1},
		{"qemu+tcp://[localhost]/system", 1},
	};
	char name[128];

	for (size_t i = 0; i < sizeof(by_uri) / sizeof(by_uri[0]); i++) {
		snprintf(name, sizeof(name), "'%s': %s", by_uri[i].uri,
			 by_uri[i].uploads ? "upload" : "shared");
		tap_is_int(!!hostpool_uploads(by_uri[i].uri, HOST_DISKS_AUTO), by_uri[i].uploads,
			   name);
	}
	tap_ok(hostpool_uploads("qemu:///system", HOST_DISKS_UPLOAD),
	       "disks=upload: upload, a local URI too");
	tap_ok(hostpool_uploads("qemu+tcp://[::1]/system", HOST_DISKS_UPLOAD),
	       "disks=upload: a loopback URI too");
	tap_ok(!hostpool_uploads("qemu+ssh://build7/system", HOST_DISKS_SHARED),
	       "disks=shared: shared, a remote URI too");
	tap_ok(!hostpool_uploads("not a uri", HOST_DISKS_SHARED), "disks=shared: whatever the URI");
}

/* A host given as its parts (a suite's hosts:), beside --host's: one pool, one rule for twice. */
static void test_add_host(void)
{
	static const struct {
		const char *uri;
		int slots;
		const char *msg;
	} bad[] = {
		{"", 1, "host '': empty URI"},
		{" \t", 1, "empty URI"},
		{A, 0, "host '" A "': slots takes a number from 1 to 64, got 0"},
		{A, 65, "got 65"},
		{A, -1, "got -1"},
	};
	struct hostpool p;
	struct bp_error err;
	char name[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hostpool_init(&p);
		err.msg[0] = 0;
		snprintf(name, sizeof(name), "host '%s' slots %d refused", bad[i].uri, bad[i].slots);
		tap_is_int(hostpool_add_host(&p, bad[i].uri, bad[i].slots, HOST_DISKS_AUTO, &err), -1,
			   name);
		tap_like(err.msg, bad[i].msg, "  with the reason");
		tap_is_int((long long)p.nr_hosts, 0, "  and no host added");
		hostpool_release(&p);
	}
	tap_ok(hostpool_same_uri(A, A "/") && hostpool_same_uri(A "//", A) &&
		       hostpool_same_uri("/", "//") && !hostpool_same_uri(A, B) &&
		       !hostpool_same_uri(A, A "x") && !hostpool_same_uri("", "/"),
	       "same URI: as given, less trailing '/'");
	hostpool_init(&p);
	tap_is_int(hostpool_add_host(&p, A, 64, HOST_DISKS_AUTO, &err), 0, "a host of 64 slots");
	tap_is_int(hostpool_add_host(&p, B "/", 1, HOST_DISKS_UPLOAD, &err), 0, "a second host");
	tap_is_int((long long)p.nr_hosts, 2, "  two hosts");
	tap_ok(!strcmp(p.hosts[1].uri, B "/") && p.hosts[0].slots == 64 && p.hosts[1].slots == 1,
	       "  URIs as given, their slots");
	tap_is_int(hostpool_add_host(&p, A "/", 2, HOST_DISKS_SHARED, &err), -1,
		   "the same URI with a '/' refused");
	tap_is_str(err.msg, "host '" A "/' given twice", "  as given twice");
	tap_is_int(hostpool_add(&p, B, &err), -1, "--host of a URI the pool has refused");
	tap_is_str(err.msg, "--host: host '" B "' given twice", "  with --host's prefix");
	tap_is_int(hostpool_capacity(&p), 65, "capacity: both hosts' slots");
	hostpool_release(&p);
}

/* The hosts the next n picks take, as letters ("ABA-"): '-' none free. */
static void picks(struct hostpool *p, int n, char *out)
{
	for (int i = 0; i < n; i++) {
		int h = hostpool_pick(p, NULL);

		out[i] = h < 0 ? '-' : (char)('A' + h);
	}
	out[n] = 0;
}

static void test_pick(void)
{
	struct hostpool p;
	struct bp_error err;
	char got[16];

	hostpool_init(&p);
	hostpool_add(&p, A ",slots=2", &err);
	hostpool_add(&p, B ",slots=1", &err);
	hostpool_add(&p, C ",slots=1", &err);
	picks(&p, 5, got);
	/* equal shares first go in order; A's second slot when every host is half or more busy */
	tap_is_str(got, "ABCA-", "the first trials spread over every host, then fill");
	hostpool_done(&p, 1);
	picks(&p, 2, got);
	tap_is_str(got, "B-", "a freed slot is taken again");
	hostpool_release(&p);

	/* deterministic: the same pool and calls give the same picks */
	for (int round = 0; round < 2; round++) {
		static char first[16];

		hostpool_init(&p);
		hostpool_add(&p, A ",slots=3", &err);
		hostpool_add(&p, B ",slots=1", &err);
		picks(&p, 3, got);
		hostpool_done(&p, 0);
		hostpool_done(&p, 0);
		picks(&p, 3, got + 3);
		if (!round)
			strcpy(first, got);
		else
			tap_is_str(got, first, "the same calls pick the same hosts");
		if (!round)
			tap_is_str(got, "ABAAAA", "by share of slots busy: 3 slots fill before 1 is shared");
		hostpool_release(&p);
	}

	/* with equal shares, the host that started fewer trials */
	hostpool_init(&p);
	hostpool_add(&p, A, &err);
	hostpool_add(&p, B, &err);
	picks(&p, 1, got);
	hostpool_done(&p, 0);
	picks(&p, 1, got + 1);
	tap_is_str(got, "AB", "equal load: the host that ran fewer trials");
	hostpool_lose(&p, 1);
	hostpool_done(&p, 1);
	picks(&p, 3, got);
	tap_is_str(got, "A--", "a lost host takes no trials");
	hostpool_release(&p);
}

static void test_retry(void)
{
	struct image im = {.name = (char *)"linux", .kernel = (char *)"/nonexistent/vmlinux"};
	struct sensor sn = {.name = (char *)"v1", .module = (char *)"/nonexistent/m.ko"};
	struct scenario sc = {.name = (char *)"boot-ok", .image = &im, .sensor = &sn, .boots = 1};
	struct run_result r = {.trials = xcalloc(1, sizeof(struct trial_result)), .nr_trials = 1};
	struct trial_result *t = r.trials;
	struct hostpool p;
	struct bp_error err;
	int h, again;

	*t = (struct trial_result){.scenario = &sc, .dir = xstrdup("boot-ok")};
	hostpool_init(&p);
	hostpool_add(&p, A, &err);
	hostpool_add(&p, B, &err);
	hostpool_set_retry(&p, "1", &err);

	h = hostpool_pick(&p, t);
	tap_is_int(h, 0, "first attempt on A");
	trial_set_host(t, p.hosts[h].uri);
	trial_add_boot(t)->n = 1;
	tap_is_int(hostpool_retries(&p, h, t), 1, "lost with its host now: it would run again");
	hostpool_lose(&p, h);
	tap_is_int(hostpool_retries(&p, h, t), 1, "  also once the host is marked lost");
	again = hostpool_trial_lost(&p, h, t, "host stopped answering (keepalive)");
	tap_is_int(again, 1, "lost with its host: run again (--retry-infra 1)");
	tap_is_int(p.hosts[0].busy, 0, "  the lost host's slot is freed");
	tap_is_int((long long)t->nr_attempts, 1, "  the attempt recorded");
	tap_is_str(t->attempts[0].host, A, "  with its host");
	tap_is_str(t->attempts[0].reason, "host stopped answering (keepalive)", "  and why");
	trial_reset(t);
	tap_is_int((long long)t->nr_boots, 0, "reset: its boots forgotten");
	tap_ok(t->host == NULL, "  and its host");
	tap_is_int((long long)t->nr_attempts, 1, "  its attempts kept");
	h = hostpool_pick(&p, t);
	tap_is_int(h, 1, "second attempt on B");
	trial_set_host(t, p.hosts[h].uri);
	tap_is_int(hostpool_retries(&p, h, t), 0, "lost again: it would not run again");
	again = hostpool_trial_lost(&p, h, t, "connection closed");
	tap_is_int(again, 0, "lost again: no second retry, no host left");
	tap_is_int((long long)t->nr_attempts, 2, "  both attempts recorded");

	/* without --retry-infra a lost trial stays lost */
	p.hosts[0].lost = p.hosts[1].lost = 0;
	p.retry_infra = 0;
	t->nr_attempts = 2;
	tap_is_int(hostpool_trial_lost(&p, 0, t, "x"), 0, "--retry-infra 0: stays infra");

	/* a retried trial avoids the host it was lost on while another is free */
	p.retry_infra = 16;
	trial_reset(t);
	for (size_t i = 0; i < t->nr_attempts; i++) {
		free(t->attempts[i].host);
		free(t->attempts[i].reason);
	}
	t->nr_attempts = 0;
	trial_add_attempt(t, A, "gone");
	tap_is_int(hostpool_pick(&p, t), 1, "a retry avoids the host it was lost on");
	tap_is_int(hostpool_pick(&p, t), 0, "  but takes it when nothing else is free");

	/* results.json: host and attempts, read back through the schema check */
	{
		char dir[] = "/tmp/t-hostpool.XXXXXX", *path;
		json_t *root = NULL, *s0;

		trial_set_host(t, B);
		trial_add_boot(t)->n = 1;
		t->boots[0].outcome = OUTCOME_INFRA;
		t->finished = 1;
		t->verdict = VERDICT_INFRA;
		r.run_id = xstrdup("20261202-050000-1");
		r.suite_path = xstrdup("suite.yaml");
		r.dir = xstrdup(mkdtemp(dir));
		path = xasprintf("%s/results.json", dir);
		tap_is_int(report_json_write(&r, path, &err), 0, "results.json written");
		tap_is_int(report_load(dir, &root, &err), 0, "and read back through the schema");
		if (root) {
			s0 = json_array_get(json_object_get(root, "scenarios"), 0);
			tap_is_str(json_string_value(json_object_get(s0, "host")), B, "host recorded");
			tap_is_str(json_string_value(json_object_get(
					   json_array_get(json_object_get(s0, "attempts"), 0), "host")),
				   A, "the lost attempt's host recorded");
			json_decref(root);
		} else {
			tap_diag(err.msg);
		}
		/* a host's URI is text from the command line: escaped in every format */
		trial_set_host(t, "qemu+tcp://h/system?x=<b>&y=\"z\"\n# Bail out!");
		tap_is_int(report_json_write(&r, path, &err), 0, "a hostile host written");
		root = NULL;
		if (report_load(dir, &root, &err) == 0) {
			struct report_context ctx = {.run_dir = dir};
			struct strbuf html = STRBUF_INIT, junit = STRBUF_INIT, tap = STRBUF_INIT;

			report_html(root, &ctx, &html);
			report_junit(root, dir, &junit);
			report_tap(root, &tap);
			tap_like(html.buf, "<td class=\"host\">qemu+tcp://h/system?x=&lt;b&gt;&amp;y=&quot;z&quot;",
				 "the page: a host column, escaped");
			tap_like(html.buf, "attempt 1 lost with host <code class=\"host\">" A "</code>: gone",
				 "  and the lost attempt");
			tap_like(junit.buf, "<property name=\"host\" value=\"qemu+tcp://h/system?x=&lt;b&gt;&amp;y=&quot;z&quot;",
				 "JUnit: a host property, escaped");
			tap_like(junit.buf, "<property name=\"attempt.1\" value=\"lost with host " A ": gone\"/>",
				 "  and the lost attempt");
			tap_like(tap.buf, "# boot-ok: attempt 1 lost with host " A ": gone\n# boot-ok: on host qemu+tcp://h/system?x=<b>&y=\"z\"",
				 "TAP: the host as a comment line");
			tap_ok(!strstr(tap.buf, "\n# Bail out!"), "  that no host text can end");
			strbuf_release(&html);
			strbuf_release(&junit);
			strbuf_release(&tap);
			json_decref(root);
		} else {
			tap_diag(err.msg);
		}
		unlink(path);
		rmdir(dir);
		free(path);
	}
	run_result_release(&r);
	hostpool_release(&p);
}

int main(void)
{
	test_parse_errors();
	test_parse();
	test_parse_disks();
	test_uploads();
	test_add_host();
	test_pick();
	test_retry();
	return tap_done();
}
