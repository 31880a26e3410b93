#!/bin/sh
# e2e-windriver - the reference Windows driver (sensor/windows), no guest and
# no Windows: for each sensor version, sensor/windows/build.sh builds and
# test-signs refsensor.sys, and the file must be what Windows would load as
# a kernel driver: a PE32+ for AMD64, native subsystem, entry DriverEntry,
# imports from ntoskrnl.exe (and HAL.dll) only, including the calls the
# driver makes, an Authenticode signature that verifies against the build's
# test certificate. v1 and v2 must differ in the interpreter's version
# switch: only v2 carries the instance-rejected message, only v3 writes the
# guard's registry values. Nothing here loads the driver.
. "$(dirname "$0")/lib.sh"
need_mingw

CERT=$ROOT/build/sensor/win-cert/cert.pem

for v in 1 2 3; do
	f=$T/v$v/refsensor.sys
	mkdir -p "$T/v$v"
	"$ROOT/sensor/windows/build.sh" "$v" "$f" >"$T/build-v$v.log" 2>&1
	ok $? "v$v: sensor/windows/build.sh builds refsensor.sys"
	[ -s "$f" ] || { diag "$(cat "$T/build-v$v.log")"; continue; }
	grep -q 'warning' "$T/build-v$v.log"
	ok $((!$?)) "v$v: builds without warnings"
	p=$(x86_64-w64-mingw32-objdump -p "$f")
	like "$(x86_64-w64-mingw32-objdump -f "$f")" "file format pei-x86-64" "v$v: PE for x86-64"
	like "$p" "$(printf 'Magic\t\t\t020b')" "v$v: PE32+ (magic 020b)"
	like "$p" "Subsystem		00000001" "v$v: native subsystem"
	entry=$(printf '%s\n' "$p" | awk '/^AddressOfEntryPoint/ { print $2 }')
	base=$(printf '%s\n' "$p" | awk '/^ImageBase/ { print $2 }')
	de=$(x86_64-w64-mingw32-nm "$f" | awk '$3 == "DriverEntry" { print $1 }')
	is "$(printf '%x' $((0x$entry + 0x$base)))" "$(printf '%x' $((0x${de:-0})))" \
		"v$v: the entry point is DriverEntry"
	dlls=$(printf '%s\n' "$p" | awk '/DLL Name:/ { print $3 }' | sort -u | tr '\n' ' ')
	case $dlls in
	"ntoskrnl.exe " | "HAL.dll ntoskrnl.exe " | "hal.dll ntoskrnl.exe ") ok 0 "v$v: imports only from ntoskrnl.exe (and HAL.dll)" ;;
	*) ok 1 "v$v: imports only from ntoskrnl.exe (and HAL.dll)"; diag "imports from: $dlls" ;;
	esac
	fns=$(pe_imports "$f" | tr '\n' ' ')
	for fn in DbgPrintEx ZwCreateFile ZwQueryDirectoryFile ZwReadFile ZwClose \
		ExAllocatePoolWithTag ExFreePoolWithTag RtlQueryRegistryValues KeDelayExecutionThread; do
		like " $fns" " $fn " "v$v: imports $fn"
	done
	x86_64-w64-mingw32-nm "$f" | grep -q ' T refsensor_eval$'
	ok $? "v$v: refsensor_eval is a function of its own (the name a bugcheck would show)"
	osslsigncode verify -CAfile "$CERT" "$f" >"$T/verify-v$v.log" 2>&1
	ok $? "v$v: Authenticode signature verifies against the test certificate"
	osslsigncode extract-signature -in "$f" -out "$T/v$v/sig.der" >/dev/null 2>&1
	ok $? "v$v: carries a signature"
	case " $fns" in *" RtlWriteRegistryValue "*) guard=1 ;; *) guard=0 ;; esac
	is "$guard" "$([ "$v" = 3 ] && echo 1 || echo 0)" "v$v: writes the registry (crash-loop guard) only in v3"
	grep -c 'instance rejected' "$f" >"$T/rej"
	is "$(cat "$T/rej")" "$([ "$v" = 2 ] && echo 1 || echo 0)" \
		"v$v: the input-count check (instance rejected) only in v2"
done

done_testing
