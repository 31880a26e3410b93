#!/bin/sh
# e2e-windmp - QEMU's own Windows dump writer, no Windows: qtest-windmp.py
# plants a VMCOREINFO dump header, a KDBG block and bugcheck data in a
# stopped QEMU's memory, publishes the note through fw_cfg etc/vmcoreinfo
# and asks QMP dump-guest-memory for "win-dmp". bootproof's dump parser
# (through `bootproof scan`) must read back exactly the code and parameters
# planted, including 64-bit kernel addresses above 2^63 that a double would
# round, and the file must be the one QEMU laid out (its size, the
# PfnDatabase QEMU copied from the KDBG into the header).
. "$(dirname "$0")/lib.sh"
[ -x "$BP" ] || skip_all "harness not built"
QEMU=$(command -v qemu-system-x86_64) || skip_all "qemu-system-x86_64 not installed"
command -v python3 >/dev/null || skip_all "python3 not installed"

# Reads the little-endian u64 at OFFSET of FILE, as 0x%X.
u64() {
	od -An -tx8 -j "$2" -N8 "$1" | tr -d ' \n' | tr a-f A-F | sed 's/^0*/0x/; s/^0x$/0x0/'
}

n=0
while read -r code name p1 p2 p3 p4; do
	n=$((n + 1))
	dmp="$T/crash-$n.dmp"
	pfn=$(python3 "$ROOT/tests/qtest-windmp.py" "$QEMU" "$dmp" "$code" "$p1" "$p2" "$p3" "$p4" \
		2>"$T/err-$n")
	is "$?" 0 "$name: QEMU wrote a win-dmp" || diag "$(cat "$T/err-$n")"
	# one header page pair and the 0x40 pages of the one memory run
	is "$(wc -c <"$dmp" | tr -d ' ')" $((0x2000 + 0x40 * 4096)) "$name: header + 256 KiB of memory"
	is "$(u64 "$dmp" 24)" "$(echo "$pfn" | tr a-f A-F | sed 's/^0X/0x/')" \
		"$name: the header's PfnDatabase is the one QEMU read from the KDBG"
	"$BP" scan --json "$dmp" >"$T/scan-$n.json" 2>"$T/err-$n"
	is "$?" 0 "$name: scan reads it" || diag "$(cat "$T/err-$n")"
	is "$(jq -r .bugcheck.code "$T/scan-$n.json")" "$code" "$name: the code planted"
	is "$(jq -r '.bugcheck.parameters | join(" ")' "$T/scan-$n.json")" "$p1 $p2 $p3 $p4" \
		"$name: the four parameters planted, exactly"
	is "$(jq -r .bugcheck.bits "$T/scan-$n.json"):$(jq -r .bugcheck.dump_type "$T/scan-$n.json")" \
		"64:full" "$name: a 64-bit full dump"
	like "$("$BP" scan "$dmp")" "$name" "$name: the title names the stop code"
done <<'EOF'
0x50 PAGE_FAULT_IN_NONPAGED_AREA 0xFFFFF8048B58334C 0x0 0xFFFFF8048B58334C 0x2
0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL 0xFFFFFFFFFFFFFFFF 0x2 0x8 0xFFFFF80000001234
0xE2 MANUALLY_INITIATED_CRASH 0x0 0x0 0x0 0x0
EOF
done_testing
