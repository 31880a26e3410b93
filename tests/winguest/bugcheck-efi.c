/*
 * bugcheck-efi - a stand-in for a Windows guest, booted by OVMF from
 * \EFI\BOOT\BOOTX64.EFI like Windows' boot manager: no Windows code, only
 * the signals Windows sends a host, in its order. Built two ways:
 *
 * -DSTANDIN_CLEAN, a Windows that comes up:
 *   COM1  SAC's boot line
 *   COM2  the boot-complete marker (what the image recipe's SYSTEM startup
 *         task writes at every start)
 * else one whose boot-start driver bugchecks at every boot (no marker),
 * and with -DSTANDIN_VMCOREINFO publishes a dump note for the host first:
 *   COM1  the EMS console: SAC's boot lines, then a bugcheck's XML block and
 *         blue-screen text (EMS_FILE, in the documented format)
 *   screen  the blue screen's text through the firmware's console
 *   0x505 the ISA pvpanic port: "panicked" (QEMU's GUEST_PANICKED), as
 *         virtio-win's pvpanic driver says it from its bugcheck callback,
 *         before Windows writes its dump (a while)
 *   0xCF9 a hard reset (QEMU: SHUTDOWN with reason guest-reset)
 *
 * Freestanding: built with mingw-w64 as an EFI application (PE32+,
 * subsystem 10), no libraries; the Microsoft x64 calling convention is
 * UEFI's.
 */
#include <stdint.h>

#include "efi-io.h"

extern const char ems_text[], ems_text_end[];

/* EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL: the members used here, at their offsets. */
struct text_out {
	void *reset;
	uint64_t (*output_string)(struct text_out *self, const uint16_t *s);
	void *test_string, *query_mode, *set_mode;
	uint64_t (*set_attribute)(struct text_out *self, uint64_t attr);
	uint64_t (*clear_screen)(struct text_out *self);
};

/* EFI_SYSTEM_TABLE up to ConOut. */
struct system_table {
	uint8_t hdr[24];
	void *firmware_vendor;
	uint32_t firmware_revision, pad;
	void *con_in_handle, *con_in, *con_out_handle;
	struct text_out *con_out;
};

#ifndef STANDIN_CLEAN
/*
 * The blue screen on the display, as Windows 10 draws it. The firmware
 * mirrors its console onto COM1, so these lines reach the EMS log too, as
 * a screen's text does that no detector may take for a second bugcheck.
 */
static void blue_screen(struct text_out *out)
{
	static const char *const lines[] = {
		":(", "", "Your device ran into a problem and needs to restart.", "",
		"Stop code: PAGE_FAULT_IN_NONPAGED_AREA", "What failed: refsensor.sys",
	};
	uint16_t buf[96];

	out->set_attribute(out, 0x1F); /* white on blue */
	out->clear_screen(out);
	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		uint64_t n = 0;

		for (const char *p = lines[i]; *p && n < 92; p++)
			buf[n++] = (uint16_t)(unsigned char)*p;
		buf[n++] = '\r';
		buf[n++] = '\n';
		buf[n] = 0;
		out->output_string(out, buf);
	}
}

#endif

#ifdef STANDIN_VMCOREINFO
#include "vmcoreinfo-efi.h"
#endif

#ifdef STANDIN_CLEAN
/* A Windows that came up: SAC's boot line, the startup task's marker, and it stays up. */
uint64_t efi_main(void *image, struct system_table *st)
{
	static const char sac[] = "Computer is booting, SAC started and initialized.\r\n";
	static const char marker[] = "bootproof: boot complete\r\n";

	(void)image;
	(void)st;
	uart_puts(0x3F8, sac, sac + sizeof(sac) - 1);
	uart_puts(0x2F8, marker, marker + sizeof(marker) - 1);
	for (;;)
		__asm__ volatile("hlt");
}
#else
/* A boot-start driver bugchecks: the startup task never runs, no marker. */
uint64_t efi_main(void *image, struct system_table *st)
{
	(void)image;
#ifdef STANDIN_VMCOREINFO
	/* the EMS text's bugcheck */
	static const uint64_t param[4] = {0xFFFF840500000074ull, 0, 0xFFFFF8048B58334Cull, 2};

	publish_vmcoreinfo(0x50, param);
#endif
	uart_puts(0x3F8, ems_text, ems_text_end);
	blue_screen(st->con_out);
	/*
	 * The pvpanic driver's bugcheck callback, then Windows writes its dump
	 * and resets: the screen stays a moment.
	 */
	outb(0x505, 1);
	for (volatile uint64_t i = 0; i < 300000000ULL; i++)
		;
	outb(0xCF9, 0x02);
	outb(0xCF9, 0x06);
	for (;;)
		__asm__ volatile("hlt");
}
#endif
