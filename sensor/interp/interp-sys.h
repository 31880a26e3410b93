/*
 * interp-sys - what the portable content interpreter (interp.h) takes from
 * its environment, selected by build: fixed-width integers, size_t, bool and
 * the four string functions every kernel offers (memcmp, memcpy, memset,
 * strlen), plus the attribute that keeps refsensor_eval a real function.
 *
 * Builds: the Linux kernel (__KERNEL__: <linux/...> headers), a Windows
 * driver (_KERNEL_MODE: the WDK's or mingw-w64's CRT headers, which declare the same
 * functions), and userspace (everything else: the C library's headers).
 * Nothing else from a C library may be used by interp.c: memory and
 * messages come through struct interp_ops.
 */
#ifndef INTERP_SYS_H
#define INTERP_SYS_H

#if defined(__KERNEL__) && defined(__linux__)
#include <linux/compiler.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#endif

/*
 * refsensor_eval must stay one out-of-line function under its own name, so
 * that a fault in it is reported as "refsensor_eval+0x..." (the kernel's
 * oops, ASan's top frame, a Windows bugcheck's symbol): no inlining, and no
 * GCC IPA clones (refsensor_eval.constprop.0).
 */
#if defined(_MSC_VER)
#define INTERP_NOINLINE __declspec(noinline)
#elif defined(__GNUC__) && !defined(__clang__)
#define INTERP_NOINLINE __attribute__((__noinline__, __noipa__))
#else
#define INTERP_NOINLINE __attribute__((__noinline__))
#endif

#if defined(__MINGW32__)
/* mingw's __printf__ is msvcrt's, which lacks %zu: the driver maps it to %Iu. */
#define INTERP_PRINTF(f, a) __attribute__((__format__(__gnu_printf__, f, a)))
#elif defined(__GNUC__) || defined(__clang__)
#define INTERP_PRINTF(f, a) __attribute__((__format__(__printf__, f, a)))
#else
#define INTERP_PRINTF(f, a)
#endif

#endif
