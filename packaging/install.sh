#!/bin/sh
# install.sh: install vpp-snmp-agent from a built tree (make install).
#
#   DESTDIR      staging root (default: none, the live system)
#   PREFIX       /usr/local by default; /usr for a distribution layout
#   BIN          where the built binary is (default: bin)
#   SBINDIR      $PREFIX/sbin
#   UNITDIR      /usr/lib/systemd/system (systemd reads /usr/local/lib/systemd/system
#                too, but Debian's own units live here, as in the package)
#   MANDIR       $PREFIX/share/man
#   SYSCONFDIR   /etc
#   DOCDIR       $PREFIX/share/doc/vpp-snmp-agent
#   SYSUSERSDIR  $PREFIX/lib/sysusers.d
#   TMPFILESDIR  $PREFIX/lib/tmpfiles.d
#
# Idempotent: running it again gives the same tree. An existing
# $SYSCONFDIR/default/vpp-snmp-agent is the operator's and is left alone.
# It installs files only; the next steps are printed at the end.
set -eu

cd "$(dirname "$0")/.."

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
BIN=${BIN:-bin}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
UNITDIR=${UNITDIR:-/usr/lib/systemd/system}
MANDIR=${MANDIR:-$PREFIX/share/man}
SYSCONFDIR=${SYSCONFDIR:-/etc}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/vpp-snmp-agent}
SYSUSERSDIR=${SYSUSERSDIR:-$PREFIX/lib/sysusers.d}
TMPFILESDIR=${TMPFILESDIR:-$PREFIX/lib/tmpfiles.d}

if [ ! -x "$BIN/vpp-snmp-agent" ]; then
	echo "install.sh: $BIN/vpp-snmp-agent is missing: run make build first" >&2
	exit 1
fi

install -D -m 0755 "$BIN/vpp-snmp-agent" "$DESTDIR$SBINDIR/vpp-snmp-agent"

# The man page, printed by the binary from its flags (gzip -n: the same
# bytes every time).
tmp=$(mktemp)
if ! "$BIN/vpp-snmp-agent" manpage >"$tmp" || ! grep -q '^\.TH ' "$tmp"; then
	rm -f "$tmp"
	echo "install.sh: \"$BIN/vpp-snmp-agent manpage\" printed no man page" >&2
	exit 1
fi
gzip -9n -c "$tmp" >"$tmp.gz"
install -D -m 0644 "$tmp.gz" "$DESTDIR$MANDIR/man8/vpp-snmp-agent.8.gz"
rm -f "$tmp" "$tmp.gz"

# The units name the Debian paths; point them at this layout.
for unit in netns-dataplane.service snmpd-dataplane.service vpp-snmp-agent.service; do
	tmp=$(mktemp)
	sed -e "s|/usr/sbin/vpp-snmp-agent|$SBINDIR/vpp-snmp-agent|g" \
		-e "s|/usr/share/doc/vpp-snmp-agent|$DOCDIR|g" \
		-e "s|/etc/default/vpp-snmp-agent|$SYSCONFDIR/default/vpp-snmp-agent|g" \
		"systemd/$unit" >"$tmp"
	install -D -m 0644 "$tmp" "$DESTDIR$UNITDIR/$unit"
	rm -f "$tmp"
done

if [ ! -e "$DESTDIR$SYSCONFDIR/default/vpp-snmp-agent" ]; then
	install -D -m 0644 systemd/vpp-snmp-agent.default "$DESTDIR$SYSCONFDIR/default/vpp-snmp-agent"
fi

install -D -m 0644 packaging/sysusers.conf "$DESTDIR$SYSUSERSDIR/vpp-snmp-agent.conf"
install -D -m 0644 packaging/tmpfiles.conf "$DESTDIR$TMPFILESDIR/vpp-snmp-agent.conf"
install -D -m 0644 snmpd.conf.example "$DESTDIR$DOCDIR/snmpd.conf.example"
if [ -f README.md ]; then
	install -D -m 0644 README.md "$DESTDIR$DOCDIR/README.md"
fi

echo "installed vpp-snmp-agent under ${DESTDIR:-/} (PREFIX=$PREFIX)"
if [ -z "$DESTDIR" ]; then
	cat <<EOF
next steps (as root):
  systemd-sysusers $SYSUSERSDIR/vpp-snmp-agent.conf   # user vpp-snmp-agent, groups vpp, vpp-snmp-agent
  systemd-tmpfiles --create $TMPFILESDIR/vpp-snmp-agent.conf   # /var/lib/vpp-snmp-agent
  install -m 0640 -g Debian-snmp $DOCDIR/snmpd.conf.example /etc/snmp/snmpd-dataplane.conf   # then edit it
  systemctl daemon-reload
  systemctl enable --now netns-dataplane snmpd-dataplane vpp-snmp-agent
EOF
fi
