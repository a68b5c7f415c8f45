# Thin wrapper over meson: `make demo` and `make check` work on a fresh
# Debian 12 machine (they install what they need with apt-get first).

BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build demo check check-asan fuzz bench deb clean

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

# The libFuzzer targets (fuzz/, clang, build-fuzz), FUZZ_SECONDS each on a
# copy of their corpus; fails on any crash (docs/testing-fuzz.md).
FUZZ_SECONDS ?= 30
fuzz:
	./scripts/fuzz.sh $(FUZZ_SECONDS)

# Sizes from the environment or the command line (IFACE_N=1000 make bench):
# iface-scale's N configured bridges, live-scale's N live bridges (needs root;
# the full 1000 takes minutes, mostly the kernel deleting links).  bench/load
# fails the target if kvmnetd's RSS or fd count grows under load.
IFACE_N ?= 10000
LIVE_N ?= 1000
bench: build
	./bench/iface-scale $(BUILD) $(IFACE_N)
	@if [ "$$(id -u)" = 0 ]; then $(BUILD)/bench/live-scale -n $(LIVE_N) && \
		./bench/hotplug --build $(BUILD) && ./bench/bridge-outage --build $(BUILD) && \
		./bench/vnet --build $(BUILD) && ./bench/vnet-lease --build $(BUILD) && \
		./bench/load --build $(BUILD); \
	else echo "live-scale, hotplug, bridge-outage, vnet, vnet-lease, load: skipped (need root: private network namespaces)"; fi

# Debian packages (dpkg-buildpackage in a copy of the tree, then lintian)
# into ./deb.
deb: deps
	./scripts/deb.sh deb

clean:
	rm -rf build build-asan build-fuzz deb
