// Package packaging holds what installs vpp-snmp-agent on a machine:
// install.sh (make install: the binary, the systemd units, the sample
// /etc/default file and the docs under DESTDIR and PREFIX), deb.sh with
// nfpm.yaml, the maintainer scripts and the sysusers.d file (make deb: the
// Debian package), and the tests that build both and check what they hold.
// It has no Go API.
package packaging
