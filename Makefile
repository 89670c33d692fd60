# A thin wrapper over Meson so the README's two commands stay short.
BUILD ?= build

.PHONY: all deps build test quickstart format format-check bench clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The whole suite: unit, CLI and integration tests, the sanitizer build,
# and the formatting check.
test: deps
	./scripts/test.sh

# Builds, creates the SQLite database, imports the bundled sample and
# prints today's daily report.
quickstart: build
	./scripts/quickstart.sh

format: $(BUILD)/build.ninja
	ninja -C $(BUILD) format

format-check: $(BUILD)/build.ninja
	ninja -C $(BUILD) format-check

bench: build
	./bench/run.sh

clean:
	rm -rf $(BUILD) build-asan
