/*
 * bisect-pieces - content files cut into pieces and joined (see bisect-pieces.h).
 */
#define _GNU_SOURCE
#include "bisect-pieces.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proc.h"

struct subst {
	const char *name; /* "{in}" */
	const char *value;
};

/* cmd as argv: words at spaces and tabs, each placeholder of subs replaced. */
static void command_argv(const char *cmd, const struct subst *subs, size_t nr_subs,
			 struct argv_builder *av)
{
	struct strbuf word = STRBUF_INIT;
	const char *s = cmd;

	while (*s) {
		size_t i;

		if (*s == ' ' || *s == '\t') {
			if (word.len)
				argv_push(av, word.buf);
			strbuf_reset(&word);
			s++;
			continue;
		}
		for (i = 0; i < nr_subs && strncmp(s, subs[i].name, strlen(subs[i].name)); i++)
			;
		if (i < nr_subs) {
			strbuf_adds(&word, subs[i].value);
			s += strlen(subs[i].name);
		} else {
			strbuf_addch(&word, *s++);
		}
	}
	if (word.len)
		argv_push(av, word.buf);
	strbuf_release(&word);
}

/* Run a split or join command to its end (bounded): 0, or -1 with err. */
static int run_command(const char *what, const char *cmd, const struct subst *subs, size_t nr_subs,
		       const char *log, struct bp_error *err)
{
	struct argv_builder av = {0};
	struct proc p = {0};
	char how[128];
	int ret = -1;

	command_argv(cmd, subs, nr_subs, &av);
	if (!av.nr) {
		error_set(err, "the %s command is empty", what);
		goto out;
	}
	if (proc_spawn(&p, av.v, log, err) < 0) {
		error_prefix(err, "cannot start the %s command", what);
		goto out;
	}
	if (proc_wait(&p, PIECES_CMD_MS) < 0) {
		proc_kill(&p);
		error_set(err, "the %s command '%s' did not end within %d s (its output: '%s')",
			  what, av.v[0], PIECES_CMD_MS / 1000, log);
		goto out;
	}
	if (p.exit != PROC_EXITED || p.code) {
		error_set(err, "the %s command '%s' %s (its output: '%s')", what, av.v[0],
			  proc_describe(&p, how, sizeof(how)), log);
		goto out;
	}
	ret = 0;
out:
	proc_release(&p);
	argv_free(av.v);
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files split left in p->dir, sorted. */
static int list_pieces(struct pieces *p, struct bp_error *err)
{
	DIR *d = opendir(p->dir);
	struct dirent *de;
	size_t alloc = 0;
	int ret = 0;

	if (!d)
		return error_set(err, "cannot read '%s'", p->dir);
	while ((de = readdir(d))) {
		char *path;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", p->dir, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			ret =
			    error_set(err, "the split command left '%s', not a regular file", path);
		free(path);
		if (ret < 0 || p->nr >= PIECES_MAX) {
			if (!ret)
				ret = error_set(err, "the split command left more than %d pieces",
						PIECES_MAX);
			break;
		}
		ALLOC_GROW(p->names, p->nr + 1, alloc);
		p->names[p->nr++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (!ret && !p->nr)
		ret = error_set(err, "the split command left no pieces in '%s'", p->dir);
	if (ret < 0)
		return ret;
	qsort(p->names, p->nr, sizeof(*p->names), cmp_names);
	return 0;
}

static int split_by_command(struct pieces *p, const char *work_dir, struct bp_error *err)
{
	static unsigned seq;
	char *log;
	int ret;

	p->dir = xasprintf("%s/pieces-%u", work_dir, ++seq);
	log = xasprintf("%s.log", p->dir);
	remove_tree(p->dir);
	ret = mkdir_p(p->dir, err);
	if (!ret) {
		const struct subst subs[] = {{"{in}", p->file->path}, {"{outdir}", p->dir}};

		ret = run_command("split", p->set->split, subs, ARRAY_SIZE(subs), log, err);
	}
	if (!ret)
		ret = list_pieces(p, err);
	free(log);
	return ret;
}

int pieces_split(struct pieces *p, const struct content_set *set, const struct content_file *file,
		 const char *work_dir, struct bp_error *err)
{
	struct strbuf data = STRBUF_INIT;
	struct bp_error why;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	p->file = file;
	p->set = set;
	/* The set's own commands first: its owner says what its format is. */
	if (set->split) {
		if (split_by_command(p, work_dir, err) == 0)
			return 0;
		for (size_t i = 0; i < p->nr; i++)
			free(p->names[i]);
		p->nr = 0;
		return -1;
	}
	if (read_regular(file->path, CHANFILE_MAX_SIZE, &data, &why) == 0 &&
	    chanfile_split(&p->cf, data.buf, data.len, &why) == 0) {
		p->reference = 1;
		p->nr = p->cf.nr_instances;
		ret = p->nr ? 0 : error_set(err, "a channel file without instances");
	} else {
		error_set(err,
			  "not a reference channel file (%s) and content '%s' has no split command",
			  why.msg, set->name);
	}
	strbuf_release(&data);
	return ret;
}

static int join_by_command(const struct pieces *p, const size_t *pick, size_t nr, const char *dir,
			   const char *out, struct bp_error *err)
{
	char *in = xasprintf("%s/pieces", dir), *log = xasprintf("%s/join.log", dir);
	struct strbuf data = STRBUF_INIT;
	int ret = mkdir_p(in, err);

	for (size_t i = 0; !ret && i < nr; i++) {
		char *from = xasprintf("%s/%s", p->dir, p->names[pick[i]]);
		char *to = xasprintf("%s/%s", in, p->names[pick[i]]);

		strbuf_reset(&data);
		ret = read_file(from, &data, err) < 0 ||
			      write_file_atomic(to, data.buf, data.len, err) < 0
			  ? -1
			  : 0;
		free(from);
		free(to);
	}
	if (!ret) {
		const struct subst subs[] = {{"{outdir}", in}, {"{out}", out}};
		struct stat st;

		ret = run_command("join", p->set->join, subs, ARRAY_SIZE(subs), log, err);
		if (!ret && (stat(out, &st) < 0 || !S_ISREG(st.st_mode)))
			ret = error_set(err, "the join command wrote no file '%s'", out);
	}
	strbuf_release(&data);
	free(in);
	free(log);
	return ret;
}

int pieces_join(const struct pieces *p, const size_t *pick, size_t nr, const char *dir,
		const char *out, struct bp_error *err)
{
	struct strbuf data = STRBUF_INIT;
	int ret;

	if (!p->reference)
		return join_by_command(p, pick, nr, dir, out, err);
	ret = chanfile_join(&p->cf, pick, nr, &data, err);
	if (!ret)
		ret = write_file_atomic(out, data.buf, data.len, err);
	strbuf_release(&data);
	return ret;
}

void pieces_release(struct pieces *p)
{
	if (!p)
		return;
	chanfile_release(&p->cf);
	for (size_t i = 0; i < p->nr && p->names; i++)
		free(p->names[i]);
	free(p->names);
	free(p->dir);
	memset(p, 0, sizeof(*p));
}
