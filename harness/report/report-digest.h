/*
 * report-digest - what a trial really ran, as SHA-256 digests for
 * results.json ("image_sha256", "sensor_sha256", "content_sha256"), so that
 * `bootproof report --compare` calls a scenario flaky only when its image,
 * sensor and content were the same bytes in both runs, not merely the same
 * names (a nightly rebuilds sensor "v1" under the same name).
 *
 *   image    the kernel, initrd and golden disk files, the kernel command
 *            line (the image's, then the scenario's addition), the
 *            boot-complete marker and the memory size
 *   sensor   the module and the agent (when there is one)
 *   content  each file's guest name and data, in order
 *
 * Every part is framed (a tag and a length) before it is hashed, so two
 * different inputs cannot run together into the same bytes. A file is read
 * once per process: its digest is cached by path, device, inode, size and
 * modification time, since results.json is rewritten after every boot.
 */
#ifndef BP_REPORT_DIGEST_H
#define BP_REPORT_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "scenario.h"

/*
 * The digests described above, as hex into out. Each returns 0, or -1 when
 * a file cannot be read (out is then empty; the field is left out).
 */
int report_digest_image(const struct scenario *sc, char out[SHA256_HEX_LEN + 1]);
int report_digest_sensor(const struct sensor *s, char out[SHA256_HEX_LEN + 1]);
int report_digest_content(const struct content_set *cs, char out[SHA256_HEX_LEN + 1]);

#endif
