# Build, test and run the ledger node. `make test` is what CI runs.
GO       ?= go
BIN      := bin
PKGS     := ./...
# Packages with goroutines of their own, run under the race detector in `make test`.
RACE_PKGS := ./blocksync/... ./node/... ./chain/... ./mempool/... ./miner/... ./p2p/... ./rpc/... ./spv/... ./wallet/... ./events/... ./stratum/... ./explorer/... ./cmd/bench/... ./cmd/miner/...
LEDGER_HOME ?= $(HOME)/.ledger
DATADIR  ?= $(LEDGER_HOME)/testnet
# Version and commit, stamped into both binaries (`node --version`).
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X github.com/ledgerd/ledger/internal/version.Version=$(VERSION) -X github.com/ledgerd/ledger/internal/version.Commit=$(COMMIT)
NODES    ?= 3

.PHONY: all build test test-unit test-race e2e vet fmt run testnet testnet-status testnet-stop testnet-wipe bench fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/node ./cmd/node
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/wallet ./cmd/wallet
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/miner ./cmd/miner

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1)

test-unit:
	$(GO) test -count=1 -timeout 12m $(PKGS)

test-race:
	$(GO) test -count=1 -race -timeout 12m $(RACE_PKGS)

# What CI runs: vet and format, the unit and end-to-end tests, then the race detector on concurrent packages.
test: vet test-unit test-race

# Runs one mining node on testnet with embedded storage in $(DATADIR), the node's default data
# directory (so `bin/node status` finds it); mines to a wallet kept there (miner-wallet.dat).
run: build
	@scripts/run-node.sh "$(DATADIR)"

testnet: build
	@scripts/testnet.sh start $(NODES)

testnet-status:
	@scripts/testnet.sh status

testnet-stop:
	@scripts/testnet.sh stop

testnet-wipe:
	@scripts/testnet.sh wipe

# Benchmarks: Go benchmarks of the hot paths plus the runner that prints figures.
# ./e2e/ includes SyncAtHeight: node processes syncing 2,000 blocks over p2p at heights
# 2,000 and 200,000 (builds a 200,000-block regtest chain first, ~20 CPU-seconds).
bench:
	$(GO) test -run '^$$' -bench . -count 1 ./merkle/ ./pow/ ./miner/hashcore/ ./blockfilter/ ./stratum/
	$(GO) test -run '^$$' -bench . -benchtime 2000x -count 1 ./mempool/
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./spv/ ./e2e/
	$(GO) test -run '^$$' -bench ConnectAtHeight -benchtime 1x -count 1 ./chain/
	$(GO) test -run '^$$' -bench CacheApply -count 1 ./chain/
	$(GO) test -run '^$$' -bench Pages -benchtime 50x -count 1 ./explorer/
	$(GO) run ./cmd/bench

# Runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 20s
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf $(BIN)
