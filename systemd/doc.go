// Package systemd holds the systemd units that run vpp-snmp-agent in
// production (netns-dataplane.service, snmpd-dataplane.service,
// vpp-snmp-agent.service), the sample /etc/default/vpp-snmp-agent, and the
// tests that check them, and ../snmpd.conf.example, against the real
// systemd-analyze, ip and net-snmp snmpd. It has no Go API: the package exists
// so that `go test ./...` runs those checks.
package systemd
