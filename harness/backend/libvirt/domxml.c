/*
 * domxml - a trial's domain XML (see domxml.h).
 */
#define _GNU_SOURCE
#include "domxml.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "escape.h"
#include "guest.h"

#define DOMXML_MAX_CHAIN 8
#define QCOW2_MAGIC 0x514649fbu
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau

/* An attribute value or text, escaped (s may be untrusted: a path, a command line). */
static void dx_add(struct strbuf *sb, const char *s)
{
	escape_markups(sb, s, ESCAPE_ATTR);
}

static int dx_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n == (ssize_t)len ? 0 : -1;
}

/* One qcow2 header's backing file and format; 0 with ret->path NULL when none. */
static int dx_backing_of(const char *path, struct domxml_backing *ret, struct bp_error *err)
{
	unsigned char h[104];
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = -1;
	uint64_t off, ext;
	uint32_t len, hlen;
	char *name = NULL;

	ret->path = NULL;
	strcpy(ret->format, "raw");
	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", path, strerror(errno));
	if (dx_pread(fd, h, sizeof(h), 0) < 0 || be32toh(*(uint32_t *)h) != QCOW2_MAGIC) {
		/* not qcow2: a raw base, the end of the chain */
		r = 0;
		goto out;
	}
	off = be64toh(*(uint64_t *)(h + 8));
	len = be32toh(*(uint32_t *)(h + 16));
	hlen = be32toh(*(uint32_t *)(h + 4)) >= 3 ? be32toh(*(uint32_t *)(h + 100)) : 72;
	if (!off) {
		r = 0;
		goto out;
	}
	if (len == 0 || len > 1023 || !(name = calloc(1, len + 1)) ||
	    dx_pread(fd, name, len, off) < 0) {
		error_set(err, "'%s': unreadable backing file name", path);
		goto out;
	}
	/* Header extensions: type, length, data padded to 8 bytes, ending with type 0. */
	for (ext = hlen; ext < off;) {
		uint32_t e[2];

		if (dx_pread(fd, e, sizeof(e), ext) < 0 || !e[0])
			break;
		if (be32toh(e[0]) == QCOW2_EXT_BACKING_FORMAT && be32toh(e[1]) < sizeof(ret->format)) {
			memset(ret->format, 0, sizeof(ret->format));
			if (dx_pread(fd, ret->format, be32toh(e[1]), ext + 8) < 0)
				strcpy(ret->format, "raw");
			break;
		}
		/* in 64 bits: a length near 4 GiB wrapped to a step of 0, a loop for ever */
		ext += 8 + (((uint64_t)be32toh(e[1]) + 7) & ~(uint64_t)7);
	}
	if (name[0] == '/') {
		ret->path = name;
	} else {
		const char *slash = strrchr(path, '/');

		ret->path = slash ? xasprintf("%.*s/%s", (int)(slash - path), path, name)
				  : xstrdup(name);
		free(name);
	}
	name = NULL;
	r = 0;
out:
	free(name);
	close(fd);
	return r;
}

int domxml_backing_chain(const char *qcow2, struct domxml_backing *ret, int max,
			 struct bp_error *err)
{
	const char *cur = qcow2;
	int n = 0;

	while (n < max) {
		if (dx_backing_of(cur, &ret[n], err) < 0)
			goto fail;
		if (!ret[n].path)
			return n;
		cur = ret[n++].path;
	}
	error_set(err, "'%s': backing chain deeper than %d", qcow2, max);
fail:
	while (n--)
		free(ret[n].path);
	return -1;
}

static void dx_backing_store(struct strbuf *sb, const struct domxml_backing *b, int n)
{
	for (int i = 0; i < n; i++) {
		strbuf_adds(sb, "<backingStore type='file'><format type='");
		dx_add(sb, b[i].format);
		strbuf_adds(sb, "'/><source file='");
		dx_add(sb, b[i].path);
		strbuf_adds(sb, "'/>");
	}
	strbuf_adds(sb, "<backingStore/>"); /* the end of the chain: nothing to probe */
	for (int i = 0; i < n; i++)
		strbuf_adds(sb, "</backingStore>");
}

static int dx_disk(struct strbuf *sb, const struct vm_config *cfg,
		   const struct domxml_files *files, struct bp_error *err)
{
	const char *dev = cfg->guest->machine.disk_device;
	struct domxml_backing chain[DOMXML_MAX_CHAIN];
	int n = 0;

	if (strcmp(dev, "virtio-blk-device") && strcmp(dev, "virtio-blk-pci") &&
	    strcmp(dev, "ide-hd"))
		return error_set(err, "no libvirt disk for the device '%s'", dev);
	if (!files && (n = domxml_backing_chain(cfg->disk, chain, DOMXML_MAX_CHAIN, err)) < 0)
		return -1;
	strbuf_adds(sb, "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
			"<source file='");
	dx_add(sb, files ? files->disk : cfg->disk);
	strbuf_adds(sb, "'/>");
	if (files)
		dx_backing_store(sb, files->chain, files->nr_chain);
	else
		dx_backing_store(sb, chain, n);
	if (!strcmp(dev, "ide-hd"))
		strbuf_adds(sb, "<target dev='sda' bus='sata'/>");
	else
		strbuf_adds(sb, "<target dev='vda' bus='virtio'/>");
	if (!strcmp(dev, "virtio-blk-device"))
		strbuf_adds(sb, "<address type='virtio-mmio'/>");
	strbuf_adds(sb, "</disk>");
	while (n--)
		free(chain[n].path);
	return 0;
}

/* <os>: the machine type and the boot method's options (guest.h's boot, as argv.c reads it). */
static int dx_os(struct strbuf *sb, const struct vm_config *cfg,
		 const struct domxml_files *files, struct bp_error *err)
{
	const struct guest_machine *m = &cfg->guest->machine;
	char *cmdline = qemu_boot_append(m, cfg->append);
	const char *kernel = files ? files->kernel : cfg->kernel;
	const char *initrd = files ? files->initrd : cfg->initrd;
	int r = 0;

	strbuf_adds(sb, "<os><type arch='x86_64' machine='");
	dx_add(sb, m->type);
	strbuf_adds(sb, "'>hvm</type>");
	for (const struct guest_qemu_opt *o = m->boot; o && o->opt; o++) {
		const char *v = !strcmp(o->value, "@kernel")   ? kernel
				: !strcmp(o->value, "@initrd") ? initrd
				: !strcmp(o->value, "@append") ? cmdline
							       : o->value;
		const char *el = !strcmp(o->opt, "-kernel")   ? "kernel"
				 : !strcmp(o->opt, "-initrd") ? "initrd"
				 : !strcmp(o->opt, "-append") ? "cmdline"
				 : !strcmp(o->opt, "-bios")   ? "loader type='rom'"
							      : NULL;

		if (!el) {
			r = error_set(err, "no libvirt element for the boot option '%s'", o->opt);
			break;
		}
		if (!v)
			continue;
		strbuf_addf(sb, "<%s>", el);
		dx_add(sb, v);
		strbuf_addf(sb, "</%.*s>", (int)strcspn(el, " "), el);
	}
	strbuf_adds(sb, "</os>");
	free(cmdline);
	return r;
}

static void dx_serial(struct strbuf *sb, int port, const char *log_path)
{
	strbuf_adds(sb, "<serial type='pty'>");
	if (log_path) {
		strbuf_adds(sb, "<log file='");
		dx_add(sb, log_path);
		strbuf_adds(sb, "' append='on'/>");
	}
	strbuf_addf(sb, "<target port='%d'/></serial>", port);
}

static int dx_devices(struct strbuf *sb, const struct vm_config *cfg, const char *log_path,
		      const struct domxml_files *files, struct bp_error *err)
{
	const struct guest_machine *m = &cfg->guest->machine;
	int mmio = !strcmp(m->serial_device, "virtio-serial-device");

	if (!mmio && strcmp(m->serial_device, "virtio-serial-pci"))
		return error_set(err, "no libvirt controller for '%s'", m->serial_device);
	if (strcmp(m->panic_device, "pvpanic"))
		return error_set(err, "no libvirt panic device for '%s'", m->panic_device);
	if (m->display && strcmp(m->display, "VGA"))
		return error_set(err, "no libvirt video model for '%s'", m->display);
	strbuf_adds(sb, "<devices>");
	if (dx_disk(sb, cfg, files, err) < 0)
		return -1;
	strbuf_adds(sb, "<controller type='usb' model='none'/>");
	strbuf_addf(sb, "<controller type='virtio-serial' index='0'>%s</controller>",
		    mmio ? "<address type='virtio-mmio'/>" : "");
	dx_serial(sb, 0, log_path);
	if (m->marker_serial)
		dx_serial(sb, 1, NULL);
	strbuf_adds(sb, "<console type='pty'><target type='serial' port='0'/></console>");
	/* No path: the daemon makes one on its own host (the harness need not share it). */
	strbuf_adds(sb, "<channel type='unix'><source mode='bind'/>"
			"<target type='virtio' name='org.bootproof.update'/>"
			"<alias name='" DOMXML_UPDATE_ALIAS "'/></channel>");
	strbuf_addf(sb, "<video><model type='%s'/></video>", m->display ? "vga" : "none");
	strbuf_adds(sb, "<memballoon model='none'/><panic model='isa'/>");
	if (!strcmp(cfg->accel, "kvm"))
		strbuf_adds(sb, "<panic model='hyperv'/>");
	strbuf_adds(sb, "</devices>");
	return 0;
}

char *domxml_build(const struct vm_config *cfg, const char *name, const char *uuid,
		   const char *log_path, const struct domxml_files *files, struct bp_error *err)
{
	const struct guest_machine *m = &cfg->guest->machine;
	struct strbuf sb = STRBUF_INIT;
	int kvm = !strcmp(cfg->accel, "kvm");

	strbuf_addf(&sb, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>",
		    kvm ? "kvm" : "qemu");
	strbuf_adds(&sb, "<name>");
	dx_add(&sb, name);
	strbuf_adds(&sb, "</name>");
	if (uuid) {
		strbuf_adds(&sb, "<uuid>");
		dx_add(&sb, uuid);
		strbuf_adds(&sb, "</uuid>");
	}
	strbuf_addf(&sb, "<memory unit='MiB'>%d</memory><vcpu>1</vcpu>", cfg->memory_mib);
	if (dx_os(&sb, cfg, files, err) < 0)
		goto fail;
	/* QEMU's vmcoreinfo device is libvirt's <vmcoreinfo> feature: a host-side win-dmp needs it */
	strbuf_addf(&sb, "<features><acpi/>%s</features>",
		    m->coreinfo_device ? "<vmcoreinfo state='on'/>" : "");
	strbuf_adds(&sb, "<on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot>"
			 "<on_crash>preserve</on_crash>");
	if (dx_devices(&sb, cfg, log_path, files, err) < 0)
		goto fail;
	/*
	 * QEMU's panic=none, as the direct backend's argv: the guest runs on after
	 * GUEST_PANICKED, so its console brings the whole report (a paused guest
	 * never prints Linux's "---[ end Kernel panic", and its verdict would wait
	 * for the crash grace). Given after libvirt's own -action, it wins.
	 */
	strbuf_adds(&sb, "<qemu:commandline><qemu:arg value='-action'/>"
			 "<qemu:arg value='panic=none'/>");
	if (m->options) {
		strbuf_adds(&sb, "<qemu:arg value='-machine'/><qemu:arg value='");
		dx_add(&sb, m->options);
		strbuf_adds(&sb, "'/>");
	}
	strbuf_adds(&sb, "</qemu:commandline>");
	strbuf_adds(&sb, "</domain>\n");
	return strbuf_detach(&sb);
fail:
	strbuf_release(&sb);
	return NULL;
}
