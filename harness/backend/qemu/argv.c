/*
 * argv - QEMU command lines from a guest profile (see argv.h).
 */
#define _GNU_SOURCE
#include "argv.h"

#include <stdlib.h>
#include <string.h>

#include "guest.h"

/* QEMU option values escape ',' as ",,". */
static char *opt_escape(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		if (*s == ',')
			strbuf_addch(&sb, ',');
		strbuf_addch(&sb, *s);
	}
	return strbuf_detach(&sb);
}

/* What every QEMU of ours starts with: the machine, no defaults, no window. */
static void push_machine(struct argv_builder *b, const struct guest_machine *m, const char *accel,
			 int memory_mib)
{
	argv_push(b, vm_qemu_binary());
	argv_push(b, "-accel");
	argv_push(b, accel);
	if (m->kvm_cpu && !strcmp(accel, "kvm")) {
		argv_push(b, "-cpu");
		argv_push(b, m->kvm_cpu);
	}
	argv_push(b, "-M");
	if (m->options)
		argv_pushf(b, "%s,%s", m->type, m->options);
	else
		argv_push(b, m->type);
	argv_push(b, "-m");
	argv_pushf(b, "%d", memory_mib);
	argv_push(b, "-smp");
	argv_push(b, "1");
	argv_push(b, "-nodefaults");
	argv_push(b, "-no-user-config");
	argv_push(b, "-display");
	argv_push(b, "none");
}

/*
 * The machine's boot method (guest.h): its options with the image's values
 * put in, the command line followed by the host's flags.
 */
char *qemu_boot_append(const struct guest_machine *m, const char *append)
{
	struct strbuf cmdline = STRBUF_INIT;

	if (!append)
		return NULL;
	strbuf_adds(&cmdline, append);
	if (m->host_append)
		m->host_append(&cmdline);
	return strbuf_detach(&cmdline);
}

static void push_boot(struct argv_builder *b, const struct guest_machine *m, const char *kernel,
		      const char *initrd, const char *append)
{
	char *cmdline = qemu_boot_append(m, append);

	for (const struct guest_qemu_opt *o = m->boot; o && o->opt; o++) {
		const char *v = !strcmp(o->value, "@kernel")   ? kernel
				: !strcmp(o->value, "@initrd") ? initrd
				: !strcmp(o->value, "@append") ? cmdline
							       : o->value;

		if (!v)
			continue;
		argv_push(b, o->opt);
		argv_push(b, v);
	}
	free(cmdline);
}

char **qemu_argv_vm(const struct vm_config *cfg, const char *qmp_sock, const char *serial_sock,
		    const char *update_sock, const char *marker_sock)
{
	const struct guest_machine *m = &cfg->guest->machine;
	struct argv_builder b = {0};
	char *q = opt_escape(qmp_sock), *s = opt_escape(serial_sock), *d = opt_escape(cfg->disk);
	char *u = opt_escape(update_sock);

	push_machine(&b, m, cfg->accel, cfg->memory_mib);
	argv_push(&b, "-object");
	if (cfg->ram_file) {
		char *r = opt_escape(cfg->ram_file);

		argv_pushf(&b, "memory-backend-file,id=ram,size=%dM,mem-path=%s,share=%s",
			   cfg->memory_mib, r, cfg->ram_shared ? "on" : "off");
		free(r);
	} else {
		argv_pushf(&b, "memory-backend-ram,id=ram,size=%dM", cfg->memory_mib);
	}
	argv_push(&b, "-machine");
	argv_push(&b, "memory-backend=ram");
	/* A screen for QMP screendump: the crash as a console user would see it. */
	if (m->display) {
		argv_push(&b, "-device");
		argv_push(&b, m->display);
	}
	argv_push(&b, "-S");
	argv_push(&b, "-chardev");
	argv_pushf(&b, "socket,id=qmp,path=%s", q);
	argv_push(&b, "-mon");
	argv_push(&b, "chardev=qmp,mode=control");
	argv_push(&b, "-chardev");
	argv_pushf(&b, "socket,id=ser0,path=%s", s);
	argv_push(&b, "-serial");
	argv_push(&b, "chardev:ser0");
	if (m->marker_serial) {
		char *k = opt_escape(marker_sock);

		argv_push(&b, "-chardev");
		argv_pushf(&b, "socket,id=ser1,path=%s", k);
		argv_push(&b, "-serial");
		argv_push(&b, "chardev:ser1");
		free(k);
	}
	push_boot(&b, m, cfg->kernel, cfg->initrd, cfg->append);
	argv_push(&b, "-drive");
	argv_pushf(&b, "file=%s,if=none,id=disk0,format=qcow2", d);
	argv_push(&b, "-device");
	argv_pushf(&b, "%s,drive=disk0", m->disk_device);
	/* The panic device turns a guest panic into a GUEST_PANICKED event. */
	argv_push(&b, "-device");
	argv_push(&b, m->panic_device);
	/* The guest's crash-dump note for a host-side dump (guest.h). */
	if (m->coreinfo_device) {
		argv_push(&b, "-device");
		argv_push(&b, m->coreinfo_device);
	}
	/*
	 * panic=none keeps the guest running after GUEST_PANICKED so the console
	 * gets the whole report; a guest reboot ends the process (one QEMU per
	 * boot) with SHUTDOWN reason guest-reset.
	 */
	argv_push(&b, "-action");
	argv_push(&b, "reboot=shutdown,shutdown=poweroff,panic=none");
	/* Content delivery: no guest networking, a virtio-serial port to the agent. */
	argv_push(&b, "-device");
	argv_push(&b, m->serial_device);
	argv_push(&b, "-chardev");
	argv_pushf(&b, "socket,id=upd,path=%s", u);
	argv_push(&b, "-device");
	argv_push(&b, "virtserialport,chardev=upd,name=org.bootproof.update,id=" VM_UPDATE_PORT_ID);
	if (cfg->incoming) {
		argv_push(&b, "-incoming");
		argv_push(&b, "defer");
	}
	free(u);
	free(q);
	free(s);
	free(d);
	return b.v;
}

char **qemu_argv_probe(const struct guest_profile *guest, const char *accel, const char *kernel,
		       const char *serial_file)
{
	struct argv_builder b = {0};

	/* 256 MiB: enough for any kernel to reach its end without a root file system. */
	push_machine(&b, &guest->machine, accel, 256);
	argv_push(&b, "-no-reboot");
	argv_push(&b, "-serial");
	argv_pushf(&b, "file:%s", serial_file);
	push_boot(&b, &guest->machine, kernel, NULL, guest->probe_append);
	return b.v;
}
