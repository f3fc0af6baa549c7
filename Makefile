# Entry points: make build | demo | cluster-demo | test | fuzz | bench | format | clean
#   make lunatic-rs-suite LUNATIC_RS=<checkout of lunatic-rs 0.14>   (docs/lunatic-rs-suite.md)
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

FUZZ_SECONDS ?= 600

.PHONY: deps build demo cluster-demo test test-asan fuzz bench lunatic-rs-suite format format-check clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

# etcd and three nodes on this machine, and an example spread over them (docs/distribution.md).
cluster-demo: build
	@bash scripts/cluster.sh $(BUILD)

# Not under ASan: whether freed memory goes back to the OS is the allocator's doing, and ASan's
# allocator keeps it (quarantine). Timing tests (HostileGuestTiming) do not run there either.
ASAN_SKIPS = HostileGuest.AKilledProcessesFloodedMailboxIsGivenBackToTheSystem

test: format-check build test-asan
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@echo "HostileGuest tests against the runtime built with ASan and UBSan:"
	@LUNATIC_TEST_BIN=$(abspath $(ASAN_BUILD))/lunatic $(BUILD)/tests/cli/cli_tests --gtest_brief=1 \
		--gtest_filter='HostileGuest.*:-$(ASAN_SKIPS)'

# The runtime's own unit tests and the cluster layer's tests (transport, TLS, membership on
# etcd, control) under ASan and UBSan, built with clang (guests are built once, by the main
# build) at -O0 with line tables (what ASan's reports need), and in the same build the fuzz
# targets, each fuzzing for 30 s
# (docs/fuzzing.md), and the `lunatic` that `test` runs the hostile-guest tests against. Generated code is compiled by clang there too.
# A sanitizer build left from gcc is started afresh: CMake would configure it once more with
# gcc before it notices the change of compiler.
ASAN_CONFIGURE = { grep -qs '^CMAKE_CXX_COMPILER:.*clang' $(ASAN_BUILD)/CMakeCache.txt || rm -rf $(ASAN_BUILD); } && \
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG=-gline-tables-only \
	-DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only \
	-DLUNATIC_SANITIZE=ON -DLUNATIC_FUZZ=ON -DLUNATIC_BUILD_GUESTS=OFF -DLUNATIC_UNITY=OFF >/dev/null
test-asan: deps
	@$(ASAN_CONFIGURE)
	@cmake --build $(ASAN_BUILD) -j $(JOBS) --target unit_tests cluster_tests fuzz_targets lunatic
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L cluster
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L fuzz

# The fuzz targets for FUZZ_SECONDS each; the corpora grow in $(ASAN_BUILD)/tests/fuzz/corpus.
fuzz: deps
	@$(ASAN_CONFIGURE)
	@cmake --build $(ASAN_BUILD) -j $(JOBS) --target fuzz_targets
	@cd $(ASAN_BUILD) && LUNATIC_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --output-on-failure -V -L fuzz

bench: build
	@LUNATIC_BENCH_DEPS=1 bash scripts/install-deps.sh
	@bash bench/run.sh $(BUILD)

lunatic-rs-suite: build
	@test -n "$(LUNATIC_RS)" || { echo "usage: make lunatic-rs-suite LUNATIC_RS=<lunatic-rs checkout>"; exit 2; }
	@bash scripts/lunatic-rs-suite.sh --lunatic $(BUILD)/lunatic $(LUNATIC_RS)

# Every C and C++ source of ours, formatted by .clang-format (Debian 12's clang-format 14).
FORMATTED = find src tests bench sdk examples \( -name '*.[ch]pp' -o -name '*.[ch]' \) -print0

format:
	@$(FORMATTED) | xargs -0 clang-format -i

format-check: deps
	@$(FORMATTED) | xargs -0 clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
