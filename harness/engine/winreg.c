/*
 * winreg - offline registry changes on a Windows disk (see winreg.h).
 */
#define _GNU_SOURCE
#include "winreg.h"

#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_SZ 1
#define REG_EXPAND_SZ 2
#define REG_BINARY 3
#define REG_DWORD 4

#define BOOTMGR "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
#define BCD_DEFAULT "23000003"
#define BCD_SAFEBOOT "25000080"
#define BCD_RECOVERYENABLED "16000009"  /* BcdLibraryBoolean_AutoRecoveryEnabled */
#define BCD_BOOTSTATUSPOLICY "250000e0" /* BcdOSLoaderInteger_BootStatusPolicy */

static int gerr(guestfs_h *g, struct bp_error *err, const char *what, const char *subject)
{
	const char *msg = guestfs_last_error(g);

	return error_set(err, "%s %s: %s", what, subject, msg ? msg : "unknown libguestfs error");
}

/* The key at path below node ('\\'-separated), made if create; 0 if it is not there. */
static int64_t reg_key(guestfs_h *g, int64_t node, const char *path, int create)
{
	char *copy = xstrdup(path), *save = NULL;

	for (char *c = strtok_r(copy, "\\", &save); c && node > 0; c = strtok_r(NULL, "\\", &save)) {
		int64_t child = guestfs_hivex_node_get_child(g, node, c);

		node = child > 0 || !create ? child : guestfs_hivex_node_add_child(g, node, c);
	}
	free(copy);
	return node;
}

/* A REG_DWORD value of node, or -1 if it has none. */
static int64_t reg_dword(guestfs_h *g, int64_t node, const char *key)
{
	int64_t v = guestfs_hivex_node_get_value(g, node, key);
	size_t size = 0;
	char *data;
	uint32_t d;

	if (v <= 0 || guestfs_hivex_value_type(g, v) != REG_DWORD)
		return -1;
	data = guestfs_hivex_value_value(g, v, &size);
	if (!data || size != sizeof(d)) {
		free(data);
		return -1;
	}
	memcpy(&d, data, sizeof(d));
	free(data);
	return d;
}

static int set_dword(guestfs_h *g, int64_t node, const char *key, uint32_t v)
{
	unsigned char le[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};

	return guestfs_hivex_node_set_value(g, node, key, REG_DWORD, (const char *)le, sizeof(le));
}

/* A registry string: UTF-16LE with its terminating NUL (ASCII input). */
static int set_string(guestfs_h *g, int64_t node, const char *key, int type, const char *s)
{
	size_t n = strlen(s) + 1;
	char *w = xcalloc(n, 2);
	int r;

	for (size_t i = 0; i < n; i++)
		w[2 * i] = s[i];
	r = guestfs_hivex_node_set_value(g, node, key, type, w, 2 * n);
	free(w);
	return r;
}

/*
 * Commit next to the hive, then rename over it: a cut while writing leaves
 * the old hive, never half of a new one.
 */
static int hive_commit(guestfs_h *g, const char *hive, struct bp_error *err)
{
	char *tmp = xasprintf("%s.bootproof-new", hive);
	int r = guestfs_hivex_commit(g, tmp) < 0 || guestfs_mv(g, tmp, hive) < 0 ? -1 : 0;

	if (r < 0)
		gerr(g, err, "cannot write hive", hive);
	free(tmp);
	return r;
}

static char *hive_open(guestfs_h *g, const struct guestroot *r, const char *path,
		       struct bp_error *err)
{
	char *hive = guestroot_resolve(g, r, path);

	if (guestfs_hivex_open(g, hive, GUESTFS_HIVEX_OPEN_WRITE, 1, -1) < 0) {
		gerr(g, err, "cannot open hive", path);
		free(hive);
		return NULL;
	}
	return hive;
}

/* SYSTEM's Services key of the current control set, opened for writing. */
static int64_t services_key(guestfs_h *g, struct bp_error *err)
{
	int64_t root = guestfs_hivex_root(g), select = reg_key(g, root, "Select", 0), cur;
	char set[32];

	cur = select > 0 ? reg_dword(g, select, "Current") : -1;
	if (cur < 1 || cur > 999)
		return error_set(err, "SYSTEM hive: no Select\\Current control set"), 0;
	snprintf(set, sizeof(set), "ControlSet%03d\\Services", (int)cur);
	root = reg_key(g, root, set, 0);
	if (root <= 0)
		error_set(err, "SYSTEM hive: no %s key", set);
	return root;
}

#define SYSTEM_HIVE "/Windows/System32/config/SYSTEM"

/*
 * The SYSTEM hive opened for writing (*ret_hive: its path, the caller
 * closes and frees it) and service name's key in it, made if create: the
 * key, 0 with *ret_hive NULL when it is not there and !create (err unset),
 * -1 with err and *ret_hive NULL (closed) on failure.
 */
static int64_t service_open(guestfs_h *g, const struct guestroot *r, const char *name, int create,
			    char **ret_hive, struct bp_error *err)
{
	int64_t set, svc = 0;
	int missing = 0;

	*ret_hive = hive_open(g, r, SYSTEM_HIVE, err);
	if (!*ret_hive)
		return -1;
	set = services_key(g, err);
	if (set > 0) {
		svc = reg_key(g, set, name, create);
		if (svc <= 0 && create)
			gerr(g, err, "cannot add service", name);
		missing = svc <= 0 && !create;
	}
	if (svc > 0)
		return svc;
	guestfs_hivex_close(g);
	free(*ret_hive);
	*ret_hive = NULL;
	return missing ? 0 : -1;
}

/* Commit an open hive and close it; the result of the change before (ret) or -1. */
static int service_close(guestfs_h *g, char *hive, int ret, struct bp_error *err)
{
	if (ret >= 0 && hive_commit(g, hive, err) < 0)
		ret = -1;
	guestfs_hivex_close(g);
	free(hive);
	return ret;
}

/* Service name with these values (ObjectName NULL: none), made or updated. */
static int service_put(guestfs_h *g, const struct guestroot *r, const char *name, uint32_t type,
		       uint32_t start, const char *image, const char *object, struct bp_error *err)
{
	char *hive;
	int64_t svc = service_open(g, r, name, 1, &hive, err);
	int ret = 0;

	if (svc <= 0)
		return -1;
	if (set_dword(g, svc, "Type", type) < 0 || set_dword(g, svc, "Start", start) < 0 ||
	    set_dword(g, svc, "ErrorControl", 1) < 0 ||
	    set_string(g, svc, "ImagePath", REG_EXPAND_SZ, image) < 0 ||
	    set_string(g, svc, "DisplayName", REG_SZ, name) < 0 ||
	    (object && set_string(g, svc, "ObjectName", REG_SZ, object) < 0))
		ret = gerr(g, err, "cannot set the values of service", name);
	return service_close(g, hive, ret, err);
}

int winreg_service_add(struct guestfs_h *g, const struct guestroot *r, const char *name,
		       const char *driver, uint32_t start, struct bp_error *err)
{
	const char *base = strrchr(driver, '/');
	char *image = xasprintf("\\SystemRoot\\System32\\drivers\\%s", base ? base + 1 : driver);
	int ret = service_put(g, r, name, 1, start, image, NULL, err);

	free(image);
	return ret;
}

int winreg_program_add(struct guestfs_h *g, const struct guestroot *r, const char *name,
		       const char *program, const char *args, struct bp_error *err)
{
	struct strbuf image = STRBUF_INIT;
	int ret;

	/* C:\ and backslashes; quoted, since "Program Files" has a space. */
	strbuf_adds(&image, "\"C:");
	for (const char *p = program; *p; p++)
		strbuf_addch(&image, *p == '/' ? '\\' : *p);
	strbuf_addch(&image, '"');
	if (args && *args)
		strbuf_addf(&image, " %s", args);
	ret = service_put(g, r, name, 0x10, 2, image.buf, "LocalSystem", err);
	strbuf_release(&image);
	return ret;
}

int winreg_service_start(struct guestfs_h *g, const struct guestroot *r, const char *name,
			 uint32_t start, struct bp_error *err)
{
	char *hive;
	int64_t svc = service_open(g, r, name, 0, &hive, err);

	if (svc <= 0)
		return svc < 0 ? -1 : 0;
	return service_close(g, hive,
			     set_dword(g, svc, "Start", start) < 0
				 ? gerr(g, err, "cannot set Start of service", name)
				 : 1,
			     err);
}

int winreg_service_param(struct guestfs_h *g, const struct guestroot *r, const char *name,
			 const char *key, uint32_t value, struct bp_error *err)
{
	char *hive;
	int64_t svc = service_open(g, r, name, 0, &hive, err), params;

	if (svc == 0)
		return error_set(err, "SYSTEM hive: no service %s to set %s of", name, key);
	if (svc < 0)
		return -1;
	params = reg_key(g, svc, "Parameters", 1);
	return service_close(g, hive,
			     params <= 0 || set_dword(g, params, key, value) < 0
				 ? gerr(g, err, "cannot set Parameters of service", name)
				 : 0,
			     err);
}

/* The default entry's Elements key in an open BCD hive, or 0 (err). */
static int64_t default_entry(guestfs_h *g, struct bp_error *err)
{
	int64_t objs = reg_key(g, guestfs_hivex_root(g), "Objects", 0), k, v;
	char *path, *guid = NULL;
	size_t size = 0;

	k = objs > 0 ? reg_key(g, objs, BOOTMGR "\\Elements\\" BCD_DEFAULT, 0) : 0;
	v = k > 0 ? guestfs_hivex_node_get_value(g, k, "Element") : 0;
	if (v > 0 && guestfs_hivex_value_type(g, v) == REG_SZ)
		guid = guestfs_hivex_value_value(g, v, &size);
	if (!guid || size < 2 || size > 128)
		return free(guid), error_set(err, "BCD: the boot manager names no default entry"), 0;
	/* UTF-16LE to ASCII in place: a GUID's characters */
	for (size_t i = 0; 2 * i < size; i++)
		guid[i] = guid[2 * i];
	guid[size / 2 - (guid[size / 2 - 1] ? 0 : 1)] = '\0';
	path = xasprintf("%s\\Elements", guid);
	k = reg_key(g, objs, path, 0);
	if (k <= 0)
		error_set(err, "BCD: no entry %s", guid);
	free(path);
	free(guid);
	return k;
}

/* One element of the default entry: set to len bytes of data, or removed (data NULL). */
struct bcd_edit {
	const char *element;
	const char *data;
	size_t len;
};

static int bcd_edit_in(guestfs_h *g, const char *bcd, const struct bcd_edit *ed, size_t nr,
		       struct bp_error *err)
{
	int64_t elems;
	int ret = 0;

	if (guestfs_hivex_open(g, bcd, GUESTFS_HIVEX_OPEN_WRITE, 1, -1) < 0)
		return gerr(g, err, "cannot open BCD store", bcd);
	elems = default_entry(g, err);
	if (elems <= 0)
		ret = -1;
	for (size_t i = 0; i < nr && ret == 0; i++) {
		int64_t el = reg_key(g, elems, ed[i].element, ed[i].data != NULL);

		if (!ed[i].data)
			ret = el > 0 && guestfs_hivex_node_delete_child(g, el) < 0
				  ? gerr(g, err, "cannot remove an element from", bcd)
				  : 0;
		else if (el <= 0 || guestfs_hivex_node_set_value(g, el, "Element", REG_BINARY,
								   ed[i].data, ed[i].len) < 0)
			ret = gerr(g, err, "cannot set an element in", bcd);
	}
	if (ret == 0)
		ret = hive_commit(g, bcd, err);
	guestfs_hivex_close(g);
	return ret;
}

/* The EFI system partition's BCD: the ESP mounted at / in place of the Windows root. */
static int bcd_edit_esp(guestfs_h *g, const struct guestroot *r, const struct bcd_edit *ed,
			size_t nr, struct bp_error *err)
{
	char **parts = guestfs_list_partitions(g);
	int ret = 1;

	for (char **p = parts; p && *p && ret > 0; p++) {
		char *fs = guestfs_vfs_type(g, *p);

		if (fs && !strcmp(fs, "vfat") && guestfs_umount_all(g) == 0 &&
		    guestfs_mount(g, *p, "/") == 0) {
			if (guestfs_is_file(g, "/EFI/Microsoft/Boot/BCD") > 0)
				ret = bcd_edit_in(g, "/EFI/Microsoft/Boot/BCD", ed, nr, err);
			guestfs_umount_all(g);
		}
		free(fs);
	}
	guestroot_strv_free(parts);
	if (guestroot_remount(g, r, ret < 0 ? NULL : err) < 0)
		ret = -1;
	return ret;
}

static int bcd_edit(guestfs_h *g, const struct guestroot *r, const struct bcd_edit *ed, size_t nr,
		    struct bp_error *err)
{
	char *bios = guestroot_resolve(g, r, "/Boot/BCD");
	int ret;

	ret = guestfs_is_file(g, bios) > 0 ? bcd_edit_in(g, bios, ed, nr, err)
					   : bcd_edit_esp(g, r, ed, nr, err);
	free(bios);
	if (ret > 0)
		return error_set(err, "no BCD store: neither \\Boot\\BCD nor an EFI partition's");
	return ret;
}

int winreg_safeboot(struct guestfs_h *g, const struct guestroot *r, int on, struct bp_error *err)
{
	static const char minimal[8] = {0};
	const struct bcd_edit ed = {BCD_SAFEBOOT, on ? minimal : NULL, sizeof(minimal)};

	return bcd_edit(g, r, &ed, 1, err);
}

int winreg_recovery(struct guestfs_h *g, const struct guestroot *r, int on, struct bp_error *err)
{
	/* A boolean element is one byte; an integer eight, little-endian. */
	static const char yes[1] = {1}, no[1] = {0};
	static const char display_all[8] = {0}, ignore_all[8] = {1};
	const struct bcd_edit ed[] = {
	    {BCD_RECOVERYENABLED, on ? yes : no, 1},
	    {BCD_BOOTSTATUSPOLICY, on ? display_all : ignore_all, 8},
	};

	return bcd_edit(g, r, ed, 2, err);
}
