#!/bin/sh
# e2e-shards - `run --shard K/N` and `report --merge` on the real reference
# guest: a suite of six one-boot trials run whole, then as three shards
# (one after another, all balancing by the whole run's history, which each
# shard records itself into: shard runs must not move the partition), then
# merged: the merged run has the whole run's verdicts and crash titles, its
# trials' logs and a full report set. A missing or incomplete shard makes
# the merge incomplete (exit 3, naming it); a shard given twice, a shard of
# another suite and one of another partition are refused (exit 2).
. "$(dirname "$0")/lib.sh"
need_guest

write_suite "$T/suite.yaml" <<'YAML'
  - {name: clean, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}
  - {name: clean-v2, image: linux, sensor: v2, content: good-291, boots: 1, expect: clean}
  - name: crash
    image: linux
    sensor: v1
    content: bad-291
    boots: 1
    expect: crash
    title: "refsensor_eval"
  - {name: fixed, image: linux, sensor: v2, content: bad-291, boots: 1, expect: clean}
  - {name: malformed, image: linux, sensor: [v1, v2], content: malformed-291, boots: 1,
     expect: clean}
YAML
H=$T/whole/history.db
# What the comparisons look at: per scenario its verdict and its boots' outcomes and titles.
verdicts() {
	jq -c '[.scenarios[] | {name, verdict, boots: [.boots[] | [.outcome, .title]]}] | sort_by(.name)' "$1"
}

"$BP" run -q -c "$T/suite.yaml" -r "$T/whole" >"$T/whole.tap" 2>"$T/whole.err"
is "$?" 0 "the whole suite: exit 0"
W=$T/whole/latest/results.json
is "$(jq -r '.scenarios | length' "$W")" 6 "six trials"
is "$(jq -r 'has("shard")' "$W")" false "a whole run records no shard"

for k in 1 2 3; do
	"$BP" run -q -c "$T/suite.yaml" -r "$T/s$k" --history "$H" --shard "$k/3" >"$T/s$k.tap" 2>"$T/s$k.err"
	is "$?" 0 "shard $k/3: exit 0"
done
S1=$T/s1/latest S2=$T/s2/latest S3=$T/s3/latest
is "$(jq -r '.shard | "\(.index)/\(.total)"' "$S2/results.json")" 2/3 "results.json records the shard"
is "$(jq -r .shard.suite_sha256 "$S1/results.json")" "$(sha256sum "$T/suite.yaml" | cut -d' ' -f1)" \
	"the suite digest is the suite file's SHA-256"
is "$(jq -r .shard.partition_sha256 "$S1"/results.json "$S2"/results.json "$S3"/results.json | sort -u | wc -l)" 1 \
	"the three shards computed one partition (shard runs recorded in between do not move it)"
all=$(jq -r '.scenarios[].name' "$S1/results.json" "$S2/results.json" "$S3/results.json" | sort)
is "$all" "$(jq -r '.scenarios[].name' "$W" | sort)" "the shards' union is the suite, each trial once"
# Greedy by the history's durations (no timing is asserted, only the rule's bound).
is "$(jq -r '.scenarios | length' "$S1/results.json" "$S2/results.json" "$S3/results.json" | grep -c '^0$')" 0 \
	"no shard is empty"
is "$(jq -s -r --slurpfile w "$W" '($w[0].scenarios | map({(.name): .duration_s}) | add) as $d
	| [.[] | [.scenarios[].name | $d[.]] | add] as $load
	| ($load | max) - ($load | min) <= ([$d[]] | max)' "$S1/results.json" "$S2/results.json" "$S3/results.json")" true \
	"balanced by the history: the busiest shard at most the longest trial above the idlest"
diag "$(jq -r '.scenarios[] | "\(.name) \(.duration_s)"' "$W")"
diag "$(for k in 1 2 3; do echo "shard $k: $(jq -r '[.scenarios[].name] | join(" ")' "$T/s$k/latest/results.json")"; done)"
"$BP" report "$S2" >/dev/null 2>"$T/rerender.err"
is "$?" 0 "a shard's results.json passes the schema check on load (report re-renders it)"

out=$("$BP" report --merge -r "$T/merged" "$S3" "$S1" "$S2" 2>"$T/merge.err")
is "$?" 0 "merge of the three shards: exit 0 (every expectation met)"
like "$out" "merged 3 of 3 shards into $T/merged/" "merge says what it made"
M=$T/merged/latest/results.json
is "$(verdicts "$M")" "$(verdicts "$W")" "merged: the whole run's verdicts, outcomes and crash titles"
is "$(jq -r '[.complete, .summary.scenarios, .summary.pass, .merged.total, (.merged.missing | length)] | join(",")' "$M")" \
	"true,6,6,3,0" "merged: complete, six scenarios, all pass, three shards, none missing"
is "$(jq -r 'has("shard")' "$M")" false "merged: no shard of its own"
log=$(jq -r '.scenarios[] | select(.name == "crash") | .boots[0].log' "$M")
like "$(cat "$T/merged/latest/$log")" "refsensor_eval" "merged: the crash's console log copied"
ok "$(for f in index.html junit.xml results.tap; do [ -s "$T/merged/latest/$f" ] || exit 1; done; echo $?)" \
	"merged: index.html, junit.xml and results.tap written"
is "$(grep -c '^ok' "$T/merged/latest/results.tap")" "$(grep -c '^ok' "$T/whole.tap")" \
	"merged TAP: as many passing points as the whole run's"
is "$(sqlite3 "$T/merged/history.db" 'SELECT count(*) FROM runs WHERE shard IS NULL AND complete = 1')" 1 \
	"merged: recorded in the history as a whole, complete run"

"$BP" report --merge -r "$T/merged" "$S1" "$S3" >"$T/miss.out" 2>&1
is "$?" 3 "a missing shard: exit 3 (incomplete, never green)"
is "$(jq -r .incomplete_reason "$T/merged/latest/results.json")" "shard 2/3 missing" "the reason names the missing index"
is "$(jq -r -c .merged.missing "$T/merged/latest/results.json")" "[2]" "merged.missing lists it"

cp -r "$S1/." "$T/s1-copy"
"$BP" report --merge -r "$T/merged" "$S1" "$S2" "$S3" "$T/s1-copy" >/dev/null 2>"$T/dup.err"
is "$?" 2 "a shard given twice: exit 2"
like "$(cat "$T/dup.err")" "shard 1/3 is given twice" "and says which"

cp -r "$S2/." "$T/s2-cut"
jq '.complete = false | .incomplete_reason = "interrupted by signal 15"' "$S2/results.json" >"$T/s2-cut/results.json"
"$BP" report --merge -r "$T/merged" "$S1" "$T/s2-cut" "$S3" >/dev/null 2>&1
is "$?" 3 "an incomplete shard: exit 3"
like "$(jq -r .incomplete_reason "$T/merged/latest/results.json")" "shard 2/3 (run " "the reason names it"

# Another suite: the same scenarios and a comment. Its shard 2 of one selected trial is empty: no boot.
{ cat "$T/suite.yaml"; echo "# another suite"; } >"$T/other.yaml"
"$BP" run -q -c "$T/other.yaml" -r "$T/other" --shard 2/3 clean >/dev/null 2>"$T/other.err"
is "$?" 0 "an empty shard (more shards than trials) runs nothing and exits 0"
is "$(jq -r '.scenarios | length' "$T/other/latest/results.json")" 0 "and records no scenario"
"$BP" report --merge -r "$T/merged" "$S1" "$T/other/latest" "$S3" >/dev/null 2>"$T/foreign.err"
is "$?" 2 "a shard of another suite: exit 2"
like "$(cat "$T/foreign.err")" "'$T/other/latest' is a shard of another suite" "and the foreign shard is named"

"$BP" run -q -c "$T/suite.yaml" -r "$T/sel" --shard 2/3 clean >/dev/null 2>&1
"$BP" report --merge -r "$T/merged" "$S1" "$T/sel/latest" "$S3" >/dev/null 2>"$T/part.err"
is "$?" 2 "a shard of another partition (another selection): exit 2"
like "$(cat "$T/part.err")" "was cut from another partition" "and says so"

is "$(qemu_left)" "" "no qemu process outlives the runs"
done_testing
