# bootproof - one non-recursive Makefile.
#
#   make            build the harness, the sensor, the content, the reference guest and
#                   the manual pages
#   make install    install it all under PREFIX (default /usr/local; DESTDIR for staging)
#   make uninstall  remove exactly what make install put under that PREFIX and DESTDIR
#   make demo       install what is missing, build, run the demo suite (scenarios.yaml)
#   make check      install what is missing, build, run every test under prove
#   make check-fast the unit and configuration tests: no guest, seconds
#   make bench      the speed benchmark (see tests/bench/bench.sh)
#   make lint       shellcheck on every shell script, clang-tidy on the C (scripts/lint.sh)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each (default 60; see tests/fuzz/)
#   make SANITIZE=address,undefined check   the same with sanitizers (objects in build/san)
#   make V=1        show full commands

CC ?= cc
PKGS := yaml-0.1 jansson libguestfs sqlite3 libpng libvirt libvirt-qemu
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# The harness's folders are its architecture (harness/README.md); headers are
# included by name, so each folder is on the include path.
HARNESS_ALL := $(sort $(wildcard harness/*/*.c harness/*/*/*.c))
HARNESS_INC := $(addprefix -I,$(sort $(patsubst %/,%,$(dir $(HARNESS_ALL)))))

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -MMD -MP $(HARNESS_INC) -Itests $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lm

ifdef SANITIZE
O := build/san
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
else
O := build
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# A bare `make` builds everything (the stamp rules below would otherwise come first).
.DEFAULT_GOAL := all

# `bootproof --version`: git's description of the tree, or the release in VERSION
# where there is no git (a tarball). DATADIR: where `bootproof init` finds the
# reference guest, sensor, agent and content (the layout of this tree after
# `make`); an install sets it to where it copies them.
VERSION := $(or $(if $(wildcard .git),$(shell git describe --always --dirty 2>/dev/null)),$(shell cat VERSION 2>/dev/null),unknown)
DATADIR ?= $(CURDIR)

# $(call stamp,NAME,VALUE): $(O)/stamp/NAME holds VALUE and is rewritten only
# when VALUE changes, so an object depending on it is rebuilt exactly then.
define stamp
$(O)/stamp/$(1): FORCE
	@mkdir -p $$(@D)
	$(Q)printf '%s\n' '$(2)' | cmp -s - $$@ || printf '%s\n' '$(2)' >$$@
endef
$(eval $(call stamp,version,$(VERSION)))
$(eval $(call stamp,datadir,$(DATADIR)))
$(O)/harness/cmd/bootproof.o: $(O)/stamp/version
$(O)/harness/cmd/bootproof.o: CFLAGS += '-DBOOTPROOF_VERSION="$(VERSION)"'
$(O)/harness/cmd/cmd-init.o: $(O)/stamp/datadir
$(O)/harness/cmd/cmd-init.o: CFLAGS += '-DBOOTPROOF_DATADIR="$(DATADIR)"'
$(O)/harness/cmd/cmd-fuzz.o: $(O)/stamp/datadir
$(O)/harness/cmd/cmd-fuzz.o: CFLAGS += '-DBOOTPROOF_DATADIR="$(DATADIR)"'

# The guest kernel: Debian's linux-image-amd64, matched with its headers.
KVER := $(shell scripts/guest-kver.sh 2>/dev/null)

HARNESS_SRC := $(filter-out harness/cmd/bootproof.c,$(HARNESS_ALL))
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(O)/%.o)
UNIT_SRC := $(wildcard tests/t-*.c)
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(O)/tests/%)
TEST_LIB_OBJ := $(O)/tests/fakeqmp.o $(O)/tests/dumpgen.o

# libFuzzer targets (tests/fuzz/fuzz-*.c): clang, ASan+UBSan, objects of their own.
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -std=gnu11 $(HARNESS_INC) -Itests $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_HARNESS_OBJ := $(HARNESS_SRC:%.c=build/fuzz/%.o)
FUZZ_SECONDS ?= 60

SENSOR_VERSIONS := 1 2 3
SENSOR_KO := $(SENSOR_VERSIONS:%=build/sensor/v%/refsensor.ko)
# The content interpreter in userspace (sensor/interp), per sensor version: the
# library, a host loader with ASan (interp-load-vN FILE...) and the libFuzzer
# target `bootproof fuzz` runs (fuzz-interp-vN). chanmut is the fuzzer's
# structure-aware mutator, the same for every version.
INTERP_LIB := $(SENSOR_VERSIONS:%=build/libinterp-v%.a)
INTERP_LOAD := $(SENSOR_VERSIONS:%=build/interp-load-v%)
INTERP_FUZZ := $(SENSOR_VERSIONS:%=build/fuzz-interp-v%)
INTERP_DEPS := sensor/interp/interp.c sensor/interp/interp.h sensor/interp/interp-sys.h sensor/interp/interp-version.h
INTERP_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -MMD -MP -Isensor/interp
INTERP_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CONTENT_SRC := $(wildcard scenarios/content/*.chan)
CONTENT_BIN := $(CONTENT_SRC:scenarios/content/%.chan=build/content/%.sys)
# The reference Windows driver, per sensor version (sensor/windows/build.sh:
# mingw-w64, native subsystem, ntoskrnl imports only, test-signed).
WINDRV := $(SENSOR_VERSIONS:%=build/sensor/win-v%/refsensor.sys)
# Its update agent (the same script: console subsystem, kernel32/advapi32/msvcrt).
WINAGENT := build/sensor/win/refagent.exe
IMAGE := build/images/linux
IMAGE_OUT := $(IMAGE)/vmlinux $(IMAGE)/initrd.img $(IMAGE)/system.qcow2

all: $(O)/bootproof $(O)/chanc guest man interp windrv
interp: $(INTERP_LIB) $(INTERP_LOAD) $(INTERP_FUZZ)
windrv: $(WINDRV) $(WINAGENT)
guest: $(SENSOR_KO) $(CONTENT_BIN) $(IMAGE)/.stamp
tests: $(UNIT_BIN) $(O)/tests/bench/floor $(O)/tests/bench/clone $(O)/tests/mkdump

$(O)/bootproof: $(O)/harness/cmd/bootproof.o $(HARNESS_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/chanc: $(O)/sensor/chanc.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/bench/floor: $(O)/tests/bench/floor.o $(HARNESS_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/bench/clone: $(O)/tests/bench/clone.o $(HARNESS_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/%: $(O)/tests/%.o $(HARNESS_OBJ) $(TEST_LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

build/fuzz/fuzz-%: build/fuzz/tests/fuzz/fuzz-%.o $(FUZZ_HARNESS_OBJ)
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# fuzz-agentproto: the Windows agent's protocol half (sensor/agentproto).
build/fuzz/tests/fuzz/fuzz-agentproto.o: FUZZ_CFLAGS += -Isensor/agentproto
build/fuzz/fuzz-agentproto: build/fuzz/sensor/agentproto/agentproto.o

build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# The reference sensor, one kernel module per version, built against the guest kernel.
build/sensor/v%/refsensor.ko: sensor/refsensor.c $(INTERP_DEPS) sensor/Kbuild sensor/build-module.sh
	@echo "  KMOD    $@"
	$(Q)sensor/build-module.sh $* $(KVER) build/sensor/v$*

# $(call interp_rules,N): sensor version N's interpreter objects, plain (cc),
# with ASan (clang) and with ASan and fuzzer coverage (clang), and what links them.
define interp_rules
build/interp/v$(1)/%.o: sensor/interp/%.c
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$$(Q)$$(CC) $$(INTERP_CFLAGS) -DREFSENSOR_VERSION=$(1) -c -o $$@ $$<
build/interp/asan-v$(1)/%.o: sensor/interp/%.c
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$$(Q)$$(FUZZ_CC) $$(INTERP_CFLAGS) $$(INTERP_SAN) -DREFSENSOR_VERSION=$(1) -c -o $$@ $$<
build/interp/fuzz-v$(1)/%.o: sensor/interp/%.c
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$$(Q)$$(FUZZ_CC) $$(INTERP_CFLAGS) -O1 $$(INTERP_SAN) -fsanitize=fuzzer-no-link -DREFSENSOR_VERSION=$(1) -c -o $$@ $$<
build/libinterp-v$(1).a: build/interp/v$(1)/interp.o build/interp/v$(1)/interp-user.o
	@echo "  AR      $$@"
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
build/interp-load-v$(1): build/interp/asan-v$(1)/interp-load.o build/interp/asan-v$(1)/interp.o build/interp/asan-v$(1)/interp-user.o
	@echo "  LD      $$@"
	$$(Q)$$(FUZZ_CC) $$(INTERP_SAN) -o $$@ $$^
build/fuzz-interp-v$(1): build/interp/fuzz-v$(1)/fuzz-interp.o build/interp/fuzz-v$(1)/chanmut.o build/interp/fuzz-v$(1)/interp.o build/interp/fuzz-v$(1)/interp-user.o
	@echo "  LD      $$@"
	$$(Q)$$(FUZZ_CC) $$(INTERP_SAN) -fsanitize=fuzzer -o $$@ $$^
endef
$(foreach v,$(SENSOR_VERSIONS),$(eval $(call interp_rules,$(v))))

$(WINAGENT): sensor/windows/refagent-win.c sensor/windows/refsensor-ioctl.h sensor/windows/build.sh sensor/agentproto/agentproto.c sensor/agentproto/agentproto.h
	@echo "  WINAGENT $@"
	$(Q)mkdir -p $(@D) && sensor/windows/build.sh agent $@

build/sensor/win-v%/refsensor.sys: sensor/windows/refsensor-win.c sensor/windows/refsensor-ioctl.h sensor/windows/build.sh $(INTERP_DEPS)
	@echo "  WINDRV  $@"
	$(Q)mkdir -p $(@D) && sensor/windows/build.sh $* $@

# t-agentproto: the Windows agent's portable protocol half against update.c.
$(O)/tests/t-agentproto.o: CFLAGS += -Isensor/agentproto
$(O)/tests/t-agentproto: $(O)/sensor/agentproto/agentproto.o

# t-interp links version 2 in-process and runs the v1 and v2 loaders.
$(O)/tests/t-interp.o: CFLAGS += -Isensor/interp
$(O)/tests/t-interp: build/libinterp-v2.a build/interp/v2/chanmut.o | build/interp-load-v1 build/interp-load-v2

build/content/%.sys: scenarios/content/%.chan $(O)/chanc
	@mkdir -p $(@D)
	@echo "  CHANC   $@"
	$(Q)$(O)/chanc -o $@ $<

# The reference Linux guest: rebuilt only when its recipe or the kernel changes.
$(IMAGE)/.stamp: images/linux/build.sh images/linux/init /boot/vmlinuz-$(KVER)
	@echo "  IMAGE   $(IMAGE)"
	$(Q)images/linux/build.sh $(KVER) $(IMAGE)
	@touch $@

# A golden Windows image from the user's own ISO (images/windows/build.sh: an
# unattended install under QEMU, hours under TCG; resumable). Never part of all.
WINDOWS_IMAGE ?= build/images/windows/golden.qcow2
windows-image:
	@test -n "$(WINDOWS_ISO)" || { echo "make windows-image: set WINDOWS_ISO=path/to/windows.iso" \
		"[VIRTIO_WIN_ISO=path/to/virtio-win.iso] [WINDOWS_IMAGE=out.qcow2]" >&2; exit 2; }
	@mkdir -p $(dir $(WINDOWS_IMAGE))
	@echo "  WINIMG  $(WINDOWS_IMAGE)"
	$(Q)images/windows/build.sh "$(WINDOWS_ISO)" "$(WINDOWS_IMAGE)" \
		$(if $(VIRTIO_WIN_ISO),--virtio-win "$(VIRTIO_WIN_ISO)")

# Manual pages: every docs/man/NAME.S.scd is build/man/NAME.S (scdoc). bootproof(1)
# lists the subcommands `bootproof help` names and, in SEE ALSO, every page there is.
MAN_SRC := $(sort $(wildcard docs/man/*.scd))
MAN_OUT := $(MAN_SRC:docs/man/%.scd=build/man/%)
$(eval $(call stamp,manpages,$(MAN_SRC)))

man: $(MAN_OUT)

build/man/%: docs/man/%.scd
	@mkdir -p $(@D)
	@echo "  SCDOC   $@"
	$(Q)scdoc <$< >$@

build/man/bootproof.1: docs/man/bootproof.1.scd scripts/man-index.sh $(O)/bootproof $(O)/stamp/manpages
	@mkdir -p $(@D)
	@echo "  SCDOC   $@"
	$(Q)scripts/man-index.sh $(O)/bootproof $(MAN_SRC) <$< >$@.scd
	$(Q)scdoc <$@.scd >$@ && rm -f $@.scd

# Install: PREFIX (default /usr/local), DESTDIR to stage. The installed binary
# looks for its data (the reference guest, sensor, agent and content, in this
# tree's layout, and the demo suite) in PREFIX/share/bootproof: unless this
# build's DATADIR already is that (a package build), install links a binary of
# its own with that DATADIR from objects in build/install. Every installed file
# is listed, relative to PREFIX, in share/bootproof/install-manifest, which
# uninstall reads, so it removes exactly what some install put there.
PREFIX ?= /usr/local
INSTALL ?= install
INSTALL_DATADIR = $(PREFIX)/share/bootproof
MANIFEST = share/bootproof/install-manifest
INSTALL_O := build/install
ifeq ($(abspath $(DATADIR)),$(abspath $(INSTALL_DATADIR)))
INSTALL_BP = $(O)/bootproof
else
INSTALL_BP = $(INSTALL_O)/bootproof
endif
ifneq ($(O),$(INSTALL_O))
# After `all`: the sub-make reads every .d file under build/, which must be whole.
$(INSTALL_O)/bootproof: FORCE | all
	$(Q)$(MAKE) --no-print-directory SANITIZE= O=$(INSTALL_O) DATADIR='$(INSTALL_DATADIR)' $@
endif

# $(call install_to,MODE,DIR,FILES[,NAME]): a command that installs FILES into
# PREFIX/DIR (one file as NAME if given) and records each in the new manifest.
install_to = $(INSTALL) -d '$(DESTDIR)$(PREFIX)/$(2)' && \
	$(INSTALL) -m $(1) $(3) '$(DESTDIR)$(PREFIX)/$(2)/$(4)' && \
	for f in $(if $(4),$(4),$(notdir $(3))); do echo "$(2)/$$f"; done >>'$(DESTDIR)$(PREFIX)/$(MANIFEST).new'
DATA_SENSOR := sensor/agent sensor/build-module.sh sensor/Kbuild sensor/refsensor.c \
	sensor/chanc.c sensor/PROTOCOL.md sensor/FORMAT.md
MAN_SECTIONS = $(sort $(subst .,,$(suffix $(MAN_OUT))))

install: all $(INSTALL_BP)
	@echo "  INSTALL $(DESTDIR)$(PREFIX)"
	$(Q)$(INSTALL) -d '$(DESTDIR)$(INSTALL_DATADIR)' && : >'$(DESTDIR)$(PREFIX)/$(MANIFEST).new'
	$(Q)$(call install_to,755,bin,$(INSTALL_BP) $(O)/chanc)
	$(Q)$(foreach s,$(MAN_SECTIONS),$(call install_to,644,share/man/man$(s),$(filter %.$(s),$(MAN_OUT))) && ) :
	$(Q)$(call install_to,644,share/bash-completion/completions,completions/bootproof.bash,bootproof)
	$(Q)$(call install_to,644,share/zsh/vendor-completions,completions/_bootproof)
	$(Q)$(call install_to,644,share/bootproof/build/images/linux,$(IMAGE_OUT))
	$(Q)$(foreach v,$(SENSOR_VERSIONS),$(call install_to,644,share/bootproof/build/sensor/v$(v),build/sensor/v$(v)/refsensor.ko) && ) :
	$(Q)$(call install_to,644,share/bootproof/build/content,$(CONTENT_BIN))
	$(Q)$(call install_to,644,share/bootproof/sensor,$(filter-out %/agent %.sh,$(DATA_SENSOR)))
	$(Q)$(call install_to,755,share/bootproof/sensor,$(filter %/agent %.sh,$(DATA_SENSOR)))
	$(Q)$(call install_to,644,share/bootproof,scenarios.yaml)
	$(Q)$(call install_to,644,share/bootproof/scenarios/content,$(CONTENT_SRC))
	$(Q)$(call install_to,644,share/doc/bootproof,README.md docs/results-schema.json docs/junit.xsd)
	$(Q)cd '$(DESTDIR)$(PREFIX)' && { cat $(MANIFEST) 2>/dev/null; cat $(MANIFEST).new; } | \
		LC_ALL=C sort -u >$(MANIFEST).tmp && rm -f $(MANIFEST).new && mv -f $(MANIFEST).tmp $(MANIFEST)

uninstall:
	@test -f '$(DESTDIR)$(PREFIX)/$(MANIFEST)' || \
		{ echo "uninstall: no '$(DESTDIR)$(PREFIX)/$(MANIFEST)': nothing installed there" >&2; exit 1; }
	@echo "  UNINST  $(DESTDIR)$(PREFIX)"
	$(Q)cd '$(DESTDIR)$(PREFIX)' && while read -r f; do rm -f "./$$f"; done <$(MANIFEST) && rm -f $(MANIFEST)
	$(Q)for d in share/bootproof share/doc/bootproof; do \
		[ ! -d '$(DESTDIR)$(PREFIX)'/$$d ] || find '$(DESTDIR)$(PREFIX)'/$$d -depth -type d -empty -delete; done

deps:
	@scripts/install-deps.sh

demo: deps
	$(MAKE) all
	$(O)/bootproof run -c scenarios.yaml

# Two at a time, the longest first (measured), so the two cores stay busy to the end.
SLOW_TESTS := tests/e2e-repro.sh tests/e2e-bisect.sh tests/e2e-install.sh tests/e2e-ci-recipes.sh \
	tests/e2e-shards.sh tests/e2e-faults.sh tests/lint.sh tests/e2e-rings.sh \
	tests/e2e-selftest.sh tests/e2e-winimage.sh tests/e2e-windumps.sh \
	tests/e2e-libvirt-pool.sh tests/e2e-libvirt.sh

check: deps
	$(MAKE) all tests fuzzers build/compile_commands.json
	SANITIZE=$(SANITIZE) prove -j2 -v --timer $(SLOW_TESTS) $(filter-out $(SLOW_TESTS),$(UNIT_BIN) tests/fuzz/fuzz.sh $(wildcard tests/e2e-*.sh) tests/lint.sh)

# No guest, no deps step: the loop for every edit (t-snapshot boots the guest,
# t-inject launches a libguestfs appliance). The slowest file first, for -j2.
check-fast:
	$(MAKE) $(O)/bootproof tests
	SANITIZE=$(SANITIZE) prove -j2 tests/e2e-cli.sh $(filter-out %/t-snapshot %/t-inject %/t-windisk,$(UNIT_BIN)) tests/e2e-config.sh

fuzzers: $(FUZZ_BIN)

# clang-tidy reads each file's compile line from build/compile_commands.json:
# the harness and chanc, with the flags this Makefile builds them with (less
# -MMD -MP, which would write dependency files). The tests are not linted yet:
# they have findings of their own to fix first (dead stores, misplaced casts).
LINT_C := $(HARNESS_ALL) sensor/chanc.c
LINT_CFLAGS := $(filter-out -MMD -MP,$(CFLAGS))
build/compile_commands.json: $(MAKEFILE_LIST) FORCE
	@mkdir -p $(@D)
	$(Q)printf '%s\n' $(LINT_C) | scripts/compile-commands.sh '$(CURDIR)' '$(CC) $(LINT_CFLAGS)' >$@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

lint: build/compile_commands.json
	scripts/lint.sh

fuzz: fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/fuzz.sh

bench: deps
	$(MAKE) all tests
	SANITIZE=$(SANITIZE) tests/bench/bench.sh

clean:
	rm -rf build

FORCE:

.PHONY: FORCE all guest man interp windrv windows-image tests fuzzers deps demo check check-fast bench fuzz lint clean install uninstall
.DELETE_ON_ERROR:
# Objects are kept, so a test or fuzzer is not recompiled on every make.
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
