/*
 * run - `bootproof run`: load the suite, pick the accelerator, make one
 * overlay per trial and inject the sensor and content into all of them in one
 * libguestfs launch, boot each trial's boots, and write TAP to stdout plus
 * reports/<run-id>/{results.json,results.tap,<trial>/boot-N.log} with
 * reports/latest pointing at the newest run.
 *
 * Scratch (overlays, sockets) lives in $TMPDIR (else /tmp)/bootproof-XXXXXX,
 * locked for the run's life (litter.h); a run first sweeps what runs killed
 * before it left there.
 *
 * Exit status: 0 every expectation met, 1 an expectation failed, 2 usage or
 * configuration error (nothing started), 3 infrastructure failure (or
 * interrupted).
 */
#ifndef BP_RUN_H
#define BP_RUN_H

int cmd_run(int argc, char **argv);

#endif
