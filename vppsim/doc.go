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
// counters, with no error (govpp's stale-segment bug, reproduced by
// TestGovppStaleNamesAfterKill). The independent interfaces (ports,
// loopbacks, bonds, tunnels) are created in the scenario's order rotated
// by the number of restarts, so their sw_if_index values change in a way a
// test can predict; sub-interfaces and taps follow. Renumber (fault
// renumber) is a restart that moves every interface.
//
// # Replay
//
// LoadReplay reads a capture directory (testdata/vpp-26.06's layout) and the simulator serves it as captured: the details encode to
// the captured bytes, the message table is announced in the captured order
// and the stats segment image is served byte for byte (read-only: no
// traffic). Counters and show interface report the captured govpp reading
// of the image (interface_counters.json).
//
// # Faults
//
// Knobs that make the simulated VPP misbehave as real ones do, set from
// the CLI ("fault ...") or in-process (Sim.SetDetailsDrop, SetStatsBusy,
// SetAPIStall, ArmAPIClose, ArmShortFrame, ArmHugeFrame, Renumber,
// ClearFaults). They are the simulator's own; VPP has no such commands.
//
//   - details-drop P: every sw_interface_dump sends exactly
//     round(n × P / 100) fewer of its n details, a different random set
//     each time (a PRNG seeded when P is set, so a run repeats); the dump
//     still ends with the control_ping_reply, so it simply comes back
//     short, as when govpp drops replies its channel cannot take.
//   - stats-busy D: the stats segment's in_progress stays set for D, as a
//     VPP stuck inside vlib_stats_segment_lock: readers retry and give up
//     (govpp: ErrStatsAccessFailed). No traffic is counted meanwhile, so
//     counters keep their values; directory changes still bump the epoch;
//     a restart keeps the new segment busy until D ends.
//   - api-stall D: a stuck VPP main thread. Connections are accepted, new
//     ones too, but each reads one message and holds it until D ends;
//     then everything is answered late, in order. Events wait too. The
//     control CLI keeps answering (it is not VPP's).
//   - api-close (one-shot): the next dump (any *_dump or lcp_itf_pair_get)
//     sends the first half of its details, rounded up, and its connection
//     is closed before the rest and the control_ping_reply.
//   - short-frame (one-shot): the next reply frame (any connection, events
//     excepted) claims and carries 2 bytes, the message id: govpp v0.13.0's
//     reader takes the context from stale bytes of its reused buffer.
//   - huge-frame (one-shot): the next reply frame claims 0xffffffff bytes
//     and carries 6 (id and context); govpp v0.13.0 allocates the claimed
//     length before reading it. The connection stays open, out of step.
//   - renumber: a clean restart (Restart) after which every interface has
//     its name and another sw_if_index: ordered by their old index, each
//     takes the next one's, the last the first's; local0 stays 0.
//   - off: every knob off (a stall ends and its requests are answered, the
//     segment is released) and the counts forgotten.
//
// "fault" alone lists every knob set since the last "fault off", one per
// line, in the order above, as "NAME SETTING fired N": SETTING is what is
// in force (P, D, "armed") or "off" once a one-shot fired or a window
// ended; N counts the dropped details, the windows that held something
// (a stall: a request; stats-busy: from its start), the one-shot frames or
// closes, the renumberings.
//
// "show api" (Sim.APICounts) prints, sorted, one "NAME COUNT" line per
// binary API message name (without CRC) received or sent since Start,
// restarts included: tests count what the agent asked VPP and what it got.
package vppsim
