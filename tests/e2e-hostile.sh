#!/bin/sh
# e2e-hostile - the reference guest with a hostile sensor agent
# (tests/hostile-agent, its mode chosen by bootproof.hostile=MODE in each
# scenario's append) against the harness, six trials in one run at -j2:
#   flood      1500 CHECKs in one write, a 1 MiB set published, never read:
#              an update_error, the boot goes on (clean), the harness's
#              memory stays flat (its peak RSS under 64 MiB)
#   junk       control bytes and invalid UTF-8 on the channel: update_error
#   oversized  a 4096-byte line: update_error
#   midframe   slow bytes, then half a line and the port closed: update_error
#   longline   a fake kernel report in the middle of a 128 KiB console line
#   progress   the same report after a '\r' progress bar: both are crashes
# Both fake reports carry terminal escapes, TAP and XML breakers, U+2028,
# U+2029 and invalid UTF-8; every report the run writes must stay
# well-formed: results.tap parses with one point per boot, junit.xml
# validates against docs/junit.xsd, results.json against
# docs/results-schema.json, and index.html holds no <script from the guest.
# E2E_KEEP=DIR keeps the run's reports in DIR.
. "$(dirname "$0")/lib.sh"
need_guest
[ -e "$ROOT/build/sensor/v2/refsensor.ko" ] || skip_all "build/sensor/v2/refsensor.ko not built (make all)"
command -v xmllint >/dev/null || skip_all "xmllint not installed (libxml2-utils)"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema not installed"
perl -MTAP::Parser -e 1 2>/dev/null || skip_all "perl TAP::Parser not installed"

RSS_MAX_KIB=65536
head -c 1048576 /dev/urandom >"$T/big.sys"
write_suite "$T/suite.yaml" <<YAML
  # The crashes first: their boots end at the report, the others at the marker.
  # Generous deadlines: TCG on a shared host is slow, a hang is not the point.
  - {name: longline, image: linux, sensor: hostile, boots: 1, expect: crash,
     title: hostile_forged, append: "bootproof.hostile=longline", boot_timeout: 300}
  - {name: progress, image: linux, sensor: hostile, boots: 1, expect: crash,
     title: hostile_forged, append: "bootproof.hostile=progress", boot_timeout: 300}
  - name: flood
    image: linux
    sensor: hostile
    append: "bootproof.hostile=flood"
    boot_timeout: 300
    steps:
      - rollback: big
      - boot: {expect: clean}
  - {name: junk, image: linux, sensor: hostile, boots: 1, expect: clean,
     append: "bootproof.hostile=junk", boot_timeout: 300}
  - {name: oversized, image: linux, sensor: hostile, boots: 1, expect: clean,
     append: "bootproof.hostile=oversized", boot_timeout: 300}
  - {name: midframe, image: linux, sensor: hostile, boots: 1, expect: clean,
     append: "bootproof.hostile=midframe", boot_timeout: 300}
YAML
sed -i -e "s|^sensors:|sensors:\n  hostile: {module: $ROOT/build/sensor/v2/refsensor.ko, agent: $ROOT/tests/hostile-agent}|" \
	-e "s|^content:|content:\n  big:\n    - {file: $T/big.sys, as: C-00000291-00000000-00000099.sys}|" "$T/suite.yaml"

"$BP" run -c "$T/suite.yaml" -r "$T/reports" -j2 >"$T/run.tap" 2>"$T/err"
rc=$?
R=$T/reports/latest
J=$R/results.json
[ -n "${E2E_KEEP:-}" ] && mkdir -p "$E2E_KEEP" && cp -R "$R/." "$E2E_KEEP/"
ok "$(jq -e . "$J" >/dev/null 2>&1; echo $?)" "results.json parses"
is "$rc" 0 "run exits 0: every scenario as expected"
[ "$rc" -eq 0 ] || diag "$(head -c 2000 "$T/err")"

# boot FIELD SCENARIO: the field of the scenario's (only) boot.
boot() {
	jq -r --arg s "$2" '.scenarios[] | select(.name == $s) | .boots[0].'"$1"' // ""' "$J"
}
is "$(boot outcome flood)" clean "flood: the boot goes on, judged clean"
like "$(boot update_error flood)" "CHECK flood" "flood: an update_error"
rss=$(jq -r .harness_peak_rss_kib "$J")
ok "$([ "${rss:-0}" -gt 0 ] && [ "$rss" -lt $RSS_MAX_KIB ]; echo $?)" \
	"flood: the harness's peak RSS stays under $RSS_MAX_KIB KiB ($rss KiB)"
is "$(boot outcome junk)" clean "junk: the boot goes on"
like "$(boot update_error junk)" "non-printable byte" "junk: an update_error"
is "$(boot outcome oversized)" clean "oversized: the boot goes on"
like "$(boot update_error oversized)" "longer than 255 bytes" "oversized: an update_error"
is "$(boot outcome midframe)" clean "midframe: the boot goes on"
like "$(boot update_error midframe)" "closed the port mid-line" "midframe: the cut frame is an update_error"
for s in longline progress; do
	is "$(boot outcome $s)" crash "$s: the fake report is a crash, not clean"
	like "$(boot title $s)" "BUG: unable to handle kernel paging request in hostile_forged" "$s: its title"
done

# Every output stays well-formed, whatever the guest printed.
is "$(jq '[.scenarios[].boots[]] | length' "$J")" 6 "six boots recorded"
# One TAP point per boot and per check (the crash titles).
n=$(jq '[.scenarios[] | (.boots | length) + (.checks | length)] | add' "$J")
tap_check() { # FILE: "points bad-plan bail-outs parse-errors" as TAP::Parser sees it
	perl -MTAP::Parser -e '
		my $p = TAP::Parser->new({tap => do { local $/; open my $f, "<", $ARGV[0] or die; <$f> }});
		my $bail = 0;
		while (my $r = $p->next) { $bail++ if $r->is_bailout }
		printf "%d %d %d %d\n", $p->tests_run, !$p->is_good_plan, $bail, scalar $p->parse_errors;
	' "$1"
}
is "$(tap_check "$R/results.tap")" "$n 0 0 0" "results.tap: one point per boot and check, a good plan, no bail-out, no parse error"
is "$(tap_check "$T/run.tap")" "$n 0 0 0" "the run's TAP on stdout: the same"
# prove parses it (its verdicts are checked above): every point, no parse error.
prove -e cat "$R/results.tap" >"$T/prove" 2>&1
like "$(cat "$T/prove")" "Tests=$n," "prove reads $n points from results.tap"
ok "$(grep -q -e 'Parse errors' -e 'Bad plan' "$T/prove"; [ $? -ne 0 ]; echo $?)" \
	"prove finds no parse error in results.tap"
xmllint --noout --schema "$ROOT/docs/junit.xsd" "$R/junit.xml" >"$T/xmllint" 2>&1
ok $? "junit.xml validates against docs/junit.xsd"
[ "$(tail -1 "$T/xmllint")" = "$R/junit.xml validates" ] || diag "$(head -20 "$T/xmllint")"
/usr/bin/python3 -c '
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errs = [("/".join(map(str, e.absolute_path)), e.message) for e in v.iter_errors(json.load(open(sys.argv[2])))]
for e in errs[:20]:
    print(*e)
sys.exit(1 if errs else 0)' "$ROOT/docs/results-schema.json" "$J" >"$T/jsonschema" 2>&1
ok $? "results.json validates against docs/results-schema.json"
[ ! -s "$T/jsonschema" ] || diag "$(cat "$T/jsonschema")"
is "$(grep -c '<script>alert' "$R/index.html")" 0 "index.html: no <script from the guest"
is "$(grep -c "$(printf '\033')" "$R/index.html" "$R/junit.xml" "$R/results.tap" | grep -vc ':0$')" 0 \
	"no raw terminal escape in index.html, junit.xml or results.tap"
for f in results.tap results.json junit.xml index.html; do
	ok "$(iconv -f UTF-8 -t UTF-8 "$R/$f" >/dev/null 2>&1; echo $?)" "$f is valid UTF-8"
done
# A raw U+2028/U+2029 is a line break to YAML: it would cut the TAP's
# diagnostic blocks.
for f in "$R/results.tap" "$T/run.tap"; do
	is "$(LC_ALL=C grep -c -e "$(printf '\342\200\250')" -e "$(printf '\342\200\251')" "$f")" 0 \
		"${f##*/}: no raw U+2028/U+2029 from the guest"
done
is "$(qemu_left)" "" "no qemu process outlives the run"
done_testing
