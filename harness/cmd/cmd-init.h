/*
 * cmd-init - `bootproof init DIR`: scaffold a suite for the user's own
 * sensor. Writes DIR/suite.yaml and DIR/README.md into a new or empty DIR
 * (made with its parents); an existing DIR with anything in it, or a DIR
 * that is not a directory, is refused (exit 2) and nothing is written.
 *
 * The suite has one image (the reference Linux guest), one `sensors:` entry
 * (the reference sensor v1 and its agent), two content sets, `good` and
 * `bad` (the reference channel-291 files), a crash scenario and a rollback
 * scenario (rollback-291-v1's shape), each line the user changes marked
 * "CHANGE". As written it passes `bootproof validate` and runs on the
 * reference guest with the reference sensor; paths are absolute, into the
 * data directory:
 *
 *   $BOOTPROOF_DATADIR if set, else the BOOTPROOF_DATADIR the binary was
 *   built with (the Makefile's DATADIR, by default the source tree). It
 *   holds sensor/agent, build/sensor/v1/refsensor.ko,
 *   build/content/c291-{good,bad}.sys and build/images/linux/{vmlinux,
 *   initrd.img,system.qcow2}, the layout of the source tree after `make`.
 *
 * A data file that is missing is named on stderr (the suite is still
 * written; validate then says where). Exit status: 0 written, 2 usage,
 * DIR not new or empty, or a file that could not be written.
 */
#ifndef BP_CMD_INIT_H
#define BP_CMD_INIT_H

struct cmd_usage;

int cmd_init(int argc, char **argv);
extern const struct cmd_usage init_usage;

#endif
