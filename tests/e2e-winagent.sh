#!/bin/sh
# e2e-winagent - the Windows update agent (sensor/windows/refagent-win.c on
# sensor/agentproto), no Windows: sensor/windows/build.sh agent builds and
# test-signs refagent.exe, and the file must be what the service control
# manager would start as an own-process service: a PE32+ for AMD64, console
# subsystem, imports from kernel32, advapi32 and msvcrt only, including the
# calls its platform half makes (the service, the overlapped channel, the
# atomic rename, the driver's IOCTLs, the boot counter), the channel and
# device names it opens, an Authenticode signature that verifies. The
# drivers must carry the control device the agent reloads them through.
# The protocol half runs in tests/t-agentproto.c; nothing here runs the agent.
. "$(dirname "$0")/lib.sh"
need_mingw

CERT=$ROOT/build/sensor/win-cert/cert.pem
f=$T/refagent.exe
"$ROOT/sensor/windows/build.sh" agent "$f" >"$T/build.log" 2>&1
ok $? "sensor/windows/build.sh agent builds refagent.exe"
[ -s "$f" ] || { diag "$(cat "$T/build.log")"; done_testing; exit; }
grep -q 'warning' "$T/build.log"
ok $((!$?)) "builds without warnings"
p=$(x86_64-w64-mingw32-objdump -p "$f")
like "$(x86_64-w64-mingw32-objdump -f "$f")" "file format pei-x86-64" "PE for x86-64"
like "$p" "$(printf 'Magic\t\t\t020b')" "PE32+ (magic 020b)"
like "$p" "Subsystem		00000003" "console subsystem (a service program; --console for a hand test)"
dlls=$(printf '%s\n' "$p" | awk '/DLL Name:/ { print tolower($3) }' | sort -u | tr '\n' ' ')
is "$dlls" "advapi32.dll kernel32.dll msvcrt.dll " "imports only from kernel32, advapi32 and msvcrt"
fns=$(pe_imports "$f" | tr '\n' ' ')
for fn in StartServiceCtrlDispatcherA RegisterServiceCtrlHandlerExA SetServiceStatus \
	CreateFileA ReadFile WriteFile GetOverlappedResult CancelIo FlushFileBuffers MoveFileExA \
	DeviceIoControl SetCommState RegSetValueExA FindFirstFileA; do
	like " $fns" " $fn " "imports $fn"
done
strings -a "$f" >"$T/strings"
for s in '\\.\Global\org.bootproof.update' '\\.\Global\refsensor' 'HELLO proto=1 boot=%u version=%u set=%s' \
	'SYSTEM\CurrentControlSet\Services\refagent\Parameters' '\drivers\bootproof'; do
	grep -qF "$s" "$T/strings"
	ok $? "carries one of its names ($(printf '%s' "$s" | tr '\134' /))"
done
osslsigncode verify -CAfile "$CERT" "$f" >"$T/verify.log" 2>&1
ok $? "Authenticode signature verifies against the test certificate" || diag "$(cat "$T/verify.log")"

# The driver's side of the reload: its control device and IOCTL dispatch.
"$ROOT/sensor/windows/build.sh" 2 "$T/refsensor.sys" >"$T/build-drv.log" 2>&1
ok $? "the driver builds"
dfns=$(pe_imports "$T/refsensor.sys" | tr '\n' ' ')
for fn in IoCreateDevice IoCreateSymbolicLink IoDeleteSymbolicLink IofCompleteRequest \
	KeWaitForSingleObject KeReleaseMutex; do
	like " $dfns" " $fn " "the driver imports $fn (its control device)"
done
strings -a -el "$T/refsensor.sys" | grep -qxF '\DosDevices\Global\refsensor'
ok $? "the driver makes the link DosDevices/Global/refsensor, the device the agent opens"

done_testing
