/*
 * update - the host side of the sensor's update channel (sensor/PROTOCOL.md).
 *
 * One struct update serves one connection: the unix socket QEMU connected to
 * for the guest's virtio-serial port org.bootproof.update. The caller
 * accepts the connection (non-blocking), hands the fd over with
 * update_new(), configures what to serve, and drives the object from its
 * poll loop:
 *
 *     struct pollfd p = {update_fd(u), POLLIN | (update_want_write(u) ? POLLOUT : 0)};
 *     ...
 *     if (p.revents & (POLLIN | POLLHUP | POLLERR)) r = update_on_readable(u, &err);
 *     if (p.revents & POLLOUT) r = update_on_writable(u, &err);
 *
 * What it serves:
 *   - update_publish(): the content set answered to the agent's CHECK (a
 *     SET), unless the guest already has that set id; with nothing
 *     published every CHECK gets NONE;
 *   - update_push(): a live push, queued; it is written once the agent has
 *     said HELLO (so pushes never wait in a port nobody reads), after
 *     anything queued before it.
 * Files are read when published or pushed, so a missing or oversized file
 * is an error there and then, never in the middle of a conversation.
 *
 * Everything the guest sends is untrusted: lines are bounded (255 bytes),
 * parsed strictly and checked against the conversation. A guest that breaks
 * the protocol gets state.protocol_error and a message; the object then
 * sends nothing more and reads and discards the guest's output, so the fd
 * stays pollable without spinning.
 *
 * What the guest can make us queue is bounded, whether or not it reads: one
 * answer at a time (a CHECK while the answer to the previous one is not yet
 * all handed to the socket, or while a SET sent is not yet acknowledged
 * with DONE or ERROR, is a protocol error), and the unwritten output never
 * exceeds UPDATE_MAX_QUEUED bytes (an answer that would exceed it is a
 * protocol error; a push that would, fails in update_push()). A line cut
 * short by the end of the connection or by the guest closing its port
 * (update_guest_closed()) is a protocol error too. What happened is recorded in struct
 * update_state with host timestamps (now_ns(), taken when the bytes were
 * read or fully handed to the socket).
 *
 * Library rules: no printing, errors through struct bp_error.
 */
#ifndef BP_UPDATE_H
#define BP_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Protocol limits, as in sensor/PROTOCOL.md. */
#define UPDATE_MAX_LINE 255
#define UPDATE_MAX_ID 64
#define UPDATE_MAX_FILE (1024 * 1024)
#define UPDATE_MAX_FILES 256
#define UPDATE_MAX_SET_BYTES (8 * 1024 * 1024)
/*
 * Unwritten output: room for the largest answer (a SET: 8 MiB and its
 * lines) and as much again of pushes queued ahead of it.
 */
#define UPDATE_MAX_QUEUED (2 * UPDATE_MAX_SET_BYTES + 64 * 1024)

/* One file of a published set: read from path, installed as name. */
struct update_file {
	const char *path;
	const char *name; /* C-NNNNNNNN-NNNNNNNN-NNNNNNNN.sys */
};

/* What the guest said and what was delivered; counts and the latest of each. */
struct update_state {
	char published[UPDATE_MAX_ID + 1]; /* id of the published set, "" if none */

	int hellos;       /* HELLO lines (a second one: the guest rebooted) */
	int resumed;      /* update_resume(): the HELLO was said before a snapshot */
	int64_t hello_ns; /* host time of the latest */
	unsigned boot;    /* from the latest HELLO: the guest's boot counter */
	unsigned version; /* sensor version */
	char guest_set[UPDATE_MAX_ID + 1]; /* the set the guest had, "-" for none */

	int checks;       /* CHECK lines */
	int64_t check_ns;
	int nones;        /* CHECKs answered NONE */
	int64_t none_ns;  /* when the latest NONE was fully written */
	int sets_sent;    /* CHECKs answered with the published set, fully written */
	int64_t set_sent_ns;
	int sets_done;    /* DONE set= from the guest: the set is installed */
	int64_t set_done_ns;
	unsigned set_done_boot; /* the guest boot (from HELLO) that installed it */

	int pushes_queued; /* update_push() calls */
	int pushes_sent;   /* fully written */
	int64_t push_sent_ns;
	int pushes_done;   /* DONE push= from the guest */
	int64_t push_done_ns;
	int push_loaded;   /* loaded= of the latest DONE push= */
	int pushes_loaded; /* DONE push= with loaded=1: files the running sensor took */
	int push_persisted; /* persist= of the latest DONE push= */

	int stats_asked;    /* update_stats() requests written or queued */
	int stats_answered; /* STATS answers (an ERROR or a new HELLO voids a request) */
	int64_t stats_ns;   /* when the latest answer came */
	/* The latest STATS answer's figures (sensor/PROTOCOL.md); -1: the agent said '-'. */
	long long mem_available_kib, mem_free_kib, slab_kib, module_bytes;

	int errors;        /* ERROR lines from the guest */
	int64_t error_ns;
	char error[UPDATE_MAX_LINE + 1]; /* the latest ERROR line (validated printable text) */

	int eof;           /* the connection was closed */
	int protocol_error; /* the guest broke the protocol; see protocol_msg */
	char protocol_msg[512];
};

/* Take over a connected, non-blocking stream socket fd (closed by update_free). */
struct update *update_new(int fd);
/* Close the fd and free everything. Accepts NULL. */
void update_free(struct update *u);

/*
 * Publish a content set of nr files (nr may be 0: an empty set). id names
 * it on the guest; NULL derives one from the names and bytes ("c-" and 16
 * hex digits), so the same content always has the same id. Replaces an
 * earlier publication; a CHECK already answered is not answered again.
 * Fails (nothing changed) on a bad id or name, a duplicate name, an
 * unreadable file, a file over 1 MiB, or more than the limits above.
 */
int update_publish(struct update *u, const char *id, const struct update_file *files, size_t nr,
		   struct bp_error *err);
/* Withdraw the publication: CHECKs are answered NONE again. */
void update_unpublish(struct update *u);

/*
 * Queue a live push of the file at host_path as name; persist asks the
 * agent to install it on disk as well. Fails on a bad name, an unreadable
 * or oversized file, after a protocol error, or when the output not yet
 * written (pushes waiting for HELLO included) would exceed
 * UPDATE_MAX_SET_BYTES with it: the guest does not read its channel.
 */
int update_push(struct update *u, const char *host_path, const char *name, int persist,
		struct bp_error *err);

/*
 * Ask the agent for the guest's memory figures (a STATS line; the answer
 * fills stats_* and the figures in update_state). One at a time, after
 * HELLO. Fails after a protocol error, on a closed channel, before HELLO,
 * or while an earlier request is unanswered. An answer that comes
 * unasked, or with a figure that is not N or '-', is a protocol error.
 */
int update_stats(struct update *u, struct bp_error *err);

/*
 * The guest was restored from a snapshot taken while its agent was already
 * serving this channel: its HELLO went to the connection the snapshot was
 * made with. Carry on as if it had been said here (hellos = 1, resumed = 1,
 * guest_set "-"), so that queued pushes are written now. Nothing if a HELLO
 * has been seen.
 */
void update_resume(struct update *u);

/*
 * The guest closed its end of the port (QMP VSERPORT_CHANGE, open false):
 * read what is still in the socket, then a line left unfinished is a
 * protocol error (returns -1 with err). The connection itself stays: the
 * guest may open the port again. Returns 0 otherwise.
 */
int update_guest_closed(struct update *u, struct bp_error *err);

/* Bytes queued and not yet handed to the socket; at most UPDATE_MAX_QUEUED. */
size_t update_queued(const struct update *u);

/* The fd to poll; -1 once closed (after EOF or a write error). */
int update_fd(const struct update *u);
/* Non-zero when output is waiting: poll for POLLOUT too. */
int update_want_write(const struct update *u);

/*
 * Read what is available and act on every complete line. Returns 0, 1 when
 * the peer closed the connection (the fd is then closed), or -1 with err:
 * the guest broke the protocol (state.protocol_error is set; later calls
 * return 0 and discard input; a close right after a partial line is this
 * case, the fd closed too) or the socket failed.
 */
int update_on_readable(struct update *u, struct bp_error *err);
/* Write what is queued. Returns 0, or -1 with err if the socket failed. */
int update_on_writable(struct update *u, struct bp_error *err);

const struct update_state *update_state(const struct update *u);

/* Checks used by both sides' tests: a valid set id / channel-file name. */
int update_valid_id(const char *s);
int update_valid_name(const char *s);

#endif
