/*
 * efi-io - port I/O and a polled 16550 for the stand-in EFI guests
 * (freestanding, mingw-w64): what bugcheck-efi.c and selftest-efi.c share.
 */
#ifndef BP_EFI_IO_H
#define BP_EFI_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void uart_puts(uint16_t base, const char *s, const char *end)
{
	for (; s < end; s++) {
		/* the transmit holding register is empty (LSR bit 5) */
		for (int i = 0; i < 100000 && !(inb(base + 5) & 0x20); i++)
			;
		outb(base, (uint8_t)*s);
	}
}

#endif
