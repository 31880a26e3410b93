/*
 * guestroot - a guest's system disk mounted in a libguestfs appliance the
 * way its OS sees it, and guest paths resolved by that OS's rules.
 *
 * Two layouts: the reference images' file system on the whole disk (no
 * partition table), mounted at / (a Windows root when it holds
 * \Windows\System32\config\SYSTEM, as a FAT test stand-in does); and a
 * partitioned disk, whose operating
 * system libguestfs inspection finds (guestfs_inspect_os: for Windows the
 * NTFS partition holding \Windows\System32, not the EFI or recovery
 * partitions beside it), its file systems mounted where inspection says.
 *
 * Windows paths are case-insensitive, and ntfs-3g exports NTFS to Linux
 * case-sensitively (C:\Windows may be /WINDOWS or /windows): on a Windows
 * root every path is resolved component by component to the case on disk
 * (guestfs_case_sensitive_path), and globs match names case-insensitively,
 * so `C-00000291*.sys` finds `c-00000291-00000000-00000032.SYS`. On other
 * roots paths are used as given and globs are guestfs_glob_expand's.
 *
 * For the libguestfs worker (inject.h, appliance.h): calls block; errors
 * are libguestfs's, captured into err.
 */
#ifndef BP_GUESTROOT_H
#define BP_GUESTROOT_H

#include "util.h"

struct guestfs_h;

#define GUESTROOT_MOUNTS_MAX 16

struct guestroot {
	int casefold; /* Windows: names compare case-insensitively */
	char os[16];  /* inspection's type ("windows", "linux"), "" for a whole-disk fs */
	size_t nr_mounts;
	struct {
		char dir[64], dev[64];
	} mounts[GUESTROOT_MOUNTS_MAX]; /* in mount order: "/" first */
};

/* Mount dev's OS root (above) at /. -1 with err: no file system, or no OS found. */
int guestroot_mount(struct guestfs_h *g, const char *dev, struct guestroot *r,
		    struct bp_error *err);
/* Mount r's file systems again, after a guestfs_umount_all() (err may be NULL). */
int guestroot_remount(struct guestfs_h *g, const struct guestroot *r, struct bp_error *err);
/*
 * path (absolute) with each existing component in its case on disk; the
 * components from the first that does not exist on are kept as given.
 * Never NULL (free it); on a case-sensitive root a copy of path.
 */
char *guestroot_resolve(struct guestfs_h *g, const struct guestroot *r, const char *path);
/* The paths matching glob pattern (absolute), NULL-terminated (free with guestroot_strv_free()). */
char **guestroot_glob(struct guestfs_h *g, const struct guestroot *r, const char *pattern);
void guestroot_strv_free(char **v);

#endif
