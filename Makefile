# fedc — one GNU Makefile for the library, the command-line tool, tests, benchmarks and install.
#
#   make                       build/libfedc.a, build/libfedc.so, build/fedc
#   make check                 build and run every test (tests: N passed, N failed, N skipped)
#   make SAN=address,undefined check    sanitizer builds (objects under build/san-.../)
#   make SAN=thread check
#   make BLAS=none             no BLAS dependency (own blocked kernels), under build/noblas/
#   make KERNELS=ref check     the reference kernels behind the public API, under build/ref/
#   make bench                 build the programs in bench/
#   make examples              build the programs in examples/
#   make install PREFIX=/usr/local DESTDIR=
#   make format                clang-format every C file
#   make check-layers          fail when a file includes a header of a higher layer
#
# Variables: CC, CFLAGS_EXTRA, WERROR=1 (CI), TEST_ARGS (passed to the test runner).

CC       ?= cc
BLAS     ?= openblas
KERNELS  ?= opt
SAN      ?=
WERROR   ?= 0
PREFIX   ?= /usr/local
DESTDIR  ?=
TEST_ARGS ?=

VERSION := $(shell sed -n 's/^\#define FEDC_VERSION_STRING "\(.*\)"/\1/p' include/fedc/base.h)

# Each variant gets its own object tree so switching never mixes objects.
comma := ,
BUILD ?= build$(if $(SAN),/san-$(subst $(comma),-,$(SAN)))$(if $(filter none,$(BLAS)),/noblas)$(if $(filter ref,$(KERNELS)),/ref)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif

# -ffp-contract=off everywhere in the library: a fused multiply-add changes rounding, and results
# must not depend on what the compiler chose to fuse. Never -ffast-math.
CPPFLAGS := -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS   := -std=c11 -O2 -g -fPIC -ffp-contract=off -fno-strict-aliasing -pthread $(WARN) $(CFLAGS_EXTRA)
LDFLAGS  := -pthread
LDLIBS   := -lsqlite3 -llzma -lm

ifneq ($(SAN),)
CFLAGS  += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

ifeq ($(KERNELS),ref)
CPPFLAGS += -DFEDC_KERNELS_REF
endif

ifeq ($(BLAS),openblas)
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
# Without OpenBLAS's headers the build would stop deep inside the kernels; say why up front
# (for goals that compile: not for clean, format, check-layers or uninstall).
COMPILES := $(if $(MAKECMDGOALS),$(filter-out clean format check-layers uninstall,$(MAKECMDGOALS)),all)
ifneq ($(COMPILES),)
ifeq ($(shell pkg-config --exists openblas 2>/dev/null && echo yes),)
CBLAS_PROBE := \#include <cblas.h>
ifeq ($(shell echo '$(CBLAS_PROBE)' | $(CC) -E -x c - >/dev/null 2>&1 && echo yes),)
$(error OpenBLAS's headers were not found: run scripts/install-deps.sh (Debian: libopenblas-dev), or build without BLAS: make BLAS=none)
endif
endif
endif
BLAS_LIBS   := $(or $(shell pkg-config --libs openblas 2>/dev/null),-lopenblas)
CPPFLAGS    += -DFEDC_HAVE_OPENBLAS $(BLAS_CFLAGS)
LDLIBS      := $(BLAS_LIBS) $(LDLIBS)
PC_LIBS_PRIVATE := $(BLAS_LIBS)
PC_REQUIRES_PRIVATE := openblas
else ifeq ($(BLAS),none)
PC_LIBS_PRIVATE :=
PC_REQUIRES_PRIVATE :=
else
$(error BLAS must be openblas or none, not '$(BLAS)')
endif

LIB_SRC   := $(sort $(shell find src -name '*.c'))
TOOL_SRC  := $(sort $(wildcard tools/fedc/*.c))
TEST_SRC  := $(sort $(shell find tests -name '*.c' -not -path 'tests/fuzz/*'))
BENCH_SRC := $(sort $(wildcard bench/*.c))
EX_SRC    := $(sort $(wildcard examples/*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_OBJ  := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ  := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
EX_BIN    := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

STATIC_LIB := $(BUILD)/libfedc.a
SHARED_LIB := $(BUILD)/libfedc.so
TOOL_BIN   := $(BUILD)/fedc
TEST_BIN   := $(BUILD)/run_tests

.PHONY: all check bench examples fuzz-replay fuzz install uninstall format check-layers clean
all: $(STATIC_LIB) $(SHARED_LIB) $(TOOL_BIN)

# The optimized kernels get -O3 (vectorization); the reference kernels stay at -O2. So do the
# Winograd tile transforms, whose loops over channels -O2 leaves scalar.
$(BUILD)/obj/src/tensor/kernels/opt/%.o: CFLAGS += -O3
$(BUILD)/obj/src/nn/conv_winograd.o: CFLAGS += -O3

$(TEST_OBJ): CPPFLAGS += -Itests

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libfedc.so.$(firstword $(subst ., ,$(VERSION))) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(TOOL_BIN): $(TOOL_OBJ) $(STATIC_LIB)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(STATIC_LIB) $(LDLIBS)

$(TEST_BIN): $(TEST_OBJ) $(STATIC_LIB)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(STATIC_LIB) $(LDLIBS)

check: $(TEST_BIN) $(TOOL_BIN)
	FEDC_TOOL=$(TOOL_BIN) $(TEST_BIN) $(TEST_ARGS)

$(BUILD)/bench/%: bench/%.c $(wildcard bench/*.h) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O3 -o $@ $< $(STATIC_LIB) $(LDFLAGS) $(LDLIBS)

bench: $(BENCH_BIN)

$(BUILD)/examples/%: examples/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(STATIC_LIB) $(LDFLAGS) $(LDLIBS)

examples: $(EX_BIN)

# Fuzz targets: tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput; its corpus is
# tests/fuzz/corpus/NAME/. `make fuzz-replay` (any compiler; CI uses it under the sanitizers) runs
# each target over its corpus; `make fuzz CC=clang FUZZ=NAME` runs libFuzzer for 60 s.
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< tests/fuzz/replay.c $(STATIC_LIB) $(LDFLAGS) $(LDLIBS)

fuzz-replay: $(FUZZ_BIN)
	@for t in $(FUZZ_BIN); do name=$$(basename $$t); name=$${name#fuzz_}; \
	    $$t tests/fuzz/corpus/$$name || exit 1; done

fuzz: $(STATIC_LIB)
	@test -n "$(FUZZ)" || { echo "usage: make fuzz CC=clang FUZZ=NAME"; exit 2; }
	@mkdir -p $(BUILD)/fuzz/libfuzzer /tmp/fedc-fuzz-$(FUZZ)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $(BUILD)/fuzz/libfuzzer/$(FUZZ) tests/fuzz/fuzz_$(FUZZ).c $(STATIC_LIB) $(LDFLAGS) $(LDLIBS)
	$(BUILD)/fuzz/libfuzzer/$(FUZZ) -max_total_time=60 /tmp/fedc-fuzz-$(FUZZ) tests/fuzz/corpus/$(FUZZ)

# fedc.pc is written at install time, so it always names the PREFIX being installed to.
install: all
	install -d $(DESTDIR)$(PREFIX)/include/fedc $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/fedc/*.h $(DESTDIR)$(PREFIX)/include/fedc/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/libfedc.so.$(VERSION)
	ln -sf libfedc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libfedc.so.$(firstword $(subst ., ,$(VERSION)))
	ln -sf libfedc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libfedc.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@LIBS_PRIVATE@|$(PC_LIBS_PRIVATE) -lsqlite3 -llzma -lm -pthread|g' \
	    -e 's|@REQUIRES_PRIVATE@|$(PC_REQUIRES_PRIVATE) sqlite3 liblzma|g' fedc.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/fedc.pc
	install -m 755 $(TOOL_BIN) $(DESTDIR)$(PREFIX)/bin/fedc

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/fedc
	rm -f $(DESTDIR)$(PREFIX)/lib/libfedc.a $(DESTDIR)$(PREFIX)/lib/libfedc.so*
	rm -f $(DESTDIR)$(PREFIX)/lib/pkgconfig/fedc.pc $(DESTDIR)$(PREFIX)/bin/fedc

format:
	clang-format -i $$(find include src tools tests bench examples -name '*.[ch]')

check-layers:
	sh scripts/check-layers.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
