package mib

import (
	"math"
	"slices"
	"time"
	"weak"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// Status is an ifAdminStatus or ifOperStatus value.
type Status uint8

// The ifAdminStatus / ifOperStatus values this agent uses (RFC 2863).
const (
	StatusUp             Status = 1
	StatusDown           Status = 2
	StatusLowerLayerDown Status = 7
)

func (s Status) String() string {
	switch s {
	case StatusUp:
		return "up"
	case StatusDown:
		return "down"
	case StatusLowerLayerDown:
		return "lowerLayerDown"
	}
	return "unknown"
}

// IANAifType values this agent uses.
const (
	typeOther          = 1
	typeEthernetCsmacd = 6
	typeSoftwareLoop   = 24
	typeTunnel         = 131
	typeL2VLAN         = 135
	typeIEEE8023adLag  = 161
	typePropVirtual    = 53
)

// TruthValue and ifLinkUpDownTrapEnable values.
const (
	truthTrue  = 1
	truthFalse = 2
)

// span is a string held in the snapshot's arena.
type span struct{ off, n uint32 }

// row is the static part of one interface: everything but the counters, so
// that WithCounters can share it.
type row struct {
	swIfIndex  uint32
	mtu        uint32
	speedKbps  uint64 // sub-interface: the parent's; bond: sum of active members
	lastChange stamp  // the last oper change; 0: none seen
	descr      span
	name       span
	alias      span
	mac        span // 0 or 6 octets
	ifType     uint8
	admin      Status
	oper       Status
	stacked    bool // on a lower layer in ifStackTable: traps off (RFC 2863 ifLinkUpDownTrapEnable)
	connector  bool
	duplex     model.Duplex // for EtherLike-MIB
}

// Slots of ctrRow.c: VPP's counters as read, those the IF-MIB serves.
const (
	cInOctets = iota // /if/rx bytes
	cInPkts          // /if/rx packets
	cInMcast
	cInBcast
	cInDrops
	cInNoBuf
	cInMiss
	cInErrors
	cOutOctets
	cOutPkts
	cOutMcast
	cOutBcast
	cOutErrors
	nCounters
)

// ctrRow is one interface's counters and their discontinuity instant.
type ctrRow struct {
	c [nCounters]uint64
	// inUcast and outUcast are derived from c (see read) and never below
	// their previous value since the last discontinuity.
	inUcast, outUcast uint64
	disc              stamp // 0: none since the agent started
}

// Snapshot is an immutable IF-MIB view. It implements agentx.Tree; Get and
// Next do not allocate and are safe for any number of concurrent readers.
type Snapshot struct {
	clock agentx.Clock
	// epoch is the first Build's now, inherited by every snapshot built
	// from it: the stamps count from it, and it keeps now's monotonic
	// reading, so a wall-clock step does not move the times served.
	epoch   time.Time
	segment uint64   // Options.Segment of the counters; 0: unknown
	ifIndex []uint32 // ascending; the search key, apart from rows for locality
	rows    []row    // parallel to ifIndex
	// The counters, read through ctrOf. Build and the counter reads lay
	// them out compactly (slot nil: row i's are ctr[i]). Patch shares its
	// prev's ctr rather than copy it: slot, parallel to ifIndex, is each
	// row's index into ctr and then ovf, which holds the counters Patch
	// set (new rows, moved rows). A slot is not a field of row, which
	// would grow from 64 to 72 bytes and make the counter reads copy rows.
	ctr   []ctrRow
	slot  []uint32
	ovf   []ctrRow
	arena []byte
	// ctrFor is the snapshot Build made ctr for: FillCounters writes ctr
	// in place only in it. A copy (WithSources) keeps the pointer, so it is
	// not its own; a Patch, sharing its prev's ctr, has none. Weak: every
	// snapshot derived by copying would otherwise keep the Build's alive,
	// its counter array with it (12.8 MB at 100,000 interfaces).
	ctrFor weak.Pointer[Snapshot]
	// stack holds ifStackTable's rows as higher<<32 | lower, ascending.
	stack        []uint64
	tableChanged stamp // the last row add/remove; 0: none
	stackChanged stamp
	// ifKeys and stackKeys are ifIndex and stack boxed once as indexes.
	ifKeys, stackKeys index
	// bySw finds a row by sw_if_index, for the modules that join by it.
	bySw swIndex

	// The other modules: their sources, their data by module id, and every
	// object served (of the modules in mods), in OID order.
	src   *Sources
	parts []any
	mods  []*module
	objs  []object
}

// stamp is an instant as 1 + nanoseconds since the snapshot's epoch, so
// that 0 stays "none seen since the agent started" even for an instant
// at the epoch itself.
type stamp int64

// stamp returns now as a stamp; instants before the epoch count as it.
func (s *Snapshot) stamp(now time.Time) stamp {
	return stamp(min(max(now.Sub(s.epoch), 0), math.MaxInt64-1)) + 1
}

// instant returns the time of a stamp, with the epoch's monotonic reading;
// the zero Time for 0.
func (s *Snapshot) instant(v stamp) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return s.epoch.Add(time.Duration(v - 1))
}

var _ agentx.Tree = (*Snapshot)(nil)

// emptySnapshot stands in for a nil *Snapshot; nothing writes it.
var emptySnapshot Snapshot

// Len is the number of interfaces (ifNumber).
func (s *Snapshot) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rows)
}

// Row is one interface as served, for logging and tests.
type Row struct {
	IfIndex, SwIfIndex   uint32
	Descr, Name, Alias   string
	PhysAddress          []byte
	Type                 int
	MTU                  uint32
	SpeedKbps            uint64
	Admin, Oper          Status
	LastChange           time.Time // zero: none seen since the agent started
	CounterDiscontinuity time.Time // zero: none seen since the agent started
}

// Row returns the i-th interface in ifIndex order, 0 <= i < Len().
func (s *Snapshot) Row(i int) Row {
	r := &s.rows[i]
	return Row{
		IfIndex:              s.ifIndex[i],
		SwIfIndex:            r.swIfIndex,
		Descr:                string(s.str(r.descr)),
		Name:                 string(s.str(r.name)),
		Alias:                string(s.str(r.alias)),
		PhysAddress:          slices.Clone(s.str(r.mac)),
		Type:                 int(r.ifType),
		MTU:                  r.mtu,
		SpeedKbps:            r.speedKbps,
		Admin:                r.admin,
		Oper:                 r.oper,
		LastChange:           s.instant(r.lastChange),
		CounterDiscontinuity: s.instant(s.ctrOf(i).disc),
	}
}

// ctrOf returns row i's counters.
func (s *Snapshot) ctrOf(i int) *ctrRow {
	if s.slot != nil {
		i = int(s.slot[i])
		if i >= len(s.ctr) {
			return &s.ovf[i-len(s.ctr)]
		}
	}
	return &s.ctr[i]
}

// Find returns the position of an ifIndex for Row.
func (s *Snapshot) Find(ifIndex uint32) (int, bool) {
	if s == nil {
		return 0, false
	}
	return slices.BinarySearch(s.ifIndex, ifIndex)
}

// str returns the arena bytes of sp; callers must not modify them.
func (s *Snapshot) str(sp span) []byte {
	return s.arena[sp.off : sp.off+sp.n : sp.off+sp.n]
}

// ticks converts a stamp to the master's sysUpTime at serve time, so a
// restarted master (new Clock base) needs no rebuild.
func (s *Snapshot) ticks(at stamp) agentx.Value {
	v := agentx.Value{Type: agentx.TypeTimeTicks}
	if at != 0 && s.clock != nil {
		v.Integer = uint64(s.clock.Ticks(s.instant(at)))
	}
	return v
}

// Get returns the value at exactly name (agentx.Tree).
func (s *Snapshot) Get(name agentx.OID) agentx.Value {
	if s == nil {
		s = &emptySnapshot
	}
	objs := s.objects()
	// the last object at or before name: the only one that can prefix it
	if i := search(objs, name) - 1; i >= 0 && name.HasPrefix(objs[i].oid()) {
		o := objs[i]
		return o.get(s, name[len(o.oid()):])
	}
	return agentx.Value{Type: agentx.TypeNoSuchObject}
}

// Next returns the first instance after from (or at it, with include),
// appended to dst[:0] (agentx.Tree).
func (s *Snapshot) Next(dst, from agentx.OID, include bool) (agentx.OID, agentx.Value, bool) {
	if s == nil {
		s = &emptySnapshot
	}
	objs := s.objects()
	i := search(objs, from)
	if i > 0 && from.HasPrefix(objs[i-1].oid()) {
		i-- // from is inside that object
	}
	for ; i < len(objs); i++ {
		o := objs[i]
		var rest []uint32
		if from.HasPrefix(o.oid()) {
			rest = from[len(o.oid()):]
		}
		// Here from is inside the object (rest) or before all of it (rest
		// empty, which every instance follows).
		if name, v, ok := o.next(s, dst, rest, include); ok {
			return name, v, true
		}
	}
	return dst[:0], agentx.Value{Type: agentx.TypeEndOfMIBView}, false
}

// search returns the number of objects at or before name.
func search(objs []object, name agentx.OID) int {
	lo, hi := 0, len(objs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if objs[m].oid().Compare(name) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// objects returns what s serves: IF-MIB's objects when built without
// Options.MIBs.
func (s *Snapshot) objects() []object {
	if s.objs == nil {
		return ifObjects
	}
	return s.objs
}

func integer(v int32) agentx.Value {
	return agentx.Value{Type: agentx.TypeInteger, Integer: uint64(uint32(v))}
}

func counter32(v uint64) agentx.Value {
	return agentx.Value{Type: agentx.TypeCounter32, Integer: v & 0xffffffff}
}

func counter64(v uint64) agentx.Value {
	return agentx.Value{Type: agentx.TypeCounter64, Integer: v}
}

func gauge32(v uint64) agentx.Value {
	return agentx.Value{Type: agentx.TypeGauge32, Integer: min(v, 0xffffffff)}
}

func (s *Snapshot) octets(sp span) agentx.Value {
	return agentx.Value{Type: agentx.TypeOctetString, Bytes: s.str(sp)}
}

func truth(b bool) int32 {
	if b {
		return truthTrue
	}
	return truthFalse
}
