#!/bin/sh
# e2e-config - a bad suite is refused with FILE:LINE:COL and exit 2 before
# anything starts; unknown scenario names and commands are usage errors.
. "$(dirname "$0")/lib.sh"
[ -x "$BP" ] || skip_all "harness not built"

write_suite "$T/bad.yaml" <<'YAML'
  - name: typo
    image: linux
    sensor: v1
    boot: 3
    expect: clean
YAML
line=$(grep -n '    boot: 3' "$T/bad.yaml" | cut -d: -f1)
"$BP" run -c "$T/bad.yaml" -r "$T/reports" >"$T/out" 2>"$T/err"
is "$?" 2 "bad suite: exit status 2"
like "$(cat "$T/err")" "$T/bad.yaml:$line:5:" "error names file, line and column"
like "$(cat "$T/err")" "unknown key 'boot'" "error names the offending key"
ok "$([ ! -e "$T/reports" ]; echo $?)" "nothing started: no report directory"

"$BP" run -c "$T/missing.yaml" >/dev/null 2>"$T/err"
is "$?" 2 "missing suite: exit status 2"
like "$(cat "$T/err")" "missing.yaml" "missing suite named"

"$BP" frobnicate >/dev/null 2>&1
is "$?" 2 "unknown command: exit status 2"
"$BP" scan >/dev/null 2>&1
is "$?" 2 "scan without files: exit status 2"
"$BP" run -c "$ROOT/scenarios.yaml" no-such-scenario >/dev/null 2>"$T/err"
is "$?" 2 "unknown scenario name: exit status 2"
like "$(cat "$T/err")" "no-such-scenario" "unknown scenario named"
done_testing
