# ConcatSeq: the two Quick start commands (`make demo`, `make test`) and what they need.
# Everything real happens in CMake and ctest; this file only bootstraps packages and calls them.

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= 2
DEMO_DIR   ?= demo-out
INPUT      ?=

# Debian packages: build, run and test. Nothing is downloaded from anywhere else.
PACKAGES = gcc g++ make cmake pkg-config \
  libfftw3-dev libsndfile1-dev libsamplerate0-dev libsoxr-dev libcjson-dev \
  supercollider-server supercollider-language supercollider-dev sc3-plugins jackd2 \
  python3 python3-numpy python3-sklearn python3-torch \
  clang clang-format libclang-rt-14-dev sox \
  hydrogen-drumkits lincity-ng-data pushover-data libghc-tidal-dev

.PHONY: demo test deps build build-asan unit-asan fuzz clean

# Install the missing packages as root (or with sudo); elsewhere print exactly what is missing.
deps:
	@missing=""; \
	if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "deps: this is not a Debian/Ubuntu system; install the equivalents of: $(PACKAGES)"; exit 1; fi; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages are installed"; exit 0; fi; \
	echo "deps: missing Debian packages:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else echo "deps: run as root or with sudo:  apt-get install$$missing"; exit 1; fi; \
	$$SUDO apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing || \
	  { echo "deps: apt-get install failed for:$$missing"; exit 1; }

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

# The C unit tests again with AddressSanitizer and UndefinedBehaviorSanitizer, and the random Buffer writes into
# playing UGens (sc_concatplay_bset) with the ASan-built plugins in scsynth.
build-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCONCATSEQ_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j$(JOBS)

unit-asan: build-asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j$(JOBS) -L unit
	cd $(BUILD_ASAN) && ctest --output-on-failure -R '^sc_concatplay_bset$$'

# Quick start 1: the main job.
# Quick start 1, the main job: analyse SuperCollider's a11wlk01.wav (or INPUT=path), train, evaluate, render
# 30 s in NRT through the sclang classes, draw the corpus and the timeline (corpus-tools/demo/demo.sh).
demo: build
	@bash corpus-tools/demo/demo.sh "$(BUILD)" "$(DEMO_DIR)" "$(INPUT)"

# The fuzzers of tests/fuzz (model parser, unit table, manifest, model JSON) under libFuzzer (clang, ASan,
# UBSan), FUZZ_SECONDS in all, split evenly between them.
FUZZ_SECONDS ?= 60
fuzz: deps
	rm -rf $(BUILD)/fuzz && bash tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS) $(BUILD)/fuzz

# Quick start 2: every test.
test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	$(MAKE) --no-print-directory unit-asan
	$(MAKE) --no-print-directory fuzz

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(DEMO_DIR)
