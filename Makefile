# The two commands of the README's quick start are `make run` and `make test`; each installs what is
# missing first. Everything is built through CMake presets (CMakePresets.json).
SHELL := /bin/bash
JOBS ?= $(shell nproc)
CONFIG ?= conf/config.json
FUZZ_SECONDS ?= 30

.PHONY: all deps build run test test-asan fuzz bench format tidy clean lambda-zip

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

run: build
	@BEDROCK_MCP_BINARY=build/release/bin/bedrock-mcp scripts/run-local $(CONFIG)

test: build
	ctest --preset release

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

fuzz:
	@scripts/install-deps --fuzz
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@scripts/run-fuzzers build/fuzz $(FUZZ_SECONDS)

bench:
	@scripts/install-deps --bench
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@scripts/run-benchmarks build/release

# The Bedrock Agents bridge as a Lambda custom-runtime zip for provided.al2023
# (docs/agents-bridge.md): a release build with libstdc++/libgcc linked statically, plus the
# shared libraries the runtime lacks. LAMBDA_CONFIG is the mcpServers file it carries.
LAMBDA_CONFIG ?= conf/agents-lambda.json
lambda-zip: deps
	@cmake --preset release -B build/lambda -DBEDROCK_BUILD_TESTS=OFF -DBEDROCK_BUILD_BENCH=OFF \
	  -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
	@cmake --build build/lambda -j $(JOBS) --target bedrock-mcp
	@scripts/package-lambda build/lambda/bin/bedrock-mcp $(LAMBDA_CONFIG) build/lambda/bedrock-mcp-agents-lambda.zip

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

tidy: build
	@git ls-files 'src/*.cc' | xargs clang-tidy -p build/release --quiet

clean:
	rm -rf build
