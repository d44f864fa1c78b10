# smeforge — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/smeforge
PKGS    := ./...
STATICCHECK_VERSION := v0.8.2

.PHONY: all build test demo bench bench-closure bench-security fuzz lint deps clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/smeforge

# Peer tools (rpm, dnf, createrepo_c, gnupg, zstd) are installed when missing.
deps:
	@./scripts/install-deps.sh

test: deps
	$(GO) vet -tags integration $(PKGS)
	$(GO) test -tags integration -count=1 $(PKGS)

demo: build deps
	@./scripts/demo.sh

bench: build deps
	@./scripts/bench.sh
	@./scripts/bench-closure.sh

bench-closure: build deps
	@./scripts/bench-closure.sh

bench-security: build
	@./scripts/bench-security.sh

fuzz:
	$(GO) test ./internal/rpm -run '^$$' -fuzz '^FuzzReadHeader$$' -fuzztime $${FUZZTIME:-60s}
	$(GO) test ./internal/rpm -run '^$$' -fuzz '^FuzzVercmp$$' -fuzztime $${FUZZTIME:-30s}
	$(GO) test ./internal/rpm -run '^$$' -fuzz '^FuzzReadDeps$$' -fuzztime $${FUZZTIME:-30s}
	$(GO) test ./internal/check -run '^$$' -fuzz '^FuzzParseRich$$' -fuzztime $${FUZZTIME:-30s}

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet -tags integration $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags integration $(PKGS)

clean:
	rm -rf bin .bench demo
