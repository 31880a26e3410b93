/*
 * interp-version - what each reference sensor version does differently, as
 * compile-time feature switches, so that a new version is one more branch
 * here rather than another copy of the interpreter. Every build of the
 * sensor (the Linux module, the Windows driver, libinterp-vN, fuzz-interp-vN) passes
 * -DREFSENSOR_VERSION=N. Keep the table in step with SENSOR_VERSIONS in
 * the Makefile.
 *
 *   INTERP_CHECK_INPUT_COUNT  1: instances naming an input the event does not
 *                             supply are rejected, and refsensor_eval
 *                             bounds-checks at run time; 0: neither (the bug)
 *   RS_GUARD                  1: the module declares the crash-loop guard its
 *                             agent runs (a module-only switch)
 */
#ifndef INTERP_VERSION_H
#define INTERP_VERSION_H

#ifndef REFSENSOR_VERSION
#error "build with -DREFSENSOR_VERSION=N (sensor/build-module.sh and the Makefile do this)"
#endif

#if REFSENSOR_VERSION == 1
/* The shipped bug: field indices are never checked against the inputs. */
#define INTERP_CHECK_INPUT_COUNT 0
#define RS_GUARD 0
#elif REFSENSOR_VERSION == 2
/* The fix: content validation plus a run-time bounds check. */
#define INTERP_CHECK_INPUT_COUNT 1
#define RS_GUARD 0
#elif REFSENSOR_VERSION == 3
/* Version 1's bug, plus the crash-loop guard that the agent runs for it. */
#define INTERP_CHECK_INPUT_COUNT 0
#define RS_GUARD 1
#else
#error "unknown REFSENSOR_VERSION (known: 1, 2, 3)"
#endif

#endif
