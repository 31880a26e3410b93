/*
 * util - the small pieces every module shares: the error buffer that library
 * modules fill instead of printing, a never-NULL growable string (strbuf,
 * after git's), allocation wrappers that abort on exhaustion, and monotonic
 * time.
 *
 * Error convention: a function that can fail takes `struct bp_error *err` as
 * its last argument and returns -1 after `error_set()`; the caller decides
 * whether and how to show `err->msg`. Messages are lowercase, no trailing
 * period, with the subject quoted: "cannot open 'x.yaml': No such file".
 */
#ifndef BP_UTIL_H
#define BP_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct bp_error {
	char msg[1024];
};

/* Format into err (if not NULL) and return -1, so callers can `return error_set(...)`. */
int error_set(struct bp_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix an existing message: "ctx: old message". Returns -1. */
int error_prefix(struct bp_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#ifdef __clang_analyzer__
/*
 * clang's analyzer (make lint) steps neither into other files nor into
 * variadic functions, so it would follow `return error_set(...)` as if it
 * could succeed: these always return -1. util.c defines them as functions.
 */
#define error_set(...) (error_set(__VA_ARGS__), -1)
#define error_prefix(...) (error_prefix(__VA_ARGS__), -1)
#endif

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow an array of `nr` used elements to hold at least `want`; `alloc` tracks capacity. */
#define ALLOC_GROW(arr, want, alloc)                                                               \
	do {                                                                                       \
		if ((size_t)(want) > (size_t)(alloc)) {                                            \
			size_t n_ = (alloc) ? (size_t)(alloc) * 2 : 8;                             \
			while (n_ < (size_t)(want))                                                \
				n_ *= 2;                                                           \
			(arr) = xrealloc((arr), n_ * sizeof(*(arr)));                              \
			(alloc) = n_;                                                      \
		}                                                                                  \
	} while (0)

/* strbuf: buf is never NULL and always NUL-terminated. */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
extern char strbuf_empty[];
#define STRBUF_INIT {strbuf_empty, 0, 0}

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* fmt's text to a note callback (a progress or fallback line); note may be NULL. */
void note_fmt(void (*note)(void *ctx, const char *msg), void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void strbuf_reset(struct strbuf *sb);
/* Remove the first n bytes. */
void strbuf_remove_prefix(struct strbuf *sb, size_t n);
/* Hand the buffer to the caller (malloc'd, never NULL) and reset sb. */
char *strbuf_detach(struct strbuf *sb);

/*
 * Set (to the signal number) by the program's SIGINT/SIGTERM handler; long
 * loops check it and wind down, leaving a readable, incomplete report.
 */
extern volatile sig_atomic_t bp_interrupted;

/* Monotonic clock in milliseconds / nanoseconds. */
int64_t now_ms(void);
int64_t now_ns(void);
/* 64 random bits from the kernel (without blocking), else from the clock and the pid. */
uint64_t random_u64(void);

/* Read a whole file into sb (appending). Returns 0 or -1 with err. */
int read_file(const char *path, struct strbuf *sb, struct bp_error *err);
/*
 * Write data to path atomically: write "path.tmp.<pid>", fsync, rename.
 * A crash or full disk leaves the old file (or none), never a truncated one.
 */
int write_file_atomic(const char *path, const void *data, size_t len, struct bp_error *err);
/* Write or read exactly len bytes (EINTR retried). 0, or -1 (errno; 0 at EOF). */
int write_all(int fd, const void *buf, size_t len);
int read_all(int fd, void *buf, size_t len);
/*
 * A unix socket listening at path (a stale socket file there is removed),
 * non-blocking and close-on-exec, for one peer the harness starts: the
 * harness listens and the child connects, so there is no race. fd or -1.
 */
int listen_unix(const char *path, struct bp_error *err);
/* mkdir -p */
int mkdir_p(const char *path, struct bp_error *err);
/* rm -rf of a directory we created (no symlink following). */
int remove_tree(const char *path);

/*
 * Open a regular file for reading without blocking and without touching
 * anything else: stat() first (a FIFO, device, socket or directory is
 * refused and never opened), then open() with O_NONBLOCK (so a file swapped
 * for a FIFO cannot block us), fstat() of what was opened (no race with a
 * rename), size checked against max_size (-1: no limit), O_NONBLOCK cleared.
 * Returns the fd (O_CLOEXEC) or -1 with err->msg a phrase that follows the
 * file's name in the caller's message: "does not exist", "is a dangling
 * symbolic link", "is a FIFO, not a regular file", "is 5 bytes; at most 4
 * are allowed", "cannot be read: Permission denied", ...
 */
int open_regular(const char *path, int64_t max_size, struct bp_error *err);
/*
 * Read the regular file path whole into sb (appending), through
 * open_regular() with max_size; the file growing past max_size while it is
 * read is refused too. Returns 0 or -1 with err->msg "'PATH' PHRASE".
 */
int read_regular(const char *path, size_t max_size, struct strbuf *sb, struct bp_error *err);

#endif
