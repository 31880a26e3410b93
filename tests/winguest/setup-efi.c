/*
 * setup-efi - a stand-in for a Windows installation ISO, for the image
 * recipe's test (images/windows/build.sh, tests/e2e-winimage.sh): booted
 * by OVMF from the CD's El Torito EFI image, like Windows Setup's
 * efisys.bin, it goes through the steps that recipe must drive, and tells
 * them on COM1:
 *
 *   first start   "Press any key to boot from CD or DVD": it waits for a
 *                 key (the recipe sends them over QMP until the first guest
 *                 reset). A key: Setup's first phase ("stand-in setup:
 *                 phase 1"), which ends with a guest reset (0xCF9), as
 *                 windowsPE does; the phase is kept in CMOS, which a reset
 *                 keeps and a new QEMU process does not.
 *                 No key: the CD is passed over and the installed system
 *                 boots ("stand-in setup: no key, the installed system
 *                 boots"), which finishes Setup and powers off.
 *   after a reset the installed system's first boot: "stand-in setup:
 *                 phase 2", then the guest powers itself off through the
 *                 firmware (ResetSystem(EfiResetShutdown): an ACPI
 *                 power-off, QMP SHUTDOWN with guest: true), as the
 *                 recipe's SetupComplete script does.
 *
 * -DSETUP_HANG=N stops for good in phase N (1 or 2; 3: in the installed
 * system's boot without a key), as an install does that a user interrupts.
 *
 * Freestanding, built with mingw-w64 as an EFI application (PE32+,
 * subsystem 10), the Microsoft x64 calling convention being UEFI's.
 */
#include <stdint.h>

#ifndef SETUP_HANG
#define SETUP_HANG 0
#endif

/* How long the CD's prompt waits for a key, as efisys.bin's does (a few seconds). */
#define PROMPT_US (10u * 1000 * 1000)
#define POLL_US (100u * 1000)

/* A CMOS byte no firmware of ours uses: the phase across a guest reset. */
#define CMOS_PHASE 0x7e
#define PHASE_TWO 0xb7

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

static void say(const char *s)
{
	for (; *s; s++) {
		/* the transmit holding register is empty (LSR bit 5) */
		for (int i = 0; i < 100000 && !(inb(0x3F8 + 5) & 0x20); i++)
			;
		outb(0x3F8, (uint8_t)*s);
	}
}

static uint8_t cmos_get(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void cmos_set(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

/* EFI_SIMPLE_TEXT_INPUT_PROTOCOL */
struct text_in {
	uint64_t (*reset)(struct text_in *self, uint8_t extended);
	uint64_t (*read_key)(struct text_in *self, uint16_t key[2]);
};

/* EFI_RUNTIME_SERVICES up to ResetSystem. */
struct runtime {
	uint8_t hdr[24];
	void *fn[10]; /* GetTime .. GetNextHighMonotonicCount */
	void (*reset_system)(uint32_t type, uint64_t status, uint64_t size, void *data);
};

/* EFI_BOOT_SERVICES up to Stall. */
struct boot {
	uint8_t hdr[24];
	void *fn[28]; /* RaiseTPL .. GetNextMonotonicCount */
	uint64_t (*stall)(uint64_t us);
};

/* EFI_SYSTEM_TABLE up to BootServices. */
struct system_table {
	uint8_t hdr[24];
	void *firmware_vendor;
	uint32_t firmware_revision, pad;
	void *con_in_handle;
	struct text_in *con_in;
	void *con_out_handle, *con_out, *std_err_handle, *std_err;
	struct runtime *rt;
	struct boot *bs;
};

#define EFI_RESET_SHUTDOWN 2

static void hang(void)
{
	for (;;)
		__asm__ volatile("hlt");
}

static void power_off(struct system_table *st)
{
	say("stand-in setup: done, powering off\r\n");
	st->rt->reset_system(EFI_RESET_SHUTDOWN, 0, 0, 0);
	hang();
}

static int key_pressed(struct system_table *st)
{
	uint16_t key[2];

	for (uint32_t t = 0; t < PROMPT_US; t += POLL_US) {
		if (st->con_in->read_key(st->con_in, key) == 0)
			return 1;
		st->bs->stall(POLL_US);
	}
	return 0;
}

uint64_t efi_main(void *image, struct system_table *st)
{
	(void)image;
	if (cmos_get(CMOS_PHASE) == PHASE_TWO) {
		cmos_set(CMOS_PHASE, 0);
		say("stand-in setup: phase 2\r\n");
		if (SETUP_HANG == 2)
			hang();
		power_off(st);
	}
	say("Press any key to boot from CD or DVD...\r\n");
	if (!key_pressed(st)) {
		say("stand-in setup: no key, the installed system boots\r\n");
		if (SETUP_HANG == 3)
			hang();
		power_off(st);
	}
	say("stand-in setup: phase 1\r\n");
	if (SETUP_HANG == 1)
		hang();
	cmos_set(CMOS_PHASE, PHASE_TWO);
	say("stand-in setup: phase 1 done, restarting\r\n");
	outb(0xCF9, 0x02);
	outb(0xCF9, 0x06);
	hang();
	return 0;
}
