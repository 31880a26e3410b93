# bootproof - one non-recursive Makefile.
#
#   make            build the harness, the sensor, the content and the reference guest
#   make demo       install what is missing, build, run the demo suite (scenarios.yaml)
#   make check      install what is missing, build, run every test under prove
#   make check-fast the unit and configuration tests: no guest, seconds
#   make bench      the speed benchmark (see tests/bench.sh)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each (default 60; see tests/fuzz/)
#   make SANITIZE=address,undefined check   the same with sanitizers (objects in build/san)
#   make V=1        show full commands

CC ?= cc
PKGS := yaml-0.1 jansson libguestfs sqlite3
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# The harness's folders are its architecture (harness/README.md); headers are
# included by name, so each folder is on the include path.
HARNESS_ALL := $(sort $(wildcard harness/*/*.c harness/*/*/*.c))
HARNESS_INC := $(addprefix -I,$(sort $(patsubst %/,%,$(dir $(HARNESS_ALL)))))

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -MMD -MP $(HARNESS_INC) -Itests $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS)

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

# The guest kernel: Debian's linux-image-amd64, matched with its headers.
KVER := $(shell scripts/guest-kver.sh 2>/dev/null)

HARNESS_SRC := $(filter-out harness/cmd/bootproof.c,$(HARNESS_ALL))
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(O)/%.o)
UNIT_SRC := $(wildcard tests/t-*.c)
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(O)/tests/%)
TEST_LIB_OBJ := $(O)/tests/fakeqmp.o

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
CONTENT_SRC := $(wildcard scenarios/content/*.chan)
CONTENT_BIN := $(CONTENT_SRC:scenarios/content/%.chan=build/content/%.sys)
IMAGE := build/images/linux
IMAGE_OUT := $(IMAGE)/vmlinux $(IMAGE)/initrd.img $(IMAGE)/system.qcow2

all: $(O)/bootproof $(O)/chanc guest
guest: $(SENSOR_KO) $(CONTENT_BIN) $(IMAGE)/.stamp
tests: $(UNIT_BIN) $(O)/tests/bench/floor $(O)/tests/bench/clone

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

build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# The reference sensor, one kernel module per version, built against the guest kernel.
build/sensor/v%/refsensor.ko: sensor/refsensor.c sensor/Kbuild sensor/build-module.sh
	@echo "  KMOD    $@"
	$(Q)sensor/build-module.sh $* $(KVER) build/sensor/v$*

build/content/%.sys: scenarios/content/%.chan $(O)/chanc
	@mkdir -p $(@D)
	@echo "  CHANC   $@"
	$(Q)$(O)/chanc -o $@ $<

# The reference Linux guest: rebuilt only when its recipe or the kernel changes.
$(IMAGE)/.stamp: images/linux/build.sh images/linux/init /boot/vmlinuz-$(KVER)
	@echo "  IMAGE   $(IMAGE)"
	$(Q)images/linux/build.sh $(KVER) $(IMAGE)
	@touch $@

deps:
	@scripts/install-deps.sh

demo: deps
	$(MAKE) all
	$(O)/bootproof run -c scenarios.yaml

check: deps
	$(MAKE) all tests fuzzers
	SANITIZE=$(SANITIZE) prove -v $(UNIT_BIN) tests/fuzz/fuzz.sh tests/e2e-*.sh

# No guest, no deps step: the loop for every edit (t-snapshot boots the guest,
# t-inject launches a libguestfs appliance). The slowest file first, for -j2.
check-fast:
	$(MAKE) $(O)/bootproof tests
	SANITIZE=$(SANITIZE) prove -j2 tests/e2e-cli.sh $(filter-out %/t-snapshot %/t-inject %/t-windisk,$(UNIT_BIN)) tests/e2e-config.sh

fuzzers: $(FUZZ_BIN)

fuzz: fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/fuzz.sh

bench: deps
	$(MAKE) all tests
	SANITIZE=$(SANITIZE) tests/bench/bench.sh

clean:
	rm -rf build

FORCE:

.PHONY: FORCE all guest tests fuzzers deps demo check check-fast bench fuzz clean
.DELETE_ON_ERROR:
# Objects are kept, so a test or fuzzer is not recompiled on every make.
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
