// Command floor is a benchmark-only AgentX subagent: the least work any
// subagent can do to serve ifTable and ifXTable through snmpd.
//
// It Opens a session, Registers ifTable (1.3.6.1.2.1.2.2) and ifXTable
// (1.3.6.1.2.1.31.1.1) at priority 100 and answers Get and GetNext from a
// table of N IF-MIB-like rows whose varbinds are encoded once at start. The
// per-PDU path is one blocking read(2), a binary search, copies of
// precomputed bytes and one write(2) on the unix socket's file descriptor,
// with no allocation, so the walk time through snmpd measured against it is
// what snmpd and the kernel cost. scripts/bench.sh compares the real agent
// with it ("agent/floor").
//
// It is deliberately independent of the agentx package: it shares no code
// with what it measures.
package main
