#include "console.h"
#include "fuzz.h"
#include <string.h>
static void on_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	FUZZ_CHECK(len <= CONSOLE_LINE_MAX, "a console line never exceeds its bound");
	FUZZ_CHECK(strlen(line) == len, "no NUL inside a line");
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct console c;
	console_init(&c, on_line, NULL);
	console_feed(&c, (const char *)data, size);
	console_finish(&c);
	return 0;
}
