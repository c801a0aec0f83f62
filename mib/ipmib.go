package mib

import (
	"net/netip"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
)

// IP-MIB (RFC 4293): addresses from ip_address_dump, neighbours from
// ip_neighbor_dump and VPP's neighbour events (Sources), joined to the
// interfaces by sw_if_index. ipAddrTable and ipNetToMediaTable are the
// older IPv4-only views that some pollers still read.

var ipModule = &module{name: "ip", mib: "IP-MIB (RFC 4293)"}

func init() {
	ipModule.build = buildIP
	ipModule.objects = []object{ipAddrTable, ipNetToMediaTable, ipAddressPrefixTable, ipAddressTable, ipNetToPhysicalTable}
	register(ipModule)
}

var (
	oidIPAddrEntry          = agentx.OID{1, 3, 6, 1, 2, 1, 4, 20, 1}
	oidIPNetToMediaEntry    = agentx.OID{1, 3, 6, 1, 2, 1, 4, 22, 1}
	oidIPAddressPrefixEntry = agentx.OID{1, 3, 6, 1, 2, 1, 4, 32, 1}
	oidIPAddressEntry       = agentx.OID{1, 3, 6, 1, 2, 1, 4, 34, 1}
	oidIPNetToPhysicalEntry = agentx.OID{1, 3, 6, 1, 2, 1, 4, 35, 1}
	// oidIPAddressPrefixOrigin is the column an ipAddressPrefix RowPointer
	// names (RFC 4293: "the first accessible object" of the prefix's row).
	oidIPAddressPrefixOrigin = agentx.OID{1, 3, 6, 1, 2, 1, 4, 32, 1, 5}
)

// InetAddressType values (RFC 4001).
const (
	inetIPv4 = 1
	inetIPv6 = 2
)

// Values RFC 4293 defines that this module serves.
const (
	addrTypeUnicast    = 1 // ipAddressType
	originManual       = 2 // ipAddressOrigin, ipAddressPrefixOrigin
	statusPreferred    = 1 // ipAddressStatus
	rowActive          = 1 // RowStatus
	storageVolatile    = 2 // StorageType
	neighborDynamic    = 3 // ipNetToPhysicalType, ipNetToMediaType
	neighborStatic     = 4
	neighborStateUnkn  = 6 // ipNetToPhysicalState: VPP exposes no NUD state
	infiniteLifetime   = 4294967295
	reasmMaxSize       = 65535 // ipAdEntReasmMaxSize: VPP reassembles full-size IPv4 datagrams
	bcastAllOnesLowBit = 1     // ipAdEntBcastAddr: VPP broadcasts to all-ones
)

// ipData is IP-MIB's rows.
type ipData struct {
	// addrKeys index ipAddressTable by (type, length, octets); addr is
	// parallel. IPv4 rows sort first (type 1), all of length 4, so rows
	// 0..len(addr4Keys)-1 are also ipAddrTable's, in its order.
	addrKeys  oidKeys
	addr      []addrRow
	addr4Keys oidKeys
	// pfxKeys index ipAddressPrefixTable by (ifIndex, type, length,
	// octets, prefix length), each led by ipAddressPrefixOrigin's OID so
	// that whole(i) is the RowPointer to it.
	pfxKeys oidKeys
	// nbrKeys index ipNetToPhysicalTable by (ifIndex, type, length,
	// octets); nbr is parallel. mediaKeys index ipNetToMediaTable by
	// (ifIndex, IPv4 octets); media holds each one's nbr row.
	nbrKeys   oidKeys
	nbr       []nbrRow
	mediaKeys oidKeys
	media     []int32
}

type addrRow struct {
	ifIndex          uint32
	v4, mask         [4]byte // IPv4 rows: the address and its netmask
	pfx              int32   // the row of its prefix in pfxKeys
	created, changed stamp
}

type nbrRow struct {
	mac     [6]byte
	v4      [4]byte // IPv4 rows: the address
	static  bool
	updated stamp
}

func ipOf(s *Snapshot) *ipData { return dataOf[ipData](s, ipModule) }

var ipAddrTable = &table[ipData]{
	entry:    oidIPAddrEntry,
	register: regColumns,
	data:     ipOf,
	rows:     func(d *ipData) index { return &d.addr4Keys },
	cols: []column[ipData]{
		{sub: 1, name: "ipAdEntAddr", value: func(_ *Snapshot, d *ipData, i int) agentx.Value { return ipAddress(d.addr[i].v4[:]) }},
		{sub: 2, name: "ipAdEntIfIndex", value: func(_ *Snapshot, d *ipData, i int) agentx.Value { return integer(int32(d.addr[i].ifIndex)) }},
		{sub: 3, name: "ipAdEntNetMask", value: func(_ *Snapshot, d *ipData, i int) agentx.Value { return ipAddress(d.addr[i].mask[:]) }},
		{sub: 4, name: "ipAdEntBcastAddr", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(bcastAllOnesLowBit) }},
		{sub: 5, name: "ipAdEntReasmMaxSize", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(reasmMaxSize) }},
	},
}

var ipNetToMediaTable = &table[ipData]{
	entry:    oidIPNetToMediaEntry,
	register: regColumns,
	data:     ipOf,
	rows:     func(d *ipData) index { return &d.mediaKeys },
	cols: []column[ipData]{
		{sub: 1, name: "ipNetToMediaIfIndex", value: func(_ *Snapshot, d *ipData, i int) agentx.Value {
			return integer(int32(d.mediaKeys.at(i)[0]))
		}},
		{sub: 2, name: "ipNetToMediaPhysAddress", value: func(_ *Snapshot, d *ipData, i int) agentx.Value {
			return agentx.Value{Type: agentx.TypeOctetString, Bytes: d.nbr[d.media[i]].mac[:]}
		}},
		{sub: 3, name: "ipNetToMediaNetAddress", value: func(_ *Snapshot, d *ipData, i int) agentx.Value { return ipAddress(d.nbr[d.media[i]].v4[:]) }},
		{sub: 4, name: "ipNetToMediaType", value: func(_ *Snapshot, d *ipData, i int) agentx.Value { return neighborType(&d.nbr[d.media[i]]) }},
	},
}

var ipAddressPrefixTable = &table[ipData]{
	entry:    oidIPAddressPrefixEntry,
	register: regEntry,
	data:     ipOf,
	rows:     func(d *ipData) index { return &d.pfxKeys },
	cols: []column[ipData]{
		{sub: 5, name: "ipAddressPrefixOrigin", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(originManual) }},
		{sub: 6, name: "ipAddressPrefixOnLinkFlag", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(truthTrue) }},
		// not learnt from router advertisements: configured by hand
		{sub: 7, name: "ipAddressPrefixAutonomousFlag", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(truthFalse) }},
		{sub: 8, name: "ipAddressPrefixAdvPreferredLifetime", value: func(*Snapshot, *ipData, int) agentx.Value { return gauge32(infiniteLifetime) }},
		{sub: 9, name: "ipAddressPrefixAdvValidLifetime", value: func(*Snapshot, *ipData, int) agentx.Value { return gauge32(infiniteLifetime) }},
	},
}

var ipAddressTable = &table[ipData]{
	entry:    oidIPAddressEntry,
	register: regEntry,
	data:     ipOf,
	rows:     func(d *ipData) index { return &d.addrKeys },
	cols: []column[ipData]{
		{sub: 3, name: "ipAddressIfIndex", value: func(_ *Snapshot, d *ipData, i int) agentx.Value { return integer(int32(d.addr[i].ifIndex)) }},
		{sub: 4, name: "ipAddressType", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(addrTypeUnicast) }},
		{sub: 5, name: "ipAddressPrefix", value: func(_ *Snapshot, d *ipData, i int) agentx.Value {
			return agentx.Value{Type: agentx.TypeObjectIdentifier, OID: d.pfxKeys.whole(int(d.addr[i].pfx))}
		}},
		{sub: 6, name: "ipAddressOrigin", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(originManual) }},
		{sub: 7, name: "ipAddressStatus", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(statusPreferred) }},
		{sub: 8, name: "ipAddressCreated", value: func(s *Snapshot, d *ipData, i int) agentx.Value { return s.ticks(d.addr[i].created) }},
		{sub: 9, name: "ipAddressLastChanged", value: func(s *Snapshot, d *ipData, i int) agentx.Value { return s.ticks(d.addr[i].changed) }},
		{sub: 10, name: "ipAddressRowStatus", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(rowActive) }},
		{sub: 11, name: "ipAddressStorageType", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(storageVolatile) }},
	},
}

var ipNetToPhysicalTable = &table[ipData]{
	entry:    oidIPNetToPhysicalEntry,
	register: regEntry,
	data:     ipOf,
	rows:     func(d *ipData) index { return &d.nbrKeys },
	cols: []column[ipData]{
		{sub: 4, name: "ipNetToPhysicalPhysAddress", value: func(_ *Snapshot, d *ipData, i int) agentx.Value {
			return agentx.Value{Type: agentx.TypeOctetString, Bytes: d.nbr[i].mac[:]}
		}},
		{sub: 5, name: "ipNetToPhysicalLastUpdated", value: func(s *Snapshot, d *ipData, i int) agentx.Value { return s.ticks(d.nbr[i].updated) }},
		{sub: 6, name: "ipNetToPhysicalType", value: func(_ *Snapshot, d *ipData, i int) agentx.Value { return neighborType(&d.nbr[i]) }},
		{sub: 7, name: "ipNetToPhysicalState", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(neighborStateUnkn) }},
		{sub: 8, name: "ipNetToPhysicalRowStatus", value: func(*Snapshot, *ipData, int) agentx.Value { return integer(rowActive) }},
	},
}

func ipAddress(b []byte) agentx.Value { return agentx.Value{Type: agentx.TypeIPAddress, Bytes: b} }

func neighborType(n *nbrRow) agentx.Value {
	if n.static {
		return integer(neighborStatic)
	}
	return integer(neighborDynamic)
}

// pushAddr appends an InetAddressType, InetAddress pair as an index (the
// address with its length, RFC 4293's indexing) and returns the type.
func pushAddr(l *keyList, a netip.Addr) uint32 {
	if a.Is4() {
		b := a.As4()
		l.push(inetIPv4, 4, uint32(b[0]), uint32(b[1]), uint32(b[2]), uint32(b[3]))
		return inetIPv4
	}
	b := a.As16()
	l.push(inetIPv6, 16)
	for _, o := range b {
		l.push(uint32(o))
	}
	return inetIPv6
}

func buildIP(b *builder) any {
	s := b.s
	prev := prevData[ipData](b, ipModule)
	if b.sameJoin && prev != nil {
		return prev // an interface-only change: nothing here moved
	}
	d := &ipData{}
	at := s.stamp(b.now)
	if b.first {
		at = 0 // before the agent knew
	}

	// ipAddressTable, with ipAddrTable its IPv4 rows
	kl := newKeyList(len(b.src.Addresses), 6)
	rows := make([]addrRow, 0, len(b.src.Addresses))
	plen := make([]uint8, 0, len(b.src.Addresses))
	for _, a := range b.src.Addresses {
		r, ok := b.ifRow(a.SwIfIndex)
		ip := a.Prefix.Addr().Unmap()
		if !ok || !a.Prefix.IsValid() || ip.Zone() != "" {
			continue
		}
		row := addrRow{ifIndex: s.ifIndex[r]}
		if pushAddr(&kl, ip) == inetIPv4 {
			row.v4 = ip.As4()
			m := ^uint32(0) << (32 - a.Prefix.Bits())
			if a.Prefix.Bits() == 0 {
				m = 0
			}
			row.mask = [4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
		}
		kl.end()
		rows = append(rows, row)
		plen = append(plen, uint8(a.Prefix.Bits()))
	}
	order, _, keys := kl.sorted(nil)
	d.addrKeys = keys
	d.addr = make([]addrRow, len(order))
	pl := newKeyList(len(order), 8) // the prefixes, in d.addr's order
	j := 0                          // position in prev, merged by key
	for i, p := range order {
		row := rows[p]
		key := keys.at(i)
		row.created, row.changed = at, at
		if prev != nil {
			for j < len(prev.addr) && prev.addrKeys.at(j).Compare(key) < 0 {
				j++
			}
			if j < len(prev.addr) && prev.addrKeys.at(j).Compare(key) == 0 {
				pr := &prev.addr[j]
				row.created, row.changed = pr.created, pr.changed
				pk := prev.pfxKeys.at(int(pr.pfx))
				if pr.ifIndex != row.ifIndex || pk[len(pk)-1] != uint32(plen[p]) {
					row.changed = at // moved, or its prefix length changed
				}
			}
		}
		d.addr[i] = row
		// the prefix: the address masked to its length
		pfx := netip.PrefixFrom(addrOfKey(key), int(plen[p])).Masked()
		pl.push(row.ifIndex)
		pushAddr(&pl, pfx.Addr())
		pl.push(uint32(plen[p]))
		pl.end()
	}
	n4 := 0
	for n4 < len(order) && keys.at(n4)[0] == inetIPv4 {
		n4++
	}
	if n4 > 0 {
		d.addr4Keys = oidKeys{flat: keys.flat, off: keys.off[:n4+1], lead: 2} // skip (1, 4)
	}
	_, pfxRow, pfxKeys := pl.sorted(oidIPAddressPrefixOrigin)
	d.pfxKeys = pfxKeys
	for i := range d.addr {
		d.addr[i].pfx = pfxRow[i]
	}

	// ipNetToPhysicalTable, with ipNetToMediaTable its IPv4 rows
	nl := newKeyList(len(b.src.Neighbors), 7)
	nrows := make([]nbrRow, 0, len(b.src.Neighbors))
	for _, n := range b.src.Neighbors {
		r, ok := b.ifRow(n.SwIfIndex)
		ip := n.IP.Unmap()
		if !ok || !ip.IsValid() || ip.Zone() != "" {
			continue
		}
		nl.push(s.ifIndex[r])
		row := nbrRow{mac: n.MAC, static: n.Static, updated: s.stampOf(n.Updated)}
		if pushAddr(&nl, ip) == inetIPv4 {
			row.v4 = ip.As4()
		}
		nl.end()
		nrows = append(nrows, row)
	}
	norder, _, nkeys := nl.sorted(nil)
	d.nbrKeys = nkeys
	d.nbr = make([]nbrRow, len(norder))
	ml := newKeyList(len(norder), 5)
	for i, p := range norder {
		d.nbr[i] = nrows[p]
		if k := nkeys.at(i); k[1] == inetIPv4 {
			ml.push(k[0], k[3], k[4], k[5], k[6])
			ml.end()
			d.media = append(d.media, int32(i))
		}
	}
	// ipNetToPhysicalTable's IPv4 keys (ifIndex, 1, 4, a.b.c.d) sort as
	// (ifIndex, a.b.c.d) do, so these need no sorting
	d.mediaKeys = oidKeys{flat: ml.flat, off: ml.off}
	return d
}

// addrOfKey returns the address of an (type, length, octets) key.
func addrOfKey(k []uint32) netip.Addr {
	if k[0] == inetIPv4 {
		return netip.AddrFrom4([4]byte{byte(k[2]), byte(k[3]), byte(k[4]), byte(k[5])})
	}
	var b [16]byte
	for i := range b {
		b[i] = byte(k[2+i])
	}
	return netip.AddrFrom16(b)
}

// stampOf returns t as a stamp; 0 for the zero time or an instant before
// the agent started (RFC 4293's TimeStamps are 0 then).
func (s *Snapshot) stampOf(t time.Time) stamp {
	if t.IsZero() || t.Before(s.epoch) {
		return 0
	}
	return s.stamp(t)
}
