package mib

import (
	"math"
	"slices"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
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
	ctr     []ctrRow // parallel to ifIndex
	arena   []byte
	// stack holds ifStackTable's rows as higher<<32 | lower, ascending.
	stack        []uint64
	tableChanged stamp // the last row add/remove; 0: none
	stackChanged stamp
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
		CounterDiscontinuity: s.instant(s.ctr[i].disc),
	}
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
	for i := range regions {
		r := &regions[i]
		if !name.HasPrefix(r.oid) {
			continue
		}
		rest := name[len(r.oid):]
		switch r.kind {
		case kindScalar:
			if len(rest) == 1 && rest[0] == 0 {
				return s.scalar(r.what)
			}
			return agentx.Value{Type: agentx.TypeNoSuchInstance}
		case kindIfTable:
			if len(rest) == 0 || rest[0] < r.minCol || rest[0] > r.maxCol {
				return agentx.Value{Type: agentx.TypeNoSuchObject}
			}
			if len(rest) == 2 {
				if pos, ok := slices.BinarySearch(s.ifIndex, rest[1]); ok {
					return s.cell(r.what, rest[0], pos)
				}
			}
			return agentx.Value{Type: agentx.TypeNoSuchInstance}
		case kindStackTable:
			if len(rest) == 0 || rest[0] < r.minCol || rest[0] > r.maxCol {
				return agentx.Value{Type: agentx.TypeNoSuchObject}
			}
			if len(rest) == 3 {
				if _, ok := slices.BinarySearch(s.stack, uint64(rest[1])<<32|uint64(rest[2])); ok {
					return stackStatus()
				}
			}
			return agentx.Value{Type: agentx.TypeNoSuchInstance}
		}
	}
	return agentx.Value{Type: agentx.TypeNoSuchObject}
}

// Next returns the first instance after from (or at it, with include),
// appended to dst[:0] (agentx.Tree).
func (s *Snapshot) Next(dst, from agentx.OID, include bool) (agentx.OID, agentx.Value, bool) {
	if s == nil {
		s = &emptySnapshot
	}
	for i := range regions {
		r := &regions[i]
		var rest []uint32
		if from.HasPrefix(r.oid) {
			rest = from[len(r.oid):]
		} else if from.Compare(r.oid) > 0 {
			continue // from is past this whole region
		}
		// Here from is inside the region (rest) or before all of it (rest
		// empty, which every instance follows).
		switch r.kind {
		case kindScalar:
			if len(rest) == 0 || (include && len(rest) == 1 && rest[0] == 0) {
				return append(append(dst[:0], r.oid...), 0), s.scalar(r.what), true
			}
		case kindIfTable:
			if col, pos, ok := nextCell(r, rest, include, s.ifIndex, ifIndexAfter); ok {
				dst = append(append(dst[:0], r.oid...), col, s.ifIndex[pos])
				return dst, s.cell(r.what, col, pos), true
			}
		case kindStackTable:
			if col, pos, ok := nextCell(r, rest, include, s.stack, stackAfter); ok {
				k := s.stack[pos]
				dst = append(append(dst[:0], r.oid...), col, uint32(k>>32), uint32(k))
				return dst, stackStatus(), true
			}
		}
	}
	return dst[:0], agentx.Value{Type: agentx.TypeEndOfMIBView}, false
}

// nextCell finds the first cell of a table region after rest (the part of
// the searched OID below the entry), as a column and a row position. after
// returns the first row position whose index follows idx (the part below the
// column).
func nextCell[K any](r *region, rest []uint32, include bool, keys []K, after func([]K, []uint32, bool) int) (uint32, int, bool) {
	if len(keys) == 0 {
		return 0, 0, false
	}
	if len(rest) == 0 || rest[0] < r.minCol {
		return r.minCol, 0, true
	}
	col := rest[0]
	if col > r.maxCol {
		return 0, 0, false
	}
	if pos := after(keys, rest[1:], include); pos < len(keys) {
		return col, pos, true
	}
	if col < r.maxCol {
		return col + 1, 0, true
	}
	return 0, 0, false
}

// ifIndexAfter returns the first position whose ifIndex, as a one-subid
// instance suffix, follows idx (or equals it, with include).
func ifIndexAfter(ix []uint32, idx []uint32, include bool) int {
	if len(idx) == 0 {
		return 0
	}
	pos, found := slices.BinarySearch(ix, idx[0])
	// [n] > idx when n > idx[0], or n == idx[0] and idx is just [n] with
	// include; a longer idx ([n, ...]) is past the instance [n].
	if found && !(include && len(idx) == 1) {
		pos++
	}
	return pos
}

// stackAfter is ifIndexAfter for the two-subid (higher, lower) index.
func stackAfter(keys []uint64, idx []uint32, include bool) int {
	switch len(idx) {
	case 0:
		return 0
	case 1:
		// every [idx[0], lower] is longer than [idx[0]], hence after it
		pos, _ := slices.BinarySearch(keys, uint64(idx[0])<<32)
		return pos
	}
	pos, found := slices.BinarySearch(keys, uint64(idx[0])<<32|uint64(idx[1]))
	if found && !(include && len(idx) == 2) {
		pos++
	}
	return pos
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

func stackStatus() agentx.Value { return integer(1) } // active(1)

func (s *Snapshot) octets(sp span) agentx.Value {
	return agentx.Value{Type: agentx.TypeOctetString, Bytes: s.str(sp)}
}

func (s *Snapshot) scalar(what object) agentx.Value {
	switch what {
	case objIfNumber:
		return integer(int32(min(len(s.rows), MaxIfIndex)))
	case objIfTableLastChange:
		return s.ticks(s.tableChanged)
	case objIfStackLastChange:
		return s.ticks(s.stackChanged)
	}
	return agentx.Value{Type: agentx.TypeNoSuchObject}
}

// cell returns column col of the row at pos of ifEntry or ifXEntry.
func (s *Snapshot) cell(what object, col uint32, pos int) agentx.Value {
	r := &s.rows[pos]
	ctr := &s.ctr[pos]
	c := &ctr.c
	if what == objIfXEntry {
		switch col {
		case colIfName:
			return s.octets(r.name)
		case colIfInMulticastPkts:
			return counter32(c[cInMcast])
		case colIfInBroadcastPkts:
			return counter32(c[cInBcast])
		case colIfOutMulticastPkts:
			return counter32(c[cOutMcast])
		case colIfOutBroadcastPkts:
			return counter32(c[cOutBcast])
		case colIfHCInOctets:
			return counter64(c[cInOctets])
		case colIfHCInUcastPkts:
			return counter64(ctr.inUcast)
		case colIfHCInMulticastPkts:
			return counter64(c[cInMcast])
		case colIfHCInBroadcastPkts:
			return counter64(c[cInBcast])
		case colIfHCOutOctets:
			return counter64(c[cOutOctets])
		case colIfHCOutUcastPkts:
			return counter64(ctr.outUcast)
		case colIfHCOutMulticastPkts:
			return counter64(c[cOutMcast])
		case colIfHCOutBroadcastPkts:
			return counter64(c[cOutBcast])
		case colIfLinkUpDownTrapEnable:
			return integer(truth(!r.stacked))
		case colIfHighSpeed:
			// RFC 2863: n means n-500,000 .. n+499,999 bit/s, so round.
			return gauge32((r.speedKbps + 500) / 1000)
		case colIfPromiscuousMode:
			return integer(truthFalse)
		case colIfConnectorPresent:
			return integer(truth(r.connector))
		case colIfAlias:
			return s.octets(r.alias)
		case colIfCounterDiscontinuityTime:
			return s.ticks(ctr.disc)
		}
		return agentx.Value{Type: agentx.TypeNoSuchObject}
	}
	switch col {
	case colIfIndex:
		return integer(int32(s.ifIndex[pos]))
	case colIfDescr:
		return s.octets(r.descr)
	case colIfType:
		return integer(int32(r.ifType))
	case colIfMtu:
		return integer(int32(min(r.mtu, MaxIfIndex)))
	case colIfSpeed:
		return gauge32(r.speedKbps * 1000) // saturates at 4294967295
	case colIfPhysAddress:
		return s.octets(r.mac)
	case colIfAdminStatus:
		return integer(int32(r.admin))
	case colIfOperStatus:
		return integer(int32(r.oper))
	case colIfLastChange:
		return s.ticks(r.lastChange)
	case colIfInOctets:
		return counter32(c[cInOctets])
	case colIfInUcastPkts:
		return counter32(ctr.inUcast)
	case colIfInNUcastPkts:
		return counter32(c[cInMcast] + c[cInBcast])
	case colIfInDiscards:
		return counter32(c[cInDrops] + c[cInNoBuf] + c[cInMiss])
	case colIfInErrors:
		return counter32(c[cInErrors])
	case colIfInUnknownProtos, colIfOutDiscards:
		return counter32(0)
	case colIfOutOctets:
		return counter32(c[cOutOctets])
	case colIfOutUcastPkts:
		return counter32(ctr.outUcast)
	case colIfOutNUcastPkts:
		return counter32(c[cOutMcast] + c[cOutBcast])
	case colIfOutErrors:
		return counter32(c[cOutErrors])
	case colIfOutQLen:
		return gauge32(0)
	case colIfSpecific:
		return agentx.Value{Type: agentx.TypeObjectIdentifier, OID: zeroDotZero}
	}
	return agentx.Value{Type: agentx.TypeNoSuchObject}
}

func truth(b bool) int32 {
	if b {
		return truthTrue
	}
	return truthFalse
}
