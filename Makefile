# opensbd -- one non-recursive Makefile.
#
#   make            build libsbd, sbdctl (warnings are errors)
#   make test       install missing packages, build, run every suite
#   make run        the main job: a demo cluster in ./var
#   make asan       unit and CLI suites under ASan+UBSan (separate build dir)
#   make fuzz       build the libFuzzer targets (clang)
#   make fuzz-run   run each fuzz target for FUZZ_SECONDS (default 60)
#   make bench      build and run the benchmarks
#   make lint       cppcheck, clang-tidy, clang-format --dry-run

B       ?= build
CC      ?= cc
PKGS    := libssl libcrypto libxml-2.0 sqlite3 libevent libevent_openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -std=c17 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	   -Wmissing-prototypes -Wvla -Wimplicit-fallthrough -Werror
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT     ?= -O2 -g
CFLAGS  ?= $(OPT)
ALL_CFLAGS := $(WARN) $(CFLAGS) -D_GNU_SOURCE -Iinclude -Isrc $(PKG_CFLAGS)
ifeq ($(SAN),)
ALL_CFLAGS += $(HARDEN)
LDHARDEN := -pie -Wl,-z,relro,-z,now
else
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined
LDHARDEN := -fsanitize=address,undefined
endif
LDLIBS  := $(PKG_LIBS)
# SFTP (file get tftp, utils itl reset remotekey): sbdctl only.
SSH_CFLAGS := $(shell pkg-config --cflags libssh 2>/dev/null)
SSH_LIBS   := $(shell pkg-config --libs libssh 2>/dev/null)

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
LIBSBD   := $(B)/libsbd.a

CTL_SRC  := $(wildcard src/sbdctl/*.c)
CTL_OBJ  := $(CTL_SRC:%.c=$(B)/%.o)
SBDCTL   := $(B)/bin/sbdctl

# Client-side networking shared by sbdctl, sbdphone, bench and itests.
NET_SRC  := $(wildcard src/net/*.c)
NET_OBJ  := $(NET_SRC:%.c=$(B)/%.o)
LIBNET   := $(B)/libsbdnet.a

PHONE_SRC := $(wildcard src/sbdphone/*.c)
PHONE_OBJ := $(PHONE_SRC:%.c=$(B)/%.o)
SBDPHONE := $(B)/bin/sbdphone

SBDD_SRC := $(wildcard src/sbdd/*.c)
SBDD_OBJ := $(SBDD_SRC:%.c=$(B)/%.o)
SBDD     := $(B)/bin/sbdd

# Integration tests written in C (raw packets) link libsbd only.
ITEST_SRC := $(wildcard tests/integration/*.c)
ITEST_BIN := $(ITEST_SRC:tests/integration/%.c=$(B)/itests/%)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TEST_HELPER_SRC := $(wildcard tests/unit/helper_*.c)
TEST_HELPER_OBJ := $(TEST_HELPER_SRC:%.c=$(B)/%.o)

FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:fuzz/%.c=%)
REPLAY_BIN := $(FUZZ_NAMES:%=$(B)/replay/%)
FUZZ_BIN := $(FUZZ_NAMES:%=build-fuzz/%)

BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

.SECONDARY:
.PHONY: all deps test check unit cli integration replay run asan fuzz fuzz-run bench lint \
	clean distclean
all: $(SBDCTL) $(SBDD) $(SBDPHONE)

deps:
	@sh scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/src/sbdctl/%.o: ALL_CFLAGS += $(SSH_CFLAGS)

$(LIBSBD): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBNET): $(NET_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SBDCTL): $(CTL_OBJ) $(LIBNET) $(LIBSBD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $(CTL_OBJ) $(LIBNET) $(LIBSBD) \
	    $(LDLIBS) $(SSH_LIBS)

$(SBDPHONE): $(PHONE_OBJ) $(LIBNET) $(LIBSBD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $(PHONE_OBJ) $(LIBNET) \
	    $(LIBSBD) $(LDLIBS) -lpthread

$(SBDD): $(SBDD_OBJ) $(LIBSBD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $(SBDD_OBJ) $(LIBSBD) $(LDLIBS)

$(B)/itests/%: tests/integration/%.c $(LIBNET) $(LIBSBD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $(LDHARDEN) -o $@ $< $(LIBNET) $(LIBSBD) \
	    $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(TEST_HELPER_OBJ) $(LIBSBD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $(LDHARDEN) -o $@ $< $(TEST_HELPER_OBJ) \
	    $(LIBSBD) $(LDLIBS) -lcmocka

# Fuzz corpora are replayed by an ordinary driver, built with the normal
# compiler, so `make test` needs no libFuzzer.
$(B)/replay/%: fuzz/%.c fuzz/replay.c $(wildcard fuzz/*.h) $(LIBSBD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $< fuzz/replay.c $(LIBSBD) $(LDLIBS)

$(B)/bench/%: bench/%.c $(LIBNET) $(LIBSBD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $< $(LIBNET) $(LIBSBD) \
	    $(LDLIBS) -lpthread

# ---- suites ---------------------------------------------------------------

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

cli: $(SBDCTL)
	@SBDCTL=$(abspath $(SBDCTL)) sh tests/cli/run.sh

integration: $(SBDCTL) $(SBDD) $(SBDPHONE) $(ITEST_BIN)
	@SBDCTL=$(abspath $(SBDCTL)) SBDD=$(abspath $(SBDD)) \
	    SBDPHONE=$(abspath $(SBDPHONE)) \
	    ITESTS=$(abspath $(B))/itests sh tests/integration/run.sh

scenarios: $(SBDCTL) $(SBDD) $(SBDPHONE)
	@SBDCTL=$(abspath $(SBDCTL)) SBDD=$(abspath $(SBDD)) \
	    SBDPHONE=$(abspath $(SBDPHONE)) sh tests/scenarios/run.sh

replay: $(REPLAY_BIN)
	@sh tests/run-replay.sh $(REPLAY_BIN)

# Run every suite even if one fails, then print the overall closing line.
check:
	@mkdir -p $(B); rm -f $(B)/results.txt
	@st=0; RESULTS=$(abspath $(B))/results.txt; export RESULTS; \
	for s in unit cli integration scenarios replay; do \
		$(MAKE) --no-print-directory $$s || st=1; \
	done; \
	awk '{p += $$1; f += $$2} END {printf "%d passed, %d failed\n", p, f}' \
	    $$RESULTS; exit $$st

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check

run: deps
	@$(MAKE) --no-print-directory all
	@SBDCTL=$(abspath $(SBDCTL)) SBDD=$(abspath $(SBDD)) \
	    SBDPHONE=$(abspath $(SBDPHONE)) sh scripts/run.sh

asan: deps
	@$(MAKE) --no-print-directory B=build-asan SAN=1 OPT="-O1 -g" check

# ---- fuzzing (clang + libFuzzer) ------------------------------------------

FUZZ_CFLAGS := -std=c17 -g -O1 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
build-fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(LDLIBS)

fuzz: deps $(FUZZ_BIN)

FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	@sh tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# ---- benchmarks --------------------------------------------------------------

bench: deps all $(BENCH_BIN)
	@echo "== $(B)/bench/sign_bench"; $(B)/bench/sign_bench
	@SBDCTL=$(abspath $(SBDCTL)) SBDD=$(abspath $(SBDD)) \
	    BENCH=$(abspath $(B))/bench sh bench/tftp_bench.sh
	@SBDCTL=$(abspath $(SBDCTL)) SBDD=$(abspath $(SBDD)) \
	    SBDPHONE=$(abspath $(SBDPHONE)) BENCH=$(abspath $(B))/bench \
	    sh bench/tvs_bench.sh

# ---- lint ------------------------------------------------------------------

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --std=c11 -Iinclude -Isrc lib src
	clang-tidy --quiet $(LIB_SRC) $(CTL_SRC) $(SBDD_SRC) $(NET_SRC) \
	    $(PHONE_SRC) -- $(ALL_CFLAGS)
	@# Advisory: clang-format cannot express all of KNF (style(9)), so
	@# its differences are listed, not fatal.
	-clang-format --dry-run $(LIB_SRC) $(CTL_SRC) include/sbd/*.h 2>&1 | \
	    grep -c 'warning:' | sed 's/^/clang-format differences: /'

clean:
	rm -rf build build-asan build-fuzz

distclean: clean
	rm -rf var

-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)
