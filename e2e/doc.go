// Package e2e tests the whole agent as operators run it: the real
// vpp-snmp-agent and vppsim binaries (built once by TestMain), the real
// net-snmp snmpd as AgentX master (package snmpdtest), and net-snmp's own
// clients (snmpget, snmpbulkwalk, snmpset) and snmptrapd as the manager.
//
// Each test states what it expects from what it configured vppsim with,
// never from the agent's own packages, and waits for behaviour with
// deadlines ("ifOperStatus is down within 1 s") by polling, never by
// sleeping and hoping. Everything runs on loopback and unix sockets in
// temporary directories.
//
// vppsim runs as a process where a test only needs a VPP to talk to, and
// in-process (package vppsim) where a test must drive it precisely: counters
// that move only when the test advances them (exact expected values), or
// admin state flips back to back faster than a CLI round trip.
//
// The package holds tests only; go test -short skips them.
package e2e
