// Package ifindex holds the persistent map from VPP interface name to
// ifIndex, which every MIB module joins by: a name keeps its ifIndex across
// VPP restarts (sw_if_index renumbering) and its own absence, so pollers keep
// their history. A new name first gets 1000 + sw_if_index, the rule of the
// Python vpp-snmp-agent. Package ifindexfile keeps it on disk.
package ifindex
