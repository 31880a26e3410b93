/*
 * virt-golden - the golden saves a run holds on its libvirt hosts: images
 * of a domain saved at its image's pre-mount point (virDomainSaveFlags),
 * which a trial's boot restores (virDomainRestoreFlags) instead of booting
 * cold, as the direct backend restores its snapshots (snapshot.h).
 *
 * libvirt restores a save only as the domain it saved: same name, same
 * UUID (its ABI check refuses either changed, measured with libvirt 9.0),
 * so one save serves one running domain at a time. A host therefore gets
 * one save per slot, and a boot takes a free one for as long as its
 * domain exists. Saves are keyed by host URI and an opaque key (the
 * image); the registry is the loop thread's. The save files are on the
 * host's file system, written by its daemon: in the run's scratch, which
 * the run removes, or on a remote host in its pool (virt-remote.h:
 * NAME.save, path here unused), which the run's end sweeps.
 */
#ifndef BP_VIRT_GOLDEN_H
#define BP_VIRT_GOLDEN_H

#include <stddef.h>

struct virt_golden_save {
	char *uri;	 /* the host, as the run names it */
	const void *key; /* what was saved (the engine's image) */
	char *path;	 /* the save file, on a host that shares ours */
	char *name;	 /* the saved domain's name and UUID: a restore's must be these */
	char *uuid;
	int busy; /* a domain restored from it exists */
};

struct virt_conn;

/*
 * A golden domain's name and UUID (malloc'd): "bootproof-g-RAND-HOST-PID-N",
 * random hex (libvirt's file names keep a name's first 20 characters), this
 * machine's host name and the harness's pid, so a later run knows a
 * harness's domains from another's and whether it still runs; a random
 * version 4 UUID.
 */
char *virt_golden_name(size_t n);
char *virt_golden_uuid(void);
/*
 * The same scheme for another of the harness's things on a host, kind
 * its letter ('g' golden domains; 'v' a remote host's volumes,
 * virt-remote.h): "bootproof-K-RAND-HOST-PID-N".
 */
char *virt_harness_name(char kind, size_t n);
/*
 * Non-zero if name is such a name (any kind) of a harness of this machine
 * that is gone, or (mine non-zero) of this harness.
 */
int virt_harness_gone(const char *name, int mine);
/*
 * On c's worker, before this run's golden domains: destroy the running
 * golden domains of harnesses of this machine that are gone (a killed
 * run's: restored domains are not autodestroy). note(ctx, msg) names each.
 */
void virt_golden_sweep(struct virt_conn *c, void (*note)(void *ctx, const char *msg), void *ctx);

/* Record a save of key made on host uri (copied). */
void virt_golden_add(const char *uri, const void *key, const char *path, const char *name,
		     const char *uuid);
/* Non-zero if host uri (NULL: the default) has a save of key that no domain uses now. */
int virt_golden_free(const char *uri, const void *key);
/* Such a save, marked busy until virt_golden_give(); NULL if none is free. */
struct virt_golden_save *virt_golden_take(const char *uri, const void *key);
/* The domain restored from s is gone from its host: s is free again. Accepts NULL. */
void virt_golden_give(struct virt_golden_save *s);
/*
 * A golden build's or a restored domain that its machine could not destroy
 * (its host stopped answering, or the destroy failed): name on host uri
 * (copied), for virt_golden_reap().
 */
void virt_golden_left(const char *uri, const char *name);
/*
 * The run's end, before the connections close (virt_conn_close_all() then
 * waits for these jobs): each left domain destroyed through a connection
 * of its own (a lost host's is made anew: a host that answers again by
 * then is cleaned up).
 */
void virt_golden_reap(void);
/*
 * After the connections closed: every save and left domain forgotten (the
 * files go with the run's scratch). A left domain the reap did not destroy
 * is named to note(ctx, msg) (note may be NULL); the sweep of the next run
 * on this machine destroys it.
 */
void virt_golden_clear(void (*note)(void *ctx, const char *msg), void *ctx);

#endif
