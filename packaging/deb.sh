#!/bin/sh
# deb.sh: build the Debian package dist/vpp-snmp-agent_VERSION-RELEASE_ARCH.deb
# (make deb) with nfpm, from packaging/nfpm.yaml.
#
#   BINARY      the agent binary to package. Unset: deb.sh builds it, static
#               and stripped (-s -w), as bin/deb/vpp-snmp-agent; set to a
#               missing file: built there the same way; set to a file: that
#               file, as it is
#   VERSION     package version (default from git describe; made a valid
#               Debian version: 1.2.0-3-gabc becomes 1.2.0+3+gabc, an
#               untagged tree 0.0.0+gitYYYYMMDD.SHA)
#   RELEASE     Debian revision (default 1)
#   ARCH        Debian/Go architecture (default: go env GOARCH)
#   DIST        output directory (default dist)
#   MAINTAINER  the Maintainer field and the changelog's signature (make deb
#               passes the Makefile's MAINTAINER; the default here is the same)
#
# Written at build time, so that they cannot drift:
#   vpp-snmp-agent.8.gz   the man page, printed by the binary itself
#                         (`vpp-snmp-agent manpage`, from its flags)
#   copyright             DEP-5: this project's license and that of every Go
#                         module linked into the binary (packaging/debcopyright,
#                         from its build information and packaging/licenses.txt;
#                         a module missing from the table fails the build)
#   changelog.Debian.gz   one entry, for this version
#
# nfpm runs with `go run` at a pinned version: it is not a dependency of the
# module and is not in go.mod.
set -eu

cd "$(dirname "$0")/.."

NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.43.0
GO=${GO:-go}
DIST=${DIST:-dist}
ARCH=${ARCH:-$($GO env GOARCH)}
RELEASE=${RELEASE:-1}
MAINTAINER=${MAINTAINER:-vpp-snmp-agent maintainers <maintainers@vpp-snmp-agent.example.org>}

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

for f in README.md LICENSE packaging/licenses.txt; do
	if [ ! -f "$f" ]; then
		echo "deb.sh: $f is missing (the package is built from it)" >&2
		exit 1
	fi
done

if [ -z "${BINARY:-}" ]; then
	BINARY=bin/deb/vpp-snmp-agent
	rm -f "$BINARY" # always this tree's, with the package's version
fi
if [ ! -x "$BINARY" ]; then
	echo "deb.sh: building $BINARY" >&2
	mkdir -p "$(dirname "$BINARY")"
	# Static (no cgo): the package then needs no libc6 of a given version.
	# Stripped (-s -w): no symbol table or DWARF in the package; the build
	# information that debcopyright reads stays.
	CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH $GO build -trimpath \
		-ldflags "-s -w -X main.version=$VERSION" -o "$BINARY" ./cmd/vpp-snmp-agent
fi

# A binary built with cgo (make build's default where a C compiler exists)
# links the C library dynamically: the package then depends on it.
LIBC_DEPENDS=
if $GO version -m "$BINARY" 2>/dev/null | grep -q 'CGO_ENABLED=1'; then
	LIBC_DEPENDS=libc6
fi

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# The man page, from the flags of the binary. A binary for another
# architecture cannot run here: a host build of this tree prints it then.
manbin=$BINARY
if [ "$ARCH" != "$($GO env GOHOSTARCH)" ]; then
	manbin=$STAGE/vpp-snmp-agent.host
	CGO_ENABLED=0 $GO build -trimpath -ldflags "-X main.version=$VERSION" -o "$manbin" ./cmd/vpp-snmp-agent
fi
"$manbin" manpage >"$STAGE/vpp-snmp-agent.8"
if ! grep -q '^\.TH ' "$STAGE/vpp-snmp-agent.8"; then
	echo "deb.sh: \"$manbin manpage\" printed no man page" >&2
	exit 1
fi
gzip -9n "$STAGE/vpp-snmp-agent.8"

# The copyright file. GOFLAGS: a caller's -mod=vendor or -modfile would
# not fit this small program.
GOFLAGS=-mod=mod $GO run ./packaging/debcopyright -table packaging/licenses.txt "$BINARY" >"$STAGE/copyright"

# The changelog: one entry, for this version, dated by the commit it is
# built from (SOURCE_DATE_EPOCH wins; outside git, now).
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	epoch=$SOURCE_DATE_EPOCH
elif ! epoch=$(git log -1 --format=%ct 2>/dev/null); then
	epoch=$(date +%s)
fi
cat >"$STAGE/changelog.Debian" <<EOF
vpp-snmp-agent ($VERSION-$RELEASE) unstable; urgency=medium

  * Upstream version $VERSION.
  * Built by packaging/deb.sh; the changes are in the project's git log.

 -- $MAINTAINER  $(LC_ALL=C date -u -R -d "@$epoch")
EOF
gzip -9n "$STAGE/changelog.Debian"

mkdir -p "$DIST"
# GOFLAGS: `go run pkg@version` refuses -mod=vendor and -modfile from the
# caller's environment.
VERSION=$VERSION RELEASE=$RELEASE ARCH=$ARCH BINARY=$BINARY MAINTAINER=$MAINTAINER LIBC_DEPENDS=$LIBC_DEPENDS STAGE=$STAGE GOFLAGS=-mod=mod \
	$GO run "$NFPM" package --config packaging/nfpm.yaml --packager deb --target "$DIST/"
