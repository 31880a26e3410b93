/*
 * stopcodes - the bug check table. Names and parameter meanings are those
 * of Microsoft's bug check code reference (learn.microsoft.com,
 * windows-hardware/drivers/debugger/bug-check-code-reference2); a row's
 * addr_param is set only where that reference documents a parameter as
 * the address of the instruction that faulted or referenced memory.
 * Rows are sorted by code for the binary search.
 */
#include "stopcodes.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct stopcode stopcodes[] = {
    {0x00000001, "APC_INDEX_MISMATCH", 0},
    {0x0000000A, "IRQL_NOT_LESS_OR_EQUAL", 4},
    {0x00000018, "REFERENCE_BY_POINTER", 0},
    {0x00000019, "BAD_POOL_HEADER", 0},
    {0x0000001A, "MEMORY_MANAGEMENT", 0},
    {0x0000001E, "KMODE_EXCEPTION_NOT_HANDLED", 2},
    {0x00000024, "NTFS_FILE_SYSTEM", 0},
    {0x0000002E, "DATA_BUS_ERROR", 0},
    {0x00000035, "NO_MORE_IRP_STACK_LOCATIONS", 0},
    {0x0000003B, "SYSTEM_SERVICE_EXCEPTION", 2},
    {0x0000003D, "INTERRUPT_EXCEPTION_NOT_HANDLED", 0},
    {0x00000044, "MULTIPLE_IRP_COMPLETE_REQUESTS", 0},
    {0x0000004A, "IRQL_GT_ZERO_AT_SYSTEM_SERVICE", 0},
    {0x0000004E, "PFN_LIST_CORRUPT", 0},
    {0x00000050, "PAGE_FAULT_IN_NONPAGED_AREA", 3},
    {0x00000051, "REGISTRY_ERROR", 0},
    {0x0000005C, "HAL_INITIALIZATION_FAILED", 0},
    {0x00000067, "CONFIG_INITIALIZATION_FAILED", 0},
    {0x0000006B, "PROCESS1_INITIALIZATION_FAILED", 0},
    {0x00000074, "BAD_SYSTEM_CONFIG_INFO", 0},
    {0x00000077, "KERNEL_STACK_INPAGE_ERROR", 0},
    {0x0000007A, "KERNEL_DATA_INPAGE_ERROR", 0},
    {0x0000007B, "INACCESSIBLE_BOOT_DEVICE", 0},
    {0x0000007E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED", 2},
    {0x0000007F, "UNEXPECTED_KERNEL_MODE_TRAP", 0},
    {0x00000080, "NMI_HARDWARE_FAILURE", 0},
    {0x0000008E, "KERNEL_MODE_EXCEPTION_NOT_HANDLED", 2},
    {0x0000009C, "MACHINE_CHECK_EXCEPTION", 0},
    {0x0000009F, "DRIVER_POWER_STATE_FAILURE", 0},
    {0x000000A0, "INTERNAL_POWER_ERROR", 0},
    {0x000000A5, "ACPI_BIOS_ERROR", 0},
    {0x000000BE, "ATTEMPTED_WRITE_TO_READONLY_MEMORY", 0},
    {0x000000C1, "SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION", 0},
    {0x000000C2, "BAD_POOL_CALLER", 0},
    {0x000000C4, "DRIVER_VERIFIER_DETECTED_VIOLATION", 0},
    {0x000000C5, "DRIVER_CORRUPTED_EXPOOL", 4},
    {0x000000C7, "TIMER_OR_DPC_INVALID", 0},
    {0x000000C9, "DRIVER_VERIFIER_IOMANAGER_VIOLATION", 0},
    {0x000000CA, "PNP_DETECTED_FATAL_ERROR", 0},
    {0x000000CC, "PAGE_FAULT_IN_FREED_SPECIAL_POOL", 3},
    {0x000000CE, "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS", 3},
    {0x000000D1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL", 4},
    {0x000000D3, "DRIVER_PORTION_MUST_BE_NONPAGED", 4},
    {0x000000D5, "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL", 3},
    {0x000000D6, "DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION", 3},
    {0x000000E2, "MANUALLY_INITIATED_CRASH", 0},
    {0x000000EA, "THREAD_STUCK_IN_DEVICE_DRIVER", 0},
    {0x000000ED, "UNMOUNTABLE_BOOT_VOLUME", 0},
    {0x000000EF, "CRITICAL_PROCESS_DIED", 0},
    {0x000000F4, "CRITICAL_OBJECT_TERMINATION", 0},
    {0x000000F7, "DRIVER_OVERRAN_STACK_BUFFER", 0},
    {0x000000FC, "ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY", 0},
    {0x00000101, "CLOCK_WATCHDOG_TIMEOUT", 0},
    {0x00000109, "CRITICAL_STRUCTURE_CORRUPTION", 0},
    {0x00000116, "VIDEO_TDR_FAILURE", 0},
    {0x00000117, "VIDEO_TDR_TIMEOUT_DETECTED", 0},
    {0x00000119, "VIDEO_SCHEDULER_INTERNAL_ERROR", 0},
    {0x00000124, "WHEA_UNCORRECTABLE_ERROR", 0},
    {0x0000012B, "FAULTY_HARDWARE_CORRUPTED_PAGE", 0},
    {0x00000133, "DPC_WATCHDOG_VIOLATION", 0},
    {0x00000139, "KERNEL_SECURITY_CHECK_FAILURE", 0},
    {0x0000013A, "KERNEL_MODE_HEAP_CORRUPTION", 0},
    {0x00000144, "BUGCODE_USB3_DRIVER", 0},
    {0x00000154, "UNEXPECTED_STORE_EXCEPTION", 0},
    {0x000001C8, "MANUALLY_INITIATED_POWER_BUTTON_HOLD", 0},
    {0x1000007E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M", 2},
    {0x1000008E, "KERNEL_MODE_EXCEPTION_NOT_HANDLED_M", 2},
    {0x100000EA, "THREAD_STUCK_IN_DEVICE_DRIVER_M", 0},
    {0xC0000218, "STATUS_CANNOT_LOAD_REGISTRY_FILE", 0},
    {0xC000021A, "STATUS_SYSTEM_PROCESS_TERMINATED", 0},
    {0xC0000221, "STATUS_IMAGE_CHECKSUM_MISMATCH", 0},
    {0xDEADDEAD, "MANUALLY_INITIATED_CRASH1", 0},
};

static int stopcode_cmp(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key, c = ((const struct stopcode *)elem)->code;

	return k < c ? -1 : k > c;
}

const struct stopcode *stopcode_find(uint32_t code)
{
	return bsearch(&code, stopcodes, ARRAY_SIZE(stopcodes), sizeof(stopcodes[0]), stopcode_cmp);
}

const struct stopcode *stopcode_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(stopcodes); i++)
		if (strlen(stopcodes[i].name) == len && !memcmp(stopcodes[i].name, name, len))
			return &stopcodes[i];
	return NULL;
}

void stopcode_title(struct strbuf *sb, int has_code, uint32_t code, const char *driver)
{
	const struct stopcode *sc = has_code ? stopcode_find(code) : NULL;

	if (!has_code)
		strbuf_adds(sb, "unknown bugcheck");
	else
		strbuf_addf(sb, "%s (0x%X)", sc ? sc->name : "unknown bugcheck", code);
	if (driver && driver[0])
		strbuf_addf(sb, " in %s", driver);
}

int stopcode_driver_norm(char *out, const char *s, size_t len)
{
	static const char *const exts[] = {".sys", ".dll", ".exe"};
	int ext = 0;

	out[0] = '\0';
	if (len < 5 || len > STOPCODE_DRIVER_MAX)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		ext |= !strncasecmp(s + len - 4, exts[i], 4);
	if (!ext)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* c first: strchr() would match the terminator of its set */
		if (!c || (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
			   !(c >= '0' && c <= '9') && !strchr("_.$~-", c)))
			return 0;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
	out[len] = '\0';
	return 1;
}
