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

// ifCol declares a column of a table whose rows are the interfaces.
func ifCol(sub uint32, name string, v func(s *Snapshot, r *row, c *ctrRow, i int) agentx.Value) column[Snapshot] {
	return column[Snapshot]{sub: sub, name: name, value: func(s *Snapshot, _ *Snapshot, i int) agentx.Value {
		return v(s, &s.rows[i], &s.ctr[i], i)
	}}
}

var ifTable = &table[Snapshot]{
	entry: oidIfEntry,
	data:  self,
	rows:  ifRows,
	cols: []column[Snapshot]{
		ifCol(colIfIndex, "ifIndex", func(s *Snapshot, _ *row, _ *ctrRow, i int) agentx.Value { return integer(int32(s.ifIndex[i])) }),
		ifCol(colIfDescr, "ifDescr", func(s *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value { return s.octets(r.descr) }),
		ifCol(colIfType, "ifType", func(_ *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value { return integer(int32(r.ifType)) }),
		ifCol(colIfMtu, "ifMtu", func(_ *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value {
			return integer(int32(min(r.mtu, maxInteger32)))
		}),
		ifCol(colIfSpeed, "ifSpeed", func(_ *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value {
			return gauge32(r.speedKbps * 1000) // saturates at 4294967295
		}),
		ifCol(colIfPhysAddress, "ifPhysAddress", func(s *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value { return s.octets(r.mac) }),
		ifCol(colIfAdminStatus, "ifAdminStatus", func(_ *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value { return integer(int32(r.admin)) }),
		ifCol(colIfOperStatus, "ifOperStatus", func(_ *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value { return integer(int32(r.oper)) }),
		ifCol(colIfLastChange, "ifLastChange", func(s *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value { return s.ticks(r.lastChange) }),
		ifCol(colIfInOctets, "ifInOctets", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.c[cInOctets]) }),
		ifCol(colIfInUcastPkts, "ifInUcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.inUcast) }),
		ifCol(colIfInNUcastPkts, "ifInNUcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value {
			return counter32(c.c[cInMcast] + c.c[cInBcast])
		}),
		ifCol(colIfInDiscards, "ifInDiscards", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value {
			return counter32(c.c[cInDrops] + c.c[cInNoBuf] + c.c[cInMiss])
		}),
		ifCol(colIfInErrors, "ifInErrors", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.c[cInErrors]) }),
		ifCol(colIfInUnknownProtos, "ifInUnknownProtos", func(*Snapshot, *row, *ctrRow, int) agentx.Value { return counter32(0) }),
		ifCol(colIfOutOctets, "ifOutOctets", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.c[cOutOctets]) }),
		ifCol(colIfOutUcastPkts, "ifOutUcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.outUcast) }),
		ifCol(colIfOutNUcastPkts, "ifOutNUcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value {
			return counter32(c.c[cOutMcast] + c.c[cOutBcast])
		}),
		ifCol(colIfOutDiscards, "ifOutDiscards", func(*Snapshot, *row, *ctrRow, int) agentx.Value { return counter32(0) }),
		ifCol(colIfOutErrors, "ifOutErrors", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.c[cOutErrors]) }),
		ifCol(colIfOutQLen, "ifOutQLen", func(*Snapshot, *row, *ctrRow, int) agentx.Value { return gauge32(0) }),
		ifCol(colIfSpecific, "ifSpecific", func(*Snapshot, *row, *ctrRow, int) agentx.Value {
			return agentx.Value{Type: agentx.TypeObjectIdentifier, OID: zeroDotZero}
		}),
	},
}

var ifXTable = &table[Snapshot]{
	entry: oidIfXEntry,
	data:  self,
	rows:  ifRows,
	cols: []column[Snapshot]{
		ifCol(colIfName, "ifName", func(s *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value { return s.octets(r.name) }),
		ifCol(colIfInMulticastPkts, "ifInMulticastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.c[cInMcast]) }),
		ifCol(colIfInBroadcastPkts, "ifInBroadcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.c[cInBcast]) }),
		ifCol(colIfOutMulticastPkts, "ifOutMulticastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.c[cOutMcast]) }),
		ifCol(colIfOutBroadcastPkts, "ifOutBroadcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter32(c.c[cOutBcast]) }),
		ifCol(colIfHCInOctets, "ifHCInOctets", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter64(c.c[cInOctets]) }),
		ifCol(colIfHCInUcastPkts, "ifHCInUcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter64(c.inUcast) }),
		ifCol(colIfHCInMulticastPkts, "ifHCInMulticastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter64(c.c[cInMcast]) }),
		ifCol(colIfHCInBroadcastPkts, "ifHCInBroadcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter64(c.c[cInBcast]) }),
		ifCol(colIfHCOutOctets, "ifHCOutOctets", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter64(c.c[cOutOctets]) }),
		ifCol(colIfHCOutUcastPkts, "ifHCOutUcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter64(c.outUcast) }),
		ifCol(colIfHCOutMulticastPkts, "ifHCOutMulticastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter64(c.c[cOutMcast]) }),
		ifCol(colIfHCOutBroadcastPkts, "ifHCOutBroadcastPkts", func(_ *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value { return counter64(c.c[cOutBcast]) }),
		ifCol(colIfLinkUpDownTrapEnable, "ifLinkUpDownTrapEnable", func(_ *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value {
			return integer(truth(!r.stacked))
		}),
		ifCol(colIfHighSpeed, "ifHighSpeed", func(_ *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value {
			// RFC 2863: n means n-500,000 .. n+499,999 bit/s, so round.
			return gauge32((r.speedKbps + 500) / 1000)
		}),
		ifCol(colIfPromiscuousMode, "ifPromiscuousMode", func(*Snapshot, *row, *ctrRow, int) agentx.Value { return integer(truthFalse) }),
		ifCol(colIfConnectorPresent, "ifConnectorPresent", func(_ *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value {
			return integer(truth(r.connector))
		}),
		ifCol(colIfAlias, "ifAlias", func(s *Snapshot, r *row, _ *ctrRow, _ int) agentx.Value { return s.octets(r.alias) }),
		ifCol(colIfCounterDiscontinuityTime, "ifCounterDiscontinuityTime", func(s *Snapshot, _ *row, c *ctrRow, _ int) agentx.Value {
			return s.ticks(c.disc)
		}),
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
