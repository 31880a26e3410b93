#!/bin/sh
# e2e-ci-recipes - the nightly CI recipes README.md shows, docs/ci/github-nightly.yml
# and docs/ci/gitlab-ci.yml: their structure (tests/ci-recipes.py: the junit
# path, reports/ kept and junit published whatever happened, the history
# cached, the gate last; README's copies the same as the files), then their
# shell commands run in order, as the job would, in a scratch copy of the tree
# on the reference guest with a tiny suite (BOOTPROOF_SUITE), night after
# night with only the cached history carried over:
#   1 (GitHub)  one clean scenario: the first night, the gate passes
#   2 (GitHub)  an expected crash added: the run passes, the gate fails on its
#               new signature
#   3 (GitLab)  the same as 2, on the history of 1-2: "no new signatures", the
#               gate passes
#   4 (GitLab)  another crash (no root file system): the gate fails
# The recipes' `uses:` steps (checkout, cache, artifact upload, junit
# publishing) are GitHub's and need no test here beyond their structure.
. "$(dirname "$0")/lib.sh"
need_guest
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml not installed"

/usr/bin/python3 "$ROOT/tests/ci-recipes.py" "$ROOT" "$T/steps" >"$T/checks" 2>&1
ok $? "ci-recipes.py reads both recipes"
while read -r st desc; do
	ok "$st" "$desc"
done <"$T/checks"
for kind in github gitlab; do
	is "$(cat "$T/steps/$kind/cache")" "reports/history.db" "$kind: the cache carries reports/history.db"
done

# The scratch checkout: the tree without .git and reports, and what `make
# all` built (so the recipe's build step only relinks).
R=$T/repo
mkdir -p "$R/build"
(cd "$ROOT" && tar --exclude=./.git --exclude=./build --exclude=./reports -cf - .) | tar -C "$R" -xf -
for d in bootproof chanc harness images sensor content stamp; do
	cp -a "$ROOT/build/$d" "$R/build/"
done
# No package may be installed from a test: an apt-get that fails says so.
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "apt-get called from a test: $*" >&2\nexit 1\n' >"$T/bin/apt-get"
chmod +x "$T/bin/apt-get"

BOOTPROOF_ACCEL=tcg
BOOTPROOF_SUITE=$T/nightly.yaml
CI=true
export BOOTPROOF_ACCEL BOOTPROOF_SUITE CI

scenarios() { # the tiny suite's scenarios, by name
	for s in "$@"; do
		case $s in
		clean) echo "  - {name: clean, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}" ;;
		crash) echo "  - {name: crash, image: linux, sensor: v1, content: bad-291, boots: 1, expect: crash, title: refsensor_eval}" ;;
		noroot) echo "  - {name: noroot, image: noroot, sensor: v1, content: good-291, boots: 1, expect: crash, title: VFS}" ;;
		esac
	done | write_suite "$BOOTPROOF_SUITE"
	add_image "$BOOTPROOF_SUITE" noroot 'append: "console=ttyS0 oops=panic panic=1 rdinit=/nonexistent"'
}

# night N KIND: a fresh workspace holding only the cached history, then KIND's
# commands in order until one fails. $failed: the first failing step's file
# (or none), $gate_rc: the gate's exit status (or "not run").
night() {
	if [ -e "$R/reports/history.db" ]; then mv "$R/reports/history.db" "$T/cache.db"; fi
	rm -rf "$R/reports"
	if [ -e "$T/cache.db" ]; then mkdir -p "$R/reports" && mv "$T/cache.db" "$R/reports/history.db"; fi
	failed=none gate_rc="not run"
	for step in "$T/steps/$2"/[0-9]*.sh; do
		(cd "$R" && PATH=$T/bin:$PATH bash --noprofile --norc -eo pipefail "$step") \
			>"$T/night$1.$(basename "$step").out" 2>&1
		rc=$?
		diag "night $1 $2 $(basename "$step"): exit $rc at $(date +%T)"
		[ "$(basename "$step")" != "$(cat "$T/steps/$2/gate")" ] || gate_rc=$rc
		if [ $rc -ne 0 ]; then
			failed=$(basename "$step")
			break
		fi
	done
	gate_out=$(cat "$T/night$1.$(cat "$T/steps/$2/gate").out" 2>/dev/null)
}

artifacts_ok() { # N: what the artifact and the junit report name is there
	xmllint --noout --schema "$ROOT/docs/junit.xsd" "$R/reports/latest/junit.xml" >/dev/null 2>&1
	ok $? "night $1: reports/latest/junit.xml is there and valid"
	ok "$([ -s "$R/reports/trend.html" ] && [ -s "$R/reports/latest/index.html" ]; echo $?)" \
		"night $1: reports/ has the run's page and trend.html"
}

scenarios clean
night 1 github
is "$failed:$gate_rc" "none:0" "night 1 (github): every command passes, the gate too"
like "$gate_out" "no new signatures" "night 1: ... no new signatures (the first night)"
[ "$failed" = none ] || diag "$(cat "$T/night1.$failed.out")"
artifacts_ok 1

scenarios clean crash
night 2 github
is "$failed:$gate_rc" "$(cat "$T/steps/github/gate"):1" \
	"night 2 (github), a crash added: the run passes (it was expected), the gate fails"
like "$gate_out" "compared " "night 2: ... compared with night 1 (the cached history)"
like "$gate_out" "new signature: BUG: unable to handle kernel paging request in refsensor_eval" \
	"night 2: ... on its new signature"
artifacts_ok 2
like "$(cat "$R/reports/trend.html")" "refsensor_eval" "night 2: trend.html has the signature"

night 3 gitlab
is "$failed:$gate_rc" "none:0" "night 3 (gitlab), the same as night 2: the gate passes"
is "$(printf '%s\n' "$gate_out" | grep -c '^no new signatures$')" 1 "night 3: ... no new signatures"
artifacts_ok 3

scenarios clean crash noroot
night 4 gitlab
is "$failed:$gate_rc" "$(cat "$T/steps/gitlab/gate"):1" \
	"night 4 (gitlab), another crash: the gate fails"
like "$gate_out" "new signature: kernel panic: VFS" "night 4: ... on the new one"
is "$(printf '%s\n' "$gate_out" | grep -c '^new signature')" 1 "night 4: ... only"
is "$(grep -c "apt-get called" "$T"/night*.out | awk -F: '{ s += $2 } END { print s }')" 0 \
	"no night wanted to install a package"
is "$(qemu_left)" "" "no QEMU left running"
done_testing
