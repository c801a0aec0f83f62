package mib

import "github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"

// The objects this package serves, in OID order. They are constants in
// spirit: nothing writes them after init.
var (
	oidIfNumber          = agentx.OID{1, 3, 6, 1, 2, 1, 2, 1}
	oidIfTable           = agentx.OID{1, 3, 6, 1, 2, 1, 2, 2}
	oidIfEntry           = agentx.OID{1, 3, 6, 1, 2, 1, 2, 2, 1}
	oidIfXTable          = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 1}
	oidIfXEntry          = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 1, 1}
	oidIfStackTable      = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 2}
	oidIfStackEntry      = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 2, 1}
	oidIfTableLastChange = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 5}
	oidIfStackLastChange = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 6}

	// zeroDotZero is ifSpecific's value (RFC 2863: deprecated, 0.0).
	zeroDotZero = agentx.OID{0, 0}
)

// Subtrees returns the subtrees the agent registers with the master, each
// exactly one IF-MIB object: snmpd's own registrations of ifNumber, ifTable
// and ifXTable are this specific, and the most specific registration wins
// before priority, so a broader one (1.3.6.1.2.1.2) would get nothing.
func Subtrees() []agentx.OID {
	all := []agentx.OID{oidIfNumber, oidIfTable, oidIfXTable, oidIfStackTable, oidIfTableLastChange, oidIfStackLastChange}
	out := make([]agentx.OID, len(all))
	for i, o := range all {
		out[i] = append(agentx.OID(nil), o...)
	}
	return out
}

// regionKind says how the instances under a region's OID are laid out.
type regionKind uint8

const (
	kindScalar     regionKind = iota // one instance, oid.0
	kindIfTable                      // oid.column.ifIndex, one row per interface
	kindStackTable                   // oid.column.higher.lower, one row per stack pair
)

// region is one served object; regions are disjoint and in OID order, so
// Next can visit them in turn.
type region struct {
	oid            agentx.OID
	kind           regionKind
	minCol, maxCol uint32 // tables: the accessible columns
	what           object // which object (scalars) or table (tables)
}

type object uint8

const (
	objIfNumber object = iota
	objIfEntry
	objIfXEntry
	objIfStackEntry
	objIfTableLastChange
	objIfStackLastChange
)

var regions = [...]region{
	{oid: oidIfNumber, kind: kindScalar, what: objIfNumber},
	{oid: oidIfEntry, kind: kindIfTable, minCol: 1, maxCol: 22, what: objIfEntry},
	{oid: oidIfXEntry, kind: kindIfTable, minCol: 1, maxCol: 19, what: objIfXEntry},
	// ifStackHigherLayer (1) and ifStackLowerLayer (2) are not-accessible.
	{oid: oidIfStackEntry, kind: kindStackTable, minCol: colIfStackStatus, maxCol: colIfStackStatus, what: objIfStackEntry},
	{oid: oidIfTableLastChange, kind: kindScalar, what: objIfTableLastChange},
	{oid: oidIfStackLastChange, kind: kindScalar, what: objIfStackLastChange},
}

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

// colIfStackStatus is ifStackEntry's only accessible column.
const colIfStackStatus = 3
