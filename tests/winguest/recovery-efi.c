/*
 * recovery-efi - the Windows stand-in (bugcheck-efi.c) with its recovery
 * environment on: Windows' boot manager counts boots that failed (in
 * bootstat.dat) and, with recoveryenabled, starts Automatic Repair after
 * two of them. So does this: it keeps a boot counter in \bootproof-boots
 * on its own FAT volume (the firmware's file protocol); boots 1 and 2 are
 * the stand-in's bugcheck (EMS record, blue screen, pvpanic, reset), boot
 * 3 and later draw an Automatic Repair screen through the firmware console
 * and then print nothing more and wait, as WinRE waits for someone to
 * choose an option. tests/winguest/build-recovery.sh links it with
 * bugcheck-efi.c, whose efi_main is renamed standin_bugcheck.
 *
 * The firmware mirrors its console onto COM1, so the screen's words reach
 * the console log too; the harness's verdict rests on the screen being
 * still and drawn (harness/engine/screen.h), the words only name it.
 */
#include <stdint.h>

#define BUGCHECK_BOOTS 2

uint64_t standin_bugcheck(void *image, void *st);

struct guid {
	uint32_t a;
	uint16_t b, c;
	uint8_t d[8];
};

struct text_out {
	void *reset;
	uint64_t (*output_string)(struct text_out *self, const uint16_t *s);
	void *test_string, *query_mode, *set_mode;
	uint64_t (*set_attribute)(struct text_out *self, uint64_t attr);
	uint64_t (*clear_screen)(struct text_out *self);
	void *set_cursor_position;
	uint64_t (*enable_cursor)(struct text_out *self, uint8_t visible);
};

struct boot_services {
	uint8_t hdr[24];
	void *fn[16]; /* RaiseTPL .. UninstallProtocolInterface */
	uint64_t (*handle_protocol)(void *handle, const struct guid *g, void **iface);
};

struct system_table {
	uint8_t hdr[24];
	void *firmware_vendor;
	uint32_t firmware_revision, pad;
	void *con_in_handle, *con_in, *con_out_handle;
	struct text_out *con_out;
	void *stderr_handle, *stderr_out, *runtime;
	struct boot_services *boot;
};

struct loaded_image {
	uint32_t revision, pad;
	void *parent, *system_table, *device;
};

struct file {
	uint64_t revision;
	uint64_t (*open)(struct file *self, struct file **ret, const uint16_t *name, uint64_t mode,
			 uint64_t attr);
	uint64_t (*close)(struct file *self);
	void *del;
	uint64_t (*read)(struct file *self, uint64_t *size, void *buf);
	uint64_t (*write)(struct file *self, uint64_t *size, const void *buf);
	void *get_position;
	uint64_t (*set_position)(struct file *self, uint64_t pos);
	void *get_info, *set_info;
	uint64_t (*flush)(struct file *self);
};

struct simple_fs {
	uint64_t revision;
	uint64_t (*open_volume)(struct simple_fs *self, struct file **root);
};

static const struct guid loaded_image_guid = {
    0x5b1b31a1, 0x9562, 0x11d2, {0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
static const struct guid simple_fs_guid = {
    0x964e5b22, 0x6459, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

/* This boot's number (1, 2, ...), counted in \bootproof-boots; 1 if it cannot be kept. */
static unsigned boot_number(void *image, struct system_table *st)
{
	static const uint16_t name[] = {'\\', 'b', 'o', 'o', 't', 'p', 'r', 'o', 'o',
					'f',  '-', 'b', 'o', 'o', 't', 's', 0};
	struct loaded_image *li = 0;
	struct simple_fs *fs = 0;
	struct file *root = 0, *f = 0;
	uint8_t n = 0;
	uint64_t size = 1;

	if (st->boot->handle_protocol(image, &loaded_image_guid, (void **)&li) || !li ||
	    st->boot->handle_protocol(li->device, &simple_fs_guid, (void **)&fs) || !fs ||
	    fs->open_volume(fs, &root) || !root)
		return 1;
	if (root->open(root, &f, name, 0x8000000000000003ULL, 0) || !f) {
		root->close(root);
		return 1;
	}
	if (f->read(f, &size, &n) || size != 1)
		n = 0;
	n = n < 255 ? n + 1 : n;
	size = 1;
	f->set_position(f, 0);
	f->write(f, &size, &n);
	f->flush(f); /* before a bugcheck's reset */
	f->close(f);
	root->close(root);
	return n;
}

/* Automatic Repair's screen, as Windows 10 words it; then nothing more. */
static void recovery_screen(struct text_out *out)
{
	static const uint16_t *const lines[] = {
	    u"Automatic Repair\r\n\r\n",
	    u"Your PC did not start correctly\r\n\r\n",
	    u"Press \"Restart\" to restart your PC, which can sometimes fix the problem.\r\n",
	    u"You can also press \"Advanced options\" to try other options to repair your PC.\r\n",
	    u"\r\n        [ Advanced options ]      [ Restart ]\r\n",
	};

	out->set_attribute(out, 0x1F); /* white on blue, as WinRE */
	out->clear_screen(out);
	out->enable_cursor(out, 0); /* a blinking cursor would be a changing screen */
	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		out->output_string(out, lines[i]);
}

uint64_t efi_main(void *image, struct system_table *st)
{
	if (boot_number(image, st) <= BUGCHECK_BOOTS)
		return standin_bugcheck(image, st);
	recovery_screen(st->con_out);
	for (;;)
		__asm__ volatile("hlt");
}
