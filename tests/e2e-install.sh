#!/bin/sh
# e2e-install - bootproof as someone installs it, no guest booted:
#   - `make install DESTDIR=... PREFIX=/usr` puts the binary, chanc, the data
#     (reference guest, sensors, agent, content, demo suite), the manuals and
#     the completions in place, lists each in its manifest, and the binary
#     looks for its data in PREFIX/share/bootproof; init and validate work
#     with the installed data, and the installed demo suite validates where
#     it lies; the installed chanc compiles the installed sources to the
#     installed content;
#   - every manual page renders without a warning, every subcommand has its
#     page, names every option its --help has, and bootproof(1) lists every
#     subcommand and every page;
#   - the bash completion loads and completes subcommands, options, suites
#     and scenario names from the binary; the zsh one (if zsh is installed)
#     completes in a real zsh;
#   - `make uninstall` leaves no file; an install with PREFIX alone finds
#     its data without BOOTPROOF_DATADIR;
#   - the Debian package builds from a scratch copy of the tree, installs
#     with dpkg into a scratch root and runs there. It compiles everything
#     from scratch (minutes): BOOTPROOF_SKIP_DEB=1 skips it.
. "$(dirname "$0")/lib.sh"
[ -x "$BP" ] || skip_all "harness not built"
[ -e "$ROOT/build/images/linux/.stamp" ] || skip_all "reference guest not built (make guest)"
command -v man >/dev/null || skip_all "man not installed"

# The tree's make, not the one that may be running this test (jobserver,
# sanitizer build): the installed binary is always a plain build.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE make -C "$ROOT" --no-print-directory "$@"
}
help_opts() { # CMD: every option name its --help lists ("-c", "--suite", ...)
	"$BP" "$1" --help | awk '/^  -/ {
		for (i = 1; i <= NF && $i ~ /^-/; i++) { t = $i; sub(/,$/, "", t); print t; if ($i !~ /,$/) break } }'
}
DATA=share/bootproof

# ---- make install DESTDIR PREFIX=/usr ----
R=$T/root
mk install DESTDIR="$R" PREFIX=/usr >"$T/install.log" 2>&1
st=$?
is "$st" 0 "make install DESTDIR PREFIX=/usr: exit 0"
[ "$st" -eq 0 ] || diag "$(tail -20 "$T/install.log")"
# After the install: it rebuilds the tree's binary too if the tree changed.
VERSION_OUT=$("$BP" --version)
U=$R/usr
missing=
for f in bin/bootproof bin/chanc share/bash-completion/completions/bootproof \
	share/zsh/vendor-completions/_bootproof $DATA/scenarios.yaml $DATA/sensor/agent \
	$DATA/sensor/PROTOCOL.md $DATA/sensor/FORMAT.md $DATA/sensor/refsensor.c $DATA/sensor/Kbuild \
	$DATA/sensor/build-module.sh $DATA/sensor/chanc.c share/doc/bootproof/README.md \
	share/doc/bootproof/results-schema.json share/doc/bootproof/junit.xsd; do
	[ -s "$U/$f" ] || missing="$missing $f"
done
for f in "$ROOT"/docs/man/*.scd; do
	p=$(basename "$f" .scd)
	[ -s "$U/share/man/man${p##*.}/$p" ] || missing="$missing man${p##*.}/$p"
done
for f in "$ROOT"/build/images/linux/vmlinux "$ROOT"/build/images/linux/initrd.img \
	"$ROOT"/build/images/linux/system.qcow2 "$ROOT"/build/sensor/v*/refsensor.ko \
	"$ROOT"/build/content/*.sys "$ROOT"/scenarios/content/*.chan; do
	rel=${f#"$ROOT"/}
	cmp -s "$f" "$U/$DATA/$rel" || missing="$missing $DATA/$rel"
done
is "$missing" "" "install: binaries, data in the tree's layout, manuals, completions, docs"
ok "$([ -x "$U/bin/bootproof" ] && [ -x "$U/bin/chanc" ] && [ -x "$U/$DATA/sensor/agent" ]; echo $?)" \
	"install: bootproof, chanc and the agent are executable"
(cd "$U" && find . -type f ! -name install-manifest | sed 's|^\./||' | LC_ALL=C sort) >"$T/files"
diff "$T/files" "$U/$DATA/install-manifest" >"$T/diff"
is "$?" 0 "install: the manifest lists exactly the files installed"
[ ! -s "$T/diff" ] || diag "$(cat "$T/diff")"

# The installed binary: the same version, its data in PREFIX/share/bootproof.
is "$("$U/bin/bootproof" --version)" "$VERSION_OUT" "installed bootproof --version"
like "$("$U/bin/bootproof" init --help)" "(default /usr/share/bootproof)" \
	"installed binary: its data directory is PREFIX's"
(cd "$T" && env -u BOOTPROOF_DATADIR "$U/bin/bootproof" init "$T/default" >/dev/null 2>&1)
like "$(cat "$T/default/suite.yaml")" 'kernel: "/usr/share/bootproof/build/images/linux/vmlinux"' \
	"installed init: names the reference files in /usr/share/bootproof"
BOOTPROOF_DATADIR=$U/$DATA "$U/bin/bootproof" init "$T/mine" >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "installed init with the installed data: exit 0, no missing file"
"$U/bin/bootproof" validate "$T/mine/suite.yaml" >"$T/out" 2>"$T/err"
is "$?" 0 "installed validate accepts what installed init wrote"
[ ! -s "$T/err" ] || diag "$(cat "$T/err")"
is "$(grep '^trial ' "$T/out" | tr '\n' ' ')" "trial bad-content trial rollback " \
	"installed init: the crash and the rollback scenario"
like "$(cat "$T/out")" "module $U/$DATA/build/sensor/v1/refsensor.ko, agent $U/$DATA/sensor/agent" \
	"installed init: the installed sensor and agent"
"$U/bin/bootproof" validate "$U/$DATA/scenarios.yaml" >"$T/out" 2>"$T/err"
is "$?" 0 "the installed demo suite validates where it lies"
[ ! -s "$T/err" ] || diag "$(cat "$T/err")"
is "$(grep '^trial ' "$T/out")" "$("$BP" validate "$ROOT/scenarios.yaml" | grep '^trial ')" \
	"the installed demo suite: the tree's trials"
"$U/bin/chanc" -o "$T/good.sys" "$U/$DATA/scenarios/content/c291-good.chan" 2>"$T/err"
cmp -s "$T/good.sys" "$U/$DATA/build/content/c291-good.sys"
is "$?" 0 "installed chanc compiles the installed source to the installed content"

# ---- manual pages ----
warn=
for f in "$U"/share/man/man*/*; do
	out=$(MANWIDTH=80 man -l --warnings "$f" 2>&1 >"$T/page")
	[ -z "$out" ] && grep -q '^NAME' "$T/page" || warn="$warn $(basename "$f"): ${out:-no NAME}"
done
is "$warn" "" "man -l --warnings: every page renders, no warning"
MANWIDTH=1000 man -l "$U/share/man/man1/bootproof.1" 2>/dev/null | col -b >"$T/bootproof.1.txt"
cmds=$("$BP" help | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p')
missing=
for c in $cmds; do
	grep -q "^ *$c\$" "$T/bootproof.1.txt" || missing="$missing $c"
done
is "$missing" "" "bootproof(1) lists every subcommand bootproof help lists"
missing=
for f in "$ROOT"/docs/man/*.scd; do
	p=$(basename "$f" .scd)
	[ "$p" = bootproof.1 ] || grep -q "${p%.*}(${p##*.})" "$T/bootproof.1.txt" || missing="$missing $p"
done
is "$missing" "" "bootproof(1)'s SEE ALSO names every page"
missing=
for c in $cmds; do
	[ "$c" = help ] && continue
	page=$U/share/man/man1/bootproof-$c.1
	if [ ! -e "$page" ]; then
		missing="$missing [no page bootproof-$c.1]"
		continue
	fi
	MANWIDTH=1000 man -l "$page" 2>/dev/null | col -b >"$T/page.txt"
	for o in $(help_opts "$c"); do
		grep -qE -- "(^|[^a-zA-Z-])$o([^a-zA-Z-]|\$)" "$T/page.txt" || missing="$missing $c:$o"
	done
done
is "$missing" "" "every subcommand has its page, naming every option of its --help"

# ---- bash completion ----
BASHCOMP=$U/share/bash-completion/completions/bootproof
complete_bash() { # WORD...: the completions of the last word, sorted, on one line
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bootproof
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\n" " "' sh "$BASHCOMP" "$@"
}
is "$(bash -c '. "$1" && complete -p bootproof' sh "$BASHCOMP" 2>&1)" "complete -F _bootproof bootproof" \
	"bash completion loads and completes bootproof with _bootproof"
want=$("$U/bin/bootproof" help | sed -n 's/^  \(r[a-z-]*\)  .*/\1/p' | LC_ALL=C sort | tr '\n' ' ')
is "$(complete_bash "$U/bin/bootproof" r)" "$want" "bash: 'bootproof r' completes the commands starting with r"
want=$(help_opts run | grep -- '^--' | LC_ALL=C sort | tr '\n' ' ')
is "$(complete_bash "$U/bin/bootproof" run --)" "$want" "bash: 'bootproof run --' completes run's options"
mkdir -p "$T/cwd/sub"
: >"$T/cwd/a.yaml"
: >"$T/cwd/b.txt"
is "$(cd "$T/cwd" && complete_bash "$U/bin/bootproof" run -c '')" "a.yaml sub " \
	"bash: -c completes suites and directories"
is "$(cd "$T/cwd" && complete_bash "$U/bin/bootproof" run -r '')" "sub " "bash: -r completes directories"
is "$(cd "$U/$DATA" && complete_bash "$U/bin/bootproof" run bad-291-v)" "bad-291-v1 bad-291-v2 " \
	"bash: scenario names from scenarios.yaml"
is "$(complete_bash "$U/bin/bootproof" validate -c "$U/$DATA/scenarios.yaml" malformed)" \
	"malformed-291 malformed-291/v1 malformed-291/v2 " "bash: scenario names from -c SUITE, matrix names too"
is "$(complete_bash "$U/bin/bootproof" scan --kind '')" "linux windows " "bash: --kind's values from its help"

# ---- zsh completion, in a real zsh ----
if command -v zsh >/dev/null && zsh -c 'zmodload zsh/zpty' 2>/dev/null; then
	zsh -n "$U/share/zsh/vendor-completions/_bootproof"
	is "$?" 0 "zsh completion: zsh -n accepts it"
	complete_zsh() { # LINE: the line a real zsh has after LINE and a tab
		ZDIR=$U/share/zsh/vendor-completions PATH=$U/bin:$PATH LINE=$1 zsh -f -c '
			setopt extendedglob
			zmodload zsh/zpty
			zpty z "PS1=\"> \" TERM=dumb zsh -f -i"
			zpty -w z "unset zle_bracketed_paste; fpath=($ZDIR \$fpath); autoload -U compinit; compinit -u -D"
			zpty -w -n z "$LINE"$'"'\t'"'
			out=
			for i in {1..100}; do
				sleep 0.1
				while zpty -r -t z chunk 2>/dev/null; do out+=$chunk; done
				[[ $out == *"> $LINE"?* ]] && break
			done
			zpty -d z
			out=${out##*> }
			print -r -- "${out%%[[:space:]]##}"'
	}
	is "$(complete_zsh 'bootproof valid')" "bootproof validate" "zsh: 'bootproof valid' completes validate"
	is "$(complete_zsh 'bootproof run --co')" "bootproof run --cold" "zsh: 'bootproof run --co' completes --cold"
else
	ok 0 "# skip zsh not installed (or no zsh/zpty)"
fi

# ---- make uninstall ----
mk uninstall DESTDIR="$R" PREFIX=/usr >"$T/uninstall.log" 2>&1
is "$?" 0 "make uninstall: exit 0"
is "$(find "$R" -type f | head -5)" "" "make uninstall: no file left"
ok "$([ ! -e "$U/$DATA" ] && [ ! -e "$U/share/doc/bootproof" ]; echo $?)" \
	"make uninstall: share/bootproof and share/doc/bootproof gone"
mk uninstall DESTDIR="$R" PREFIX=/usr >/dev/null 2>"$T/err"
st=$?
ok "$([ "$st" -ne 0 ]; echo $?)" "make uninstall with nothing installed: fails"
like "$(cat "$T/err")" "nothing installed there" "make uninstall with nothing installed: says so"

# ---- PREFIX alone: the binary finds its data without BOOTPROOF_DATADIR ----
P=$T/prefix
mk install PREFIX="$P" >"$T/install.log" 2>&1
is "$?" 0 "make install PREFIX=DIR: exit 0"
(cd "$T" && env -u BOOTPROOF_DATADIR "$P/bin/bootproof" init "$T/p" >/dev/null 2>"$T/err")
is "$?:$(cat "$T/err")" "0:" "PREFIX install: init finds every reference file by itself"
"$P/bin/bootproof" validate "$T/p/suite.yaml" >/dev/null 2>&1
is "$?" 0 "PREFIX install: validate accepts it"
mk uninstall PREFIX="$P" >/dev/null 2>&1
is "$?:$(find "$P" -type f | head -3)" "0:" "PREFIX install: uninstall leaves no file"

# ---- the Debian package ----
if [ -n "${BOOTPROOF_SKIP_DEB:-}" ]; then
	ok 0 "# skip the Debian package (BOOTPROOF_SKIP_DEB)"
	done_testing
	exit
fi
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	ok 0 "# skip dpkg-dev or debhelper not installed"
	done_testing
	exit
fi
# A scratch copy of the sources as they are: tracked and new files, no build/.
S=$T/deb/src
mkdir -p "$S"
if [ -e "$ROOT/.git" ] && command -v git >/dev/null; then
	git -C "$ROOT" ls-files -co --exclude-standard | while read -r f; do
		[ -f "$ROOT/$f" ] && echo "$f"
	done >"$T/srcfiles"
	tar -C "$ROOT" -cf - -T "$T/srcfiles" | tar -C "$S" -xf -
else
	tar -C "$ROOT" --exclude=./build --exclude=./reports -cf - . | tar -C "$S" -xf -
fi
VERSION=$(cat "$ROOT/VERSION")
start=$(date +%s)
# gzip -1, not xz: the same package, compressed in seconds instead of minutes.
(cd "$S" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" \
	DPKG_DEB_COMPRESSOR_TYPE=gzip DPKG_DEB_COMPRESSOR_LEVEL=1 \
	dpkg-buildpackage -b -us -uc) >"$T/deb.log" 2>&1
st=$?
is "$st" 0 "dpkg-buildpackage -b: exit 0"
[ "$st" -eq 0 ] || diag "$(tail -30 "$T/deb.log")"
diag "deb build took $(($(date +%s) - start)) s"
DEB=$T/deb/bootproof_${VERSION}_amd64.deb
ok "$([ -s "$DEB" ]; echo $?)" "the package is bootproof_VERSION_amd64.deb"
is "$(dpkg-deb -f "$DEB" Package):$(dpkg-deb -f "$DEB" Version)" "bootproof:$VERSION" \
	"package: name, and the version from VERSION"
deps=$(dpkg-deb -f "$DEB" Depends)
missing=
for d in qemu-system-x86 qemu-utils libguestfs0 libyaml libjansson libsqlite3 libc6; do
	case $deps in *"$d"*) ;; *) missing="$missing $d" ;; esac
done
is "$missing" "" "package: Depends on QEMU, libguestfs and the libraries it links"
diag "Depends: $deps"

# dpkg -i into a scratch root with its own database: nothing on this host changes.
D=$T/dpkgroot
mkdir -p "$D/var/lib/dpkg/info" "$D/var/lib/dpkg/updates" "$D/var/lib/dpkg/triggers"
: >"$D/var/lib/dpkg/status"
: >"$D/var/lib/dpkg/available"
dpkg() { PATH=$PATH:/usr/sbin:/sbin command dpkg --root="$D" --admindir="$D/var/lib/dpkg" "$@"; }
dpkg --force-depends -i "$DEB" >"$T/dpkg.log" 2>&1
st=$?
is "$st" 0 "dpkg -i into a scratch root: exit 0"
[ "$st" -eq 0 ] || diag "$(cat "$T/dpkg.log")"
is "$(dpkg-query --admindir="$D/var/lib/dpkg" -W -f='${Status} ${Version}' bootproof)" \
	"install ok installed $VERSION" "dpkg: bootproof $VERSION installed"
is "$("$D/usr/bin/bootproof" --version)" "bootproof $VERSION" "packaged bootproof --version: the release"
like "$("$D/usr/bin/bootproof" init --help)" "(default /usr/share/bootproof)" \
	"packaged binary: its data directory is /usr/share/bootproof"
"$D/usr/bin/bootproof" validate "$D/usr/share/bootproof/scenarios.yaml" >"$T/out" 2>"$T/err"
is "$?" 0 "packaged demo suite validates"
[ ! -s "$T/err" ] || diag "$(cat "$T/err")"
is "$(grep -c '^trial ' "$T/out")" "$("$BP" validate "$ROOT/scenarios.yaml" | grep -c '^trial ')" \
	"packaged demo suite: every trial"
BOOTPROOF_DATADIR=$D/usr/share/bootproof "$D/usr/bin/bootproof" init "$T/debinit" >/dev/null 2>"$T/err" &&
	"$D/usr/bin/bootproof" validate "$T/debinit/suite.yaml" >/dev/null 2>>"$T/err"
is "$?:$(cat "$T/err")" "0:" "packaged init and validate"
warn=
for f in "$D"/usr/share/man/man*/*; do
	out=$(MANWIDTH=80 man -l --warnings "$f" 2>&1 >/dev/null)
	[ -z "$out" ] || warn="$warn $(basename "$f"): $out"
done
is "$warn" "" "packaged manuals render without warnings"
ok "$([ -s "$D/usr/share/bash-completion/completions/bootproof" ] &&
	[ -s "$D/usr/share/zsh/vendor-completions/_bootproof" ]; echo $?)" "packaged completions"
ok "$([ ! -e "$D/usr/share/bootproof/install-manifest" ]; echo $?)" "package: no install-manifest (dpkg has its list)"
dpkg --purge bootproof >/dev/null 2>&1
is "$?:$(find "$D" -type f ! -path "$D/var/lib/dpkg/*" | head -3)" "0:" "dpkg --purge: no file left"

done_testing
