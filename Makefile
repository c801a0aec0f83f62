# vpp-snmp-agent: build, test, demo, bench, lint, install, deb.
GO        ?= go
BIN       ?= bin
PREFIX    ?= /usr/local
DESTDIR   ?=
STATICCHECK = $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.6.1
# Debian packages the tests and the demo use (net-snmp 5.9.3 and friends;
# lintian checks the package that make deb builds).
APT_PKGS  = snmpd snmp snmptrapd iproute2 systemd lintian
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   = -X main.version=$(VERSION)
# The package's Maintainer (make deb MAINTAINER='Name <address>'). lintian
# wants a real domain: example.org is one (reserved, RFC 2606); a bare
# "invalid" or "localhost" is not.
MAINTAINER ?= vpp-snmp-agent maintainers <maintainers@vpp-snmp-agent.example.org>

.PHONY: all build test test-short chaos demo bench lint install deb deps clean

all: build

# deps installs the Debian packages the tests need when they are missing.
deps:
	@missing=""; \
	command -v snmpd >/dev/null || missing="$$missing snmpd"; \
	command -v snmpwalk >/dev/null || missing="$$missing snmp"; \
	command -v snmptrapd >/dev/null || missing="$$missing snmptrapd"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v lintian >/dev/null || missing="$$missing lintian"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@# agentx and mib know nothing of VPP: only vppapi, statsread and vppsim import govpp.
	@bad=$$($(GO) list -deps ./agentx ./mib ./model ./ifindex ./poller ./ifindexfile ./vppcfg | grep '^go.fd.io/govpp' || true); \
	if [ -n "$$bad" ]; then echo "agentx/mib/model/ifindex/poller must not import govpp:"; echo "$$bad"; exit 1; fi

# test: lint, then every package's tests (unit, fuzz seeds, end to end with the
# real snmpd and vppsim), with the race detector.
test: deps lint
	$(GO) test -race -count=1 -timeout 15m ./...

# chaos: the chaos test's longer profile: storms, every vppsim fault, VPP
# and snmpd killed, CHAOS_ROUNDS times over (make test runs it once).
CHAOS_ROUNDS ?= 5
chaos: deps
	CHAOS_ROUNDS=$(CHAOS_ROUNDS) $(GO) test -count=1 -timeout 30m -run '^TestChaos$$' -v ./e2e

test-short: deps
	$(GO) test -short -count=1 ./...

demo: deps build
	./scripts/demo.sh

bench: deps build
	./scripts/bench.sh

install: build
	./packaging/install.sh

# deb builds its own binary, static and stripped (bin/deb/), and the .deb in dist/.
deb:
	MAINTAINER='$(MAINTAINER)' ./packaging/deb.sh

clean:
	rm -rf $(BIN) dist
