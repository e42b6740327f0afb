# linecap: the two commands of README.md, and the pieces they are built from.
#   make demo   set up the machine, build, run a real 10 s capture, print statistics
#   make test   set up the machine, build, run the whole suite (also under ASan+UBSan)
BUILD      ?= build
ASAN_BUILD ?= build-asan

.PHONY: all setup build build-asan demo test test-fast bench study fuzz install deb clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Db_ndebug=false

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: setup $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

demo: build
	@bash scripts/demo.sh $(BUILD)

# The suite: unit + vdev tests with the release build, then again with
# AddressSanitizer + UBSan. The last line reads "N passed, N failed, N skipped".
test: build build-asan
	@bash tests/run.sh $(BUILD) $(ASAN_BUILD)

test-fast: build
	@bash tests/run.sh $(BUILD)

bench: build
	@bash bench/run.sh $(BUILD)

# The capture study (docs/STUDY.md): engines x paths x traffic, <= 20 min;
# writes results/study.{csv,md} and the charts. Not part of `make test` (its
# smoke version is: tests/vdev/t_study.sh).
study: build
	@bash bench/study.sh $(BUILD)

# libFuzzer on every fuzz target (fuzz/), FUZZ_SECS seconds each (1800);
# `make test` replays the committed corpora.
fuzz: setup
	@bash scripts/fuzz.sh

# meson install of the release build: programs, man pages, the systemd unit,
# the example configuration, the docs (DESTDIR=/some/root honoured)
install: build
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir "$(DESTDIR)")

# the Debian package from the working tree: build-deb/linecap_VERSION_ARCH.deb
deb: setup
	@bash scripts/deb.sh build-deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-deb capture tests/out
