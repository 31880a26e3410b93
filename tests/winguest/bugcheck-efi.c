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
/*
 * -DSTANDIN_VMCOREINFO: what virtio-win's fwcfg driver and the Windows
 * kernel leave for a host-side dump (QEMU's win-dmp, dump/win_dump.c): a
 * VMCOREINFO ELF note whose descriptor is a 64-bit dump header (one
 * physical memory run, 0x40 pages from 0), published through fw_cfg's
 * etc/vmcoreinfo, and the KDBG block it points at with KiBugcheckData (the
 * code and parameters of the EMS text's bugcheck), KiProcessorBlock, a
 * PRCB and room for the CONTEXT QEMU writes. OVMF maps memory 1:1, so an
 * address here is the physical one QEMU reads. Layout as in
 * tests/qtest-windmp.py.
 */
#define HEADER_SIZE 0x2000
#define FW_CFG_DMA 0x514
#define DMA_READ 0x02
#define DMA_SELECT 0x08
#define DMA_WRITE 0x10

static uint8_t note[12 + 12 + HEADER_SIZE] __attribute__((aligned(16)));
static uint8_t kdbg[0x340] __attribute__((aligned(16)));
static uint64_t bugcheck[5];
static uint64_t procblock[1];
static uint8_t prcb[0x200] __attribute__((aligned(16)));
static uint8_t context[0x4D0] __attribute__((aligned(16)));
static uint8_t dirbuf[0x1000] __attribute__((aligned(16)));
static struct {
	uint32_t control, length;
	uint64_t address;
} __attribute__((aligned(16))) dma;
static struct {
	uint16_t host_format, guest_format;
	uint32_t size;
	uint64_t paddr;
} __attribute__((aligned(16))) info;

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t bswap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static uint64_t bswap64(uint64_t v)
{
	return (uint64_t)bswap32((uint32_t)v) << 32 | bswap32((uint32_t)(v >> 32));
}

/* One fw_cfg DMA transfer (big-endian registers; writing the low half starts it). */
static void fw_cfg_dma(uint32_t control, uint32_t length, void *addr)
{
	dma.control = bswap32(control);
	dma.length = bswap32(length);
	dma.address = bswap64((uint64_t)(uintptr_t)addr);
	__asm__ volatile("" ::: "memory");
	outl(FW_CFG_DMA, bswap32((uint32_t)((uint64_t)(uintptr_t)&dma >> 32)));
	outl(FW_CFG_DMA + 4, bswap32((uint32_t)(uintptr_t)&dma));
	while (*(volatile uint32_t *)&dma.control & ~bswap32(1)) /* all but the error bit */
		;
}

static void publish_vmcoreinfo(void)
{
	static const char name[] = "etc/vmcoreinfo";
	uint8_t *h = note + 24;
	uint64_t cr3;
	uint32_t count;

	for (unsigned i = 0; i < HEADER_SIZE; i++)
		h[i] = (uint8_t) "PAGE"[i % 4];
	put(note, 11, 4);	   /* namesz */
	put(note + 4, HEADER_SIZE, 4); /* descsz */
	put(note + 8, 0, 4);
	for (unsigned i = 0; i < 12; i++)
		note[12 + i] = (uint8_t) "VMCOREINFO\0\0"[i];
	for (unsigned i = 0; i < 8; i++)
		h[i] = (uint8_t) "PAGEDU64"[i];
	put(h + 0x08, 0xF, 4);
	put(h + 0x0C, 19041, 4);
	/* DirectoryTableBase: QEMU walks the kernel's structures with it (OVMF's 1:1 map) */
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	put(h + 0x10, cr3, 8);
	put(h + 0x18, 0, 8); /* PfnDatabase: QEMU copies it from the KDBG */
	put(h + 0x20, 0, 16);
	put(h + 0x30, 0x8664, 4);
	put(h + 0x34, 1, 4);
	for (unsigned i = 0x38; i < 0x60; i++)
		h[i] = 0; /* the bugcheck: QEMU reads it through the KDBG */
	put(h + 0x80, (uintptr_t)kdbg, 8);
	put(h + 0x88, 1, 4);	/* PhysicalMemoryBlock: NumberOfRuns */
	put(h + 0x8C, 0, 4);
	put(h + 0x90, 0x40, 8); /* NumberOfPages */
	put(h + 0x98, 0, 8);	/* Run[0]: BasePage, PageCount */
	put(h + 0xA0, 0x40, 8);
	put(h + 0xF98, 1, 4); /* DumpType: full */
	kdbg[0x10] = 'K', kdbg[0x11] = 'D', kdbg[0x12] = 'B', kdbg[0x13] = 'G';
	put(kdbg + 0x88, (uintptr_t)bugcheck, 8);
	put(kdbg + 0xC0, 0xFFFFFA8000000000ull, 8); /* MmPfnDatabase */
	put(kdbg + 0x218, (uintptr_t)procblock, 8);
	put(kdbg + 0x338, 0x100, 2); /* the PRCB's context offset */
	procblock[0] = (uintptr_t)prcb;
	put(prcb + 0x100, (uintptr_t)context, 8);
	/* the EMS text's bugcheck: code (u32, then padding), the four parameters */
	bugcheck[0] = 0x50;
	bugcheck[1] = 0xFFFF840500000074ull;
	bugcheck[2] = 0;
	bugcheck[3] = 0xFFFFF8048B58334Cull;
	bugcheck[4] = 2;
	fw_cfg_dma(0x19u << 16 | DMA_SELECT | DMA_READ, sizeof(dirbuf), dirbuf);
	count = bswap32(*(uint32_t *)dirbuf);
	for (uint32_t i = 0; i < count && 4 + 64 * (i + 1) <= sizeof(dirbuf); i++) {
		const uint8_t *e = dirbuf + 4 + 64 * i;
		unsigned k = 0;

		while (k < sizeof(name) && e[8 + k] == (uint8_t)name[k])
			k++;
		if (k < sizeof(name))
			continue;
		info.host_format = 1;
		info.guest_format = 1; /* ELF */
		info.size = sizeof(note);
		info.paddr = (uintptr_t)note;
		fw_cfg_dma((uint32_t)(e[4] << 8 | e[5]) << 16 | DMA_SELECT | DMA_WRITE, sizeof(info),
			   &info);
		return;
	}
}
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
	publish_vmcoreinfo();
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
