// SPDX-License-Identifier: GPL-2.0
/*
 * refsensor-win - the bootproof reference sensor as a Windows kernel driver
 * (refsensor.sys), built with mingw-w64 from the same portable interpreter
 * as the Linux module (sensor/interp, interp.h). sensor/windows/build.sh
 * builds, links and test-signs it; it has never been loaded here (there is
 * no Windows on the build machine): what is checked is its PE headers,
 * imports and signature (tests/e2e-windriver.sh).
 *
 * DriverEntry synthesises the IPC event of sensor/FORMAT.md (20 inputs),
 * reads every C-*.sys file in \SystemRoot\System32\drivers\bootproof\ (the
 * directory the Windows profile installs content into, in the order NTFS
 * lists it, which is name order), evaluates each with the interpreter and
 * logs with DbgPrintEx, lines as the Linux module's (content errors at
 * DPFLTR_ERROR_LEVEL; the rest at DPFLTR_INFO_LEVEL, which Windows drops
 * unless Debug Print Filter\IHVDRIVER allows it).
 *
 * Versions (interp-version.h): v1 reads input 21 of 20. The 20 input
 * pointers end exactly at the end of a one-page nonpaged pool allocation,
 * so that read is past the allocation: under Driver Verifier's special pool
 * the next page is a guard and the read bugchecks with
 * PAGE_FAULT_IN_NONPAGED_AREA in refsensor_eval, as csagent.sys did on
 * July 19 2024; without special pool it reads whatever follows. v2 rejects
 * the instance. v3 is v1 plus the crash-loop guard, kept in the registry
 * because it needs state across boots (rs_guard_begin).
 *
 * Knobs, REG_DWORD values under
 * HKLM\SYSTEM\CurrentControlSet\Services\refsensor\Parameters (a driver has
 * no command line): SensorDelayMs, a delay before content is read (the race
 * with a fix arriving); v3's GuardPending and GuardQuarantine.
 *
 * Once up it makes a control device (refsensor-ioctl.h) through which the
 * update agent (refagent.exe) has it re-read the content directory after
 * installing a set, or evaluate a pushed file at once: the Windows
 * counterpart of the Linux module's /proc/refsensor/load.
 */
#include <ntifs.h> /* ntddk.h plus ZwQueryDirectoryFile */
#include <stdarg.h>

/* ntoskrnl.exe's own formatters (msvcrt's are not there to import). */
int __cdecl _snprintf(char *buf, size_t n, const char *fmt, ...);
int __cdecl _vsnprintf(char *buf, size_t n, const char *fmt, va_list args);

#include "interp.h"
#include "interp-version.h"
#include "refsensor-ioctl.h"

#define RS_TAG 'SRpb' /* "bpRS" in a pool dump */
#define RS_PAGE 4096
#define RS_NAME_MAX 256
#define RS_CONTENT_DIR L"\\SystemRoot\\System32\\drivers\\bootproof"
#define RS_CONTENT_GLOB L"C-*.sys"
#define RS_PARAMS L"refsensor\\Parameters"

#define rs_log(...) DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "refsensor: " __VA_ARGS__)
#define rs_err(...) DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "refsensor: " __VA_ARGS__)

/* The event: one nonpaged page, strings at its start, inputs at its very end. */
static void *rs_page;
static struct interp_event rs_event;
static unsigned int rs_files_loaded;
static DEVICE_OBJECT *rs_dev;    /* the control device; NULL if it could not be made */
static KMUTEX rs_lock;           /* one evaluation at a time (refsensor-ioctl.h) */
static unsigned int rs_pushes;   /* files given with IOCTL_REFSENSOR_LOAD */

DRIVER_INITIALIZE DriverEntry;

/* ---- the interpreter's environment (interp.h) ---- */

static void *rs_alloc(size_t n, size_t size)
{
	void *p;

	if (size && n > (size_t)-1 / size)
		return NULL;
	p = ExAllocatePoolWithTag(NonPagedPool, n * size, RS_TAG);
	if (p)
		RtlZeroMemory(p, n * size);
	return p;
}

static void rs_free(void *p)
{
	if (p)
		ExFreePoolWithTag(p, RS_TAG);
}

/*
 * The interpreter's formats use %zu; ntoskrnl's _vsnprintf spells size_t
 * %Iu (older kernels do not know z), so the format is rewritten first.
 */
static void rs_interp_error(void *ctx, const char *name, const char *fmt, ...)
{
	char msg[256], f[128];
	va_list args;
	size_t i;

	for (i = 0; fmt[i] && i < sizeof(f) - 1; i++)
		f[i] = fmt[i] == 'z' && i && fmt[i - 1] == '%' ? 'I' : fmt[i];
	f[i] = 0;
	va_start(args, fmt);
	_vsnprintf(msg, sizeof(msg) - 1, f, args);
	va_end(args);
	msg[sizeof(msg) - 1] = 0;
	rs_err("content error: %s: %s\n", name, msg);
}

static void rs_interp_instance(void *ctx, const struct interp_channel *ch, uint32_t i, bool match)
{
	if (i < 32)
		rs_log("%s: instance %u: %s\n", ch->name, i + 1, match ? "match" : "no match");
	else if (i == 32)
		rs_log("%s: not logging instances past 32\n", ch->name);
}

static const struct interp_ops rs_ops = {
	.alloc = rs_alloc,
	.free = rs_free,
	.error = rs_interp_error,
	.instance = rs_interp_instance,
};

/* ---- the event ---- */

static NTSTATUS rs_event_init(void)
{
	static const char *const fixed[INTERP_IPC_INPUTS] = {
		/* as the Linux module's event (FORMAT.md); NULL: filled in below */
		[0] = "\\\\.\\pipe\\bootproof", [1] = "/usr/sbin/bootproof-agent",
		[7] = "System", /* creating process name: DriverEntry runs in System */
		[8] = "/sbin/init", [9] = "duplex", [10] = "byte", [11] = "255", [12] = "4096",
		[13] = "4096", [14] = "0", [15] = "reject-remote", [16] = "system",
		[18] = "create", [19] = "1",
	};
	size_t ptrs = INTERP_IPC_INPUTS * sizeof(const char *);
	char *s, *end;
	unsigned int i;

	rs_page = rs_alloc(1, RS_PAGE);
	if (!rs_page)
		return STATUS_INSUFFICIENT_RESOURCES;
	rs_event.inputs = (const char **)((char *)rs_page + RS_PAGE - ptrs);
	rs_event.ninputs = INTERP_IPC_INPUTS;
	s = rs_page;
	end = (char *)rs_event.inputs;
	for (i = 0; i < INTERP_IPC_INPUTS; i++) {
		int n;

		if (i == 2) /* pid: DriverEntry runs in the System process */
			n = _snprintf(s, end - s, "%u",
				      (unsigned int)(ULONG_PTR)PsGetCurrentProcessId());
		else if (fixed[i])
			n = _snprintf(s, end - s, "%s", fixed[i]);
		else if (i == 17) /* host name: not known this early in boot */
			n = _snprintf(s, end - s, "(none)");
		else /* parent pid, uid, gid, session: none for the System process */
			n = _snprintf(s, end - s, "0");
		if (n < 0 || n >= end - s)
			return STATUS_BUFFER_OVERFLOW;
		rs_event.inputs[i] = s;
		s += n + 1;
	}
	return STATUS_SUCCESS;
}

/* ---- content ---- */

static void rs_load(const char *name, const uint8_t *buf, size_t len)
{
	struct interp_channel ch;
	struct interp_result res;

	if (interp_parse(&ch, name, buf, len, &rs_ops))
		return;
	rs_log("loaded %s: channel %u, template %s, %u fields, %u instances\n", name, ch.number,
	       ch.tmpl->name, ch.tmpl->nfields, ch.ninstances);
	interp_run(&ch, &rs_event, &rs_ops, &res);
	rs_log("%s: %u instances: %u match, %u no match, %u rejected\n", name, ch.ninstances,
	       res.matched, res.unmatched, res.rejected);
	rs_files_loaded++;
	interp_channel_release(&ch, &rs_ops);
}

/* Open name (relative to dir, or absolute when dir is NULL). */
static NTSTATUS rs_open(HANDLE *h, HANDLE dir, UNICODE_STRING *name, ACCESS_MASK access,
			ULONG options)
{
	OBJECT_ATTRIBUTES oa;
	IO_STATUS_BLOCK io;

	InitializeObjectAttributes(&oa, name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, dir, NULL);
	return ZwCreateFile(h, access | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL,
			    FILE_SHARE_READ, FILE_OPEN, options | FILE_SYNCHRONOUS_IO_NONALERT,
			    NULL, 0);
}

/* Read one content file whole (at most INTERP_MAX_FILE_SIZE) and load it. */
static void rs_load_file(HANDLE dir, UNICODE_STRING *wname, const char *name)
{
	FILE_STANDARD_INFORMATION info;
	IO_STATUS_BLOCK io;
	HANDLE h = NULL;
	uint8_t *buf = NULL;
	NTSTATUS st;

	st = rs_open(&h, dir, wname, GENERIC_READ, FILE_NON_DIRECTORY_FILE);
	if (!NT_SUCCESS(st)) {
		rs_err("content error: %s: cannot open: status 0x%08x\n", name, (unsigned int)st);
		return;
	}
	st = ZwQueryInformationFile(h, &io, &info, sizeof(info), FileStandardInformation);
	if (!NT_SUCCESS(st) || info.EndOfFile.QuadPart <= 0 ||
	    info.EndOfFile.QuadPart > INTERP_MAX_FILE_SIZE) {
		rs_err("content error: %s: empty or larger than %d bytes\n", name,
		       INTERP_MAX_FILE_SIZE);
		goto out;
	}
	buf = ExAllocatePoolWithTag(PagedPool, (SIZE_T)info.EndOfFile.QuadPart, RS_TAG);
	if (!buf) {
		rs_err("content error: %s: out of memory\n", name);
		goto out;
	}
	st = ZwReadFile(h, NULL, NULL, NULL, &io, buf, (ULONG)info.EndOfFile.QuadPart, NULL, NULL);
	if (!NT_SUCCESS(st) || io.Information != (ULONG_PTR)info.EndOfFile.QuadPart) {
		rs_err("content error: %s: cannot read: status 0x%08x\n", name, (unsigned int)st);
		goto out;
	}
	rs_load(name, buf, (size_t)info.EndOfFile.QuadPart);
out:
	if (buf)
		ExFreePoolWithTag(buf, RS_TAG);
	ZwClose(h);
}

/* Every C-*.sys in the content directory, up to 1024; a missing directory is no error. */
static void rs_load_dir(void)
{
	UNICODE_STRING path = RTL_CONSTANT_STRING(RS_CONTENT_DIR);
	UNICODE_STRING glob = RTL_CONSTANT_STRING(RS_CONTENT_GLOB);
	/* One entry at a time: room for the header and a 255-character name. */
	ULONG_PTR ent[(sizeof(FILE_DIRECTORY_INFORMATION) + RS_NAME_MAX * sizeof(WCHAR)) /
			      sizeof(ULONG_PTR) + 1];
	FILE_DIRECTORY_INFORMATION *fi = (FILE_DIRECTORY_INFORMATION *)ent;
	IO_STATUS_BLOCK io;
	HANDLE dir;
	NTSTATUS st;
	unsigned int n;

	st = rs_open(&dir, NULL, &path, FILE_LIST_DIRECTORY, FILE_DIRECTORY_FILE);
	if (!NT_SUCCESS(st)) {
		rs_log("no content directory %ls (status 0x%08x)\n", RS_CONTENT_DIR,
		       (unsigned int)st);
		return;
	}
	for (n = 0; n < 1024; n++) {
		UNICODE_STRING wname;
		char name[RS_NAME_MAX];
		ULONG i, len;

		st = ZwQueryDirectoryFile(dir, NULL, NULL, NULL, &io, fi, sizeof(ent),
					  FileDirectoryInformation, TRUE, &glob, n == 0);
		if (!NT_SUCCESS(st))
			break;
		if (fi->FileAttributes & FILE_ATTRIBUTE_DIRECTORY)
			continue;
		len = fi->FileNameLength / sizeof(WCHAR);
		if (len >= RS_NAME_MAX)
			len = RS_NAME_MAX - 1;
		/* The log is ASCII: anything else becomes '?'. */
		for (i = 0; i < len; i++)
			name[i] = fi->FileName[i] < 0x80 ? (char)fi->FileName[i] : '?';
		name[len] = 0;
		wname.Buffer = fi->FileName;
		wname.Length = wname.MaximumLength = (USHORT)fi->FileNameLength;
		rs_load_file(dir, &wname, name);
	}
	if (n == 1024)
		rs_err("more than 1024 channel files, loading the first 1024\n");
	ZwClose(dir);
}

/* ---- registry knobs and the v3 guard ---- */

static ULONG rs_param(const WCHAR *value)
{
	RTL_QUERY_REGISTRY_TABLE q[2];
	ULONG v = 0, dflt = 0;

	RtlZeroMemory(q, sizeof(q));
	/*
	 * DIRECT into a ULONG is safe only for a REG_DWORD: the type check
	 * (0x100, with the type in the top byte; mingw's headers lack the
	 * names) makes any other type an error instead of a buffer overrun.
	 */
	q[0].Flags = RTL_QUERY_REGISTRY_DIRECT | 0x00000100 | (REG_DWORD << 24);
	q[0].Name = (WCHAR *)value;
	q[0].EntryContext = &v;
	q[0].DefaultType = REG_DWORD;
	q[0].DefaultData = &dflt;
	q[0].DefaultLength = sizeof(dflt);
	if (!NT_SUCCESS(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, RS_PARAMS, q, NULL, NULL)))
		return 0;
	return v;
}

#if RS_GUARD
static void rs_param_set(const WCHAR *value, ULONG v)
{
	RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, RS_PARAMS);
	RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, RS_PARAMS, value, REG_DWORD, &v, sizeof(v));
}

/*
 * The crash-loop guard: GuardPending is set before content loads and
 * cleared once it has loaded. A boot that finds it still set follows one
 * that died loading content: the content is quarantined (GuardQuarantine,
 * which stays until an operator or a fixed update clears it) and not read.
 * The registry hive is flushed by the configuration manager, so a crash
 * right after the write may lose it: the guard then takes one more boot.
 * true: load content.
 */
static bool rs_guard_begin(void)
{
	if (rs_param(L"GuardQuarantine")) {
		rs_err("guard: content quarantined (GuardQuarantine), not loading it\n");
		return false;
	}
	if (rs_param(L"GuardPending")) {
		rs_param_set(L"GuardQuarantine", 1);
		rs_param_set(L"GuardPending", 0);
		rs_err("guard: a previous boot crashed loading content, content quarantined\n");
		return false;
	}
	rs_param_set(L"GuardPending", 1);
	return true;
}

static void rs_guard_end(void)
{
	rs_param_set(L"GuardPending", 0);
}
#else
static bool rs_guard_begin(void)
{
	return true;
}

static void rs_guard_end(void)
{
}
#endif

/* ---- driver ---- */

/* ---- the control device (refsensor-ioctl.h) ---- */

static NTSTATUS rs_complete(IRP *irp, NTSTATUS st, ULONG_PTR info)
{
	irp->IoStatus.Status = st;
	irp->IoStatus.Information = info;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return st;
}

static NTSTATUS rs_open_close(DEVICE_OBJECT *dev, IRP *irp)
{
	return rs_complete(irp, STATUS_SUCCESS, 0);
}

/* A pushed file: copied out of the IRP's buffer into an allocation of its own, then loaded. */
static NTSTATUS rs_load_pushed(const void *in, ULONG len)
{
	char name[32];
	uint8_t *buf;

	if (!len || len > INTERP_MAX_FILE_SIZE)
		return STATUS_INVALID_PARAMETER;
	buf = ExAllocatePoolWithTag(PagedPool, len, RS_TAG);
	if (!buf)
		return STATUS_INSUFFICIENT_RESOURCES;
	RtlCopyMemory(buf, in, len);
	_snprintf(name, sizeof(name), "ioctl-load#%u", ++rs_pushes);
	name[sizeof(name) - 1] = 0;
	rs_load(name, buf, len);
	ExFreePoolWithTag(buf, RS_TAG);
	return STATUS_SUCCESS;
}

static NTSTATUS rs_ioctl(DEVICE_OBJECT *dev, IRP *irp)
{
	IO_STACK_LOCATION *sp = IoGetCurrentIrpStackLocation(irp);
	ULONG code = sp->Parameters.DeviceIoControl.IoControlCode;
	void *buf = irp->AssociatedIrp.SystemBuffer;
	NTSTATUS st = STATUS_INVALID_DEVICE_REQUEST;
	ULONG_PTR info = 0;

	if (code == IOCTL_REFSENSOR_VERSION) {
		if (sp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG))
			return rs_complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
		*(ULONG *)buf = REFSENSOR_VERSION;
		return rs_complete(irp, STATUS_SUCCESS, sizeof(ULONG));
	}
	if (code != IOCTL_REFSENSOR_RELOAD && code != IOCTL_REFSENSOR_LOAD)
		return rs_complete(irp, st, 0);
	KeWaitForSingleObject(&rs_lock, Executive, KernelMode, FALSE, NULL);
	if (code == IOCTL_REFSENSOR_LOAD) {
		st = rs_load_pushed(buf, sp->Parameters.DeviceIoControl.InputBufferLength);
	} else {
		rs_log("reloading content (update agent)\n");
		if (rs_guard_begin()) {
			rs_load_dir();
			rs_guard_end();
		}
		st = STATUS_SUCCESS;
	}
	KeReleaseMutex(&rs_lock, FALSE);
	return rs_complete(irp, st, info);
}

/* The control device and its link; a failure costs only the agent's reloads. */
static void rs_device_init(DRIVER_OBJECT *drv)
{
	UNICODE_STRING name = RTL_CONSTANT_STRING(REFSENSOR_DEVICE_NT);
	UNICODE_STRING link = RTL_CONSTANT_STRING(REFSENSOR_DEVICE_LINK);
	NTSTATUS st;

	KeInitializeMutex(&rs_lock, 0);
	drv->MajorFunction[IRP_MJ_CREATE] = rs_open_close;
	drv->MajorFunction[IRP_MJ_CLOSE] = rs_open_close;
	drv->MajorFunction[IRP_MJ_DEVICE_CONTROL] = rs_ioctl;
	st = IoCreateDevice(drv, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
			    &rs_dev);
	if (NT_SUCCESS(st)) {
		st = IoCreateSymbolicLink(&link, &name);
		if (!NT_SUCCESS(st)) {
			IoDeleteDevice(rs_dev);
			rs_dev = NULL;
		}
	}
	if (!NT_SUCCESS(st))
		rs_err("no control device (status 0x%08x): the update agent cannot reload content\n",
		       (unsigned int)st);
}

static void rs_unload(DRIVER_OBJECT *drv)
{
	if (rs_dev) {
		UNICODE_STRING link = RTL_CONSTANT_STRING(REFSENSOR_DEVICE_LINK);

		IoDeleteSymbolicLink(&link);
		IoDeleteDevice(rs_dev);
		rs_dev = NULL;
	}
	rs_free(rs_page);
	rs_page = NULL;
	rs_log("version %d unloaded\n", REFSENSOR_VERSION);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *drv, UNICODE_STRING *regpath)
{
	ULONG delay_ms;
	NTSTATUS st;

	rs_log("version %d starting, content_dir %ls\n", REFSENSOR_VERSION, RS_CONTENT_DIR);
	st = rs_event_init();
	if (!NT_SUCCESS(st)) {
		rs_err("cannot build the IPC event: status 0x%08x\n", (unsigned int)st);
		rs_free(rs_page);
		rs_page = NULL;
		return st;
	}
	rs_log("ipc event: pipe %s, image %s, %u inputs (template ipc declares %d fields)\n",
	       rs_event.inputs[0], rs_event.inputs[1], rs_event.ninputs, INTERP_IPC_FIELDS);
	delay_ms = rs_param(L"SensorDelayMs");
	if (delay_ms) {
		LARGE_INTEGER t;

		t.QuadPart = -(LONGLONG)delay_ms * 10000; /* relative, in 100 ns */
		rs_log("sensor delay %u ms\n", (unsigned int)delay_ms);
		KeDelayExecutionThread(KernelMode, FALSE, &t);
	}
	if (rs_guard_begin()) {
		rs_load_dir();
		rs_guard_end();
	}
	rs_device_init(drv);
	drv->DriverUnload = rs_unload;
	rs_log("version %d ready, %u channel files loaded\n", REFSENSOR_VERSION, rs_files_loaded);
	return STATUS_SUCCESS;
}
