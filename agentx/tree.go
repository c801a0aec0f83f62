package agentx

import "time"

// OID is an object identifier as a list of sub-identifiers.
type OID []uint32

// Compare orders OIDs lexicographically, as SNMP does: -1, 0 or +1.
func (o OID) Compare(p OID) int {
	n := min(len(o), len(p))
	for i := 0; i < n; i++ {
		if o[i] != p[i] {
			if o[i] < p[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(o) < len(p):
		return -1
	case len(o) > len(p):
		return 1
	}
	return 0
}

// HasPrefix reports whether p is a prefix of o (or equal to it).
func (o OID) HasPrefix(p OID) bool {
	if len(p) > len(o) {
		return false
	}
	for i := range p {
		if o[i] != p[i] {
			return false
		}
	}
	return true
}

// VarType is an AgentX varbind type (RFC 2741 5.4).
type VarType uint16

// Varbind types of RFC 2741 section 5.4.
const (
	TypeInteger          VarType = 2
	TypeOctetString      VarType = 4
	TypeNull             VarType = 5
	TypeObjectIdentifier VarType = 6
	TypeIPAddress        VarType = 64
	TypeCounter32        VarType = 65
	TypeGauge32          VarType = 66
	TypeTimeTicks        VarType = 67
	TypeOpaque           VarType = 68
	TypeCounter64        VarType = 70
	TypeNoSuchObject     VarType = 128
	TypeNoSuchInstance   VarType = 129
	TypeEndOfMIBView     VarType = 130
)

// Value is one varbind value. It is a plain struct so that a Tree can answer
// without allocating: Bytes and OID may point into the tree's own immutable
// memory and must not be modified by the receiver.
//
// Integer holds Integer (as int32 bits), Counter32, Gauge32, TimeTicks and
// Counter64; Bytes holds OctetString, IpAddress (4 octets) and Opaque; OID
// holds ObjectIdentifier.
type Value struct {
	Type    VarType
	Integer uint64
	Bytes   []byte
	OID     OID
}

// Tree is what a subagent serves. Implementations must be safe for concurrent
// readers; the usual one is an immutable snapshot swapped atomically by its
// owner (see Server.SetTree).
type Tree interface {
	// Get returns the value at exactly name. A name the tree does not hold
	// returns a Value of type TypeNoSuchObject (no such object type in the
	// tree) or TypeNoSuchInstance (a known object, unknown instance), as
	// RFC 2741 7.2.3.1 says.
	Get(name OID) Value
	// Next returns the first name in the tree that is greater than from (or
	// equal to it when include is true), appended to dst[:0], with its value.
	// ok is false when the tree holds nothing after from. The caller checks
	// the search range's end.
	Next(dst OID, from OID, include bool) (name OID, v Value, ok bool)
}

// Clock converts wall-clock instants to the master agent's sysUpTime, which
// RFC 2863 uses for ifLastChange and friends. The session updates it from
// every Response that carries the master's sysUpTime.
type Clock interface {
	// Ticks returns the master's sysUpTime, in hundredths of a second, at t.
	// It returns 0 for instants before the master started.
	Ticks(t time.Time) uint32
}
