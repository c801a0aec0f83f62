#!/bin/sh
# deb.sh: build the Debian package dist/vpp-snmp-agent_VERSION-1_ARCH.deb
# (make deb) with nfpm, from packaging/nfpm.yaml.
#
#   BINARY      the agent binary (default bin/vpp-snmp-agent, built if missing)
#   VERSION     package version (default from git describe; made a valid
#               Debian version: 1.2.0-3-gabc becomes 1.2.0+3+gabc, an
#               untagged tree 0.0.0+gitYYYYMMDD.SHA)
#   ARCH        Debian/Go architecture (default: go env GOARCH)
#   DIST        output directory (default dist)
#   MAINTAINER  the Maintainer field
#
# nfpm runs with `go run` at a pinned version: it is not a dependency of the
# module and is not in go.mod.
set -eu

cd "$(dirname "$0")/.."

NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.43.0
GO=${GO:-go}
BINARY=${BINARY:-bin/vpp-snmp-agent}
DIST=${DIST:-dist}
ARCH=${ARCH:-$($GO env GOARCH)}
MAINTAINER=${MAINTAINER:-vpp-snmp-agent developers <vpp-snmp-agent@invalid>}

# debversion turns a git describe (or any) version into a Debian upstream
# version: no leading v, starts with a digit, no "-" (that would start the
# Debian revision), only characters dpkg accepts.
debversion() {
	v=${1#v}
	case $v in
	[0-9]*) ;;
	*) v=0.0.0+$v ;;
	esac
	printf '%s\n' "$v" | sed -e 's/-/+/g' -e 's/[^A-Za-z0-9.+~]/./g'
}

if [ -z "${VERSION:-}" ]; then
	if described=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		VERSION=$described
	elif sha=$(git rev-parse --short HEAD 2>/dev/null); then
		VERSION=0.0.0+git$(git log -1 --format=%cd --date=format:%Y%m%d).$sha
	else
		VERSION=0.0.0
	fi
fi
VERSION=$(debversion "$VERSION")

if [ ! -f README.md ]; then
	echo "deb.sh: README.md is missing (the package ships it as documentation)" >&2
	exit 1
fi

if [ ! -x "$BINARY" ]; then
	echo "deb.sh: building $BINARY" >&2
	mkdir -p "$(dirname "$BINARY")"
	# Static (no cgo): the package then needs no libc6 of a given version.
	CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH $GO build -trimpath \
		-ldflags "-X main.version=$VERSION" -o "$BINARY" ./cmd/vpp-snmp-agent
fi

# A binary built with cgo (make build's default where a C compiler exists)
# links the C library dynamically: the package then depends on it.
LIBC_DEPENDS=
if $GO version -m "$BINARY" 2>/dev/null | grep -q 'CGO_ENABLED=1'; then
	LIBC_DEPENDS=libc6
fi

mkdir -p "$DIST"
# GOFLAGS: `go run pkg@version` refuses -mod=vendor and -modfile from the
# caller's environment.
VERSION=$VERSION ARCH=$ARCH BINARY=$BINARY MAINTAINER=$MAINTAINER LIBC_DEPENDS=$LIBC_DEPENDS GOFLAGS=-mod=mod \
	$GO run "$NFPM" package --config packaging/nfpm.yaml --packager deb --target "$DIST/"
