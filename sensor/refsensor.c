// SPDX-License-Identifier: GPL-2.0
/*
 * refsensor - the bootproof reference sensor.
 *
 * A small kernel module with a content interpreter, modelled on the sensor
 * involved in the channel-file-291 incident of July 19 2024. At init it
 * synthesises one IPC event (a named-pipe creation) carrying RS_IPC_INPUTS
 * (20) input values, loads every *.sys channel file in content_dir and
 * evaluates each template instance against the event. Content can also be
 * pushed into a running sensor through /proc/refsensor/load, one whole
 * channel file per open/write/close. The binary format is documented in
 * sensor/FORMAT.md and produced by sensor/chanc.c.
 *
 * The IPC template type declares 21 criteria fields, one more than the event
 * supplies. Version 1 reproduces the incident: it never checks a field index
 * against the number of inputs, so an instance with a non-wildcard criterion
 * in field 21 reads inputs[20], which lies on the vmalloc guard page, and the
 * kernel oopses in refsensor_eval(). Version 2 is the fix: such instances are
 * rejected as content errors and the evaluator bounds-checks at run time.
 * Version 3 keeps version 1's bug and adds a crash-loop guard: content is
 * marked pending before it loads and committed once the boot stays up, and a
 * boot that finds content a crashed boot never committed quarantines it. The
 * guard runs in the sensor's userspace agent (sensor/agent, PROTOCOL.md),
 * around this module's load, so that its state on disk is written with
 * ordinary atomic renames; the module declares it in its modinfo
 * (bootproof_features=guard) and its log is version 1's.
 * Apart from that one deliberate bug, parsing is fully bounds-checked in every
 * version: malformed files are rejected, never trusted.
 *
 * The parser and evaluator are the portable interpreter in sensor/interp
 * (interp.h), shared with the userspace library the fuzzer runs; this file
 * is the kernel's side: the event, the content directory, /proc and the log.
 *
 * Build with sensor/build-module.sh, which passes -DREFSENSOR_VERSION=N.
 */
#define pr_fmt(fmt) "refsensor: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kernel_read_file.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>

#include "interp/interp.h"
#include "interp/interp-version.h"

#define RS_MAX_DIR_FILES 1024
#define RS_MAX_LOGGED_INSTANCES 32
#define RS_MAX_FILE_SIZE INTERP_MAX_FILE_SIZE
#define RS_IPC_FIELDS INTERP_IPC_FIELDS
#define RS_IPC_INPUTS INTERP_IPC_INPUTS

/*
 * The synthesised IPC event. inputs is placed at the very end of a one-page
 * vmalloc area so that inputs[RS_IPC_INPUTS] is the first word of the guard
 * page after it: an out-of-bounds read faults deterministically instead of
 * silently reading a neighbour.
 */
struct rs_event {
	void *page;
	struct interp_event ev; /* inputs point into page */
};

static char *content_dir = "/system/sensor/content";
module_param(content_dir, charp, 0444);
MODULE_PARM_DESC(content_dir, "directory whose *.sys channel files are loaded at init");

static struct rs_event rs_event;
static DEFINE_MUTEX(rs_lock); /* serialises loads and the statistics */
static unsigned int rs_files_loaded, rs_files_rejected, rs_instances_rejected, rs_matches;
static unsigned int rs_proc_loads;
static struct proc_dir_entry *rs_proc_dir;

static __printf(2, 0) void rs_vcontent_error(const char *name, const char *fmt, va_list args)
{
	struct va_format vaf;
	va_list aq;

	/* %pV wants a va_list *: a parameter's va_list is an array type here. */
	va_copy(aq, args);
	vaf.fmt = fmt;
	vaf.va = &aq;
	pr_err("content error: %s: %pV\n", name, &vaf);
	va_end(aq);
}

static __printf(2, 3) void rs_content_error(const char *name, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	rs_vcontent_error(name, fmt, args);
	va_end(args);
}

/* ---- the interpreter's environment (interp.h) ---- */

static void *rs_alloc(size_t n, size_t size)
{
	return kvcalloc(n, size, GFP_KERNEL);
}

static void rs_free(void *p)
{
	kvfree(p);
}

static __printf(3, 4) void rs_interp_error(void *ctx, const char *name, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	rs_vcontent_error(name, fmt, args);
	va_end(args);
}

/* A console at 115200 baud cannot take thousands of lines per file. */
static void rs_interp_instance(void *ctx, const struct interp_channel *ch, u32 i, bool match)
{
	if (i < RS_MAX_LOGGED_INSTANCES)
		pr_info("%s: instance %u: %s\n", ch->name, i + 1, match ? "match" : "no match");
	else if (i == RS_MAX_LOGGED_INSTANCES)
		pr_info("%s: not logging instances past %d\n", ch->name, RS_MAX_LOGGED_INSTANCES);
}

static const struct interp_ops rs_ops = {
	.alloc = rs_alloc,
	.free = rs_free,
	.error = rs_interp_error,
	.instance = rs_interp_instance,
};

/* ---- the event ---- */

static int rs_event_init(struct rs_event *ev)
{
	static const char *const fixed[RS_IPC_INPUTS] = {
		[0] = "\\\\.\\pipe\\bootproof", /* pipe name */
		[1] = "/usr/sbin/bootproof-agent", /* creating image path */
		/* 2..7 are numbers, filled in below */
		[8] = "/sbin/init", /* parent image path */
		[9] = "duplex", /* open mode */
		[10] = "byte", /* pipe type */
		[11] = "255", /* max instances */
		[12] = "4096", /* out buffer size */
		[13] = "4096", /* in buffer size */
		[14] = "0", /* default timeout */
		[15] = "reject-remote", /* remote clients */
		[16] = "system", /* integrity level */
		/* 17 is the host name, filled in below */
		[18] = "create", /* operation */
		[19] = "1", /* event sequence number */
	};
	size_t ptrs = RS_IPC_INPUTS * sizeof(const char *);
	char *strings, *end;
	unsigned int i;

	ev->page = vzalloc(PAGE_SIZE);
	if (!ev->page)
		return -ENOMEM;
	ev->ev.inputs = (const char **)((char *)ev->page + PAGE_SIZE - ptrs);
	ev->ev.ninputs = RS_IPC_INPUTS;

	/* The strings live at the start of the same page, below the array. */
	strings = ev->page;
	end = (char *)ev->ev.inputs;
	for (i = 0; i < RS_IPC_INPUTS; i++) {
		int n;

		switch (i) {
		case 2: /* pid */
			n = snprintf(strings, end - strings, "%d", task_pid_nr(current));
			break;
		case 3: /* parent pid */
			n = snprintf(strings, end - strings, "%d", task_ppid_nr(current));
			break;
		case 4: /* uid */
			n = snprintf(strings, end - strings, "%u",
				     from_kuid(&init_user_ns, current_uid()));
			break;
		case 5: /* gid */
			n = snprintf(strings, end - strings, "%u",
				     from_kgid(&init_user_ns, current_gid()));
			break;
		case 6: /* session id */
			n = snprintf(strings, end - strings, "%d", task_session_vnr(current));
			break;
		case 7: /* creating process name */
			n = snprintf(strings, end - strings, "%s", current->comm);
			break;
		case 17: /* host name */
			n = snprintf(strings, end - strings, "%s", utsname()->nodename);
			break;
		default:
			n = snprintf(strings, end - strings, "%s", fixed[i]);
			break;
		}
		if (n < 0 || n >= end - strings) {
			vfree(ev->page);
			ev->page = NULL;
			return -ENOSPC;
		}
		ev->ev.inputs[i] = strings;
		strings += n + 1;
	}
	return 0;
}

static void rs_event_release(struct rs_event *ev)
{
	vfree(ev->page);
	ev->page = NULL;
	ev->ev.inputs = NULL;
}

/*
 * Load one channel file: parse, validate, evaluate every instance. The one
 * path for content from content_dir and from /proc/refsensor/load.
 */
static int rs_load(const char *name, const u8 *buf, size_t len)
{
	struct interp_channel ch;
	struct interp_result res;
	int err;

	mutex_lock(&rs_lock);
	err = interp_parse(&ch, name, buf, len, &rs_ops);
	if (err) {
		rs_files_rejected++;
		err = err == INTERP_ENOMEM ? -ENOMEM : -EINVAL;
		goto out;
	}
	pr_info("loaded %s: channel %u, template %s, %u fields, %u instances\n", name,
		ch.number, ch.tmpl->name, ch.tmpl->nfields, ch.ninstances);
	interp_run(&ch, &rs_event.ev, &rs_ops, &res);
	pr_info("%s: %u instances: %u match, %u no match, %u rejected\n", name, ch.ninstances,
		res.matched, res.unmatched, res.rejected);
	rs_matches += res.matched;
	rs_instances_rejected += res.rejected;
	rs_files_loaded++;
	interp_channel_release(&ch, &rs_ops);
out:
	mutex_unlock(&rs_lock);
	return err;
}

/* ---- content directory ---- */

struct rs_dir_list {
	struct dir_context ctx;
	char **names;
	unsigned int count;
	bool overflow;
	int err;
};

static bool rs_dir_actor(struct dir_context *ctx, const char *name, int namlen, loff_t off,
			 u64 ino, unsigned int d_type)
{
	struct rs_dir_list *l = container_of(ctx, struct rs_dir_list, ctx);
	char *copy;

	if (d_type != DT_REG && d_type != DT_UNKNOWN)
		return true;
	if (namlen < 5 || memcmp(name + namlen - 4, ".sys", 4))
		return true;
	if (l->count == RS_MAX_DIR_FILES) {
		l->overflow = true;
		return false;
	}
	copy = kmemdup_nul(name, namlen, GFP_KERNEL);
	if (!copy) {
		l->err = -ENOMEM;
		return false;
	}
	l->names[l->count++] = copy;
	return true;
}

static int rs_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void rs_load_file(const char *dir, const char *name)
{
	char *path;
	void *buf = NULL;
	ssize_t n;

	path = kasprintf(GFP_KERNEL, "%s/%s", dir, name);
	if (!path) {
		rs_content_error(name, "out of memory");
		return;
	}
	/* No file_size argument: a file over the cap fails with -EFBIG, never reads partially. */
	n = kernel_read_file_from_path(path, 0, &buf, RS_MAX_FILE_SIZE, NULL, READING_UNKNOWN);
	if (n < 0) {
		if (n == -EFBIG)
			rs_content_error(name, "larger than %d bytes", RS_MAX_FILE_SIZE);
		else if (n == -EINVAL)
			rs_content_error(name, "empty or not a regular file");
		else
			rs_content_error(name, "cannot read '%s': error %zd", path, n);
		mutex_lock(&rs_lock);
		rs_files_rejected++;
		mutex_unlock(&rs_lock);
	} else {
		rs_load(name, buf, n);
	}
	vfree(buf);
	kfree(path);
}

/* Load every *.sys in dir in name order; a missing dir is not an error. */
static void rs_load_dir(const char *dir)
{
	struct rs_dir_list l = { .ctx.actor = rs_dir_actor };
	struct file *filp;
	unsigned int i;
	int err;

	filp = filp_open(dir, O_RDONLY | O_DIRECTORY, 0);
	if (IS_ERR(filp)) {
		pr_info("no content directory %s (error %ld)\n", dir, PTR_ERR(filp));
		return;
	}
	l.names = kcalloc(RS_MAX_DIR_FILES, sizeof(*l.names), GFP_KERNEL);
	if (!l.names) {
		pr_err("cannot list %s: out of memory\n", dir);
		goto out;
	}
	err = iterate_dir(filp, &l.ctx);
	if (err || l.err) {
		pr_err("cannot list %s: error %d\n", dir, err ? err : l.err);
		goto out;
	}
	if (l.overflow)
		pr_err("%s: more than %d channel files, loading the first %d by name\n", dir,
		       RS_MAX_DIR_FILES, RS_MAX_DIR_FILES);
	/* Directory order depends on the file system: sort for reproducible runs. */
	sort(l.names, l.count, sizeof(*l.names), rs_name_cmp, NULL);
	for (i = 0; i < l.count; i++)
		rs_load_file(dir, l.names[i]);
out:
	if (l.names) {
		for (i = 0; i < l.count; i++)
			kfree(l.names[i]);
		kfree(l.names);
	}
	filp_close(filp, NULL);
}

/* ---- /proc/refsensor ---- */

struct rs_upload {
	u8 *buf;
	size_t len, cap;
	bool too_big;
};

static int rs_load_open(struct inode *inode, struct file *file)
{
	struct rs_upload *up;

	if (!(file->f_mode & FMODE_WRITE) || (file->f_mode & FMODE_READ))
		return -EINVAL;
	up = kzalloc(sizeof(*up), GFP_KERNEL);
	if (!up)
		return -ENOMEM;
	file->private_data = up;
	return 0;
}

static ssize_t rs_load_write(struct file *file, const char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	struct rs_upload *up = file->private_data;
	size_t want;

	if (!count)
		return 0;
	if (count > RS_MAX_FILE_SIZE - up->len) {
		up->too_big = true;
		return -EFBIG;
	}
	want = up->len + count;
	if (want > up->cap) {
		size_t cap = max_t(size_t, up->cap ? up->cap * 2 : PAGE_SIZE, want);
		u8 *nbuf;

		cap = min_t(size_t, cap, RS_MAX_FILE_SIZE);
		nbuf = kvrealloc(up->buf, up->cap, cap, GFP_KERNEL);
		if (!nbuf)
			return -ENOMEM;
		up->buf = nbuf;
		up->cap = cap;
	}
	if (copy_from_user(up->buf + up->len, ubuf, count))
		return -EFAULT;
	up->len = want;
	*ppos += count;
	return count;
}

/*
 * The whole file has arrived when the writer closes it. Every upload gets a
 * name and a verdict in the log, an empty one included, so the harness can
 * count one outcome per push.
 */
static int rs_load_release(struct inode *inode, struct file *file)
{
	struct rs_upload *up = file->private_data;
	char name[40];

	mutex_lock(&rs_lock);
	snprintf(name, sizeof(name), "/proc/refsensor/load#%u", ++rs_proc_loads);
	mutex_unlock(&rs_lock);
	if (up->too_big || !up->len) {
		if (up->too_big)
			rs_content_error(name, "larger than %d bytes", RS_MAX_FILE_SIZE);
		else
			rs_content_error(name, "empty file");
		mutex_lock(&rs_lock);
		rs_files_rejected++;
		mutex_unlock(&rs_lock);
	} else {
		rs_load(name, up->buf, up->len);
	}
	kvfree(up->buf);
	kfree(up);
	return 0;
}

static const struct proc_ops rs_load_ops = {
	.proc_open = rs_load_open,
	.proc_write = rs_load_write,
	.proc_release = rs_load_release,
	.proc_lseek = noop_llseek,
};

static int rs_status_show(struct seq_file *m, void *v)
{
	mutex_lock(&rs_lock);
	seq_printf(m, "version %d\nfiles_loaded %u\nfiles_rejected %u\n"
		   "instances_rejected %u\nmatches %u\n",
		   REFSENSOR_VERSION, rs_files_loaded, rs_files_rejected,
		   rs_instances_rejected, rs_matches);
	mutex_unlock(&rs_lock);
	return 0;
}

/* ---- module ---- */

static int __init refsensor_init(void)
{
	int err;

	pr_info("version %d starting, content_dir %s\n", REFSENSOR_VERSION, content_dir);
	err = rs_event_init(&rs_event);
	if (err) {
		pr_err("cannot build the IPC event: error %d\n", err);
		return err;
	}
	pr_info("ipc event: pipe %s, image %s, %u inputs (template ipc declares %d fields)\n",
		rs_event.ev.inputs[0], rs_event.ev.inputs[1], rs_event.ev.ninputs, RS_IPC_FIELDS);

	rs_load_dir(content_dir);

	rs_proc_dir = proc_mkdir("refsensor", NULL);
	if (!rs_proc_dir || !proc_create("load", 0200, rs_proc_dir, &rs_load_ops) ||
	    !proc_create_single("status", 0444, rs_proc_dir, rs_status_show)) {
		pr_err("cannot create /proc/refsensor\n");
		proc_remove(rs_proc_dir);
		rs_event_release(&rs_event);
		return -ENOMEM;
	}

	pr_info("version %d ready, %u channel files loaded\n", REFSENSOR_VERSION,
		rs_files_loaded);
	return 0;
}

static void __exit refsensor_exit(void)
{
	/* proc_remove waits for writers, so no load runs after this. */
	proc_remove(rs_proc_dir);
	rs_event_release(&rs_event);
	pr_info("version %d unloaded\n", REFSENSOR_VERSION);
}

module_init(refsensor_init);
module_exit(refsensor_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("bootproof reference sensor with a channel-file content interpreter");
MODULE_VERSION(__stringify(REFSENSOR_VERSION));
#if RS_GUARD
/* Read by sensor/agent: run the crash-loop guard around this module's load. */
MODULE_INFO(bootproof_features, "guard");
#endif
