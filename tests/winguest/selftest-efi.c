/*
 * selftest-efi - the stand-in Windows guest of `bootproof selftest`
 * (build.sh: selftest.qcow2), an EFI application OVMF boots like Windows'
 * boot manager. It comes up like the clean stand-in (SAC's boot line on
 * COM1, the boot-complete marker on COM2) and then waits, as a Windows
 * image set up for the self-test does, for the two crashes on demand:
 *
 *   right-Ctrl held + Scroll Lock pressed twice on the PS/2 keyboard
 *     (i8042prt's CrashOnCtrlScroll): MANUALLY_INITIATED_CRASH (0xE2)
 *   an NMI (CrashControl's NMICrashDump): NMI_HARDWARE_FAILURE (0x80)
 *
 * and on either prints the EMS bugcheck block and SAC's blue-screen text
 * for that code on COM1 (the documented format tests/data/windows/ holds),
 * leaves its VMCOREINFO note for a host-side dump (vmcoreinfo-efi.h, as
 * virtio-win's fwcfg driver does), writes the pvpanic port (0x505:
 * GUEST_PANICKED) and, a while later (Windows writes its own dump), resets
 * (0xCF9).
 *
 * The keyboard is polled (the i8042's output buffer, port 0x64 bit 0, data
 * port 0x60) with interrupts off, so the firmware's own keyboard driver,
 * which runs from its timer interrupt, never takes the scancodes first;
 * both scancode set 1 (the i8042's translation, as Windows has it) and
 * set 2 are recognised. The NMI is not masked by that: vector 2 of a copy
 * of the firmware's IDT is pointed at a handler that sets a flag, and the
 * local APIC's LINT1, where QEMU's inject-nmi arrives, is set to deliver
 * NMIs (Windows programs it from the ACPI MADT; the firmware may not).
 */
#include <stddef.h>
#include <stdint.h>

#include "efi-io.h"
#include "vmcoreinfo-efi.h"

#define COM1 0x3F8
#define COM2 0x2F8

volatile int nmi_seen;

/* The NMI handler: note it and return (the loop below acts on it). */
__asm__(".text\n"
	".globl nmi_entry\n"
	"nmi_entry:\n"
	"	movl $1, nmi_seen(%rip)\n"
	"	iretq\n");
extern char nmi_entry[];

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

static struct idt_gate idt[256] __attribute__((aligned(16)));

static void puts1(const char *s)
{
	const char *e = s;

	while (*e)
		e++;
	uart_puts(COM1, s, e);
}

/* "0x" and 16 upper-case hex digits, as SAC prints a parameter. */
static void put_hex64(uint64_t v)
{
	char buf[19] = "0x";

	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789ABCDEF"[(v >> (60 - 4 * i)) & 0xF];
	buf[18] = 0;
	puts1(buf);
}

/* The stop code as EMS writes it: "0xE2", no leading zeros. */
static void put_code(uint32_t v)
{
	char buf[11] = "0x";
	int n = 2, started = 0;

	for (int i = 7; i >= 0; i--) {
		int d = (v >> (4 * i)) & 0xF;

		if (d || started || i == 0) {
			buf[n++] = "0123456789ABCDEF"[d];
			started = 1;
		}
	}
	buf[n] = 0;
	puts1(buf);
}

static void nmi_install(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} d;
	uint64_t h = (uint64_t)nmi_entry, apic;
	uint32_t lo, hi;
	uint16_t cs;
	unsigned n;

	__asm__ volatile("sidt %0" : "=m"(d));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	n = (d.limit + 1u) / sizeof(struct idt_gate);
	if (n > 256)
		n = 256;
	for (unsigned i = 0; i < n; i++)
		idt[i] = ((const struct idt_gate *)d.base)[i];
	idt[2] = (struct idt_gate){.off_lo = (uint16_t)h,
				   .sel = cs,
				   .type = 0x8E, /* present, ring 0, 64-bit interrupt gate */
				   .off_mid = (uint16_t)(h >> 16),
				   .off_hi = (uint32_t)(h >> 32)};
	d.limit = sizeof(idt) - 1;
	d.base = (uint64_t)idt;
	__asm__ volatile("lidt %0" : : "m"(d));
	/* IA32_APIC_BASE: x2APIC (bit 10) has LVT LINT1 as MSR 0x835, else MMIO +0x360. */
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1B));
	apic = ((uint64_t)hi << 32) | lo;
	if (apic & (1u << 10))
		__asm__ volatile("wrmsr" : : "c"(0x835), "a"(0x400), "d"(0));
	else if (apic & (1u << 11))
		*(volatile uint32_t *)((apic & ~0xFFFull) + 0x360) = 0x400; /* NMI, unmasked */
}

/*
 * Right-Ctrl + Scroll Lock twice, from scancodes: right Ctrl is E0 1D /
 * E0 9D (set 1) or E0 14 / E0 F0 14 (set 2), Scroll Lock 46 (set 1) or 7E
 * (set 2), its break C6 or F0 7E. Returns 1 at the second press.
 */
static int ctrl_scroll(uint8_t sc)
{
	static int e0, f0, ctrl, presses;
	int brk = f0;

	if (sc == 0xE0) {
		e0 = 1;
		return 0;
	}
	if (sc == 0xF0) {
		f0 = 1;
		return 0;
	}
	e0 = e0 ? 2 : 0; /* this byte follows E0 */
	f0 = 0;
	if (e0 == 2 && (sc == 0x1D || sc == 0x14))
		ctrl = !brk;
	else if (e0 == 2 && sc == 0x9D)
		ctrl = 0;
	else if (!e0 && !brk && (sc == 0x46 || sc == 0x7E) && ctrl)
		presses++;
	e0 = 0;
	return presses >= 2;
}

static void bugcheck(uint32_t code, const char *name, const char *driver)
{
	puts1("\x1b[44m\x1b[37m<?xml version=\"1.0\" encoding=\"UTF-8\"?><BP>\r\n"
	      "<INSTANCE CLASSNAME=\"BLUESCREEN\">\r\n"
	      "<PROPERTY NAME=\"STOPCODE\" TYPE=\"string\"><VALUE>\"");
	put_code(code);
	puts1("\"</VALUE></PROPERTY><machine-info>\r\n"
	      "<name>BP-WIN-GUEST</name>\r\n"
	      "<processor-architecture>AMD64</processor-architecture>\r\n"
	      "<os-build-number>19041</os-build-number>\r\n"
	      "</machine-info>\r\n"
	      "</INSTANCE>\r\n"
	      "</BP>\r\n"
	      "!SAC>\r\n"
	      "\x1b[2J\x1b[1;1H:(\r\n"
	      "Your PC ran into a problem and needs to restart. We're just collecting some "
	      "error info, and then we'll restart for you.\r\n\r\n");
	puts1(name);
	puts1("\r\n\r\n");
	if (driver) {
		puts1(driver);
		puts1("\r\n\r\n");
	}
	for (int i = 0; i < 4; i++) {
		put_hex64(0);
		puts1("\r\n");
	}
	puts1("\r\n0% complete\r\n100% complete\r\n");
	/* Windows writes its dump, then resets. */
	for (volatile uint64_t i = 0; i < 50000000ULL; i++)
		;
	publish_vmcoreinfo(code, (const uint64_t[4]){0});
	outb(0x505, 1);
	/* the host's dump at the panic event pauses the guest here */
	for (volatile uint64_t i = 0; i < 300000000ULL; i++)
		;
	outb(0xCF9, 0x02);
	outb(0xCF9, 0x06);
	for (;;)
		__asm__ volatile("hlt");
}

uint64_t efi_main(void *image, void *st)
{
	static const char sac[] = "Computer is booting, SAC started and initialized.\r\n";
	static const char marker[] = "bootproof: boot complete\r\n";

	(void)image;
	(void)st;
	__asm__ volatile("cli");
	nmi_install();
	uart_puts(COM1, sac, sac + sizeof(sac) - 1);
	uart_puts(COM2, marker, marker + sizeof(marker) - 1);
	for (;;) {
		uint8_t s = inb(0x64);

		if (nmi_seen)
			bugcheck(0x80, "NMI_HARDWARE_FAILURE", NULL);
		/* a byte from the keyboard (output buffer full, not the mouse's) */
		if ((s & 0x01) && !(s & 0x20) && ctrl_scroll(inb(0x60)))
			bugcheck(0xE2, "MANUALLY_INITIATED_CRASH", "i8042prt.sys");
		__asm__ volatile("pause");
	}
}
