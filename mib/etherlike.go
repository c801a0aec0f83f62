package mib

import (
	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// EtherLike-MIB (RFC 3635) dot3StatsTable: one row per Ethernet port
// (ifType ethernetCsmacd), from the interface dump. Only dot3StatsIndex and
// dot3StatsDuplexStatus are served: VPP keeps none of the other columns'
// counters (alignment, FCS, collision, ... errors) per interface, and a
// poller must not be shown zeros it would take for measured.

var etherModule = &module{name: "etherlike", mib: "EtherLike-MIB (RFC 3635)", build: buildEther}

func init() {
	etherModule.objects = []object{dot3StatsTable}
	register(etherModule)
}

// etherData is the rows of dot3StatsTable: a subset of IF-MIB's.
type etherData struct {
	keys  index   // ifIndexKeys
	ifRow []int32 // the IF-MIB row of each
}

// dot3StatsDuplexStatus values (RFC 3635).
const (
	duplexUnknown = 1
	duplexHalf    = 2
	duplexFull    = 3
)

var dot3StatsTable = &table[etherData]{
	entry:    agentx.OID{1, 3, 6, 1, 2, 1, 10, 7, 2, 1},
	register: regEntry,
	data:     func(s *Snapshot) *etherData { return dataOf[etherData](s, etherModule) },
	rows:     func(d *etherData) index { return d.keys },
	cols: []column[etherData]{
		{sub: 1, name: "dot3StatsIndex", value: func(s *Snapshot, d *etherData, i int) agentx.Value {
			return integer(int32(s.ifIndex[d.ifRow[i]]))
		}},
		{sub: 19, name: "dot3StatsDuplexStatus", value: func(s *Snapshot, d *etherData, i int) agentx.Value {
			switch s.rows[d.ifRow[i]].duplex {
			case model.DuplexHalf:
				return integer(duplexHalf)
			case model.DuplexFull:
				return integer(duplexFull)
			}
			return integer(duplexUnknown)
		}},
	},
}

func buildEther(b *builder) any {
	s := b.s
	d := &etherData{}
	var keys []uint32
	for i := range s.rows {
		if s.rows[i].ifType == typeEthernetCsmacd {
			keys = append(keys, s.ifIndex[i])
			d.ifRow = append(d.ifRow, int32(i))
		}
	}
	d.keys = ifIndexKeys(keys)
	return d
}
