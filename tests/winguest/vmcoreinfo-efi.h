/*
 * vmcoreinfo-efi - a stand-in EFI guest's VMCOREINFO note for QEMU's
 * win-dmp writer (bugcheck-efi.c with -DSTANDIN_VMCOREINFO, selftest-efi.c):
 * publish_vmcoreinfo(code, param) before the guest says it panicked.
 * Freestanding, one includer per program (its buffers are static).
 */
#ifndef BP_VMCOREINFO_EFI_H
#define BP_VMCOREINFO_EFI_H

#include <stdint.h>

#include "efi-io.h"

/*
 * What virtio-win's fwcfg driver and the Windows kernel leave for a
 * host-side dump (QEMU's win-dmp, dump/win_dump.c): a
 * VMCOREINFO ELF note whose descriptor is a 64-bit dump header (one
 * physical memory run, 0x40 pages from 0), published through fw_cfg's
 * etc/vmcoreinfo, and the KDBG block it points at with KiBugcheckData (the
 * code and parameters given), KiProcessorBlock, a
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
static uint64_t kibugcheckdata[5];
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

static void publish_vmcoreinfo(uint32_t code, const uint64_t param[4])
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
	put(kdbg + 0x88, (uintptr_t)kibugcheckdata, 8);
	put(kdbg + 0xC0, 0xFFFFFA8000000000ull, 8); /* MmPfnDatabase */
	put(kdbg + 0x218, (uintptr_t)procblock, 8);
	put(kdbg + 0x338, 0x100, 2); /* the PRCB's context offset */
	procblock[0] = (uintptr_t)prcb;
	put(prcb + 0x100, (uintptr_t)context, 8);
	/* the bugcheck: code (u32, then padding), the four parameters */
	kibugcheckdata[0] = code;
	for (int i = 0; i < 4; i++)
		kibugcheckdata[1 + i] = param[i];
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
