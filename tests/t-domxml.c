/*
 * t-domxml - the libvirt domain XML of both guest profiles: valid for
 * libvirt's schema (virt-xml-validate), with what the backend relies on
 * (pty console with a log, the update channel, panic device, lifecycle,
 * the overlay's explicit backing chain), and every path escaped.
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domxml.h"
#include "guest.h"
#include "tap.h"
#include "util.h"

extern char **environ;

static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, r;

	/* Its words would break the TAP stream: stdout to stderr. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int validate(const char *dir, const char *name, const char *xml)
{
	char *path = xasprintf("%s/%s.xml", dir, name);
	FILE *f = fopen(path, "w");
	int r = -1;

	if (f) {
		fputs(xml, f);
		fclose(f);
		r = run((char *const[]){"virt-xml-validate", path, "domain", NULL});
	}
	free(path);
	return r;
}

static void check_linux(const char *dir, const char *overlay, const char *base)
{
	struct vm_config cfg = {.guest = &guest_profile_linux,
				.accel = "tcg",
				.kernel = "/k/vmlinux",
				.initrd = "/k/initrd.img",
				.append = "console=ttyS0 x=<&>",
				.disk = overlay,
				.memory_mib = 256,
				.run_dir = dir};
	struct bp_error err;
	char *xml = domxml_build(&cfg, "bootproof-1-2-ab", NULL, "/r/con'sole.log", NULL, &err), *want;

	if (!tap_ok(xml != NULL, "linux: the XML is built"))
		return tap_diag(err.msg);
	tap_is_int(validate(dir, "linux", xml), 0, "linux: virt-xml-validate accepts it");
	tap_like(xml, "<domain type='qemu'", "linux: TCG is type qemu");
	tap_like(xml, "<name>bootproof-1-2-ab</name>", "linux: the name");
	tap_ok(!strstr(xml, "<uuid>"), "linux: no UUID given, none written (the host picks one)");
	tap_like(xml, "machine='microvm'", "linux: the profile's machine type");
	tap_like(xml, "<qemu:arg value='isa-serial=on,rtc=on'/>", "linux: its -M options");
	tap_like(xml, "<qemu:arg value='-action'/><qemu:arg value='panic=none'/>",
		 "linux: panic=none (the console brings the whole report)");
	tap_like(xml, "<kernel>/k/vmlinux</kernel><initrd>/k/initrd.img</initrd>",
		 "linux: direct kernel boot");
	tap_like(xml, "<cmdline>console=ttyS0 x=&lt;&amp;&gt;", "linux: the command line, escaped");
	tap_like(xml, "<memory unit='MiB'>256</memory>", "linux: memory");
	tap_like(xml, "<target dev='vda' bus='virtio'/><address type='virtio-mmio'/>",
		 "linux: virtio-blk on virtio-mmio");
	want = xasprintf("<backingStore type='file'><format type='qcow2'/><source file='%s'/>"
			 "<backingStore/></backingStore>",
			 base);
	tap_like(xml, want, "linux: the overlay's backing file, explicit, and nothing below");
	free(want);
	tap_like(xml, "<serial type='pty'><log file='/r/con&#39;sole.log' append='on'/>",
		 "linux: the console a pty with its log, the path escaped");
	tap_like(xml,
		 "<channel type='unix'><source mode='bind'/><target type='virtio' "
		 "name='org.bootproof.update'/><alias name='" DOMXML_UPDATE_ALIAS "'/>",
		 "linux: the update channel");
	tap_like(xml, "<panic model='isa'/>", "linux: pvpanic");
	tap_ok(!strstr(xml, "vmcoreinfo"), "linux: no vmcoreinfo device");
	tap_ok(!strstr(xml, "hyperv"), "linux: no hyper-v under TCG");
	tap_like(xml, "<on_reboot>destroy</on_reboot><on_crash>preserve</on_crash>",
		 "linux: lifecycle");
	tap_like(xml, "<video><model type='none'/></video>", "linux: no screen");
	free(xml);
}

static void check_windows(const char *dir, const char *overlay)
{
	struct vm_config cfg = {.guest = &guest_profile_windows,
				.accel = "kvm",
				.disk = overlay,
				.memory_mib = 2048,
				.run_dir = dir};
	struct bp_error err;
	char *xml = domxml_build(&cfg, "bootproof-w", "0123abcd-0000-4000-8000-000000000001", NULL, NULL, &err);

	if (!tap_ok(xml != NULL, "windows: the XML is built"))
		return tap_diag(err.msg);
	tap_is_int(validate(dir, "windows", xml), 0, "windows: virt-xml-validate accepts it");
	tap_like(xml, "<domain type='kvm'", "windows: KVM is type kvm");
	tap_like(xml, "<name>bootproof-w</name><uuid>0123abcd-0000-4000-8000-000000000001</uuid>",
		 "windows: the UUID given (a restore's must be the saved domain's)");
	tap_like(xml, "machine='q35'", "windows: q35");
	tap_like(xml, "<loader type='rom'>/usr/share/ovmf/OVMF.fd</loader>", "windows: OVMF");
	tap_ok(!strstr(xml, "<kernel>") && !strstr(xml, "<cmdline>"), "windows: no kernel");
	tap_like(xml, "bus='sata'", "windows: the disk on AHCI");
	tap_like(xml, "<serial type='pty'><target port='1'/></serial>", "windows: the marker port");
	tap_like(xml, "<model type='vga'/>", "windows: a VGA screen");
	tap_like(xml, "<panic model='hyperv'/>", "windows: hyper-v crash MSRs under KVM");
	tap_like(xml, "<vmcoreinfo state='on'/>", "windows: the vmcoreinfo device (a host-side win-dmp)");
	tap_ok(!strstr(xml, "value='-machine'"), "windows: no extra -M options");
	tap_like(xml, "<qemu:arg value='-action'/><qemu:arg value='panic=none'/>",
		 "windows: the guest runs on after its panic event, as on the direct backend");
	free(xml);
}

/* A remote host's paths (virt-remote.h): the XML names them, never the local files. */
static void check_remote(const char *dir, const char *overlay)
{
	struct vm_config cfg = {.guest = &guest_profile_linux,
				.accel = "tcg",
				.kernel = "/k/vmlinux",
				.initrd = "/k/initrd.img",
				.disk = overlay,
				.memory_mib = 256,
				.run_dir = dir};
	struct domxml_backing chain[2] = {{.path = "/pool/sha256-b1", .format = "qcow2"},
					  {.path = "/pool/sha256-g'", .format = "raw"}};
	struct domxml_files files = {.disk = "/pool/bootproof-v-1.qcow2",
				     .chain = chain,
				     .nr_chain = 2,
				     .kernel = "/pool/sha256-k",
				     .initrd = "/pool/sha256-i"};
	struct bp_error err;
	char *xml = domxml_build(&cfg, "bootproof-r", NULL, NULL, &files, &err);

	if (!tap_ok(xml != NULL, "remote: the XML is built"))
		return tap_diag(err.msg);
	tap_is_int(validate(dir, "remote", xml), 0, "remote: virt-xml-validate accepts it");
	tap_like(xml, "<source file='/pool/bootproof-v-1.qcow2'/><backingStore type='file'>"
		      "<format type='qcow2'/><source file='/pool/sha256-b1'/><backingStore type='file'>"
		      "<format type='raw'/><source file='/pool/sha256-g&#39;'/><backingStore/>"
		      "</backingStore></backingStore>",
		 "remote: the host's overlay and chain, in order, escaped");
	tap_like(xml, "<kernel>/pool/sha256-k</kernel><initrd>/pool/sha256-i</initrd>",
		 "remote: the host's kernel and initrd");
	tap_ok(!strstr(xml, overlay) && !strstr(xml, "/k/"), "remote: no local path");
	tap_ok(!strstr(xml, "<log "), "remote: no console log (the host cannot write ours)");
	free(xml);
}

int main(void)
{
	char tmpl[] = "/tmp/t-domxml-XXXXXX";
	char *dir = mkdtemp(tmpl), *base, *overlay, *rel;
	struct domxml_backing chain[4];
	struct bp_error err;
	int n;

	if (!dir)
		return 1;
	/* untrusted-ish: quotes and markup in the paths */
	base = xasprintf("%s/ba'se<&>.qcow2", dir);
	overlay = xasprintf("%s/over\"lay.qcow2", dir);
	rel = xasprintf("%s/rel.qcow2", dir);
	if (run((char *const[]){"qemu-img", "create", "-q", "-f", "qcow2", base, "16M", NULL}) ||
	    run((char *const[]){"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
				base, overlay, NULL}) ||
	    run((char *const[]){"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
				"over\"lay.qcow2", rel, NULL}))
		return tap_ok(0, "qemu-img made the test disks"), tap_done();
	n = domxml_backing_chain(rel, chain, 4, &err);
	tap_is_int(n, 2, "a relative backing name: the chain is two deep");
	if (n == 2) {
		tap_is_str(chain[0].path, overlay, "resolved from the overlay's directory");
		tap_is_str(chain[1].path, base, "then its own backing file");
		tap_is_str(chain[1].format, "qcow2", "with its format");
		free(chain[0].path);
		free(chain[1].path);
	}
	tap_is_int(domxml_backing_chain(rel, chain, 1, &err), -1, "a chain deeper than asked fails");
	{
		struct strbuf esc = STRBUF_INIT;

		strbuf_addf(&esc, "%s/ba&#39;se&lt;&amp;&gt;.qcow2", dir);
		check_linux(dir, overlay, esc.buf);
		strbuf_release(&esc);
	}
	check_windows(dir, overlay);
	check_remote(dir, overlay);
	run((char *const[]){"rm", "-rf", dir, NULL});
	free(base);
	free(overlay);
	free(rel);
	return tap_done();
}
