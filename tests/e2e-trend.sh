#!/bin/sh
# e2e-trend - `bootproof report --trend` and trend.html as headless Chromium
# builds it, no guest: six nights of one suite made from the fixture run-1
# (tests/data/results) with jq, recorded through `bootproof report
# --compare`: one bar per run with its passed/failed/infra segments, the
# signature and flaky tables, a crash title and suite name of
# "</svg><script>" that stay text, the run pages' link to ../trend.html
# resolving, and the usage and error cases of --trend.
. "$(dirname "$0")/lib.sh"
[ -x "$BP" ] || skip_all "harness not built"
command -v jq >/dev/null || skip_all "jq not installed"
CHROMIUM=$(command -v chromium || command -v chromium-browser) || skip_all "chromium not installed"
HOSTILE='</svg><script>alert(1)</script><img src=x onerror=alert(2)> in evil_func'
R=$T/reports
mkdir -p "$R"

# night K: run-1 as night K of nightly.yaml; hostile-guest crashes with
# $HOSTILE on nights 3 and 4, good-291-v1 fails on night 2.
night() {
	id=2026020$1-020000-$1
	mkdir -p "$R/$id"
	cp -r "$ROOT/tests/data/results/run-1/." "$R/$id/"
	rm -f "$R/$id/index.html"
	jq --arg id "$id" --arg st "2026-02-0$1T02:00:00Z" --arg h "$HOSTILE" --argjson k "$1" \
		'.run_id = $id | .started = $st | .suite = "nightly.yaml" |
		 (.scenarios[] | select(.name == "hostile-guest") | .boots[0].title) |=
			(if $k == 3 or $k == 4 then $h else . end) |
		 (.scenarios[] | select(.name == "good-291-v1") | .verdict) |=
			(if $k == 2 then "fail" else . end)' \
		"$ROOT/tests/data/results/run-1/results.json" >"$R/$id/results.json"
	"$BP" report --compare "$R/$id" >"$T/compare.$1" 2>&1
}
for k in 1 2 3 4 5 6; do
	night $k || diag "$(cat "$T/compare.$k")"
done
is "$(find "$R" -name index.html | wc -l | tr -d ' ')" 6 "six nights recorded, each with its page"
ok "$([ -s "$R/trend.html" ]; echo $?)" "report --compare RUN writes trend.html beside the run"

# A second suite named like markup, in the same history.
mkdir -p "$R/20260207-020000-7"
cp -r "$ROOT/tests/data/results/run-1/." "$R/20260207-020000-7/"
jq '.run_id = "20260207-020000-7" | .started = "2026-02-07T02:00:00Z" |
    .suite = "</svg><script>alert(3)</script>.yaml"' \
	"$ROOT/tests/data/results/run-1/results.json" >"$R/20260207-020000-7/results.json"
"$BP" report "$R/20260207-020000-7" --compare >/dev/null 2>&1

rm -f "$R/trend.html"
"$BP" report --trend -r "$R" >"$T/out" 2>"$T/err"
is "$?" 0 "report --trend: exit 0"
is "$(cat "$T/out")" "wrote $R/trend.html" "... says where it wrote"
ok "$(set -- "$R"/*.tmp*; [ ! -e "$1" ]; echo $?)" "... no temporary file left"

timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$T/chromium" --dump-dom "file://$R/trend.html" >"$T/dom.html" 2>"$T/chromium.err"
ok $? "headless Chromium loads trend.html from disk"
count() { grep -o -- "$2" "$1" | wc -l | tr -d ' '; }
is "$(count "$T/dom.html" '<section class="suite"')" 2 "a section per suite"
is "$(count "$T/dom.html" '<svg class="trend"')" 2 "a bar chart per suite"
is "$(count "$T/dom.html" '<g class="run"')" 7 "one bar per run"
is "$(count "$T/dom.html" '<rect class="bar pass"')" 7 "... each with a passed segment"
is "$(count "$T/dom.html" '<rect class="bar fail"')" 7 "... a failed one"
is "$(count "$T/dom.html" '<rect class="bar infra"')" 7 "... and an infra one"
is "$(count "$T/dom.html" '<a href="2026020[1-7]-020000-[1-7]/index.html"><g class="run"')" 7 \
	"... each linking to its run's page"
is "$(count "$T/dom.html" '<table class="signatures">')" 2 "a signature table per suite"
is "$(count "$T/dom.html" '<tr class="signature')" 5 "... 3 signatures in nightly.yaml, 2 in the other"
like "$(cat "$T/dom.html")" '<td><code>&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; in evil_func</code></td><td class="when">2026-02-03' \
	"the hostile title is text, first seen night 3"
like "$(cat "$T/dom.html")" '2026-02-04 <span class="meta">(<a href="20260204-020000-4/index.html">' \
	"... last seen night 4, linked"
like "$(cat "$T/dom.html")" 'suite <code>&lt;/svg&gt;&lt;script&gt;alert(3)&lt;/script&gt;.yaml</code>' \
	"the hostile suite name is text"
is "$(grep -ci '<script\|<img' "$T/dom.html")" 0 "no element from the history: no script, no img"
is "$(count "$T/dom.html" '<tr class="flaky">')" 1 "one flaky scenario"
like "$(grep -o '<tr class="flaky">.*' "$T/dom.html" | head -1)" '<code>good-291-v1</code>' \
	"... good-291-v1, failed one night with the same inputs"
like "$(cat "$T/dom.html")" '<p class="flaky-def def">A scenario is <b>flaky</b> when' \
	"the page says what flaky means"

# The run pages' link lands on the trend page.
A=$R/20260201-020000-1
like "$(cat "$A/index.html")" '<a id="trend-link" href="../trend.html">' "a run's page links ../trend.html"
ok "$([ -f "$(dirname "$A")/trend.html" ]; echo $?)" "... which exists"

# Usage and errors.
"$BP" report --trend 20260201-020000-1 -r "$R" >/dev/null 2>"$T/err"
is "$?" 2 "--trend with a RUN: usage error"
"$BP" report --trend --compare -r "$R" >/dev/null 2>"$T/err"
is "$?" 2 "--trend with --compare: usage error"
"$BP" report --trend -r "$T/nothing" >/dev/null 2>"$T/err"
is "$?" 3 "--trend without a history: exit 3"
like "$(cat "$T/err")" "no history '$T/nothing/history.db'" "... saying which"
"$BP" report --trend -r "$T" --history "$R/history.db" >/dev/null 2>&1
is "$?" 0 "--trend --history DB: another reports directory"
ok "$([ -s "$T/trend.html" ]; echo $?)" "... gets its own trend.html"
done_testing
