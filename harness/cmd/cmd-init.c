/*
 * cmd-init - `bootproof init DIR` (see cmd-init.h): a starting suite for the
 * user's own sensor, from a template whose @PATH@ tokens become quoted
 * absolute paths into the data directory.
 */
#include "cmd-init.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "usage.h"
#include "util.h"

#ifndef BOOTPROOF_DATADIR
#define BOOTPROOF_DATADIR "/usr/share/bootproof"
#endif

const struct cmd_usage init_usage = {
    "init",
    "init DIR",
    "Scaffold a suite for your own sensor in DIR (new or empty).",
    "options:\n"
    "  -h, --help           this help\n"
    "\n"
    "Writes DIR/suite.yaml (the reference guest, a sensors: entry, content sets good\n"
    "and bad, a crash scenario and a rollback scenario) and DIR/README.md. As written\n"
    "it runs the reference sensor and content; the lines marked CHANGE are where your\n"
    "module, agent and channel files go. Reference files are taken from\n"
    "$BOOTPROOF_DATADIR (default " BOOTPROOF_DATADIR ").\n"
    "Check it with `bootproof validate DIR/suite.yaml`, run it with\n"
    "`bootproof run -c DIR/suite.yaml`. Exit status: 0 written, 2 usage error or DIR\n"
    "exists and is not empty.\n",
};

static const char suite_template[] =
    "# A bootproof suite for your sensor, written by `bootproof init`.\n"
    "#   check it: bootproof validate suite.yaml\n"
    "#   run it:   bootproof run -c suite.yaml\n"
    "# As written it runs the reference sensor (v1, with the July 19 bug: bad\n"
    "# content crashes it) on the reference guest, so both scenarios pass. Swap\n"
    "# in your own files where it says CHANGE. Relative paths are resolved\n"
    "# against the directory of this file.\n"
    "version: 1\n"
    "\n"
    "defaults:\n"
    "  boots: 3\n"
    "  boot_timeout: 60\n"
    "  silence_timeout: 30\n"
    "\n"
    "# The reference Linux guest (Debian's kernel, a busybox initramfs).\n"
    "images:\n"
    "  linux:\n"
    "    kind: linux\n"
    "    kernel: @build/images/linux/vmlinux@\n"
    "    initrd: @build/images/linux/initrd.img@\n"
    "    disk: @build/images/linux/system.qcow2@\n"
    "    # An Oops is a panic and a panic a reboot: a real machine's boot loop.\n"
    "    append: \"console=ttyS0 oops=panic panic=1 rcupdate.rcu_cpu_stall_timeout=300 "
    "watchdog_thresh=60 quiet cryptomgr.notests\"\n"
    "    marker: \"bootproof: boot complete\"\n"
    "\n"
    "sensors:\n"
    "  mysensor:\n"
    "    # CHANGE: your kernel module, built for the guest's kernel\n"
    "    # (linux-image-amd64; see sensor/build-module.sh in bootproof).\n"
    "    module: @build/sensor/v1/refsensor.ko@\n"
    "    # CHANGE: your update agent; it speaks sensor/PROTOCOL.md over the\n"
    "    # org.bootproof.update port (rollback needs it).\n"
    "    agent: @sensor/agent@\n"
    "\n"
    "content:\n"
    "  # CHANGE: your compiled channel files. `as:` is the file's name in the\n"
    "  # guest's content directory (/sensor/content/); files sent over the update\n"
    "  # channel must be named C-NNNNNNNN-NNNNNNNN-NNNNNNNN.sys. good is newer\n"
    "  # than bad, so publishing it is a rollback.\n"
    "  good:\n"
    "    - {file: @build/content/c291-good.sys@, as: C-00000291-00000000-00000033.sys}\n"
    "  bad:\n"
    "    - {file: @build/content/c291-bad.sys@, as: C-00000291-00000000-00000032.sys}\n"
    "\n"
    "scenarios:\n"
    "  # The bad content on every boot. CHANGE: what your sensor must do with it:\n"
    "  # `expect: clean` (and `log_contains:` its error line) if it must survive,\n"
    "  # or keep `crash` with a `title:` naming your crashing function.\n"
    "  - name: bad-content\n"
    "    image: linux\n"
    "    sensor: mysensor\n"
    "    content: bad\n"
    "    expect: crash\n"
    "    title: \"refsensor_eval\"\n"
    "\n"
    "  # The bad content crash-loops the guest, the good set is published on the\n"
    "  # update channel: does it land by itself, and if not, does the manual\n"
    "  # procedure (an offline delete) work? race: the reference agent checks for\n"
    "  # updates at once and the sensor loads 3 s later (CHANGE or delete for\n"
    "  # yours); the title and paths name the bad file (CHANGE with your content).\n"
    "  - name: rollback\n"
    "    image: linux\n"
    "    sensor: mysensor\n"
    "    content: bad\n"
    "    race: {agent_delay_ms: 0, sensor_delay_ms: 3000}\n"
    "    steps:\n"
    "      - boot: {expect: crash, title: \"refsensor_eval\"}\n"
    "      - rollback: good\n"
    "      - reboot_until_clean: {max_boots: 15}\n"
    "      - remediate: {delete: [\"/sensor/content/C-00000291-00000000-00000032.sys\"], "
    "when: not_recovered}\n"
    "      - expect_files: {absent: [\"/sensor/content/C-00000291-00000000-00000032.sys\"]}\n"
    "      - clean_boots: 2\n";

static const char readme_text[] =
    "# A bootproof suite for my sensor\n"
    "\n"
    "Written by `bootproof init`. `suite.yaml` boots the reference Linux guest with a\n"
    "sensor and two content sets, `good` and `bad`, in two scenarios:\n"
    "\n"
    "- `bad-content`: the bad content on every boot, and what the sensor must do with it;\n"
    "- `rollback`: the bad content crash-loops the guest, the good set is published on the\n"
    "  update channel; records whether it landed on its own and proves the offline delete.\n"
    "\n"
    "As written it uses bootproof's reference sensor and content (absolute paths); replace\n"
    "the lines marked `CHANGE` with your module, agent and channel files.\n"
    "\n"
    "```sh\n"
    "bootproof validate suite.yaml   # checks it and prints every trial and step\n"
    "bootproof run -c suite.yaml     # boots it; reports/latest/index.html\n"
    "```\n";

static const char *data_dir(void)
{
	const char *env = getenv("BOOTPROOF_DATADIR");

	return env && *env ? env : BOOTPROOF_DATADIR;
}

/* The template with each @REL@ a double-quoted DATADIR/REL; a missing file is named. */
static void expand(struct strbuf *sb, const char *tpl, const char *data)
{
	const char *p = tpl, *at;

	while ((at = strchr(p, '@'))) {
		const char *end = strchr(at + 1, '@');
		char *path = xasprintf("%s/%.*s", data, (int)(end - at - 1), at + 1);

		strbuf_add(sb, p, (size_t)(at - p));
		strbuf_addch(sb, '"');
		escape_yaml_quoted(sb, path);
		strbuf_addch(sb, '"');
		if (access(path, R_OK) < 0)
			fprintf(stderr, "bootproof: warning: reference file '%s' is missing (%s)\n",
				path, strerror(errno));
		free(path);
		p = end + 1;
	}
	strbuf_adds(sb, p);
}

/* 0: DIR is new (now made) or an empty directory; -1 with err otherwise. */
static int claim_dir(const char *dir, struct bp_error *err)
{
	struct dirent *de;
	DIR *d;
	int used = 0;

	if (mkdir_p(dir, err) < 0)
		return -1;
	d = opendir(dir);
	if (!d)
		return error_set(err, "cannot open '%s': %s", dir, strerror(errno));
	while (!used && (de = readdir(d)))
		used = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	if (used)
		return error_set(err,
				 "'%s' is not empty: init writes only into a new or empty "
				 "directory, and never overwrites",
				 dir);
	return 0;
}

static int write_text(const char *dir, const char *name, const char *text, struct bp_error *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	int r = write_file_atomic(path, text, strlen(text), err);

	free(path);
	return r;
}

int cmd_init(int argc, char **argv)
{
	struct strbuf suite = STRBUF_INIT;
	struct bp_error err;
	int status = EXIT_USAGE_ERROR;

	if (argc == 2 && usage_is_help(argv[1]))
		return usage_help(&init_usage);
	if (argc != 2 || (argv[1][0] == '-' && argv[1][1]))
		return usage_error(&init_usage);
	if (claim_dir(argv[1], &err) < 0)
		goto fail;
	expand(&suite, suite_template, data_dir());
	if (write_text(argv[1], "suite.yaml", suite.buf, &err) < 0 ||
	    write_text(argv[1], "README.md", readme_text, &err) < 0)
		goto fail;
	printf("wrote %s/suite.yaml and %s/README.md: bootproof validate %s/suite.yaml\n", argv[1],
	       argv[1], argv[1]);
	status = 0;
	goto out;
fail:
	fprintf(stderr, "bootproof: %s\n", err.msg);
out:
	strbuf_release(&suite);
	return status;
}
