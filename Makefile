# Entry points: make build | demo | test | bench | format | clean
#   make lunatic-rs-suite LUNATIC_RS=<checkout of lunatic-rs 0.14>   (docs/lunatic-rs-suite.md)
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: deps build demo test test-asan bench lunatic-rs-suite format clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

test: build test-asan
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The runtime's own unit tests under ASan and UBSan (guests are built once, by the main build).
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLUNATIC_SANITIZE=ON -DLUNATIC_BUILD_GUESTS=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) --target unit_tests
	@cd $(ASAN_BUILD) && ctest --output-on-failure -L unit

bench: build
	@LUNATIC_BENCH_DEPS=1 bash scripts/install-deps.sh
	@bash bench/run.sh $(BUILD)

lunatic-rs-suite: build
	@test -n "$(LUNATIC_RS)" || { echo "usage: make lunatic-rs-suite LUNATIC_RS=<lunatic-rs checkout>"; exit 2; }
	@bash scripts/lunatic-rs-suite.sh --lunatic $(BUILD)/lunatic $(LUNATIC_RS)

format:
	@find src tests bench sdk examples -name '*.[ch]pp' -o -name '*.[ch]' 2>/dev/null | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
