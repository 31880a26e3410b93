/*
 * hostdisks - how a libvirt host gets a trial's disks (`--host
 * URI,disks=...`, a suite's `hosts:` entry's `disks:`). Its own header
 * because both scenario.h (struct suite_host) and hostpool.h (struct
 * pool_host) hold one, and hostpool.h already includes scenario.h (through
 * results.h): the enum in hostpool.h would make a cycle. hostpool.h says
 * how AUTO is resolved (hostpool_uploads()).
 */
#ifndef BP_HOSTDISKS_H
#define BP_HOSTDISKS_H

enum host_disks {
	HOST_DISKS_AUTO,   /* by the URI (hostpool_uploads()) */
	HOST_DISKS_SHARED, /* the daemon opens the harness's files at their paths */
	HOST_DISKS_UPLOAD, /* it cannot: disks go through its storage pool */
};

#endif
