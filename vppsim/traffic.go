package vppsim

import (
	"math"

	dpmodel "github.com/vpp-snmp-agent/vpp-snmp-agent/model"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim/statseg"
)

// Rates is the simulated traffic of one interface: packets per second while
// the interface passes traffic (admin up and link up; for a sub-interface
// also its parent admin up), and the size of those packets.
type Rates struct {
	RxPPS  float64 `yaml:"rx_pps"`
	TxPPS  float64 `yaml:"tx_pps"`
	RxSize uint64  `yaml:"rx_size"` // bytes per packet; 0 means 512
	TxSize uint64  `yaml:"tx_size"` // bytes per packet; 0 means 512
	// MulticastPermille and BroadcastPermille split rx and tx into the
	// per-cast counters (the rest is unicast). VPP fills those counters
	// only where detailed stats are on, and so does the simulator.
	MulticastPermille uint64 `yaml:"multicast_permille"`
	BroadcastPermille uint64 `yaml:"broadcast_permille"`
	// IP6Permille splits rx into the /if/ip4 and /if/ip6 counters.
	IP6Permille uint64  `yaml:"ip6_permille"`
	DropsPPS    float64 `yaml:"drops_pps"`
	PuntPPS     float64 `yaml:"punt_pps"`
	RxNoBufPPS  float64 `yaml:"rx_no_buf_pps"`
	RxMissPPS   float64 `yaml:"rx_miss_pps"`
	RxErrorPPS  float64 `yaml:"rx_error_pps"`
	TxErrorPPS  float64 `yaml:"tx_error_pps"`
}

func (r Rates) zero() bool {
	return r.RxPPS == 0 && r.TxPPS == 0 && r.DropsPPS == 0 && r.PuntPPS == 0 &&
		r.RxNoBufPPS == 0 && r.RxMissPPS == 0 && r.RxErrorPPS == 0 && r.TxErrorPPS == 0
}

// The stats segment's interface counters, in VPP's order (vnet/interface.h):
// show interface lists them in this order too.
const (
	cRx = iota
	cRxUnicast
	cRxMulticast
	cRxBroadcast
	cTx
	cTxUnicast
	cTxMulticast
	cTxBroadcast
	nCombined
)

const (
	sDrops = iota
	sPunt
	sIP4
	sIP6
	sRxNoBuf
	sRxMiss
	sRxError
	sTxError
	sMPLS
	nSimple
)

// Counter names as show interface prints them, and as the segment names
// them.
var (
	combinedNames = [nCombined]string{"rx", "rx-unicast", "rx-multicast", "rx-broadcast", "tx", "tx-unicast", "tx-multicast", "tx-broadcast"}
	simpleNames   = [nSimple]string{"drops", "punt", "ip4", "ip6", "rx-no-buf", "rx-miss", "rx-error", "tx-error", "mpls"}
	combinedStats = [nCombined]string{statseg.Rx, statseg.RxUnicast, statseg.RxMulticast, statseg.RxBroadcast,
		statseg.Tx, statseg.TxUnicast, statseg.TxMulticast, statseg.TxBroadcast}
	simpleStats = [nSimple]string{statseg.Drops, statseg.Punt, statseg.IP4, statseg.IP6, statseg.RxNoBuf,
		statseg.RxMiss, statseg.RxError, statseg.TxError, statseg.Mpls}
)

// counterSink is where counters go: the stats segment (*statseg.Segment)
// or nothing when no stats socket is configured.
type counterSink interface {
	SetInterfaces(names []string) error
	AddCombined(counter string, thread int, swIfIndex uint32, packets, bytes uint64) bool
	AddSimple(counter string, thread int, swIfIndex uint32, v uint64) bool
	ClearInterfaceCounters()
	SetScalar(name string, v float64) error
}

var _ counterSink = (*statseg.Segment)(nil)

type nopSink struct{}

func (nopSink) SetInterfaces([]string) error                         { return nil }
func (nopSink) AddCombined(string, int, uint32, uint64, uint64) bool { return true }
func (nopSink) AddSimple(string, int, uint32, uint64) bool           { return true }
func (nopSink) ClearInterfaceCounters()                              {}
func (nopSink) SetScalar(string, float64) error                      { return nil }

// counterSet is one thread's counters of one interface.
type counterSet struct {
	comb [nCombined][2]uint64 // packets, bytes
	simp [nSimple]uint64
}

// ifCounters mirrors what the simulator wrote to the segment for one
// sw_if_index, per thread: the truth the tests compare against, and what a
// reused index must be brought back to zero from.
type ifCounters struct {
	threads []int // thread of each set, in first-use order
	sets    []counterSet
}

func (c *ifCounters) set(thread int) *counterSet {
	for i, t := range c.threads {
		if t == thread {
			return &c.sets[i]
		}
	}
	c.threads = append(c.threads, thread)
	c.sets = append(c.sets, counterSet{})
	return &c.sets[len(c.sets)-1]
}

// genState is an interface's traffic generator: how long it has passed
// traffic and how much of each rate it has already emitted, so that counts
// are floor(rate × time) exactly, whatever the tick.
type genState struct {
	activeNs                  int64
	rx, tx, drops, punt       uint64
	noBuf, miss, rxErr, txErr uint64
	rxM, rxB, txM, txB, ip6   uint64
}

// counters is the simulator's side of the stats segment: the sink and the
// mirror, by sw_if_index.
type counters struct {
	sink    counterSink
	mirror  []*ifCounters
	workers int
}

func (c *counters) get(idx uint32) *ifCounters {
	for uint64(len(c.mirror)) <= uint64(idx) {
		c.mirror = append(c.mirror, nil)
	}
	m := c.mirror[idx]
	if m == nil {
		m = &ifCounters{}
		c.mirror[idx] = m
	}
	return m
}

func (c *counters) addComb(idx uint32, thread, k int, pk, by uint64) {
	if pk == 0 && by == 0 {
		return
	}
	s := c.get(idx).set(thread)
	s.comb[k][0] += pk
	s.comb[k][1] += by
	c.sink.AddCombined(combinedStats[k], thread, idx, pk, by)
}

func (c *counters) addSimp(idx uint32, thread, k int, v uint64) {
	if v == 0 {
		return
	}
	c.get(idx).set(thread).simp[k] += v
	c.sink.AddSimple(simpleStats[k], thread, idx, v)
}

// reset forgets an index's counters: a new interface on a reused index
// starts at zero (the segment zeroes an index whose name changes).
func (c *counters) reset(idx uint32) {
	if uint64(idx) < uint64(len(c.mirror)) {
		c.mirror[idx] = nil
	}
}

// clear is "clear interfaces": every counter to zero.
func (c *counters) clear() {
	clear(c.mirror)
	c.sink.ClearInterfaceCounters()
}

// total sums one index's counters over threads.
func (c *counters) total(idx uint32) (dpmodel.Counters, counterSet) {
	var sum counterSet
	if uint64(idx) < uint64(len(c.mirror)) && c.mirror[idx] != nil {
		for _, s := range c.mirror[idx].sets {
			for k := range s.comb {
				sum.comb[k][0] += s.comb[k][0]
				sum.comb[k][1] += s.comb[k][1]
			}
			for k := range s.simp {
				sum.simp[k] += s.simp[k]
			}
		}
	}
	return dpmodel.Counters{
		RxPackets: sum.comb[cRx][0], RxBytes: sum.comb[cRx][1],
		TxPackets: sum.comb[cTx][0], TxBytes: sum.comb[cTx][1],
		RxUnicastPackets: sum.comb[cRxUnicast][0], RxUnicastBytes: sum.comb[cRxUnicast][1],
		RxMulticastPackets: sum.comb[cRxMulticast][0], RxMulticastBytes: sum.comb[cRxMulticast][1],
		RxBroadcastPackets: sum.comb[cRxBroadcast][0], RxBroadcastBytes: sum.comb[cRxBroadcast][1],
		TxUnicastPackets: sum.comb[cTxUnicast][0], TxUnicastBytes: sum.comb[cTxUnicast][1],
		TxMulticastPackets: sum.comb[cTxMulticast][0], TxMulticastBytes: sum.comb[cTxMulticast][1],
		TxBroadcastPackets: sum.comb[cTxBroadcast][0], TxBroadcastBytes: sum.comb[cTxBroadcast][1],
		Drops: sum.simp[sDrops], Punts: sum.simp[sPunt], RxNoBuf: sum.simp[sRxNoBuf],
		RxMiss: sum.simp[sRxMiss], RxError: sum.simp[sRxError], TxError: sum.simp[sTxError],
	}, sum
}

// emitted advances one rate: the units due after activeNs, minus those
// already emitted.
func emitted(rate float64, activeNs int64, done *uint64) uint64 {
	if rate <= 0 {
		return 0
	}
	due := uint64(math.Floor(rate * float64(activeNs) / 1e9))
	if due <= *done {
		return 0
	}
	d := due - *done
	*done = due
	return d
}

// share splits n over parts: part i gets its fair share, remainders spread
// so that the shares sum to n exactly.
func share(n uint64, i, parts int) uint64 {
	p := uint64(parts)
	// Split n as q*p + r to stay clear of overflow for large n.
	q, r := n/p, n%p
	return q + (r*uint64(i+1))/p - (r*uint64(i))/p
}

func sizeOr(b uint64) uint64 {
	if b == 0 {
		return 512
	}
	return b
}

// passing is true while an interface passes traffic.
func (m *model) passing(x *iface) bool {
	if !x.AdminUp || !m.linkUp(x) {
		return false
	}
	if x.Kind == KindSub {
		p := m.get(x.SupSwIfIndex)
		return p != nil && p.AdminUp
	}
	return true
}

// advance runs the traffic of every interface for dt: what it counts goes to
// the interface and, where VPP counts it twice, to the parent (rx of a
// sub-interface is counted at the parent's device input too) or to the
// members of a bond (split over the active ones).
func (s *Sim) advance(dtNs int64) {
	m, c := s.model, s.ctr
	threads := c.workers
	if m.trafficDirty || m.withTraffic == nil {
		// Only interfaces with rates are visited per tick: an idle
		// simulator of 100,000 interfaces should cost next to nothing.
		m.withTraffic = m.withTraffic[:0]
		for _, x := range m.ifs {
			if x != nil && !x.Rates.zero() {
				m.withTraffic = append(m.withTraffic, x)
			}
		}
		m.trafficDirty = false
	}
	for _, x := range m.withTraffic {
		if !m.passing(x) {
			continue
		}
		g := &x.gen
		g.activeNs += dtNs
		r := x.Rates
		rx := emitted(r.RxPPS, g.activeNs, &g.rx)
		tx := emitted(r.TxPPS, g.activeNs, &g.tx)
		// Every packet has a class (multicast, broadcast, unicast; ip4 or
		// ip6) by its position in a cycle of 1000, so that the per-class
		// counts only grow and always add up to the total.
		mc := min(r.MulticastPermille, 1000)
		bc := min(r.BroadcastPermille, 1000-mc)
		rxM := classDelta(g.rx, 0, mc, &g.rxM)
		rxB := classDelta(g.rx, mc, bc, &g.rxB)
		txM := classDelta(g.tx, 0, mc, &g.txM)
		txB := classDelta(g.tx, mc, bc, &g.txB)
		ip6 := classDelta(g.rx, 0, min(r.IP6Permille, 1000), &g.ip6)
		drops := emitted(r.DropsPPS, g.activeNs, &g.drops)
		punt := emitted(r.PuntPPS, g.activeNs, &g.punt)
		noBuf := emitted(r.RxNoBufPPS, g.activeNs, &g.noBuf)
		miss := emitted(r.RxMissPPS, g.activeNs, &g.miss)
		rxErr := emitted(r.RxErrorPPS, g.activeNs, &g.rxErr)
		txErr := emitted(r.TxErrorPPS, g.activeNs, &g.txErr)
		rxSize, txSize := sizeOr(r.RxSize), sizeOr(r.TxSize)

		// Spread over the workers like RSS does, or keep one worker for
		// generated interfaces (cheaper, and like one rx queue).
		parts, first := threads, 1
		if threads == 0 {
			parts, first = 1, 0
		}
		if x.oneWorker && parts > 1 {
			first += int(x.SwIfIndex) % parts
			parts = 1
		}
		var parent *iface
		if x.Kind == KindSub {
			parent = m.get(x.SupSwIfIndex)
		}
		var members []uint32
		if x.Kind == KindBond {
			for _, mi := range x.members {
				if mx := m.get(mi); mx != nil && mx.AdminUp && mx.hwLink {
					members = append(members, mi)
				}
			}
		}
		idx := x.SwIfIndex
		for w := 0; w < parts; w++ {
			th := first + w
			wrx, wtx := share(rx, w, parts), share(tx, w, parts)
			c.addComb(idx, th, cRx, wrx, wrx*rxSize)
			c.addComb(idx, th, cTx, wtx, wtx*txSize)
			if x.DetailedStats {
				m1, b1 := share(rxM, w, parts), share(rxB, w, parts)
				u := share(rx-rxM-rxB, w, parts)
				c.addComb(idx, th, cRxUnicast, u, u*rxSize)
				c.addComb(idx, th, cRxMulticast, m1, m1*rxSize)
				c.addComb(idx, th, cRxBroadcast, b1, b1*rxSize)
				m2, b2 := share(txM, w, parts), share(txB, w, parts)
				u2 := share(tx-txM-txB, w, parts)
				c.addComb(idx, th, cTxUnicast, u2, u2*txSize)
				c.addComb(idx, th, cTxMulticast, m2, m2*txSize)
				c.addComb(idx, th, cTxBroadcast, b2, b2*txSize)
			}
			w6 := share(ip6, w, parts)
			c.addSimp(idx, th, sIP4, wrx-min(w6, wrx))
			c.addSimp(idx, th, sIP6, min(w6, wrx))
			c.addSimp(idx, th, sDrops, share(drops, w, parts))
			c.addSimp(idx, th, sPunt, share(punt, w, parts))
			c.addSimp(idx, th, sRxNoBuf, share(noBuf, w, parts))
			c.addSimp(idx, th, sRxMiss, share(miss, w, parts))
			c.addSimp(idx, th, sRxError, share(rxErr, w, parts))
			c.addSimp(idx, th, sTxError, share(txErr, w, parts))
			if parent != nil {
				c.addComb(parent.SwIfIndex, th, cRx, wrx, wrx*rxSize)
			}
			for i, mi := range members {
				mrx, mtx := share(wrx, i, len(members)), share(wtx, i, len(members))
				c.addComb(mi, th, cRx, mrx, mrx*rxSize)
				c.addComb(mi, th, cTx, mtx, mtx*txSize)
			}
		}
	}
}

// classDelta advances the count of one packet class: of the first total
// packets, those whose position in each cycle of 1000 lies in [lo, lo+width).
func classDelta(total, lo, width uint64, done *uint64) uint64 {
	if width == 0 {
		return 0
	}
	due := total / 1000 * width
	if rem := total % 1000; rem > lo {
		due += min(rem-lo, width)
	}
	d := due - *done
	*done = due
	return d
}
