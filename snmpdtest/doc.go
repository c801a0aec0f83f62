// Package snmpdtest starts the real net-snmp snmpd (Debian's package) for a
// test, as an AgentX master on loopback only, and runs net-snmp's client tools
// against it. It is a test double shipped as a package, in the manner of
// CoreDNS's plugin/test: tests of agentx and of the whole agent use it to talk
// to the peer they will meet in production rather than to a model of it.
//
// Everything lives in a fresh temporary directory (configuration, log, pid
// file, persistent state and the AgentX unix socket); snmpd listens on a free
// UDP port of 127.0.0.1 and is killed when the test ends.
package snmpdtest
