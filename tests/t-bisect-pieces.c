/*
 * t-bisect-pieces - content files cut into pieces and joined for bisect
 * (bisect-pieces.h): a reference channel file by its instances, any other
 * file by the content set's split/join commands (placeholders inside
 * words, pieces in name order), and the failures: no command, a command
 * that fails, one that leaves nothing.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bisect-pieces.h"
#include "tap.h"

static char dir[] = "/tmp/t-bisect-pieces.XXXXXX";

static char *put(const char *name, const char *text, int exec)
{
	char *path = xasprintf("%s/%s", dir, name);

	write_file_atomic(path, text, strlen(text), NULL);
	if (exec)
		chmod(path, 0755);
	return path;
}

static char *slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (read_file(path, &sb, NULL) < 0)
		return NULL;
	return strbuf_detach(&sb);
}

static void t_commands(void)
{
	char *split = put("split.sh",
			  "#!/bin/sh\n# split IN --out=DIR: one piece per line\n"
			  "cd \"${2#--out=}\" && split -l 1 -a 3 \"$1\" p\n",
			  1);
	char *join = put("join.sh", "#!/bin/sh\ncat \"$1\"/* >\"$2\"\n", 1);
	char *text = put("lines.txt", "one\ntwo\nthree\nfour\n", 0);
	char *scmd = xasprintf("%s {in} --out={outdir}", split),
	     *jcmd = xasprintf("%s {outdir} {out}", join);
	char *out = xasprintf("%s/joined.txt", dir), *got;
	struct content_file cf = {text, "lines.txt"};
	struct content_set set = {
	    .name = "text", .files = &cf, .nr_files = 1, .split = scmd, .join = jcmd};
	struct pieces p;
	struct bp_error err = {""};
	size_t pick[] = {1, 3};

	if (!tap_is_int(pieces_split(&p, &set, &cf, dir, &err), 0, "split by the set's command"))
		tap_diag(err.msg);
	tap_is_int((long long)p.nr, 4, "one piece per line, {outdir} replaced inside a word");
	tap_ok(!p.reference, "not cut as a reference channel file");
	tap_ok(p.nr == 4 && !strcmp(p.names[0], "paaa") && !strcmp(p.names[3], "paad"),
	       "pieces in name order");
	if (!tap_is_int(pieces_join(&p, pick, 2, dir, out, &err), 0, "join by the set's command"))
		tap_diag(err.msg);
	got = slurp(out);
	tap_is_str(got, "two\nfour\n", "the pieces picked, and only those");
	free(got);
	pieces_release(&p);

	free(set.join);
	set.join = xasprintf("/bin/false {outdir} {out}");
	pieces_split(&p, &set, &cf, dir, &err);
	tap_is_int(pieces_join(&p, pick, 2, dir, out, &err), -1, "a join that fails is an error");
	tap_like(err.msg, "the join command '/bin/false' exited with status 1", "saying how");
	pieces_release(&p);

	free(set.split);
	set.split = xasprintf("/bin/true {in} {outdir}");
	tap_is_int(pieces_split(&p, &set, &cf, dir, &err), -1,
		   "a split that leaves nothing: error");
	tap_like(err.msg, "the split command left no pieces", "saying so");
	pieces_release(&p);
	free(set.split);
	set.split = NULL;
	tap_is_int(pieces_split(&p, &set, &cf, dir, &err), -1, "no split command: stays whole");
	tap_like(err.msg,
		 "not a reference channel file (19 bytes, shorter than the 20-byte header)",
		 "with the reason");
	pieces_release(&p);
	free(set.join);
	free(split);
	free(join);
	free(text);
	free(out);
}

/* A reference channel file in a set without commands: cut into instances in-process. */
static void t_reference(void)
{
	static const unsigned char one_wild[] = {'B', 'P', 'C', 'F', 1, 0, 1, 0, 0x23, 1,
						 0,   0,   21,	0,   0, 0, 2, 0, 0,    0};
	struct strbuf f = STRBUF_INIT;
	char *path = xasprintf("%s/c.sys", dir), *out = xasprintf("%s/c-1.sys", dir), *got;
	struct content_file cf = {path, "c.sys"};
	struct content_set set = {.name = "c", .files = &cf, .nr_files = 1};
	struct pieces p;
	struct bp_error err = {""};
	size_t pick[] = {1};

	strbuf_add(&f, one_wild, sizeof(one_wild));
	for (int inst = 0; inst < 2; inst++)
		for (int i = 0; i < 21; i++)
			strbuf_add(&f, inst && i == 20 ? "\1\1\0x" : "\0\0\0",
				   inst && i == 20 ? 4 : 3);
	write_file_atomic(path, f.buf, f.len, NULL);
	tap_is_int(pieces_split(&p, &set, &cf, dir, &err), 0, "a reference channel file splits");
	tap_ok(p.reference && p.nr == 2, "into its 2 instances");
	tap_is_int(pieces_join(&p, pick, 1, dir, out, &err), 0, "instance 2 joined alone");
	got = slurp(out);
	tap_ok(got && got[16] == 1 && !memcmp(got + 20, f.buf + 20 + 63, 64),
	       "a file of that one instance");
	free(got);
	pieces_release(&p);
	strbuf_release(&f);
	free(path);
	free(out);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	t_commands();
	t_reference();
	remove_tree(dir);
	return tap_done();
}
