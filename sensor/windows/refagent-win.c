/*
 * refagent-win - the reference sensor's update agent for Windows
 * (refagent.exe): a SYSTEM service (own process, auto start; the harness
 * registers it offline, see harness/engine/winreg.h) that serves the update
 * channel of sensor/PROTOCOL.md for the driver refsensor.sys. The protocol
 * is sensor/agentproto (portable, unit-tested on Linux against the
 * harness's side); this file is the Windows platform under it:
 *
 *   channel   the virtio-serial port \\.\Global\org.bootproof.update
 *             (virtio-win's vioser names ports so), waited for up to 30 s
 *             as the driver comes up; with `--com COMn` on the service's
 *             command line, that COM port instead (115200 8N1) when the
 *             virtio port is absent
 *   content   %SystemRoot%\System32\drivers\bootproof\: every file written
 *             as ~NAME.tmp, flushed, and renamed over NAME with
 *             MoveFileEx(REPLACE_EXISTING | WRITE_THROUGH); files of the
 *             old set not in the new one removed; the label .set
 *             ("ID DIGEST", agentproto.h) written last the same way. A set
 *             is atomic per file, not as a whole (NTFS has no rename of a
 *             directory over another): a cut mid-install leaves old and new
 *             files with a stale label, which the next HELLO calls _local-,
 *             so the host sends the set again
 *   driver    IOCTL_REFSENSOR_RELOAD after a set is installed,
 *             IOCTL_REFSENSOR_LOAD with a pushed file, IOCTL_REFSENSOR_VERSION
 *             for HELLO (refsensor-ioctl.h); no driver: version 0, pushes
 *             answered loaded=0
 *   boot      a REG_DWORD Boots under the service's Parameters key, one
 *             more at every start
 *   log       refagent.log beside the executable, and OutputDebugString
 *
 * `refagent.exe --console` runs it in a console (no service control
 * manager), for a hand test. Never run here: there is no Windows on the
 * build machine (tests/e2e-winagent.sh checks what the build makes).
 */
#include <windows.h>
#include <winioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto.h"
#include "refsensor-ioctl.h"

#define RA_SERVICE "refagent"
#define RA_PARAMS "SYSTEM\\CurrentControlSet\\Services\\refagent\\Parameters"
#define RA_PORT "\\\\.\\Global\\org.bootproof.update"
#define RA_CONTENT "\\drivers\\bootproof" /* under the system directory */
#define RA_TIMEOUT_MS 10000
#define RA_MAX_NAMES 1024

static char ra_dir[MAX_PATH]; /* the content directory */
static char ra_logpath[MAX_PATH];
static char ra_com[16]; /* --com COMn, "" for none */
static HANDLE ra_stop;	/* set by the service's STOP */
static SERVICE_STATUS_HANDLE ra_status;

struct chan {
	HANDLE h;
	int com; /* a COM port: a read of 0 bytes is a timeout, not the end */
	OVERLAPPED ov;
};

static void ra_say(void *ctx, const char *line)
{
	char buf[600];
	HANDLE f;
	DWORD n;

	snprintf(buf, sizeof(buf), "refsensor-agent: %s\r\n", line);
	OutputDebugStringA(buf);
	f = CreateFileA(ra_logpath, FILE_APPEND_DATA, FILE_SHARE_READ, NULL, OPEN_ALWAYS,
			FILE_ATTRIBUTE_NORMAL, NULL);
	if (f != INVALID_HANDLE_VALUE) {
		WriteFile(f, buf, (DWORD)strlen(buf), &n, NULL);
		CloseHandle(f);
	}
}

/* ---- the channel ---- */

static long ra_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
	struct chan *c = ctx;
	DWORD got = 0, until = timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
	HANDLE ev[2] = {c->ov.hEvent, ra_stop};

	for (;;) {
		DWORD w, start = GetTickCount();

		ResetEvent(c->ov.hEvent);
		if (!ReadFile(c->h, buf, (DWORD)(n > 65536 ? 65536 : n), NULL, &c->ov) &&
		    GetLastError() != ERROR_IO_PENDING)
			return GetLastError() == ERROR_BROKEN_PIPE ||
				       GetLastError() == ERROR_HANDLE_EOF
				   ? AGENT_EOF
				   : AGENT_FAIL;
		w = WaitForMultipleObjects(2, ev, FALSE, until);
		if (w != WAIT_OBJECT_0) {
			CancelIo(c->h);
			GetOverlappedResult(c->h, &c->ov, &got, TRUE);
			if (got)
				return (long)got;
			return w == WAIT_TIMEOUT ? AGENT_TIMEOUT : AGENT_EOF; /* or: stopped */
		}
		if (!GetOverlappedResult(c->h, &c->ov, &got, FALSE))
			return GetLastError() == ERROR_BROKEN_PIPE ||
				       GetLastError() == ERROR_HANDLE_EOF
				   ? AGENT_EOF
				   : AGENT_FAIL;
		if (got)
			return (long)got;
		if (!c->com)
			return AGENT_EOF;
		if (until != INFINITE) {
			DWORD spent = GetTickCount() - start;

			if (spent >= until)
				return AGENT_TIMEOUT;
			until -= spent;
		}
	}
}

static int ra_write(void *ctx, const void *buf, size_t n)
{
	struct chan *c = ctx;
	DWORD put = 0;

	ResetEvent(c->ov.hEvent);
	if (!WriteFile(c->h, buf, (DWORD)n, NULL, &c->ov) && GetLastError() != ERROR_IO_PENDING)
		return -1;
	if (!GetOverlappedResult(c->h, &c->ov, &put, TRUE))
		return -1;
	return put == n ? 0 : -1;
}

/* The COM port's line settings; reads return as soon as a byte is there. */
static int ra_com_setup(HANDLE h)
{
	DCB dcb = {.DCBlength = sizeof(dcb)};
	COMMTIMEOUTS t = {MAXDWORD, MAXDWORD, MAXDWORD - 1, 0, 5000};

	if (!GetCommState(h, &dcb))
		return -1;
	dcb.BaudRate = CBR_115200;
	dcb.ByteSize = 8;
	dcb.Parity = NOPARITY;
	dcb.StopBits = ONESTOPBIT;
	dcb.fBinary = TRUE;
	dcb.fOutxCtsFlow = dcb.fOutxDsrFlow = FALSE;
	dcb.fOutX = dcb.fInX = FALSE;
	return SetCommState(h, &dcb) && SetCommTimeouts(h, &t) ? 0 : -1;
}

/* The virtio port (waited for), else the COM port; 0, or -1. */
static int ra_chan_open(struct chan *c)
{
	char com[32];

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 60; i++) {
		c->h = CreateFileA(RA_PORT, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
				   FILE_FLAG_OVERLAPPED, NULL);
		if (c->h != INVALID_HANDLE_VALUE ||
		    WaitForSingleObject(ra_stop, 500) == WAIT_OBJECT_0)
			break;
	}
	if (c->h == INVALID_HANDLE_VALUE && ra_com[0]) {
		snprintf(com, sizeof(com), "\\\\.\\%s", ra_com);
		c->h = CreateFileA(com, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
				   FILE_FLAG_OVERLAPPED, NULL);
		c->com = 1;
		if (c->h != INVALID_HANDLE_VALUE && ra_com_setup(c->h)) {
			CloseHandle(c->h);
			c->h = INVALID_HANDLE_VALUE;
		}
	}
	if (c->h == INVALID_HANDLE_VALUE)
		return -1;
	c->ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
	return 0;
}

/* ---- the driver ---- */

/* DeviceIoControl on the driver's control device: 0, or -1 (no driver, or it failed). */
static int ra_driver(DWORD code, const void *in, DWORD inlen, void *out, DWORD outlen)
{
	HANDLE h = CreateFileA(REFSENSOR_DEVICE_USER, GENERIC_READ | GENERIC_WRITE, 0, NULL,
			       OPEN_EXISTING, 0, NULL);
	DWORD n = 0;
	BOOL ok;

	if (h == INVALID_HANDLE_VALUE)
		return -1;
	ok = DeviceIoControl(h, code, (void *)in, inlen, out, outlen, &n, NULL);
	CloseHandle(h);
	return ok ? 0 : -1;
}

/* ---- the content directory ---- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The C-*.sys names on disk, sorted; their count. */
static size_t ra_list(char (*names)[AGENT_NAME_LEN + 1], size_t max)
{
	char glob[MAX_PATH];
	WIN32_FIND_DATAA fd;
	HANDLE f;
	size_t nr = 0;

	snprintf(glob, sizeof(glob), "%s\\C-*.sys", ra_dir);
	f = FindFirstFileA(glob, &fd);
	if (f == INVALID_HANDLE_VALUE)
		return 0;
	do {
		/* Windows matches C-*.sys case-insensitively: keep the protocol's names only. */
		if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
		    agent_valid_name(fd.cFileName))
			strcpy(names[nr++], fd.cFileName);
	} while (nr < max && FindNextFileA(f, &fd));
	FindClose(f);
	qsort(names, nr, sizeof(names[0]), name_cmp);
	return nr;
}

/* The whole of dir\name (at most 1 MiB) into a new buffer; NULL if unreadable. */
static uint8_t *ra_slurp(const char *name, size_t *len)
{
	char path[MAX_PATH];
	HANDLE f;
	DWORD n = 0, size;
	uint8_t *buf = NULL;

	snprintf(path, sizeof(path), "%s\\%s", ra_dir, name);
	f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	if (f == INVALID_HANDLE_VALUE)
		return NULL;
	size = GetFileSize(f, NULL);
	if (size != INVALID_FILE_SIZE && size <= AGENT_MAX_FILE && (buf = malloc(size + 1)) &&
	    (!ReadFile(f, buf, size, &n, NULL) || n != size)) {
		free(buf);
		buf = NULL;
	}
	CloseHandle(f);
	*len = n;
	return buf;
}

static uint64_t ra_dir_digest(void)
{
	static char names[RA_MAX_NAMES][AGENT_NAME_LEN + 1];
	size_t nr = ra_list(names, RA_MAX_NAMES);
	uint64_t h = AGENT_DIGEST_INIT;

	for (size_t i = 0; i < nr; i++) {
		size_t len = 0;
		uint8_t *data = ra_slurp(names[i], &len);

		h = agent_digest(h, names[i], data ? data : (const uint8_t *)"", data ? len : 0);
		free(data);
	}
	return h;
}

static void ra_current_set(void *ctx, char *id)
{
	size_t len = 0;
	uint8_t *label = ra_slurp(".set", &len);

	if (label)
		label[len] = 0;
	agent_label((const char *)label, ra_dir_digest(), id);
	free(label);
}

/* dir\name replaced atomically: ~name.tmp written and flushed, then renamed over it. */
static int ra_write_atomic(const char *name, const void *data, size_t len)
{
	char tmp[MAX_PATH], path[MAX_PATH];
	HANDLE f;
	DWORD n = 0;
	BOOL ok;

	snprintf(tmp, sizeof(tmp), "%s\\~%s.tmp", ra_dir, name);
	snprintf(path, sizeof(path), "%s\\%s", ra_dir, name);
	f = CreateFileA(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE)
		return -1;
	ok = (!len || WriteFile(f, data, (DWORD)len, &n, NULL)) && n == len && FlushFileBuffers(f);
	CloseHandle(f);
	if (ok && MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		return 0;
	DeleteFileA(tmp);
	return -1;
}

static int ra_label_write(const char *id)
{
	char text[AGENT_MAX_ID + 24];

	snprintf(text, sizeof(text), "%s %016llx\n", id, (unsigned long long)ra_dir_digest());
	return ra_write_atomic(".set", text, strlen(text));
}

static int ra_install_set(void *ctx, const char *id, const struct agent_file *files, size_t nr)
{
	static char names[RA_MAX_NAMES][AGENT_NAME_LEN + 1];
	size_t old;

	CreateDirectoryA(ra_dir, NULL);
	for (size_t i = 0; i < nr; i++)
		if (ra_write_atomic(files[i].name, files[i].data, files[i].len))
			return -1;
	old = ra_list(names, RA_MAX_NAMES);
	for (size_t i = 0; i < old; i++) {
		char path[MAX_PATH];
		size_t j;

		for (j = 0; j < nr && _stricmp(files[j].name, names[i]); j++)
			;
		snprintf(path, sizeof(path), "%s\\%s", ra_dir, names[i]);
		if (j == nr && !DeleteFileA(path))
			return -1;
	}
	if (ra_label_write(id))
		return -1;
	if (ra_driver(IOCTL_REFSENSOR_RELOAD, NULL, 0, NULL, 0))
		ra_say(ctx, "set installed, but no sensor running to reload it");
	return 0;
}

/* Persisted first, then fed to the driver: a bugcheck there finds it on disk (July 19). */
static int ra_push(void *ctx, const struct agent_file *f, int persist, const char *id)
{
	if (persist) {
		CreateDirectoryA(ra_dir, NULL);
		if (ra_write_atomic(f->name, f->data, f->len) || ra_label_write(id))
			return -1;
	}
	return ra_driver(IOCTL_REFSENSOR_LOAD, f->data, (DWORD)f->len, NULL, 0) == 0;
}

static void ra_stats(void *ctx, long long fig[4])
{
	MEMORYSTATUSEX m = {.dwLength = sizeof(m)};

	/* Windows has no MemFree/Slab split; the pool figures need the performance API. */
	fig[0] = GlobalMemoryStatusEx(&m) ? (long long)(m.ullAvailPhys / 1024) : -1;
	fig[1] = fig[2] = fig[3] = -1;
}

/* ---- the service ---- */

static unsigned ra_boot_number(void)
{
	HKEY k;
	DWORD boots = 0, size = sizeof(boots), type = 0;

	if (RegCreateKeyExA(HKEY_LOCAL_MACHINE, RA_PARAMS, 0, NULL, 0, KEY_READ | KEY_WRITE, NULL,
			    &k, NULL) != ERROR_SUCCESS)
		return 0;
	if (RegQueryValueExA(k, "Boots", NULL, &type, (BYTE *)&boots, &size) != ERROR_SUCCESS ||
	    type != REG_DWORD)
		boots = 0;
	boots++;
	RegSetValueExA(k, "Boots", 0, REG_DWORD, (const BYTE *)&boots, sizeof(boots));
	RegFlushKey(k);
	RegCloseKey(k);
	return boots;
}

static void ra_serve(void)
{
	struct chan c;
	ULONG version = 0;
	unsigned boot = ra_boot_number();
	const struct agent_ops ops = {
	    .ctx = &c,
	    .read = ra_read,
	    .write = ra_write,
	    .current_set = ra_current_set,
	    .install_set = ra_install_set,
	    .push = ra_push,
	    .stats = ra_stats,
	    .say = ra_say,
	};

	if (ra_chan_open(&c)) {
		ra_say(NULL,
		       "no update channel (port org.bootproof.update absent), boot continues");
		return;
	}
	ra_driver(IOCTL_REFSENSOR_VERSION, NULL, 0, &version, sizeof(version));
	agent_run(&ops, boot, (unsigned)version, RA_TIMEOUT_MS);
	CloseHandle(c.ov.hEvent);
	CloseHandle(c.h);
}

static void ra_report(DWORD state)
{
	SERVICE_STATUS st = {SERVICE_WIN32_OWN_PROCESS,
			     state,
			     state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP : 0,
			     NO_ERROR,
			     0,
			     0,
			     0};

	if (ra_status)
		SetServiceStatus(ra_status, &st);
}

static DWORD WINAPI ra_control(DWORD ctl, DWORD type, void *data, void *ctx)
{
	if (ctl == SERVICE_CONTROL_STOP || ctl == SERVICE_CONTROL_SHUTDOWN) {
		ra_report(SERVICE_STOP_PENDING);
		SetEvent(ra_stop);
	}
	return NO_ERROR;
}

static void WINAPI ra_service_main(DWORD argc, char **argv)
{
	ra_status = RegisterServiceCtrlHandlerExA(RA_SERVICE, ra_control, NULL);
	ra_report(SERVICE_RUNNING);
	ra_serve();
	ra_report(SERVICE_STOPPED);
}

int main(int argc, char **argv)
{
	static SERVICE_TABLE_ENTRYA table[] = {{(char *)RA_SERVICE, ra_service_main}, {NULL, NULL}};
	char *slash, sys[MAX_PATH];
	int console = 0;
	UINT n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--console"))
			console = 1;
		else if (!strcmp(argv[i], "--com") && i + 1 < argc &&
			 !_strnicmp(argv[i + 1], "COM", 3) && strlen(argv[i + 1]) < sizeof(ra_com))
			strcpy(ra_com, argv[++i]);
	}
	n = GetSystemDirectoryA(sys, sizeof(sys));
	snprintf(ra_dir, sizeof(ra_dir), "%s%s",
		 n && n < sizeof(sys) ? sys : "C:\\Windows\\System32", RA_CONTENT);
	GetModuleFileNameA(NULL, ra_logpath, sizeof(ra_logpath) - 16);
	slash = strrchr(ra_logpath, '\\');
	strcpy(slash ? slash + 1 : ra_logpath, "refagent.log");
	ra_stop = CreateEventA(NULL, TRUE, FALSE, NULL);
	if (console || !StartServiceCtrlDispatcherA(table))
		ra_serve();
	return 0;
}
