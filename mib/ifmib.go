package mib

import "github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"

// IF-MIB (RFC 2863): the interfaces, from VPP's interface dump and stats
// segment. It is the base module: Build makes its rows (build.go), and the
// other modules join their rows to them by sw_if_index. Its data is the
// Snapshot itself.

var (
	oidIfNumber          = agentx.OID{1, 3, 6, 1, 2, 1, 2, 1}
	oidIfEntry           = agentx.OID{1, 3, 6, 1, 2, 1, 2, 2, 1}
	oidIfXEntry          = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 1, 1}
	oidIfStackEntry      = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 2, 1}
	oidIfTableLastChange = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 5}
	oidIfStackLastChange = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 6}

	// zeroDotZero is ifSpecific's value (RFC 2863: deprecated, 0.0).
	zeroDotZero = agentx.OID{0, 0}
)

var ifModule = &module{name: "if", mib: "IF-MIB (RFC 2863)"}

// ifObjects are IF-MIB's objects in OID order; a snapshot built without
// Options.MIBs serves these alone.
var ifObjects = []object{ifNumber, ifTable, ifXTable, ifStackTable, ifTableLastChange, ifStackLastChange}

func init() {
	ifModule.objects = ifObjects
	register(ifModule)
}

func self(s *Snapshot) *Snapshot { return s }

// noRows is an empty index, boxed once.
var noRows index = ifIndexKeys(nil)

func ifRows(s *Snapshot) index {
	if s.ifKeys == nil {
		return noRows
	}
	return s.ifKeys
}

var (
	ifNumber = &scalar{at: oidIfNumber, name: "ifNumber", value: func(s *Snapshot) agentx.Value {
		return integer(int32(min(len(s.rows), maxInteger32)))
	}}
	ifTableLastChange = &scalar{at: oidIfTableLastChange, name: "ifTableLastChange", value: func(s *Snapshot) agentx.Value {
		return s.ticks(s.tableChanged)
	}}
	ifStackLastChange = &scalar{at: oidIfStackLastChange, name: "ifStackLastChange", value: func(s *Snapshot) agentx.Value {
		return s.ticks(s.stackChanged)
	}}
)

// maxInteger32 is the largest Integer32 (and InterfaceIndex).
const maxInteger32 = 1<<31 - 1

// Columns of ifEntry (RFC 2863 / RFC 1213).
const (
	colIfIndex           = 1
	colIfDescr           = 2
	colIfType            = 3
	colIfMtu             = 4
	colIfSpeed           = 5
	colIfPhysAddress     = 6
	colIfAdminStatus     = 7
	colIfOperStatus      = 8
	colIfLastChange      = 9
	colIfInOctets        = 10
	colIfInUcastPkts     = 11
	colIfInNUcastPkts    = 12
	colIfInDiscards      = 13
	colIfInErrors        = 14
	colIfInUnknownProtos = 15
	colIfOutOctets       = 16
	colIfOutUcastPkts    = 17
	colIfOutNUcastPkts   = 18
	colIfOutDiscards     = 19
	colIfOutErrors       = 20
	colIfOutQLen         = 21
	colIfSpecific        = 22
)

// Columns of ifXEntry (RFC 2863).
const (
	colIfName                     = 1
	colIfInMulticastPkts          = 2
	colIfInBroadcastPkts          = 3
	colIfOutMulticastPkts         = 4
	colIfOutBroadcastPkts         = 5
	colIfHCInOctets               = 6
	colIfHCInUcastPkts            = 7
	colIfHCInMulticastPkts        = 8
	colIfHCInBroadcastPkts        = 9
	colIfHCOutOctets              = 10
	colIfHCOutUcastPkts           = 11
	colIfHCOutMulticastPkts       = 12
	colIfHCOutBroadcastPkts       = 13
	colIfLinkUpDownTrapEnable     = 14
	colIfHighSpeed                = 15
	colIfPromiscuousMode          = 16
	colIfConnectorPresent         = 17
	colIfAlias                    = 18
	colIfCounterDiscontinuityTime = 19
)

// colIfStackStatus is ifStackEntry's only accessible column: higher (1)
// and lower (2) are the index, not-accessible.
const colIfStackStatus = 3

var ifTable = &table[Snapshot]{
	entry: oidIfEntry,
	data:  self,
	rows:  ifRows,
	cols: []column[Snapshot]{
		{sub: colIfIndex, name: "ifIndex", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			return integer(int32(s.ifIndex[i]))
		}},
		{sub: colIfDescr, name: "ifDescr", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return s.octets(r.descr)
		}},
		{sub: colIfType, name: "ifType", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return integer(int32(r.ifType))
		}},
		{sub: colIfMtu, name: "ifMtu", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return integer(int32(min(r.mtu, maxInteger32)))
		}},
		{sub: colIfSpeed, name: "ifSpeed", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return gauge32(r.speedKbps * 1000) // saturates at 4294967295
		}},
		{sub: colIfPhysAddress, name: "ifPhysAddress", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return s.octets(r.mac)
		}},
		{sub: colIfAdminStatus, name: "ifAdminStatus", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return integer(int32(r.admin))
		}},
		{sub: colIfOperStatus, name: "ifOperStatus", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return integer(int32(r.oper))
		}},
		{sub: colIfLastChange, name: "ifLastChange", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return s.ticks(r.lastChange)
		}},
		{sub: colIfInOctets, name: "ifInOctets", value: ctr32(cInOctets)},
		{sub: colIfInUcastPkts, name: "ifInUcastPkts", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			c := s.ctrOf(i)
			return counter32(c.inUcast)
		}},
		{sub: colIfInNUcastPkts, name: "ifInNUcastPkts", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			c := s.ctrOf(i)
			return counter32(c.c[cInMcast] + c.c[cInBcast])
		}},
		{sub: colIfInDiscards, name: "ifInDiscards", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			c := s.ctrOf(i)
			return counter32(c.c[cInDrops] + c.c[cInNoBuf] + c.c[cInMiss])
		}},
		{sub: colIfInErrors, name: "ifInErrors", value: ctr32(cInErrors)},
		{sub: colIfInUnknownProtos, name: "ifInUnknownProtos", value: func(_ *Snapshot, _ *Snapshot, _ int) agentx.Value { return counter32(0) }},
		{sub: colIfOutOctets, name: "ifOutOctets", value: ctr32(cOutOctets)},
		{sub: colIfOutUcastPkts, name: "ifOutUcastPkts", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			c := s.ctrOf(i)
			return counter32(c.outUcast)
		}},
		{sub: colIfOutNUcastPkts, name: "ifOutNUcastPkts", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			c := s.ctrOf(i)
			return counter32(c.c[cOutMcast] + c.c[cOutBcast])
		}},
		{sub: colIfOutDiscards, name: "ifOutDiscards", value: func(_ *Snapshot, _ *Snapshot, _ int) agentx.Value { return counter32(0) }},
		{sub: colIfOutErrors, name: "ifOutErrors", value: ctr32(cOutErrors)},
		{sub: colIfOutQLen, name: "ifOutQLen", value: func(_ *Snapshot, _ *Snapshot, _ int) agentx.Value { return gauge32(0) }},
		{sub: colIfSpecific, name: "ifSpecific", value: func(_ *Snapshot, _ *Snapshot, _ int) agentx.Value {
			return agentx.Value{Type: agentx.TypeObjectIdentifier, OID: zeroDotZero}
		}},
	},
}

var ifXTable = &table[Snapshot]{
	entry: oidIfXEntry,
	data:  self,
	rows:  ifRows,
	cols: []column[Snapshot]{
		{sub: colIfName, name: "ifName", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return s.octets(r.name)
		}},
		{sub: colIfInMulticastPkts, name: "ifInMulticastPkts", value: ctr32(cInMcast)},
		{sub: colIfInBroadcastPkts, name: "ifInBroadcastPkts", value: ctr32(cInBcast)},
		{sub: colIfOutMulticastPkts, name: "ifOutMulticastPkts", value: ctr32(cOutMcast)},
		{sub: colIfOutBroadcastPkts, name: "ifOutBroadcastPkts", value: ctr32(cOutBcast)},
		{sub: colIfHCInOctets, name: "ifHCInOctets", value: ctr64(cInOctets)},
		{sub: colIfHCInUcastPkts, name: "ifHCInUcastPkts", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			c := s.ctrOf(i)
			return counter64(c.inUcast)
		}},
		{sub: colIfHCInMulticastPkts, name: "ifHCInMulticastPkts", value: ctr64(cInMcast)},
		{sub: colIfHCInBroadcastPkts, name: "ifHCInBroadcastPkts", value: ctr64(cInBcast)},
		{sub: colIfHCOutOctets, name: "ifHCOutOctets", value: ctr64(cOutOctets)},
		{sub: colIfHCOutUcastPkts, name: "ifHCOutUcastPkts", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			c := s.ctrOf(i)
			return counter64(c.outUcast)
		}},
		{sub: colIfHCOutMulticastPkts, name: "ifHCOutMulticastPkts", value: ctr64(cOutMcast)},
		{sub: colIfHCOutBroadcastPkts, name: "ifHCOutBroadcastPkts", value: ctr64(cOutBcast)},
		{sub: colIfLinkUpDownTrapEnable, name: "ifLinkUpDownTrapEnable", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return integer(truth(!r.stacked))
		}},
		{sub: colIfHighSpeed, name: "ifHighSpeed", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			// RFC 2863: n means n-500,000 .. n+499,999 bit/s, so round.
			return gauge32((r.speedKbps + 500) / 1000)
		}},
		{sub: colIfPromiscuousMode, name: "ifPromiscuousMode", value: func(_ *Snapshot, _ *Snapshot, _ int) agentx.Value { return integer(truthFalse) }},
		{sub: colIfConnectorPresent, name: "ifConnectorPresent", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return integer(truth(r.connector))
		}},
		{sub: colIfAlias, name: "ifAlias", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			r := &s.rows[i]
			return s.octets(r.alias)
		}},
		{sub: colIfCounterDiscontinuityTime, name: "ifCounterDiscontinuityTime", value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
			c := s.ctrOf(i)
			return s.ticks(c.disc)
		}},
	},
}

var ifStackTable = &table[Snapshot]{
	entry: oidIfStackEntry,
	data:  self,
	rows: func(s *Snapshot) index {
		if s.stackKeys == nil {
			return noRows
		}
		return s.stackKeys
	},
	cols: []column[Snapshot]{
		{sub: colIfStackStatus, name: "ifStackStatus", value: func(*Snapshot, *Snapshot, int) agentx.Value {
			return integer(1) // active(1)
		}},
	},
}

// ctr32 and ctr64 are the value of a column that serves one of VPP's own
// counters as it is, as a Counter32 (its low 32 bits) or a Counter64.
func ctr32(k int) func(*Snapshot, *Snapshot, int) agentx.Value {
	return func(s *Snapshot, _ *Snapshot, i int) agentx.Value { return counter32(s.ctrOf(i).c[k]) }
}

func ctr64(k int) func(*Snapshot, *Snapshot, int) agentx.Value {
	return func(s *Snapshot, _ *Snapshot, i int) agentx.Value { return counter64(s.ctrOf(i).c[k]) }
}
