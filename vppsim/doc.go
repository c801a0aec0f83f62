// Package vppsim is a stand-in for the fd.io VPP dataplane: it speaks VPP's
// binary API on a unix socket (VPP's socket transport, govpp's binapi
// encodings), serves a VPP 26.06 stats segment (package statseg) and takes
// vppctl-like commands on a control socket, so that govpp's own clients and
// the agent run against it unchanged. Tests start it in-process
// (New, Start, Close, and the methods that change interfaces); cmd/vppsim
// is a thin main over it.
//
// # Binary API
//
// Frames are VPP's: a 16-byte header whose bytes 8..12 are the big-endian
// data length (the simulator puts a pointer-like value in bytes 0..8, as
// VPP does, except on sockclnt_create_reply), then the message, starting
// with its u16 id. sockclnt_create is answered with the message table and
// a client index (0x80000001 for the first client); sockclnt_delete with
// response 1, as VPP does, and the connection is closed. A message id
// without a handler, or a message shorter than its type, is logged and
// dropped without a reply, as VPP's msg_handler_internal does; a frame
// announcing more than 16 MiB ends the connection.
//
// Answered: control_ping, show_version, sw_interface_dump (name filter:
// case-insensitive substring; sw_if_index filter unless ~0 or 0),
// want_interface_events, sw_interface_set_flags,
// collect_detailed_interface_stats, ip_address_dump,
// sw_bond_interface_dump, sw_member_interface_dump, lcp_itf_pair_get
// (cursor protocol: details, then the reply with the cursor; ~0 when done,
// EAGAIN and the next cursor when Config.LCPBatch cut it short; a cursor
// of ~0 starts from the beginning as VPP's u32 arithmetic makes it).
//
// The default message table is govpp v0.13.0's messages of the binapi
// packages the simulator links, with VPP 26.06's ids where 26.06 has the
// message and fresh ids after them for the rest (linux-cp among them).
// Config.MessageTable announces another table (e.g. 26.06's, which lacks
// linux-cp): a message missing from it cannot be used, and govpp refuses it
// on the client side as it does against that VPP.
//
// # Interfaces
//
// sw_if_index values come from a pool: a freed index is reused by the next
// creation, last freed first. Kinds and what they report
// (InterfaceDevType as VPP's device classes name them): dpdk ports
// ("dpdk", link speed in kbit/s, full duplex), af-packet, memif, loopbacks
// ("Loopback", de:ad:00:00:00:NN), bonds ("bond", link up while admin up
// with an active member; VPP reports no speed for a bond), linux-cp taps
// ("virtio": VPP's taps are virtio devices; created link up, admin down),
// VXLAN ("VXLAN"), GRE ("GRE tunnel device", all-zero MAC, link MTU
// 65512), local0 ("local", always down) and dot1q/QinQ sub-interfaces (type
// SUB, the parent's dev type, link speed and link MTU, all-zero MAC, L3 MTU
// 0 unless set, SubIfFlags ONE_TAG or TWO_TAGS with EXACT_MATCH, LINK_UP
// from the parent even when admin down). The link of loopbacks, af-packet,
// taps and tunnels follows admin state (as measured on 26.06); that of dpdk
// ports and memifs is admin up and carrier (SetLink).
//
// Events follow VPP's link-state process: one sw_interface_event per
// interface that changed, in sw_if_index order, with no context, the
// client's index and the pid it registered. Flags carry ADMIN_UP only if
// an admin-up event happened and LINK_UP only if a link-up event happened:
// an admin change on a loopback gives 0 or 3, on a sub-interface 0 or 1
// (its parent's link did not change); a carrier change gives 0 or 2, and
// only for the port itself, not its sub-interfaces. Creation sends Flags 0
// (2 for a tap, whose link comes up at once), deletion Flags 0 with
// Deleted.
//
// # Counters
//
// A ticker (Config.Tick, 100 ms by default) counts each interface's
// configured rates while it passes traffic (admin and link up), exactly
// floor(rate × time), spread over the worker threads (generated interfaces
// stay on one worker), and adds them to the stats segment. Where VPP
// counts a packet twice so does the simulator, simply: a sub-interface's rx
// is counted at its parent too (device input counts every frame), a bond's
// rx and tx at its active members too. Per-cast counters are counted only
// where detailed stats are on, as in VPP. A deleted interface keeps its
// counters in the segment under the name "deleted"; a new interface on its
// index starts from zero. Counters(i) returns what was counted, summed
// over threads.
//
// # Restart
//
// Restart closes the API socket and its clients and the stats socket, and
// after Config.RestartDelay creates the configured interfaces again in a
// new stats segment, counters at zero. RestartWith(RestartKill) is a VPP
// killed with SIGKILL: its socket files stay behind and the new stats
// socket replaces the old file by a rename, which govpp's statsclient
// (watching only for the file's removal) does not notice: a long-lived
// core.StatsConnection then keeps returning the dead VPP's interfaces and
// counters, with no error (the govpp bug of docs/facts.md, reproduced by a test). The independent interfaces (ports,
// loopbacks, bonds, tunnels) are created in the scenario's order rotated
// by the number of restarts, so their sw_if_index values change in a way a
// test can predict; sub-interfaces and taps follow.
//
// # Replay
//
// LoadReplay reads a capture directory (../shared/fixtures/vpp-26.06
// layout) and the simulator serves it as captured: the details encode to
// the captured bytes, the message table is announced in the captured order
// and the stats segment image is served byte for byte (read-only: no
// traffic). Counters and show interface report the captured govpp reading
// of the image (interface_counters.json).
package vppsim
