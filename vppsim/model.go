package vppsim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"sort"
	"strconv"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim/statseg"
)

// NoIndex is VPP's ~0: no interface.
const NoIndex = ^uint32(0)

// Sub-interface flags as sw_interface_details reports them (SubIfFlags).
const (
	subFlagOneTag     = 2
	subFlagTwoTags    = 4
	subFlagExactMatch = 16
)

// Errors of the interface model; CLI and API callers turn them into VPP's
// messages and return values.
var (
	ErrNoSuchInterface = errors.New("unknown interface")
	ErrExists          = errors.New("interface already exists")
	ErrNotSupported    = errors.New("not supported on this interface")
)

// Interface is one simulated VPP interface, as the simulator holds it. The
// fields are what sw_interface_details reports, plus what VPP keeps elsewhere
// (bond membership, linux-cp pair, addresses) and the simulated traffic.
type Interface struct {
	SwIfIndex    uint32
	SupSwIfIndex uint32 // the parent of a sub-interface; its own index otherwise
	Name         string
	Kind         Kind
	DevType      string // InterfaceDevType as VPP reports it
	MAC          [6]byte
	AdminUp      bool
	// Carrier is the outside condition the link of a dpdk port (cable) or a
	// memif (peer) needs; other kinds ignore it.
	Carrier bool
	// LinkUp is the LINK_UP flag VPP reports: the hardware link, which for
	// a sub-interface is its parent's (even when the sub is admin down).
	LinkUp bool
	// LinkSpeed (kbit/s, 0 where VPP does not know it), LinkDuplex (0
	// unknown, 2 full) and LinkMTU are the hardware's: a sub-interface
	// reports its parent's.
	LinkSpeed  uint32
	LinkDuplex uint32
	LinkMTU    uint16
	MTU        [4]uint32 // L3, IP4, IP6, MPLS
	SubID      uint32
	SubTags    uint8
	OuterVlan  uint16
	InnerVlan  uint16
	SubIfFlags uint32
	Tag        string
	// BondSwIfIndex is the bond this interface is a member of (NoIndex: none).
	BondSwIfIndex uint32
	// BondID, BondMode and BondLB describe a bond (KindBond): its instance
	// (BondEthernet<ID>), VPP's bond_mode and bond_lb_algo numbers.
	BondID, BondMode, BondLB uint32
	// LCP is the linux-cp pair whose host (tap) side this interface is.
	LCP           *LCPPair
	Addresses     []netip.Prefix
	Rates         Rates
	DetailedStats bool // per-cast counters counted (collect_detailed_interface_stats)
}

// LCPPair is a linux-cp interface pair: a VPP interface (phy) mirrored by a
// tap whose Linux side is HostIfName in Netns.
type LCPPair struct {
	PhySwIfIndex  uint32
	HostSwIfIndex uint32
	HostIfName    string
	Netns         string
	VifIndex      uint32 // the Linux ifindex of the host interface
	HostIfType    uint8  // 0 tap, 1 tun
}

// evBits are VPP's api_events (interface_api.c): what happened to one
// sw_if_index while the link-state process slept. VPP sends one
// sw_interface_event per interface per wake-up, with ADMIN_UP set only if an
// admin-up event happened and LINK_UP only if a link-up event happened.
type evBits uint8

const (
	evLinkUp    evBits = 1 << 1
	evLinkDown  evBits = 1 << 2
	evAdminUp   evBits = 1 << 3
	evAdminDown evBits = 1 << 4
	evAdd       evBits = 1 << 5
	evDel       evBits = 1 << 6
)

// ifEvent is one sw_interface_event to send.
type ifEvent struct {
	swIfIndex uint32
	flags     uint32 // IF_STATUS_API_FLAG_*
	deleted   bool
}

// iface is the model's record of one interface.
type iface struct {
	Interface
	hwLink  bool     // VNET_HW_INTERFACE_FLAG_LINK_UP (unused for subs)
	members []uint32 // of a bond, in the order they were added
	pair    int      // index in model.pairs of the pair it is the host of, -1
	gen     genState
	// oneWorker keeps the traffic of a generated interface on one worker.
	oneWorker bool
	// peers are the scenario's neighbours on this interface: the static
	// ones are set once (peersSet), the dynamic ones learnt while it
	// passes traffic.
	peers    []Neighbor
	peersSet bool
}

// model is VPP's interface state: the sw_if_index pool, names, link rules,
// bonds, linux-cp pairs and the pending event window. It is not safe for
// concurrent use; Sim locks around it.
type model struct {
	ifs     []*iface // by sw_if_index; nil = free slot
	free    []uint32 // freed indexes, reused last-freed first like a vppinfra pool
	byName  map[string]uint32
	pending map[uint32]evBits
	// statNames is /if/names: a deleted interface stays, named "deleted".
	statNames  []string
	namesDirty bool
	pairs      []*LCPPair // linux-cp pair pool (the lcp_itf_pair_get cursor)
	instances  map[Kind]map[uint32]bool
	nextVif    uint32
	subs       map[subKey]uint32 // sub-interfaces by parent and sub id
	// withTraffic lists the interfaces with rates; trafficDirty says it
	// must be rebuilt (an interface came, went or changed rates).
	withTraffic  []*iface
	trafficDirty bool
	// place fixes the index of the interfaces it names while a run is
	// built (renumbered); nil otherwise.
	place map[string]uint32
}

type subKey struct{ parent, id uint32 }

func newModel() *model {
	return &model{
		byName:    make(map[string]uint32),
		pending:   make(map[uint32]evBits),
		instances: make(map[Kind]map[uint32]bool),
		nextVif:   100,
		subs:      make(map[subKey]uint32),
	}
}

// get returns the live interface at idx, or nil.
func (m *model) get(idx uint32) *iface {
	if uint64(idx) >= uint64(len(m.ifs)) {
		return nil
	}
	return m.ifs[idx]
}

func (m *model) lookup(name string) (*iface, error) {
	idx, ok := m.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w `%s'", ErrNoSuchInterface, name)
	}
	return m.ifs[idx], nil
}

// linkUp is the LINK_UP flag of x as VPP reports it: a sub-interface carries
// its parent's hardware link.
func (m *model) linkUp(x *iface) bool {
	if x.Kind == KindSub {
		if p := m.get(x.SupSwIfIndex); p != nil {
			return p.hwLink
		}
		return false
	}
	return x.hwLink
}

// snapshot returns a copy of x with the derived fields filled.
func (m *model) snapshot(x *iface) Interface {
	c := x.Interface
	c.LinkUp = m.linkUp(x)
	if x.Kind == KindSub {
		// As sw_interface_details: the parent's hardware speed and MTU.
		if p := m.get(x.SupSwIfIndex); p != nil {
			c.LinkSpeed, c.LinkDuplex, c.LinkMTU = p.LinkSpeed, p.LinkDuplex, p.LinkMTU
		}
	}
	c.Addresses = append([]netip.Prefix(nil), x.Addresses...)
	if x.LCP != nil {
		p := *x.LCP
		c.LCP = &p
	}
	return c
}

// allocIndex takes a sw_if_index for name: its place if it has one, else
// the last freed one if any, else a new one.
func (m *model) allocIndex(name string) uint32 {
	if idx, ok := m.place[name]; ok {
		for uint64(len(m.ifs)) <= uint64(idx) {
			m.ifs = append(m.ifs, nil)
		}
		return idx
	}
	if n := len(m.free); n > 0 {
		idx := m.free[n-1]
		m.free = m.free[:n-1]
		return idx
	}
	m.ifs = append(m.ifs, nil)
	return uint32(len(m.ifs) - 1)
}

// allocInstance takes the lowest free instance number of a kind (loop0,
// loop1, ...), as VPP's instance bitmaps do; want >= 0 asks for one.
func (m *model) allocInstance(k Kind, want int64) (uint32, error) {
	used := m.instances[k]
	if used == nil {
		used = make(map[uint32]bool)
		m.instances[k] = used
	}
	if want >= 0 {
		if used[uint32(want)] {
			return 0, fmt.Errorf("instance %d of %s: %w", want, k, ErrExists)
		}
		used[uint32(want)] = true
		return uint32(want), nil
	}
	for i := uint32(0); ; i++ {
		if !used[i] {
			used[i] = true
			return i, nil
		}
	}
}

func (m *model) releaseInstance(k Kind, n uint32) {
	delete(m.instances[k], n)
}

// instanceOf reads the instance number at the end of a name such as loop3 or
// BondEthernet1 (-1 when there is none).
func instanceOf(name, prefix string) int64 {
	if len(name) <= len(prefix) || name[:len(prefix)] != prefix {
		return -1
	}
	n, err := strconv.ParseUint(name[len(prefix):], 10, 31)
	if err != nil {
		return -1
	}
	return int64(n)
}

// instancePrefix is the name prefix of kinds numbered by instance.
func instancePrefix(k Kind) string {
	switch k {
	case KindLoopback:
		return "loop"
	case KindBond:
		return "BondEthernet"
	case KindTap:
		return "tap"
	case KindVXLAN:
		return "vxlan_tunnel"
	case KindGRE:
		return "gre"
	}
	return ""
}

// ifaceSpec describes an interface to create.
type ifaceSpec struct {
	Name      string // required for dpdk/af-packet/memif; else derived when empty
	Kind      Kind
	Parent    string // sub: the parent; tap: the linux-cp phy
	SubID     uint32
	OuterVlan uint16
	InnerVlan uint16 // QinQ when non-zero
	Speed     uint32 // kbit/s
	MTU       uint32 // L3 MTU; 0 = the kind's default
	MAC       *[6]byte
	Tag       string
	BondMode  uint32
	BondLB    uint32
	HostName  string // linux-cp host interface name
	Netns     string
	Addresses []netip.Prefix
	Neighbors []Neighbor // SwIfIndex unset: this interface's
	Rates     Rates
	Detailed  bool
	Carrier   bool
	// raw, when set, is a replayed interface: every field is taken from it.
	raw *Interface
}

// macFor makes a stable locally administered MAC from a name (02:fe:...),
// or an Intel-looking one for dpdk ports.
func macFor(k Kind, name string) [6]byte {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	s := h.Sum32()
	mac := [6]byte{0x02, 0xfe, byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
	if k == KindDPDK {
		mac = [6]byte{0x3c, 0xfd, 0xfe, byte(s >> 16), byte(s >> 8), byte(s)}
	}
	return mac
}

// add creates an interface, as VPP's create functions do: a new (or reused)
// sw_if_index, admin down, the kind's defaults, and an "add" event.
func (m *model) add(sp ifaceSpec) (*iface, error) {
	if sp.raw != nil {
		return m.addRaw(sp.raw)
	}
	x := &iface{pair: -1}
	x.Kind = sp.Kind
	x.DevType = sp.Kind.devType()
	x.BondSwIfIndex = NoIndex
	x.Tag = sp.Tag
	x.Rates = sp.Rates
	x.DetailedStats = sp.Detailed
	x.Addresses = append([]netip.Prefix(nil), sp.Addresses...)
	x.peers = append([]Neighbor(nil), sp.Neighbors...)
	x.Carrier = sp.Carrier
	inst := int64(-1)
	name := sp.Name
	var parent *iface
	switch sp.Kind {
	case KindDPDK, KindAfPacket, KindMemif:
		if name == "" {
			return nil, fmt.Errorf("a %s interface needs a name", sp.Kind)
		}
		x.LinkMTU, x.MTU[0] = 9000, 9000
		x.LinkSpeed = sp.Speed
		if sp.Kind == KindDPDK {
			if x.LinkSpeed == 0 {
				x.LinkSpeed = 10000000
			}
			x.LinkDuplex = 2
		}
	case KindLocal:
		name = "local0"
	case KindSub:
		p, err := m.lookup(sp.Parent)
		if err != nil {
			return nil, fmt.Errorf("parent of sub-interface: %w", err)
		}
		if p.Kind == KindSub || p.Kind == KindLocal {
			return nil, fmt.Errorf("sub-interface of %s: %w", p.Name, ErrNotSupported)
		}
		parent = p
		if name == "" {
			name = p.Name + "." + strconv.FormatUint(uint64(sp.SubID), 10)
		}
		x.DevType = p.DevType
		x.LinkMTU = p.LinkMTU
		x.SubID = sp.SubID
		x.OuterVlan = sp.OuterVlan
		x.InnerVlan = sp.InnerVlan
		x.SubIfFlags = subFlagExactMatch
		if sp.InnerVlan != 0 {
			x.SubTags, x.SubIfFlags = 2, x.SubIfFlags|subFlagTwoTags
		} else {
			x.SubTags, x.SubIfFlags = 1, x.SubIfFlags|subFlagOneTag
		}
		if _, dup := m.subs[subKey{p.SwIfIndex, sp.SubID}]; dup {
			return nil, fmt.Errorf("sub-interface %d of %s: %w", sp.SubID, p.Name, ErrExists)
		}
	case KindLoopback, KindBond, KindTap, KindVXLAN, KindGRE:
		prefix := instancePrefix(sp.Kind)
		want := int64(-1)
		if name != "" {
			want = instanceOf(name, prefix)
		}
		n, err := m.allocInstance(sp.Kind, want)
		if err != nil {
			return nil, err
		}
		inst = int64(n)
		if name == "" {
			name = prefix + strconv.FormatUint(uint64(n), 10)
		}
		x.LinkMTU, x.MTU[0] = 9000, 9000
		switch sp.Kind {
		case KindLoopback:
			// VPP's loopbacks get de:ad:00:00:00:<instance>.
			x.MAC = [6]byte{0xde, 0xad, 0, 0, byte(n >> 8), byte(n)}
		case KindBond:
			x.BondID, x.BondMode, x.BondLB = n, sp.BondMode, sp.BondLB
		case KindGRE:
			x.LinkMTU = 65512
		case KindTap:
			// tap_create_if sets the link up at once, admin still down.
			x.hwLink = true
		}
	default:
		return nil, fmt.Errorf("cannot create a %q interface", sp.Kind)
	}
	if _, dup := m.byName[name]; dup {
		if inst >= 0 {
			m.releaseInstance(sp.Kind, uint32(inst))
		}
		return nil, fmt.Errorf("%s: %w", name, ErrExists)
	}
	if sp.MTU != 0 {
		x.MTU[0] = sp.MTU
	}
	x.Name = name
	if sp.Kind.ethernet() {
		if sp.MAC != nil {
			x.MAC = *sp.MAC
		} else if sp.Kind != KindLoopback {
			x.MAC = macFor(sp.Kind, name)
		}
	}
	var phy *iface
	if sp.Kind == KindTap && sp.Parent != "" {
		p, err := m.lookup(sp.Parent)
		if err != nil {
			return nil, fmt.Errorf("linux-cp phy of %s: %w", name, err)
		}
		phy = p
	}

	idx := m.allocIndex(name)
	x.SwIfIndex = idx
	x.SupSwIfIndex = idx
	if parent != nil {
		x.SupSwIfIndex = parent.SwIfIndex
	}
	m.ifs[idx] = x
	m.byName[name] = idx
	m.trafficDirty = true
	if parent != nil {
		m.subs[subKey{parent.SwIfIndex, x.SubID}] = idx
	}
	m.setStatName(idx, name)
	m.pending[idx] |= evAdd
	if x.hwLink {
		m.pending[idx] |= evLinkUp
	}
	if phy != nil {
		hostName := sp.HostName
		if hostName == "" {
			hostName = "e" + strconv.FormatUint(uint64(len(m.pairs)), 10)
		}
		p := &LCPPair{
			PhySwIfIndex:  phy.SwIfIndex,
			HostSwIfIndex: idx,
			HostIfName:    hostName,
			Netns:         sp.Netns,
			VifIndex:      m.nextVif,
		}
		m.nextVif++
		x.pair = m.addPair(p)
		x.LCP = p
	}
	return x, nil
}

// enslave makes x a member of bond b ("bond add"), as VPP adds members to
// an existing bond.
func (m *model) enslave(x, b *iface) error {
	switch {
	case b.Kind != KindBond:
		return fmt.Errorf("%s is not a bond: %w", b.Name, ErrNotSupported)
	case x.Kind != KindDPDK && x.Kind != KindAfPacket && x.Kind != KindMemif && x.Kind != KindTap:
		return fmt.Errorf("%s (%s) cannot join a bond: %w", x.Name, x.Kind, ErrNotSupported)
	case x.BondSwIfIndex != NoIndex:
		return fmt.Errorf("%s is already in a bond: %w", x.Name, ErrExists)
	}
	x.BondSwIfIndex = b.SwIfIndex
	b.members = append(b.members, x.SwIfIndex)
	m.recomputeBond(b)
	return nil
}

// addRaw recreates a captured interface exactly (replay).
func (m *model) addRaw(r *Interface) (*iface, error) {
	if _, dup := m.byName[r.Name]; dup {
		return nil, fmt.Errorf("%s: %w", r.Name, ErrExists)
	}
	idx := r.SwIfIndex
	for uint64(len(m.ifs)) <= uint64(idx) {
		m.ifs = append(m.ifs, nil)
	}
	if m.ifs[idx] != nil {
		return nil, fmt.Errorf("sw_if_index %d listed twice: %w", idx, ErrExists)
	}
	x := &iface{Interface: *r, pair: -1}
	x.BondSwIfIndex = NoIndex
	x.hwLink = r.LinkUp
	if p := instancePrefix(r.Kind); p != "" {
		if n := instanceOf(r.Name, p); n >= 0 {
			if _, err := m.allocInstance(r.Kind, n); err != nil {
				return nil, err
			}
		}
	}
	m.ifs[idx] = x
	m.byName[r.Name] = idx
	if r.Kind == KindSub {
		m.subs[subKey{r.SupSwIfIndex, r.SubID}] = idx
	}
	m.setStatName(idx, r.Name)
	return x, nil
}

// fillFree puts the holes a replay left into the free list, highest first,
// so that the lowest hole is reused first.
func (m *model) fillFree() {
	m.free = m.free[:0]
	for i := len(m.ifs) - 1; i >= 0; i-- {
		if m.ifs[i] == nil {
			m.free = append(m.free, uint32(i))
			if i >= len(m.statNames) || m.statNames[i] == "" {
				m.setStatName(uint32(i), statseg.Deleted)
			}
		}
	}
	// The free list is a stack: the last element is reused first.
	sort.Slice(m.free, func(i, j int) bool { return m.free[i] > m.free[j] })
}

func (m *model) addPair(p *LCPPair) int {
	for i, q := range m.pairs {
		if q == nil {
			m.pairs[i] = p
			return i
		}
	}
	m.pairs = append(m.pairs, p)
	return len(m.pairs) - 1
}

func (m *model) setStatName(idx uint32, name string) {
	for uint64(len(m.statNames)) <= uint64(idx) {
		m.statNames = append(m.statNames, "")
	}
	m.statNames[idx] = name
	m.namesDirty = true
}

// setHW sets the hardware link flag of x, with VPP's link event.
func (m *model) setHW(x *iface, up bool) {
	if x.hwLink == up {
		return
	}
	x.hwLink = up
	if up {
		m.pending[x.SwIfIndex] |= evLinkUp
	} else {
		m.pending[x.SwIfIndex] |= evLinkDown
	}
	if b := m.get(x.BondSwIfIndex); b != nil {
		m.recomputeBond(b)
	}
}

// activeMembers counts a bond's members that pass traffic.
func (m *model) activeMembers(b *iface) uint32 {
	var n uint32
	for _, mi := range b.members {
		if x := m.get(mi); x != nil && x.AdminUp && x.hwLink {
			n++
		}
	}
	return n
}

// recomputeBond applies VPP's bond rule: the bond's link is up while it is
// admin up and has an active member.
func (m *model) recomputeBond(b *iface) {
	m.setHW(b, b.AdminUp && m.activeMembers(b) > 0)
}

// setAdmin is "set interface state": the admin flag, and the link of kinds
// whose link follows it.
func (m *model) setAdmin(x *iface, up bool) {
	if x.AdminUp == up {
		return
	}
	x.AdminUp = up
	if up {
		m.pending[x.SwIfIndex] |= evAdminUp
	} else {
		m.pending[x.SwIfIndex] |= evAdminDown
	}
	switch {
	case x.Kind == KindSub, x.Kind == KindLocal:
	case x.Kind == KindBond:
		m.recomputeBond(x)
	case x.Kind.linkFollowsAdmin():
		m.setHW(x, up)
	case x.Kind.hasCarrier():
		m.setHW(x, up && x.Carrier)
	}
	if b := m.get(x.BondSwIfIndex); b != nil {
		m.recomputeBond(b)
	}
}

// setLink is the simulator's own "set interface link": the carrier of a port
// or memif; on kinds whose link follows admin it forces the link flag.
func (m *model) setLink(x *iface, up bool) error {
	switch {
	case x.Kind == KindSub, x.Kind == KindLocal, x.Kind == KindBond:
		return fmt.Errorf("link of %s (%s): %w", x.Name, x.Kind, ErrNotSupported)
	case x.Kind.hasCarrier():
		x.Carrier = up
		m.setHW(x, x.AdminUp && up)
	default:
		x.Carrier = up
		m.setHW(x, up)
	}
	return nil
}

// remove deletes x and what depends on it (its sub-interfaces, the linux-cp
// taps mirroring it), dependents first, as VPP does. It returns the deleted
// indexes.
func (m *model) remove(x *iface) ([]uint32, error) {
	if x.Kind == KindLocal {
		return nil, fmt.Errorf("%s: %w", x.Name, ErrNotSupported)
	}
	// Dependents (sub-interfaces, linux-cp taps, and theirs) go first, in
	// index order; one pass per level of dependency.
	deps := map[uint32]bool{x.SwIfIndex: true}
	var order []*iface
	for changed := true; changed; {
		changed = false
		for _, o := range m.ifs {
			if o == nil || deps[o.SwIfIndex] {
				continue
			}
			on := o.Kind == KindSub && deps[o.SupSwIfIndex]
			if o.LCP != nil && deps[o.LCP.PhySwIfIndex] {
				on = true
			}
			if on {
				deps[o.SwIfIndex] = true
				order = append(order, o)
				changed = true
			}
		}
	}
	var gone []uint32
	for i := len(order) - 1; i >= 0; i-- {
		gone = append(gone, m.removeOne(order[i]))
	}
	return append(gone, m.removeOne(x)), nil
}

// removeOne deletes one interface that nothing depends on any more.
func (m *model) removeOne(x *iface) uint32 {
	idx := x.SwIfIndex
	// VPP brings an interface down before deleting it.
	m.setAdmin(x, false)
	if x.Kind != KindSub {
		m.setHW(x, false)
	}
	if b := m.get(x.BondSwIfIndex); b != nil {
		for i, mi := range b.members {
			if mi == idx {
				b.members = append(b.members[:i:i], b.members[i+1:]...)
				break
			}
		}
		x.BondSwIfIndex = NoIndex
		m.recomputeBond(b)
	}
	for _, mi := range x.members {
		if mx := m.get(mi); mx != nil {
			mx.BondSwIfIndex = NoIndex
		}
	}
	if x.pair >= 0 {
		m.pairs[x.pair] = nil
	}
	if p := instancePrefix(x.Kind); p != "" {
		if n := instanceOf(x.Name, p); n >= 0 {
			m.releaseInstance(x.Kind, uint32(n))
		}
	}
	if x.Kind == KindSub {
		delete(m.subs, subKey{x.SupSwIfIndex, x.SubID})
	}
	m.ifs[idx] = nil
	m.trafficDirty = true
	delete(m.byName, x.Name)
	m.free = append(m.free, idx)
	m.setStatName(idx, statseg.Deleted)
	m.pending[idx] |= evDel
	return idx
}

// flushEvents closes the current event window: one event per interface that
// saw anything, in sw_if_index order, as VPP's link-state process sends them.
func (m *model) flushEvents() []ifEvent {
	if len(m.pending) == 0 {
		return nil
	}
	idxs := make([]uint32, 0, len(m.pending))
	for i := range m.pending {
		idxs = append(idxs, i)
	}
	sort.Slice(idxs, func(a, b int) bool { return idxs[a] < idxs[b] })
	evs := make([]ifEvent, 0, len(idxs))
	for _, i := range idxs {
		b := m.pending[i]
		var flags uint32
		if b&evAdminUp != 0 {
			flags |= 1
		}
		if b&evLinkUp != 0 {
			flags |= 2
		}
		evs = append(evs, ifEvent{swIfIndex: i, flags: flags, deleted: b&evDel != 0})
	}
	clear(m.pending)
	return evs
}

// list returns the live interfaces in sw_if_index order.
func (m *model) list() []*iface {
	out := make([]*iface, 0, len(m.ifs))
	for _, x := range m.ifs {
		if x != nil {
			out = append(out, x)
		}
	}
	return out
}

// renumbered places the interfaces of m on the indexes they hold in m,
// each on another index than old gives it: ordered by their old index,
// each takes the next one's slot and the last the first's (local0 stays
// 0). Where that leaves an interface on its old index (the set of
// interfaces changed since), it swaps slots with another so that neither
// is. With fewer than two interfaces besides local0 nothing can move.
func renumbered(m *model, old map[string]uint32) map[string]uint32 {
	var xs []*iface
	var slots []uint32
	place := map[string]uint32{}
	for _, x := range m.list() {
		if x.Kind == KindLocal {
			place[x.Name] = x.SwIfIndex
			continue
		}
		xs = append(xs, x)
		slots = append(slots, x.SwIfIndex)
	}
	oldOf := func(x *iface) uint32 {
		if i, ok := old[x.Name]; ok {
			return i
		}
		return NoIndex
	}
	sort.SliceStable(xs, func(i, j int) bool { return oldOf(xs[i]) < oldOf(xs[j]) })
	n := len(xs)
	got := make([]uint32, n)
	for i := range xs {
		got[i] = slots[(i+1)%n]
	}
	for i := range xs {
		if got[i] != oldOf(xs[i]) {
			continue
		}
		for j := range xs {
			if j != i && got[j] != oldOf(xs[i]) && got[i] != oldOf(xs[j]) {
				got[i], got[j] = got[j], got[i]
				break
			}
		}
	}
	for i, x := range xs {
		place[x.Name] = got[i]
	}
	return place
}
