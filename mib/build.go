package mib

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"weak"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// Options are the settings of Build that do not come from VPP.
type Options struct {
	// Clock converts stored instants to the master's sysUpTime when served;
	// nil serves 0 for every TimeTicks.
	Clock agentx.Clock
	// LCPNames makes the ifName of a linux-cp pair's host (tap) side the
	// Linux interface name (e.g. "e0"), as the Python agent did.
	LCPNames bool
	// Aliases maps a VPP interface name to its description (from vppcfg);
	// an interface without one uses its VPP tag as ifAlias.
	Aliases map[string]string
	// Segment identifies the counters' source, VPP's stats segment: when it
	// differs from prev's (both non-zero), VPP restarted and every row's
	// counters restarted with it, so ifCounterDiscontinuityTime is now even
	// where no counter went backwards. 0 is unknown: prev's stands.
	Segment uint64
	// VPPDown says VPP itself is gone (API and stats segment): every row
	// reads ifOperStatus down, whatever its last details said, so that a
	// dead dataplane raises linkDown rather than reading healthy.
	VPPDown bool
	// MIBs names the modules served besides the rows every module joins by
	// (IF-MIB's): "if", "ip", "etherlike" (see MIBs). None: IF-MIB alone.
	MIBs []string
}

// Transition is an ifOperStatus change seen by Build, for linkUp/linkDown.
type Transition struct {
	IfIndex     uint32
	Name        string // ifDescr
	Alias       string
	Admin       Status
	Oper        Status
	PrevOper    Status
	At          time.Time
	TrapEnabled bool // ifLinkUpDownTrapEnable
}

// Kind returns the notification RFC 2863 asks for: linkUp when ifOperStatus
// leaves a down state for up, linkDown when it leaves up; ok is false for
// changes between down states (down and lowerLayerDown), which need none.
func (t Transition) Kind() (linkUp bool, ok bool) {
	switch {
	case t.Oper == StatusUp && t.PrevOper != StatusUp:
		return true, true
	case t.PrevOper == StatusUp && t.Oper != StatusUp:
		return false, true
	}
	return false, false
}

// Limits on strings (RFC 2863: DisplayString is 0..255, ifAlias 0..64).
const (
	maxDisplayString = 255
	maxAlias         = 64
)

// Build returns the snapshot of ifaces and counters (counters[i] is
// sw_if_index i's), the ifIndex map after any allocation (idx itself when
// none) and the oper state changes since prev, in ifIndex order.
//
// prev is the snapshot this one follows (nil at start). With prev nil,
// nothing is a change: ifLastChange, ifCounterDiscontinuityTime and the
// *LastChange scalars start at 0 (RFC 2863: before the agent knew). After
// that, an interface that appears gets now for both, as net-snmp does: it
// entered its current state then and its counters started then. An
// interface with no counters (index beyond counters) keeps its previous
// counters, so a short stats read does not fake a reset. A counter that
// went backwards, or a new Options.Segment, is a discontinuity.
//
// now should come from time.Now(): times are measured from the first
// Build's now (prev nil) on the monotonic clock, so that the agentx master
// clock, also monotonic, is not moved by a wall-clock step.
//
// Interfaces with the same name as an earlier one are ignored.
//
// The other modules' rows are rebuilt from the sources of prev (see
// WithSources), joined to the new interfaces.
func Build(prev *Snapshot, ifaces []model.Interface, counters []model.Counters, idx *ifindex.Registry, now time.Time, opt Options) (*Snapshot, *ifindex.Registry, []Transition) {
	names := make([]string, len(ifaces))
	sws := make([]uint32, len(ifaces))
	for i := range ifaces {
		names[i] = ifaces[i].Name
		sws[i] = ifaces[i].SwIfIndex
	}
	ifx, idx := idx.Assign(names, sws, now)

	// order: iface positions by ifIndex, first occurrence of a name only
	order := make([]int32, len(ifaces))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(ifx[a], ifx[b]) })
	order = slices.CompactFunc(order, func(a, b int32) bool { return ifx[a] == ifx[b] })
	order = slices.DeleteFunc(order, func(p int32) bool { return ifx[p] == 0 })

	sw := newSwIndex(len(ifaces), func(i int) uint32 { return ifaces[i].SwIfIndex })
	st := derive(ifaces, sw, opt)

	if prev == nil {
		prev = &emptySnapshot
	}
	s := &Snapshot{
		clock:   opt.Clock,
		epoch:   prev.epoch,
		segment: cmp.Or(opt.Segment, prev.segment),
		ifIndex: make([]uint32, len(order)),
		rows:    make([]row, len(order)),
		ctr:     make([]ctrRow, len(order)),
	}
	s.ctrFor = weak.Make(s)
	arenaLen := 0
	for _, p := range order {
		arenaLen += len(ifaces[p].Name) + len(ifaces[p].Tag()) + 6
	}
	s.arena = make([]byte, 0, arenaLen+64)

	if prev == &emptySnapshot {
		s.epoch = now
	}
	lcp := lcpPairs(ifaces)
	var stacked []bool
	s.stack, stacked = stackRows(ifaces, order, ifx, sw)
	var (
		nowAt = s.stamp(now)
		// restarted: VPP's counters all started again, whatever their values
		restarted = opt.Segment != 0 && prev.segment != 0 && opt.Segment != prev.segment
		trans     []Transition
		changed   bool // a row was added or removed
		j         int  // position in prev
	)
	for i, p := range order {
		in := &ifaces[p]
		s.ifIndex[i] = ifx[p]
		r := &s.rows[i]
		r.swIfIndex = in.SwIfIndex
		r.mtu = in.MTU
		if r.mtu == 0 {
			r.mtu = in.LinkMTU // VPP reports L3 MTU 0 on unconfigured sub-interfaces
		}
		r.speedKbps = st.speed[p]
		r.ifType, r.connector = classify(in)
		r.admin = StatusDown
		if in.AdminUp {
			r.admin = StatusUp
		}
		r.oper = st.oper[p]
		r.stacked = stacked[i]
		r.duplex = in.Duplex

		r.descr = s.add(truncate(in.Name, maxDisplayString))
		r.name = r.descr
		alias := opt.Aliases[in.Name]
		if alias == "" {
			alias = in.Tag()
		}
		if phy, ok := lcp[in.SwIfIndex]; ok {
			if opt.LCPNames {
				r.name = s.add(truncate(ifaces[phy].LCPHostName(), maxDisplayString))
			}
			if alias == "" {
				// the Python agent's description of a linux-cp tap
				alias = "LCP " + ifaces[phy].Name + " (" + in.Name + ")"
			}
		}
		r.alias = s.add(truncate(alias, maxAlias))
		if mac := st.mac[p]; mac != ([6]byte{}) {
			r.mac = s.add(string(mac[:]))
		} else {
			r.mac = span{off: uint32(len(s.arena))}
		}

		// merge with prev, both ascending by ifIndex
		for j < len(prev.ifIndex) && prev.ifIndex[j] < s.ifIndex[i] {
			j++
			changed = true // removed
		}
		c := &s.ctr[i]
		known := j < len(prev.ifIndex) && prev.ifIndex[j] == s.ifIndex[i]
		read := int(in.SwIfIndex) < len(counters)
		if read {
			c.read(&counters[in.SwIfIndex])
		}
		switch {
		case known:
			pr, pc := &prev.rows[j], prev.ctrOf(j)
			r.lastChange = pr.lastChange
			if pr.oper != r.oper {
				r.lastChange = nowAt
				trans = append(trans, Transition{
					IfIndex: s.ifIndex[i], Name: in.Name, Alias: string(s.str(r.alias)),
					Admin: r.admin, Oper: r.oper, PrevOper: pr.oper, At: now, TrapEnabled: !r.stacked,
				})
			}
			if !read {
				*c = *pc
			}
			c.follow(pc, restarted, nowAt)
			j++
		case prev != &emptySnapshot:
			r.lastChange, c.disc = nowAt, nowAt
			changed = true // added
		}
	}
	if j < len(prev.ifIndex) {
		changed = true
	}
	s.tableChanged = prev.tableChanged
	if changed {
		s.tableChanged = nowAt
	}

	s.stackChanged = prev.stackChanged
	if prev != &emptySnapshot && !slices.Equal(prev.stack, s.stack) {
		s.stackChanged = nowAt
	}
	s.ifKeys, s.stackKeys = ifIndexKeys(s.ifIndex), pairKeys(s.stack)
	s.bySw = newSwIndex(len(s.rows), func(i int) uint32 { return s.rows[i].swIfIndex })
	s.src = prev.src
	s.buildModules(prev, opt.MIBs, now)
	return s, idx, trans
}

// WithSources returns a snapshot with s's interfaces and counters and the
// other modules rebuilt from src, which must come from the same API
// connection as s's interfaces (they join by sw_if_index).
func (s *Snapshot) WithSources(src Sources, now time.Time) *Snapshot {
	if s == nil {
		return nil
	}
	n := *s
	n.src = &src
	n.buildModules(s, nil, now)
	return &n
}

// Sources returns the sources s's other modules were built from.
func (s *Snapshot) Sources() Sources {
	if s == nil || s.src == nil {
		return Sources{}
	}
	return *s.src
}

// sameJoin says whether s joins the same sources to the same rows as
// prev: same sources, and every row at the same ifIndex and sw_if_index.
func sameJoin(prev, s *Snapshot) bool {
	if prev.src != s.src || len(prev.rows) != len(s.rows) || !slices.Equal(prev.ifIndex, s.ifIndex) {
		return false
	}
	for i := range s.rows {
		if s.rows[i].swIfIndex != prev.rows[i].swIfIndex {
			return false
		}
	}
	return true
}

// buildModules makes the data of every served module but IF-MIB, from
// s.src and s's rows; prev is the snapshot s follows. mibs nil keeps prev's
// modules.
func (s *Snapshot) buildModules(prev *Snapshot, mibs []string, now time.Time) {
	if mibs == nil {
		s.mods, s.objs = prev.mods, prev.objs
	} else {
		s.mods, s.objs = served(mibs)
	}
	s.parts = make([]any, len(modules))
	b := &builder{s: s, prev: prev, src: s.src, first: prev.src == nil, now: now, sameJoin: sameJoin(prev, s)}
	if b.src == nil {
		b.src = &Sources{}
	}
	for _, m := range s.mods {
		if m.build != nil {
			s.parts[m.id] = m.build(b)
		}
	}
}

// WithCounters returns a snapshot with s's interfaces and new counters
// (counters[i] is sw_if_index i's), sharing everything else with s. A row
// any of whose VPP counters went backwards ("clear interfaces") gets
// ifCounterDiscontinuityTime now; otherwise its derived unicast counters
// do not go back. Rows without counters keep theirs.
//
// The rows map sw_if_index as of the last Build, and the counters must come
// from the stats segment of that Build (s keeps its Options.Segment): after
// VPP restarts, call Build with fresh interface details and the new segment
// before trusting new counters.
func (s *Snapshot) WithCounters(counters []model.Counters, now time.Time) *Snapshot {
	if s == nil {
		return nil
	}
	n := *s
	n.ctr, n.slot, n.ovf = make([]ctrRow, len(s.rows)), nil, nil // compact again
	nowAt := s.stamp(now)
	for i := range s.rows {
		old := s.ctrOf(i)
		c := &n.ctr[i]
		*c = *old
		if sw := s.rows[i].swIfIndex; int(sw) < len(counters) {
			c.read(&counters[sw])
			c.follow(old, false, nowAt)
		}
	}
	return &n
}

// read sets c from VPP's counters v. VPP fills the per-cast counters only
// where detailed stats are on, so unicast is what is left of the total
// (never negative) and is the total where they are off.
func (c *ctrRow) read(v *model.Counters) {
	c.c = [nCounters]uint64{
		cInOctets: v.RxBytes, cInPkts: v.RxPackets, cInMcast: v.RxMulticastPackets, cInBcast: v.RxBroadcastPackets,
		cInDrops: v.Drops, cInNoBuf: v.RxNoBuf, cInMiss: v.RxMiss, cInErrors: v.RxError,
		cOutOctets: v.TxBytes, cOutPkts: v.TxPackets, cOutMcast: v.TxMulticastPackets, cOutBcast: v.TxBroadcastPackets,
		cOutErrors: v.TxError,
	}
	c.inUcast = monus(monus(v.RxPackets, v.RxMulticastPackets), v.RxBroadcastPackets)
	c.outUcast = monus(monus(v.TxPackets, v.TxMulticastPackets), v.TxBroadcastPackets)
}

// follow continues old, the row's previous counters, with c's. A restart
// (new stats segment) or any of VPP's counters going back ("clear
// interfaces") is a discontinuity (RFC 2863 ifCounterDiscontinuityTime):
// c.disc becomes now. Otherwise derived unicast does not go back: govpp
// copies /if/rx before /if/rx-multicast while VPP counts rx first, so a
// read can catch a per-cast counter ahead of the total, and a Counter64
// that drops looks like a wrap to a poller.
func (c *ctrRow) follow(old *ctrRow, restarted bool, now stamp) {
	if restarted || wentBack(&old.c, &c.c) {
		c.disc = now
		return
	}
	c.disc = old.disc
	c.inUcast = max(c.inUcast, old.inUcast)
	c.outUcast = max(c.outUcast, old.outUcast)
}

func monus(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// wentBack reports whether any of VPP's counters decreased. Only VPP's own
// are compared: derived ones can drop between two reads of a running VPP.
func wentBack(old, cur *[nCounters]uint64) bool {
	for k := range old {
		if cur[k] < old[k] {
			return true
		}
	}
	return false
}

// swIndex finds an interface's position by sw_if_index: a dense slice when
// the numbers are compact, as VPP allocates them, else a map.
type swIndex struct {
	dense []int32 // position+1; 0 absent
	m     map[uint32]int32
}

// The numbers beyond 4n+1024 (the poller's detached rows, a sparse
// VPP) go to the map, so a few of them do not make the slice huge.
func newSwIndex(n int, swOf func(int) uint32) swIndex {
	limit := uint32(min(4*uint64(n)+1024, 1<<31))
	var hi uint32
	for i := range n {
		if sw := swOf(i); sw < limit {
			hi = max(hi, sw+1)
		}
	}
	x := swIndex{dense: make([]int32, hi)}
	for i := range n {
		sw := swOf(i)
		if sw < limit {
			if x.dense[sw] == 0 {
				x.dense[sw] = int32(i) + 1
			}
			continue
		}
		if x.m == nil {
			x.m = make(map[uint32]int32)
		}
		if _, dup := x.m[sw]; !dup {
			x.m[sw] = int32(i)
		}
	}
	return x
}

// find returns the position of sw_if_index sw.
func (x swIndex) find(sw uint32) (int, bool) {
	if int(sw) < len(x.dense) {
		p := x.dense[sw]
		return int(p) - 1, p != 0
	}
	p, ok := x.m[sw]
	return int(p), ok
}

// state is what Build derives per interface (by position in ifaces) from
// its relatives: oper status, speed and MAC.
type state struct {
	oper  []Status
	speed []uint64
	mac   [][6]byte
}

// derive computes oper status, speed and MAC of every interface: first each
// on its own, then bonds from their members, then sub-interfaces from their
// parents (which may be bonds).
func derive(ifaces []model.Interface, sw swIndex, opt Options) state {
	st := state{
		oper:  make([]Status, len(ifaces)),
		speed: make([]uint64, len(ifaces)),
		mac:   make([][6]byte, len(ifaces)),
	}
	for i := range ifaces {
		in := &ifaces[i]
		st.speed[i] = uint64(in.LinkSpeed)
		st.mac[i] = in.MAC
		switch {
		case !in.AdminUp || opt.VPPDown:
			st.oper[i] = StatusDown // RFC 2863: down when admin down
		case in.LinkUp:
			st.oper[i] = StatusUp
		default:
			st.oper[i] = StatusDown
		}
	}
	for i := range ifaces {
		in := &ifaces[i]
		if in.Sub || len(in.BondMembers()) == 0 {
			continue
		}
		var sum uint64
		present, anyUp := 0, false
		for _, m := range in.BondMembers() {
			p, ok := sw.find(m.SwIfIndex)
			if !ok || p == i {
				continue
			}
			present++
			if m.Active {
				sum += uint64(ifaces[p].LinkSpeed)
			}
			anyUp = anyUp || st.oper[p] == StatusUp
		}
		st.speed[i] = sum
		if in.AdminUp && !in.LinkUp && present > 0 && !anyUp && !opt.VPPDown {
			st.oper[i] = StatusLowerLayerDown
		}
	}
	for i := range ifaces {
		in := &ifaces[i]
		if !in.Sub || in.SupSwIfIndex == in.SwIfIndex {
			continue
		}
		p, ok := sw.find(in.SupSwIfIndex)
		if !ok {
			continue // parent unknown: the sub-interface's own state stands
		}
		st.speed[i] = st.speed[p]
		if st.mac[i] == ([6]byte{}) {
			// frames leave with the parent's address; VPP reports zeros
			st.mac[i] = st.mac[p]
		}
		// A sub-interface has no link of its own: VPP copies its parent's
		// link flag into the sub's at dump time, and sends no event for the
		// sub when the parent's link changes later. So its state follows the
		// parent's as derived now, never its own stale flag.
		switch {
		case !in.AdminUp || opt.VPPDown:
			st.oper[i] = StatusDown
		case st.oper[p] == StatusUp:
			st.oper[i] = StatusUp
		default:
			st.oper[i] = StatusLowerLayerDown
		}
	}
	return st
}

// lcpPairs maps the sw_if_index of each linux-cp tap to the position of its
// phy (which carries the Linux name).
func lcpPairs(ifaces []model.Interface) map[uint32]int {
	var m map[uint32]int
	for i := range ifaces {
		if ifaces[i].LCPHostName() == "" {
			continue
		}
		if m == nil {
			m = make(map[uint32]int)
		}
		m[ifaces[i].LCPHostSwIfIndex()] = i
	}
	return m
}

// stackRows returns ifStackTable as higher<<32|lower keys, ascending: each
// sub-interface over its parent, each bond over its members, (0, x) for
// every x with nothing above and (x, 0) for every x with nothing below
// (RFC 2863 ifStackTable); and, by row, whether the row has a lower layer.
func stackRows(ifaces []model.Interface, order []int32, ifx []uint32, sw swIndex) (keys []uint64, hasLower []bool) {
	// rowOf maps an iface position to its row, -1 for a dropped duplicate
	rowOf := make([]int32, len(ifaces))
	for i := range rowOf {
		rowOf[i] = -1
	}
	for i, p := range order {
		rowOf[p] = int32(i)
	}
	keys = make([]uint64, 0, 2*len(order)+8)
	hasLower = make([]bool, len(order))
	hasHigher := make([]bool, len(order))
	link := func(hiRow int, q int) {
		lo := rowOf[q]
		if lo < 0 || int(lo) == hiRow {
			return
		}
		keys = append(keys, uint64(ifx[order[hiRow]])<<32|uint64(ifx[order[lo]]))
		hasLower[hiRow] = true
		hasHigher[lo] = true
	}
	for i, p := range order {
		in := &ifaces[p]
		if in.Sub && in.SupSwIfIndex != in.SwIfIndex {
			if q, ok := sw.find(in.SupSwIfIndex); ok {
				link(i, q)
			}
		}
		for _, m := range in.BondMembers() {
			if q, ok := sw.find(m.SwIfIndex); ok {
				link(i, q)
			}
		}
	}
	for i, p := range order {
		x := uint64(ifx[p])
		if !hasHigher[i] {
			keys = append(keys, x) // (0, x)
		}
		if !hasLower[i] {
			keys = append(keys, x<<32) // (x, 0)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys), hasLower
}

// classify returns the IANAifType of an interface and whether it has a
// physical connector (ifConnectorPresent), from VPP's device type. Sub-
// interfaces carry their parent's device type, so Sub is checked first.
func classify(in *model.Interface) (ifType uint8, connector bool) {
	if in.Sub {
		return typeL2VLAN, false
	}
	dt := in.DevType
	switch {
	case eqAny(dt, "dpdk", "af-packet", "af_packet", "memif", "rdma", "avf", "af_xdp", "vmxnet3", "octeon", "ena", "idpf"):
		return typeEthernetCsmacd, true
	case strings.EqualFold(dt, "virtio"):
		// VPP's tap v2 is a virtio device; tell taps by their name.
		if hasPrefixFold(in.Name, "tap") || hasPrefixFold(in.Name, "tun") {
			return typePropVirtual, false
		}
		return typeEthernetCsmacd, true
	case eqAny(dt, "tap", "tun"):
		return typePropVirtual, false
	case strings.EqualFold(dt, "Loopback"):
		return typeSoftwareLoop, false
	case strings.EqualFold(dt, "bond"), len(in.BondMembers()) > 0:
		return typeIEEE8023adLag, false
	case eqAny(dt, "VXLAN", "GRE tunnel device", "gre", "ipip", "wireguard", "wg", "ipsec", "IPSec", "geneve", "gtpu", "vxlan-gpe"):
		return typeTunnel, false
	}
	return typeOther, false
}

func eqAny(s string, list ...string) bool {
	for _, l := range list {
		if strings.EqualFold(s, l) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

// truncate cuts s to at most n octets without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// add appends a string to the arena and returns its span.
func (s *Snapshot) add(v string) span {
	off := len(s.arena)
	s.arena = append(s.arena, v...)
	return span{off: uint32(off), n: uint32(len(v))}
}

// String summarises a snapshot for logs.
func (s *Snapshot) String() string {
	return fmt.Sprintf("IF-MIB snapshot: %d interfaces, %d stack rows", s.Len(), len(s.stackOrNil()))
}

func (s *Snapshot) stackOrNil() []uint64 {
	if s == nil {
		return nil
	}
	return s.stack
}
