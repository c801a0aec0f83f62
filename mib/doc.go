// Package mib turns what VPP says of its interfaces into the IF-MIB
// (RFC 2863) as an immutable, allocation-free table that an AgentX server
// serves.
//
// It is pure: no I/O, no govpp. vppapi and statsread fill the plain structs
// of input.go ([]Interface, []Counters indexed by sw_if_index); Build turns
// them into a *Snapshot, which implements agentx.Tree:
//
//	snap, idx, trans := mib.Build(prev, ifaces, counters, idx, time.Now(), opt)
//	snap = snap.WithCounters(counters, time.Now()) // between detail polls
//
// The snapshot is a table, not a list of OIDs: rows sorted by ifIndex in flat
// slices, strings in one byte arena, and Get/Next answered by binary search
// on the ifIndex column, so they cost O(log rows) and allocate nothing.
//
// Times (ifLastChange, ifCounterDiscontinuityTime, ifTableLastChange,
// ifStackLastChange) are stored as durations since the first Build's now,
// measured on the monotonic clock, and converted to the master's sysUpTime
// with Options.Clock when served, so a restart of snmpd needs no rebuild
// and a wall-clock step (NTP) moves none of them.
//
// ifIndex values are persistent per interface name (Indexes, saved by
// package ifindexfile). A new name first gets 1000 + sw_if_index, the rule of
// the Python vpp-snmp-agent, so LibreNMS keeps its port history across the
// switch; a vanished interface keeps its ifIndex for its return.
//
// Subtrees lists what the agent registers with the master.
package mib
