/*
 * hostpool - the hosts a run's trials go to (`run --host
 * URI[,slots=N][,disks=shared|upload]`, repeatable) and the bookkeeping
 * of which host runs what: free-slot choice, hosts that stop answering,
 * and `--retry-infra N`.
 *
 * A host is a libvirt URI with a number of slots (trials run there at
 * once; default 1) and how it gets the trials' disks (hostdisks.h; see
 * hostpool_uploads()). The pool comes from the command line or, without
 * --host, from the suite's `hosts:` (scenario.h: struct suite_host; the
 * command line replaces it whole). The run holds one connection per host (the libvirt
 * backend's); this module only decides and counts, it never connects, so
 * it is tested without a daemon.
 *
 * Choice (hostpool_pick()) is deterministic and spreads evenly: among the
 * hosts that are not lost and have a free slot, the one with the smallest
 * share of its slots busy (busy/slots, compared exactly), then the one
 * that has started the fewest trials, then the first given. A trial being
 * retried avoids the hosts it was already lost on while another host can
 * take it.
 *
 * A lost host (keepalive or close callback: it stopped answering) takes no
 * more trials; its in-flight trials are infra (trial.h: aborted, exit 3).
 * hostpool_trial_lost() records such an attempt in the trial's results
 * (results.h: trial_result.attempts, "attempts" in results.json) and says
 * whether to run the trial again: at most retry_infra times per trial, and
 * only while some other host is not lost. The attempt that produced the
 * trial's boots is trial_result.host.
 */
#ifndef BP_HOSTPOOL_H
#define BP_HOSTPOOL_H

#include <stddef.h>

#include "hostdisks.h"
#include "results.h"
#include "util.h"

#define HOSTPOOL_MAX_SLOTS 64
#define HOSTPOOL_MAX_RETRY 16
/* trial_result.host for the direct-QEMU backend: the machine bootproof runs on. */
#define HOSTPOOL_LOCAL "local"

struct pool_host {
	char *uri;
	int slots;             /* at most this many trials at once */
	enum host_disks disks; /* as given; hostpool_uploads() resolves AUTO */
	int busy;              /* trials running there now */
	int started;           /* trials started there in all */
	int lost;              /* stopped answering: takes no trials */
};

struct hostpool {
	struct pool_host *hosts;
	size_t nr_hosts, alloc_hosts;
	int retry_infra; /* a trial lost with its host runs again up to this many times */
};

void hostpool_init(struct hostpool *p);
void hostpool_release(struct hostpool *p);

/*
 * Add one --host argument: "URI" then, in any order and each at most once,
 * ",slots=N" (1 <= N <= HOSTPOOL_MAX_SLOTS, default 1) and
 * ",disks=shared|upload" (default HOST_DISKS_AUTO). Returns 0, or -1 with
 * err for an empty URI, an unknown, repeated or empty option, a value not
 * one of those, or a URI given twice (compared as given, less trailing '/').
 */
int hostpool_add(struct hostpool *p, const char *arg, struct bp_error *err);
/*
 * Add a host given as its parts (a suite's `hosts:` entry): 0, or -1 with
 * err for a URI that is empty or blanks only, slots not 1..HOSTPOOL_MAX_SLOTS
 * or a URI already in the pool (hostpool_same_uri()).
 */
int hostpool_add_host(struct hostpool *p, const char *uri, int slots, enum host_disks disks,
		      struct bp_error *err);
/*
 * The len bytes at s name a disks mode: "shared" or "upload" (AUTO is
 * never written; it is the absence of the option). 0 with *ret set, else
 * -1. The one reader of the word for --host and a suite's `disks:`.
 */
int hostpool_parse_disks(const char *s, size_t len, enum host_disks *ret);
/*
 * Whether a host with this URI and disks mode gets disks uploaded into its
 * storage pool (non-zero) or opens the harness's files at their paths (0).
 * UPLOAD: 1; SHARED: 0; AUTO: by the URI. The daemon is what opens the
 * disk, kernel and initrd paths the domain XML names, and only a daemon on
 * this machine sees this machine's files: so shared when the URI
 * (driver[+transport]://[user@][host][:port]/path[?query]) has transport
 * unix, or a host part that is empty (qemu:///system), localhost, an IPv4
 * loopback address (127.0.0.0/8) or the IPv6 one ([::1]); upload for any
 * other host (qemu+ssh://build7/system) and for a URI that does not parse
 * so (uploading works everywhere, sharing only where the files are). A
 * loopback URI can still reach a daemon that does not see this file system
 * (another mount namespace: a container, a chroot): that host needs
 * disks=upload given.
 */
int hostpool_uploads(const char *uri, enum host_disks disks);
/* a and b name the same host: equal as given, less trailing '/'. */
int hostpool_same_uri(const char *a, const char *b);
/* --retry-infra N: 0 <= N <= HOSTPOOL_MAX_RETRY, else -1 with err. */
int hostpool_set_retry(struct hostpool *p, const char *arg, struct bp_error *err);
/* Slots of the hosts not lost: how many trials can run at once. */
int hostpool_capacity(const struct hostpool *p);

/*
 * The host for the next trial (t may be NULL: a first attempt), as the
 * header says, with its slot taken (busy and started counted); -1 when no
 * host that is not lost has a free slot.
 */
int hostpool_pick(struct hostpool *p, const struct trial_result *t);
/* The trial on host h ended (whatever its verdict): its slot is free. */
void hostpool_done(struct hostpool *p, int h);
/*
 * Host h stopped answering: it takes no more trials. Its in-flight trials
 * are each passed to hostpool_trial_lost() by the caller.
 */
void hostpool_lose(struct hostpool *p, int h);
/*
 * t was running on host h when h was lost (why: the caller's words,
 * "host stopped answering (keepalive)"): the attempt is recorded in t
 * (trial_add_attempt()), h's slot freed. Returns 1 when t is to be run
 * again (the caller resets its boots and checks and submits it; its next
 * pick avoids h), 0 when it stays infra.
 */
int hostpool_trial_lost(struct hostpool *p, int h, struct trial_result *t, const char *why);
/*
 * What hostpool_trial_lost() would return for t lost with h now (before
 * it is recorded): 1 when t runs again. The caller may say so early (a
 * boot cut by the loss is then no failure of the run's TAP stream).
 */
int hostpool_retries(const struct hostpool *p, int h, const struct trial_result *t);

#endif
