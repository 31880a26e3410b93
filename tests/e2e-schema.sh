#!/bin/sh
# e2e-schema - docs/suite-schema.json and the suite parser agree: on every suite
# in the tree (scenarios.yaml, scenarios/rings.yaml, the parser's fixtures in tests/data/scenarios
# and bad/, what `bootproof init` writes, the e2e tests' write_suite) the
# schema (tests/suite-schema.py, read as an editor reads it) accepts exactly
# what `bootproof validate` accepts (exit 0; 2 rejects), and so on one-change
# mutants of the valid fixtures. Every key the parser knows is in the schema
# and the other way round, and every schema key has a description.
#
# A new suite key: add it to docs/suite-schema.json (with a description), or
# this test fails. A parser rule no schema can express (a reference, a file
# on disk, uniqueness, order): add the fixture to SEMANTIC below with why.
. "$(dirname "$0")/lib.sh"
[ -x "$BP" ] || skip_all "harness not built"
/usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null ||
	skip_all "python3-jsonschema or python3-yaml not installed"
SCHEMA=$ROOT/docs/suite-schema.json
HELPER="/usr/bin/python3 $ROOT/tests/suite-schema.py"
DATA=$ROOT/tests/data/scenarios

# Fixtures the parser rejects for what only it can see: FILE REASON.
SEMANTIC='bad-as-duplicate.yaml	the as names of a content set must be distinct
bad-duplicate-name.yaml	scenario names must be unique across the list
bad-expect-recovery.yaml	expect: recovery needs recovery: true in the same scenario (across its steps)
bad-evaluated-backref.yaml	the evaluated pattern is checked by the regex compiler
bad-evaluated-group-interval.yaml	the evaluated pattern is checked by the regex compiler
bad-evaluated-intervals.yaml	the evaluated pattern is checked by the regex compiler
bad-evaluated-regex.yaml	the evaluated pattern is checked by the regex compiler
bad-hosts-twice.yaml	a host URI is listed once (uniqueness, less a trailing slash)
bad-missing-file.yaml	files must exist on the host
bad-not-regular.yaml	files must be regular files on the host
bad-race-range-order.yaml	a race range MIN-MAX needs MIN <= MAX (a comparison)
bad-race-windows.yaml	race is refused for a scenario whose image (a reference) is kind windows
bad-recovery-linux.yaml	recovery needs a scenario whose image (a reference) is kind windows
bad-ref-content.yaml	a reference must name a content set the suite defines
bad-ref-image.yaml	a reference must name an image the suite defines
bad-ref-no-content.yaml	a reference must name a content set the suite defines
bad-ref-sensor.yaml	a reference must name a sensor the suite defines
bad-remediate-linux-service.yaml	disable_service and safe_mode need a scenario whose image (a reference) is kind windows
bad-ring-dup-name.yaml	ring names must be unique across the list
bad-ring-same-twice.yaml	a ring lists each scenario once (uniqueness after matrix expansion)
bad-ring-twice.yaml	a scenario belongs to one ring (uniqueness across rings)
bad-ring-unknown.yaml	a ring must name a scenario the suite defines
bad-step-deploy-live-last.yaml	a live deploy needs a booting step after it (order)
bad-step-deploy-live-noboot.yaml	a live deploy needs a booting step after it (order)
bad-step-live-name.yaml	content sent live must be named C-N-N-N.sys (the set referenced)
bad-step-rollback-name.yaml	content rolled back must be named C-N-N-N.sys (the set referenced)'
# The parser's messages for those rules, for mutants (a value replaced by an
# undefined name or a missing file is the parser's to refuse).
SEMANTIC_MSG="refers to unknown|names unknown|a Windows registry offline|^file '|goes over the update channel|a live deploy needs|duplicate scenario name|duplicate 'as' name|regular expression|a Windows boot entry offline|needs 'recovery: true'"

# ---- the schema itself ----------------------------------------------------------
$HELPER lint "$SCHEMA" >"$T/lint" 2>&1
ok $? "schema: valid JSON Schema 2020-12, \$schema and \$id set, every key described"
[ ! -s "$T/lint" ] || diag "$(cat "$T/lint")"

# Every key the parser knows, as it names them: FIELD("key", ...) in its field
# tables, the step kinds' table and the short forms' step_short(..., "key").
parser_keys() {
	grep -ho 'FIELD("[A-Za-z_]*"' "$ROOT"/harness/model/*.c | cut -d'"' -f2
	grep -ho '\[STEP_[A-Z_]*\] = "[a-z_]*"' "$ROOT"/harness/model/*.c | cut -d'"' -f2
	grep -ho 'step_short(p, &self, "[a-z_]*"' "$ROOT"/harness/model/*.c | cut -d'"' -f2
}
parser_keys | sort -u >"$T/parser-keys"
$HELPER keys "$SCHEMA" | sort -u >"$T/schema-keys"
ok "$([ -s "$T/parser-keys" ]; echo $?)" "parser keys found in harness/model/*.c"
missing=$(comm -23 "$T/parser-keys" "$T/schema-keys" | tr '\n' ' ')
is "$missing" "" "every key the parser accepts is in the schema"
extra=$(comm -13 "$T/parser-keys" "$T/schema-keys" | tr '\n' ' ')
is "$extra" "" "every key in the schema is one the parser accepts"

# The image kinds: the parser lists the profiles it knows for an unknown one.
printf 'version: 1\nimages: {x: {kind: zz-probe, disk: x}}\nsensors: {}\nscenarios: []\n' >"$T/kind.yaml"
kinds=$("$BP" validate "$T/kind.yaml" 2>&1 | sed -n "s/.*unknown image kind 'zz-probe'; expected //p" |
	grep -o "'[^']*'" | tr -d "'" | sort | tr '\n' ' ')
schema_kinds=$($HELPER kinds "$SCHEMA" | sort | tr '\n' ' ')
ok "$([ -n "$kinds" ]; echo $?)" "the parser names its image kinds"
is "$kinds" "$schema_kinds" "image kinds: the schema's enum is the parser's profiles"

# ---- the suites in the tree -------------------------------------------------------
# verdicts FILE...: "FILE parser schema WHY" per file, parser 0/2 and schema accept/reject.
verdicts() {
	$HELPER check "$SCHEMA" "$@" >"$T/schema.out" 2>"$T/schema.err" || diag "$(cat "$T/schema.err")"
	# shellcheck disable=SC2016 # $1 and $2 are the sh -c script's own arguments
	printf '%s\n' "$@" | xargs -P2 -I{} sh -c \
		'"$1" validate "$2" >/dev/null 2>"$2.err"; echo "$2 $?"' sh "$BP" {} | sort >"$T/parser.out"
	sort "$T/schema.out" | join "$T/parser.out" -
}

mkdir -p "$T/suites"
"$BP" init "$T/init" >/dev/null
write_suite "$T/suites/write-suite.yaml" <<'YAML'
  - {name: crash, image: linux, sensor: [v1, v2], content: bad-291, expect: crash, title: refsensor_eval}
  - name: live
    image: linux
    sensor: v1
    settle_ms: 500
    steps: [{deploy: {content: bad-291, mode: live}}, {boot: {expect: crash}}, {rollback: good-291},
            {reboot_until_clean: 3}, {remediate: {delete: [/sensor/content/C-*.sys], when: not_recovered}},
            {clean_boots: 1}]
YAML
# The parser's messages (FILE.err) go next to the files: work on copies (in a
# directory named scenarios, as valid-full.yaml reaches ../scenarios/files).
mkdir -p "$T/tree"
cp -R "$DATA" "$T/tree/scenarios"
cp "$ROOT/scenarios.yaml" "$T/scenarios.yaml"
mkdir -p "$T/rings"
cp "$ROOT/scenarios/rings.yaml" "$T/rings/rings.yaml"
ln -s "$ROOT/build" "$T/build"
ln -s "$ROOT/sensor" "$T/sensor"
set -- "$T/scenarios.yaml" "$T/rings/rings.yaml" "$T/init/suite.yaml" "$T/suites/write-suite.yaml" \
	"$T"/tree/scenarios/*.yaml "$T"/tree/scenarios/bad/*.yaml
verdicts "$@" >"$T/verdicts"
is "$(wc -l <"$T/verdicts" | tr -d ' ')" "$#" "a verdict from both for each of the $# suites"
while read -r file parser schema why; do
	name=${file##*/}
	reason=$(printf '%s\n' "$SEMANTIC" | awk -F'\t' -v f="$name" '$1 == f { print $2 }')
	case $file in "$T"/tree/*) name=${file#"$T"/tree/} ;; *) name=${file#"$T"/} ;; esac
	if [ -n "$reason" ]; then
		ok "$([ "$parser" = 2 ] && [ "$schema" = accept ]; echo $?)" \
			"$name: only the parser rejects it # SKIP $reason"
		[ "$schema" = accept ] || diag "the schema rejects it now ($why): take it off SEMANTIC"
	elif [ "$parser" = 0 ]; then
		is "$schema" accept "$name: both accept"
		[ "$schema" = accept ] || diag "schema: $why"
	else
		is "$schema" reject "$name: both reject"
		[ "$schema" = reject ] || diag "parser: $(cat "$file.err")"
	fi
done <"$T/verdicts"

# ---- mutants: each valid fixture with one key dropped or added or one value changed ----
mkdir -p "$T/m/scenarios"
ln -s "$DATA/files" "$T/m/scenarios/files"
$HELPER mutate "$SCHEMA" "$T/m/scenarios" "$DATA"/valid-*.yaml
set -- "$T"/m/scenarios/*.yaml
verdicts "$@" >"$T/mverdicts"
: >"$T/disagree"
skipped=0
while read -r file parser schema why; do
	if [ "$parser" = 0 ] && [ "$schema" = accept ]; then continue; fi
	if [ "$parser" = 2 ] && [ "$schema" = reject ]; then continue; fi
	if [ "$parser" = 2 ] && grep -Eq "$SEMANTIC_MSG" "$file.err"; then
		skipped=$((skipped + 1))
		continue
	fi
	{ echo "${file##*/}: parser $parser, schema $schema $why"; cat "$file.err"; sed 's/^/    /' "$file"; } >>"$T/disagree"
done <"$T/mverdicts"
is "$(wc -l <"$T/mverdicts" | tr -d ' ')" "$#" "mutants: a verdict from both for each of the $#"
ok "$([ ! -s "$T/disagree" ]; echo $?)" \
	"mutants: schema and parser agree on all $# ($skipped left to the parser: references and files)"
[ ! -s "$T/disagree" ] || diag "$(head -60 "$T/disagree")"
done_testing
