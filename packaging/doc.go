// Package packaging holds what installs vpp-snmp-agent on a machine:
// install.sh (make install: the binary, its man page, the systemd units, the
// sample /etc/default file and the docs under DESTDIR and PREFIX), deb.sh
// with nfpm.yaml, the maintainer scripts, the sysusers.d and tmpfiles.d
// files, lintian's overrides and licenses.txt (make deb: the Debian package,
// whose man page, copyright file and changelog deb.sh writes at build time;
// debcopyright/ writes the copyright file), and the tests that build both,
// check what they hold, run lintian on the package and, as root, install it
// with apt-get. It has no Go API.
package packaging
