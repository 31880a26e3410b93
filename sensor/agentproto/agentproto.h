/*
 * agentproto - the guest side of the update channel (sensor/PROTOCOL.md) in
 * portable C: the protocol half of the Windows update agent (refagent.exe,
 * sensor/windows/refagent-win.c), run on Linux by tests/t-agentproto.c
 * against the harness's own side (harness/engine/update.c) over a
 * socketpair. It speaks exactly what the busybox agent (sensor/agent)
 * speaks: HELLO and CHECK at start, then NONE or a whole SET, PUSH and
 * STATS at any time after; every host line and byte count is validated the
 * same way, and any error is answered with ERROR reason=WORD (with set= or
 * push=), said on the agent's log, and ends the conversation (the stream
 * cannot be trusted after a broken frame).
 *
 * What touches the machine is the platform's (struct agent_ops): reading
 * and writing the channel with a timeout, the label of the content set on
 * disk, installing a set, feeding a push to the running sensor, the memory
 * figures, the log. A set and a push are received whole into memory (at
 * most 8 MiB and 1 MiB, the protocol's limits) before the platform sees
 * them, so a short read never leaves a partial file behind.
 *
 * No allocation besides one buffer per received set or push (malloc); no
 * printing: lines go to ops->say.
 */
#ifndef AGENTPROTO_H
#define AGENTPROTO_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_MAX_LINE 255
#define AGENT_MAX_ID 64
#define AGENT_MAX_FILE (1024 * 1024)
#define AGENT_MAX_FILES 256
#define AGENT_MAX_SET_BYTES (8 * 1024 * 1024)
#define AGENT_NAME_LEN 32 /* C-NNNNNNNN-NNNNNNNN-NNNNNNNN.sys */

/* agent_ops.read's results besides a byte count. */
#define AGENT_EOF 0
#define AGENT_FAIL (-1)
#define AGENT_TIMEOUT (-2)

struct agent_file {
	char name[AGENT_NAME_LEN + 1];
	const uint8_t *data;
	size_t len;
};

struct agent_ops {
	void *ctx;
	/*
	 * Read at most n (> 0) bytes, waiting at most timeout_ms (< 0: for
	 * ever): a count, AGENT_EOF (the channel closed), AGENT_FAIL or
	 * AGENT_TIMEOUT.
	 */
	long (*read)(void *ctx, void *buf, size_t n, int timeout_ms);
	/* Write all n bytes: 0, or -1. */
	int (*write)(void *ctx, const void *buf, size_t n);
	/*
	 * The label of the set on disk into id (AGENT_MAX_ID + 1 bytes):
	 * its id, or "-" when it cannot be labelled (agent_label() helps).
	 */
	void (*current_set)(void *ctx, char *id);
	/* Non-zero if the set id was quarantined (NULL: nothing ever is). */
	int (*quarantined)(void *ctx, const char *id);
	/*
	 * Make the nr files the content on disk as set id, atomically per
	 * file at least (the platform says how), and tell the running sensor.
	 * 0, or -1 (the agent answers ERROR reason=disk).
	 */
	int (*install_set)(void *ctx, const char *id, const struct agent_file *files, size_t nr);
	/*
	 * Feed a pushed file to the running sensor: 1 it took it, 0 there is
	 * no sensor running. With persist, also install it on disk as set id
	 * (the current set plus this file): -1 if that failed.
	 */
	int (*push)(void *ctx, const struct agent_file *f, int persist, const char *id);
	/* available, free, slab KiB and the sensor's size in bytes; -1: unknown. */
	void (*stats)(void *ctx, long long fig[4]);
	/* One log line (no newline), "refsensor-agent: " not included. */
	void (*say)(void *ctx, const char *line);
	/* The boot-time check is over, whatever its outcome (may be NULL). */
	void (*boot_done)(void *ctx);
};

/*
 * One conversation: HELLO (boot, version, the current set), CHECK, its
 * answer within timeout_ms, then pushes and STATS until the channel
 * closes. Returns 0 when the host closed the channel after a complete
 * conversation, -1 otherwise (a timeout, a protocol error: said on the log
 * and, where the host can still read, answered with ERROR).
 */
int agent_run(const struct agent_ops *ops, unsigned boot, unsigned version, int timeout_ms);

/* PROTOCOL.md's value types. */
int agent_valid_num(const char *s);
int agent_valid_id(const char *s);
int agent_valid_name(const char *s);

/*
 * A set's digest for its label ("ID DIGEST"): FNV-1a 64 over each file's
 * name, a NUL, its length (8 bytes, little-endian) and its bytes, files in
 * name order (the caller sorts). Start with AGENT_DIGEST_INIT.
 */
#define AGENT_DIGEST_INIT 0xcbf29ce484222325ULL
uint64_t agent_digest(uint64_t h, const char *name, const uint8_t *data, size_t len);

/*
 * The label of a set from its label file's text and the digest of the
 * files now on disk: the id when the file says "ID DIGEST" with that
 * digest, else "_local-" and the digest's first 8 hex digits (the files
 * changed offline, or were never labelled). id: AGENT_MAX_ID + 1 bytes.
 */
void agent_label(const char *label_text, uint64_t digest, char *id);

#endif
