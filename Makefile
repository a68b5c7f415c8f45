# Thin wrapper over meson: `make demo` and `make check` work on a fresh
# Debian 12 machine (they install what they need with apt-get first).

BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build demo check check-asan bench clean

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/build.ninja:
	@./scripts/deps.sh
	meson setup $(BUILD) $(MESON_OPTS)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	./scripts/demo.sh $(BUILD)

# Every test; the last line is the summary "check: N passed, N failed, N skipped".
check: build
	./scripts/check.sh $(BUILD)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer; any
# report fails the test that made it.
check-asan: export UBSAN_OPTIONS = halt_on_error=1:print_stacktrace=1
check-asan:
	$(MAKE) check BUILD=build-asan MESON_OPTS="-Db_sanitize=address,undefined -Db_lundef=false"

bench: build
	./bench/iface-scale $(BUILD)

clean:
	rm -rf build build-asan
