package poller

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

var (
	ifOperStatus = agentx.OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 8}
	ifInOctets   = agentx.OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 10}
	ifNumber0    = agentx.OID{1, 3, 6, 1, 2, 1, 2, 1, 0}
	ifMtu        = agentx.OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 4}
)

// fakeVPP is a VPP as the poller sees it: a dump, a counter read, events.
type fakeVPP struct {
	mu       sync.Mutex
	ifaces   []model.Interface
	counters []model.Counters
	segment  uint64
	dumps    atomic.Int32
	ones     atomic.Int32 // single-interface dumps
	reads    atomic.Int32
	failRead error            // every counter read fails with it
	failDump bool             // every dump fails
	drop     func(i int) bool // details left out of a dump, by position
	conn     uint64
	// inPlace: counters come as Stats.Apply, as the agent's reader gives
	// them; applied counts the calls, which must match reads.
	inPlace bool
	applied atomic.Int32
}

func (f *fakeVPP) Interfaces(context.Context) (Dump, error) {
	f.dumps.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failDump {
		return Dump{}, errors.New("VPP API not available")
	}
	d := Dump{Conn: f.conn}
	for i, in := range f.ifaces {
		if f.drop != nil && f.drop(i) {
			continue
		}
		d.Interfaces = append(d.Interfaces, in)
	}
	return d, nil
}

func (f *fakeVPP) Interface(_ context.Context, conn uint64, sw uint32) (model.Interface, bool, error) {
	f.ones.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if conn != f.conn {
		return model.Interface{}, false, errors.New("another connection")
	}
	for _, in := range f.ifaces {
		if in.SwIfIndex == sw {
			return in, true, nil
		}
	}
	return model.Interface{}, false, nil
}

func (f *fakeVPP) Counters(_ context.Context, _ []model.Counters) (Stats, error) {
	f.reads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failRead != nil {
		return Stats{}, f.failRead
	}
	// /if/names as VPP's stats segment holds them: by sw_if_index.
	names := make([]string, len(f.counters))
	for _, in := range f.ifaces {
		if int(in.SwIfIndex) < len(names) {
			names[in.SwIfIndex] = in.Name
		}
	}
	cs := append([]model.Counters(nil), f.counters...)
	if f.inPlace {
		return Stats{Names: names, Segment: f.segment, Apply: func(fn func(func(uint32, *model.Counters) bool)) error {
			f.applied.Add(1)
			fn(func(sw uint32, c *model.Counters) bool {
				if int(sw) >= len(cs) {
					return false
				}
				*c = cs[sw]
				return true
			})
			return nil
		}}, nil
	}
	return Stats{Counters: cs, Names: names, Segment: f.segment}, nil
}

func newFake() *fakeVPP {
	return &fakeVPP{
		ifaces: []model.Interface{
			{SwIfIndex: 0, SupSwIfIndex: 0, Name: "local0", DevType: "local"},
			{SwIfIndex: 1, SupSwIfIndex: 1, Name: "TenGigabitEthernet3/0/0", DevType: "dpdk", AdminUp: true, LinkUp: true, LinkSpeed: 10_000_000},
			{SwIfIndex: 2, SupSwIfIndex: 1, Name: "TenGigabitEthernet3/0/0.100", DevType: "dpdk", Sub: true, AdminUp: true, LinkUp: true},
		},
		counters: []model.Counters{{}, {RxBytes: 100, RxPackets: 1}, {RxBytes: 10, RxPackets: 1}},
		segment:  1,
	}
}

type harness struct {
	t         *testing.T
	vpp       *fakeVPP
	p         *Poller
	events    chan Event
	tree      atomic.Pointer[mib.Snapshot]
	mu        sync.Mutex
	trans     []mib.Transition
	saved     atomic.Int32
	published atomic.Int32
	saveFails atomic.Int32 // fail this many saves first
	cancel    context.CancelFunc
	stopped   chan struct{}
}

func start(t *testing.T, vpp *fakeVPP, maxAge time.Duration) *harness {
	t.Helper()
	return startWith(t, vpp, maxAge, nil, 0)
}

// startWith starts a Poller after adjust (if any) and with the first
// saveFails saves failing.
func startWith(t *testing.T, vpp *fakeVPP, maxAge time.Duration, adjust func(*Poller), saveFails int32) *harness {
	t.Helper()
	h := &harness{t: t, vpp: vpp, events: make(chan Event, 64), stopped: make(chan struct{})}
	h.saveFails.Store(saveFails)
	p, err := New(Config{
		Interfaces: vpp.Interfaces,
		Interface:  vpp.Interface,
		Counters:   vpp.Counters,
		Events:     h.events,
		Publish: func(tr agentx.Tree) {
			h.tree.Store(tr.(*mib.Snapshot))
			h.published.Add(1)
		},
		Notify: func(tr mib.Transition) {
			h.mu.Lock()
			h.trans = append(h.trans, tr)
			h.mu.Unlock()
		},
		SaveIndexes: func(*ifindex.Registry) error {
			if h.saveFails.Add(-1) >= 0 {
				return errors.New("disk full")
			}
			h.saved.Add(1)
			return nil
		},
		MaxAge:          maxAge,
		DetailsInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	if adjust != nil {
		adjust(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.stopped); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-h.stopped })
	select {
	case <-p.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("no snapshot published")
	}
	return h
}

func (h *harness) get(o agentx.OID, idx uint32) agentx.Value {
	return h.tree.Load().Get(append(append(agentx.OID{}, o...), idx))
}

// waitFor polls cond until it holds or the deadline passes.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFirstSnapshot(t *testing.T) {
	h := start(t, newFake(), time.Second)
	if v := h.tree.Load().Get(ifNumber0); v.Integer != 3 {
		t.Errorf("ifNumber.0 = %d, want 3", v.Integer)
	}
	if v := h.get(ifInOctets, 1001); v.Type != agentx.TypeCounter32 || v.Integer != 100 {
		t.Errorf("ifInOctets.1001 = %+v, want Counter32 100", v)
	}
	h.waitFor("the ifIndex map saved", func() bool { return h.saved.Load() >= 1 })
	if got := h.saved.Load(); got != 1 {
		t.Errorf("ifIndex map saved %d times, want once (three new names)", got)
	}
}

func TestFlapIsSeenInOrder(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, time.Second)
	dumps := vpp.dumps.Load()
	for i := range 4 {
		// Carrier down and up on an admin-up port, as VPP flags them:
		// neither flag, then LINK_UP alone.
		up := i%2 == 1
		h.events <- Event{SwIfIndex: 1, LinkUp: up}
	}
	h.waitFor("4 transitions of the port", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		n := 0
		for _, tr := range h.trans {
			if tr.IfIndex == 1001 {
				n++
			}
		}
		return n == 4
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	want := []mib.Status{mib.StatusDown, mib.StatusUp, mib.StatusDown, mib.StatusUp}
	i := 0
	for _, tr := range h.trans {
		if tr.IfIndex != 1001 {
			continue
		}
		if tr.Oper != want[i] {
			t.Errorf("transition %d of ifIndex 1001: oper %v, want %v", i, tr.Oper, want[i])
		}
		i++
	}
	// The sub-interface went lowerLayerDown and back with each flap of its
	// parent: its transitions are reported too (with traps disabled).
	var sub int
	for _, tr := range h.trans {
		if tr.IfIndex == 1002 {
			sub++
			if tr.TrapEnabled {
				t.Errorf("sub-interface transition has TrapEnabled")
			}
		}
	}
	if sub != 4 {
		t.Errorf("sub-interface transitions = %d, want 4", sub)
	}
	if v := h.get(ifOperStatus, 1002); v.Integer != 1 {
		t.Errorf("sub-interface oper = %d after the last flap, want up(1)", v.Integer)
	}
	// Each carrier loss left VPP's admin state in doubt: it was asked for
	// that one interface, never with a full dump.
	if got := vpp.ones.Load(); got != 2 {
		t.Errorf("%d single-interface dumps, want 2 (one per carrier loss)", got)
	}
	if got := vpp.dumps.Load() - dumps; got != 0 {
		t.Errorf("%d full dumps during the flap, want 0", got)
	}
}

// TestDeletedInterfaceLeavesAtOnce: a delete event removes the row without
// asking VPP anything.
func TestDeletedInterfaceLeavesAtOnce(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, time.Hour)
	dumps, ones := vpp.dumps.Load(), vpp.ones.Load()
	vpp.mu.Lock()
	vpp.ifaces = vpp.ifaces[:2]
	vpp.mu.Unlock()
	h.events <- Event{SwIfIndex: 2, Deleted: true}
	h.waitFor("ifNumber.0 = 2", func() bool { return h.tree.Load().Get(ifNumber0).Integer == 2 })
	if d, o := vpp.dumps.Load()-dumps, vpp.ones.Load()-ones; d != 0 || o != 0 {
		t.Errorf("%d full and %d single dumps for a delete event, want none", d, o)
	}
}

// TestCreatedInterfaceAskedAlone: an event of an interface not known yet
// costs one single-interface dump, not a full one, and its row is served
// with what that dump says.
func TestCreatedInterfaceAskedAlone(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, time.Hour)
	dumps, ones := vpp.dumps.Load(), vpp.ones.Load()
	vpp.mu.Lock()
	vpp.ifaces = append(vpp.ifaces, model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "loop0", DevType: "Loopback", AdminUp: true, LinkUp: true, MTU: 9000})
	vpp.mu.Unlock()
	h.events <- Event{SwIfIndex: 3}
	h.waitFor("ifNumber.0 = 4", func() bool { return h.tree.Load().Get(ifNumber0).Integer == 4 })
	if v := h.get(ifOperStatus, 1003); v.Integer != 1 {
		t.Errorf("loop0 ifOperStatus = %d, want up(1)", v.Integer)
	}
	if v := h.get(ifMtu, 1003); v.Integer != 9000 {
		t.Errorf("loop0 ifMtu = %d, want 9000", v.Integer)
	}
	if d, o := vpp.dumps.Load()-dumps, vpp.ones.Load()-ones; d != 0 || o != 1 {
		t.Errorf("%d full and %d single dumps for a new interface, want 0 and 1", d, o)
	}
}

// TestChurnWithoutFullDump: loopbacks created and deleted over and over,
// the index reused as VPP does, cost no full dump, and the rows end as VPP
// has them.
func TestChurnWithoutFullDump(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, time.Hour)
	dumps := vpp.dumps.Load()
	for k := range 20 {
		vpp.mu.Lock()
		vpp.ifaces = append(vpp.ifaces, model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "loop" + itoa(uint32(k%3)), DevType: "Loopback"})
		vpp.mu.Unlock()
		h.events <- Event{SwIfIndex: 3}
		if k%2 == 0 {
			// Some are seen, some deleted before the agent asks.
			h.waitFor("the loopback", func() bool { return h.tree.Load().Get(ifNumber0).Integer == 4 })
		}
		vpp.mu.Lock()
		vpp.ifaces = vpp.ifaces[:3]
		vpp.mu.Unlock()
		h.events <- Event{SwIfIndex: 3, Deleted: true}
	}
	h.waitFor("ifNumber.0 = 3", func() bool { return h.tree.Load().Get(ifNumber0).Integer == 3 })
	vpp.mu.Lock()
	vpp.ifaces = append(vpp.ifaces, model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "loop7", DevType: "Loopback", AdminUp: true})
	vpp.mu.Unlock()
	h.events <- Event{SwIfIndex: 3, AdminUp: true}
	h.waitFor("loop7 served, up", func() bool {
		s := h.tree.Load()
		for i := range s.Len() {
			if r := s.Row(i); r.Name == "loop7" {
				return r.Admin == mib.StatusUp && s.Len() == 4
			}
		}
		return false
	})
	if got := vpp.dumps.Load() - dumps; got != 0 {
		t.Errorf("%d full dumps under churn, want none", got)
	}
}

// TestNamesShowWhatEventsMissed: an interface created and one deleted with
// no event (events lost, or not sent) show from /if/names at the next
// counter read, each asked of VPP alone.
func TestNamesShowWhatEventsMissed(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, 50*time.Millisecond)
	dumps := vpp.dumps.Load()
	vpp.mu.Lock()
	vpp.ifaces = append(vpp.ifaces, model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "loop0", DevType: "Loopback"})
	vpp.counters = append(vpp.counters, model.Counters{RxBytes: 5})
	vpp.mu.Unlock()
	h.waitFor("loop0 from /if/names", func() bool { return h.tree.Load().Get(ifNumber0).Integer == 4 })
	vpp.mu.Lock()
	vpp.ifaces = slices.Delete(vpp.ifaces, 2, 3) // the sub-interface
	vpp.mu.Unlock()
	h.waitFor("the sub-interface gone from /if/names", func() bool { return h.tree.Load().Get(ifNumber0).Integer == 3 })
	if _, ok := h.tree.Load().Find(1002); ok {
		t.Error("the deleted sub-interface is still served")
	}
	if got := vpp.dumps.Load() - dumps; got != 0 {
		t.Errorf("%d full dumps, want none", got)
	}
}

// TestCountersInPlace: counters read in place (Stats.Apply) reach the
// snapshot, at the first build and in the background, a new segment's
// too, and every read is applied (or released) exactly once.
func TestCountersInPlace(t *testing.T) {
	vpp := newFake()
	vpp.inPlace = true
	h := start(t, vpp, 20*time.Millisecond)
	if v := h.get(ifInOctets, 1001); v.Integer != 100 {
		t.Errorf("ifInOctets.1001 = %d at the first build, want 100", v.Integer)
	}
	vpp.mu.Lock()
	vpp.counters[1].RxBytes = 700
	vpp.mu.Unlock()
	h.waitFor("ifInOctets.1001 = 700", func() bool { return h.get(ifInOctets, 1001).Integer == 700 })
	vpp.mu.Lock()
	vpp.segment = 2 // VPP restarted
	vpp.counters[1].RxBytes = 5
	vpp.mu.Unlock()
	h.waitFor("the new segment's ifInOctets.1001 = 5", func() bool { return h.get(ifInOctets, 1001).Integer == 5 })
	h.cancel()
	<-h.stopped
	if r, a := vpp.reads.Load(), vpp.applied.Load(); r != a {
		t.Errorf("%d reads, %d applied: each must be applied once", r, a)
	}
}

// TestCountersReadInBackground: counters are read every MaxAge without any
// request, and served from memory.
func TestCountersReadInBackground(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, 50*time.Millisecond)
	vpp.mu.Lock()
	vpp.counters[1].RxBytes = 5000
	vpp.mu.Unlock()
	h.waitFor("ifInOctets.1001 = 5000 without a request", func() bool { return h.get(ifInOctets, 1001).Integer == 5000 })
}

// TestFailedReadKeepsServing: while the stats segment cannot be read the
// previous counters are served and reads back off rather than spin.
func TestFailedReadKeepsServing(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, 100*time.Millisecond)
	vpp.mu.Lock()
	vpp.failRead = errors.New("busy")
	vpp.counters[1].RxBytes = 5000
	vpp.mu.Unlock()
	reads := vpp.reads.Load()
	h.waitFor("3 failed reads", func() bool { return vpp.reads.Load()-reads >= 3 })
	if v := h.get(ifInOctets, 1001); v.Integer != 100 {
		t.Errorf("ifInOctets.1001 = %d after failed reads, want the previous 100", v.Integer)
	}
	vpp.mu.Lock()
	vpp.failRead = nil
	vpp.mu.Unlock()
	h.waitFor("ifInOctets.1001 = 5000 once readable", func() bool { return h.get(ifInOctets, 1001).Integer == 5000 })
}

func TestNewSegmentRebuildsFromFreshDetails(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, 100*time.Millisecond)
	// VPP restarted: the port is now sw_if_index 2 and the sub 1; counters
	// from zero in a new segment.
	vpp.mu.Lock()
	vpp.ifaces[1].SwIfIndex, vpp.ifaces[2].SwIfIndex = 2, 1
	vpp.ifaces[1].SupSwIfIndex, vpp.ifaces[2].SupSwIfIndex = 2, 2
	vpp.counters = []model.Counters{{}, {RxBytes: 7}, {RxBytes: 70}}
	vpp.segment = 2
	vpp.mu.Unlock()
	dumps := vpp.dumps.Load()
	// New counters are joined only with details dumped after them: the
	// port is never seen with the sub-interface's new counters (7).
	h.waitFor("a dump after the new stats segment", func() bool {
		if v := h.get(ifInOctets, 1001); v.Integer != 100 && v.Integer != 70 {
			t.Fatalf("port ifInOctets = %d, want the previous 100 or the new 70", v.Integer)
		}
		return vpp.dumps.Load() > dumps
	})
	h.waitFor("the port's counters at its new sw_if_index", func() bool { return h.get(ifInOctets, 1001).Integer == 70 })
	if v := h.get(ifInOctets, 1002); v.Integer != 7 {
		t.Errorf("sub ifInOctets = %d, want 7", v.Integer)
	}
}

// TestBondMemberEventDumpsAgain: a member's link change is applied at once
// and then the bond is dumped again, since its speed and status follow its
// members' activity.
func TestBondMemberEventDumpsAgain(t *testing.T) {
	vpp := newFake()
	vpp.ifaces = append(vpp.ifaces,
		model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "TenGigabitEthernet3/0/1", DevType: "dpdk", AdminUp: true, LinkUp: true, LinkSpeed: 10_000_000},
		model.WithExtra(model.Interface{SwIfIndex: 4, SupSwIfIndex: 4, Name: "BondEthernet0", DevType: "bond", AdminUp: true, LinkUp: true},
			model.Extra{BondMembers: []model.BondMember{{SwIfIndex: 3, Active: true}}}),
	)
	vpp.counters = append(vpp.counters, model.Counters{}, model.Counters{})
	h := start(t, vpp, time.Second)
	dumps := vpp.dumps.Load()
	h.events <- Event{SwIfIndex: 1, LinkUp: true} // not a member: no dump
	h.events <- Event{SwIfIndex: 3, AdminUp: true, LinkUp: true}
	h.waitFor("a dump after the member's event", func() bool { return vpp.dumps.Load() > dumps })
	if got := vpp.dumps.Load() - dumps; got != 1 {
		t.Errorf("%d dumps, want 1", got)
	}
}

// TestSaveRetried: a failed save of the ifIndex map is retried until it
// succeeds, so a new ifIndex is not lost at the next restart.
func TestSaveRetried(t *testing.T) {
	vpp := newFake()
	hh := startWith(t, vpp, time.Second, func(p *Poller) { p.saveRetry = 10 * time.Millisecond }, 2)
	hh.waitFor("the ifIndex map saved after two failures", func() bool { return hh.saved.Load() == 1 })
}

// TestSaveFailureLoggedAgain: while saves fail, the failure is logged at
// error level again (at least once a minute; here, with retries every
// 10 ms, every 120 ms), not only once; when a save succeeds that is said
// too. At exit the current map is saved once more.
func TestSaveFailureLoggedAgain(t *testing.T) {
	log, hook := test.NewNullLogger()
	failing := func() int {
		n := 0
		for _, e := range hook.AllEntries() {
			if e.Level == logrus.ErrorLevel && strings.HasPrefix(e.Message, "saving the ifIndex map; retrying") {
				n++
			}
		}
		return n
	}
	h := startWith(t, newFake(), time.Second, func(p *Poller) { p.saveRetry, p.log = 10*time.Millisecond, log }, 1<<30)
	h.waitFor("the save failure logged three times", func() bool { return failing() >= 3 })
	if h.saved.Load() != 0 {
		t.Fatal("saved while saves fail")
	}
	h.saveFails.Store(0)
	h.waitFor("the map saved", func() bool { return h.saved.Load() == 1 })
	h.waitFor("the save logged", func() bool {
		for _, e := range hook.AllEntries() {
			if e.Level == logrus.InfoLevel && e.Message == "ifIndex map saved" {
				return true
			}
		}
		return false
	})
	h.cancel()
	<-h.stopped
	if got := h.saved.Load(); got != 2 {
		t.Errorf("%d saves after the stop, want 2 (the map again at exit)", got)
	}
}

// TestBurstIsOneBuild: events queued together on different interfaces are
// applied with one build; the same interface twice in a burst gets a build
// per change, so its transitions stay distinct.
func TestBurstIsOneBuild(t *testing.T) {
	vpp := newFake()
	for sw := uint32(3); sw < 50; sw++ {
		vpp.ifaces = append(vpp.ifaces, model.Interface{SwIfIndex: sw, SupSwIfIndex: sw, Name: "loop" + itoa(sw), DevType: "Loopback"})
		vpp.counters = append(vpp.counters, model.Counters{})
	}
	h := startWith(t, vpp, time.Hour, nil, 0)
	h.p.mu.Lock() // hold the poller until the whole burst is queued
	before := h.published.Load()
	for sw := uint32(3); sw < 50; sw++ {
		h.events <- Event{SwIfIndex: sw, AdminUp: true, LinkUp: true}
	}
	h.p.mu.Unlock()
	h.waitFor("47 loopbacks up", func() bool {
		up := 0
		for sw := uint32(3); sw < 50; sw++ {
			if h.get(ifOperStatus, 1000+sw).Integer == 1 {
				up++
			}
		}
		return up == 47
	})
	// The first event may be taken alone, before the rest is queued.
	if got := h.published.Load() - before; got > 2 {
		t.Errorf("%d builds for a burst of 47 events, want 1 (or 2)", got)
	}
}

// TestShortDumpKeepsRows: details missing from a dump while the stats
// segment still names the interface keep their row, with its last details
// and live counters; the dump is tried again until it is whole.
func TestShortDumpKeepsRows(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, 50*time.Millisecond)
	dumps := vpp.dumps.Load()
	vpp.mu.Lock()
	vpp.drop = func(i int) bool { return i == 1 } // TenGigabitEthernet3/0/0 goes missing
	vpp.counters[1].RxBytes = 900
	vpp.mu.Unlock()
	h.p.requestFull()
	h.waitFor("two dumps, the second a retry", func() bool { return vpp.dumps.Load()-dumps >= 2 })
	if v := h.tree.Load().Get(ifNumber0); v.Integer != 3 {
		t.Errorf("ifNumber.0 = %d after short dumps, want 3", v.Integer)
	}
	if v := h.get(ifOperStatus, 1001); v.Integer != 1 {
		t.Errorf("kept row's ifOperStatus = %d, want its last up(1)", v.Integer)
	}
	h.waitFor("the kept row's counters live", func() bool { return h.get(ifInOctets, 1001).Integer == 900 })
	vpp.mu.Lock()
	vpp.drop = nil
	vpp.mu.Unlock()
	d := vpp.dumps.Load()
	h.waitFor("another retry once whole", func() bool { return vpp.dumps.Load() > d })
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.trans) != 0 {
		t.Errorf("%d transitions through short dumps, want none", len(h.trans))
	}
}

// TestGoneAfterTwoCompleteDumps: an interface that VPP no longer dumps nor
// names in /if/names leaves at the second complete dump without it, not
// at the first.
func TestGoneAfterTwoCompleteDumps(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, time.Hour)
	vpp.mu.Lock()
	vpp.ifaces = vpp.ifaces[:2] // the sub-interface is gone, without an event
	vpp.mu.Unlock()
	dumps := vpp.dumps.Load()
	h.p.requestFull()
	h.waitFor("ifNumber.0 = 2", func() bool { return h.tree.Load().Get(ifNumber0).Integer == 2 })
	if got := vpp.dumps.Load() - dumps; got != 2 {
		t.Errorf("row removed after %d dumps, want 2", got)
	}
}

// TestVPPGoneReadsDown: with the API connection lost and the stats segment
// gone for DownAfter, every row reads down with a transition each, rows and
// ifIndexes kept; VPP back, the real states return.
func TestVPPGoneReadsDown(t *testing.T) {
	vpp := newFake()
	h := startWith(t, vpp, 50*time.Millisecond, func(p *Poller) { p.cfg.DownAfter = 200 * time.Millisecond }, 0)
	vpp.mu.Lock()
	vpp.failDump = true
	vpp.failRead = fmt.Errorf("checking: %w", ErrStatsGone)
	vpp.mu.Unlock()
	h.events <- Event{Down: true}
	h.waitFor("every row down", func() bool {
		return h.get(ifOperStatus, 1001).Integer == 2 && h.get(ifOperStatus, 1002).Integer == 2
	})
	if v := h.tree.Load().Get(ifNumber0); v.Integer != 3 {
		t.Errorf("ifNumber.0 = %d while VPP is gone, want 3", v.Integer)
	}
	h.mu.Lock()
	downs := len(h.trans)
	h.mu.Unlock()
	if downs != 2 {
		t.Errorf("%d transitions when VPP went, want 2 (the port and its sub)", downs)
	}
	vpp.mu.Lock()
	vpp.failDump, vpp.failRead = false, nil
	vpp.segment, vpp.conn = 2, 2
	vpp.mu.Unlock()
	h.events <- Event{Conn: 2, Resync: true}
	h.waitFor("the port up again", func() bool {
		return h.get(ifOperStatus, 1001).Integer == 1 && h.get(ifOperStatus, 1002).Integer == 1
	})
}

// TestSlowVPPKeepsStates: the API connection lost but the stats segment
// readable is a slow VPP, not a dead one: states stay.
func TestSlowVPPKeepsStates(t *testing.T) {
	vpp := newFake()
	h := startWith(t, vpp, 20*time.Millisecond, func(p *Poller) { p.cfg.DownAfter = 50 * time.Millisecond }, 0)
	vpp.mu.Lock()
	vpp.failDump = true
	vpp.mu.Unlock()
	h.events <- Event{Down: true}
	reads := vpp.reads.Load()
	h.waitFor("counters read for 10 times DownAfter", func() bool { return vpp.reads.Load()-reads > 25 })
	if v := h.get(ifOperStatus, 1001); v.Integer != 1 {
		t.Errorf("ifOperStatus = %d with the stats segment readable, want up(1)", v.Integer)
	}
}

// TestOtherConnectionEventIgnored: an event of a newer connection is not
// applied to the previous connection's interfaces: it waits for the dump.
func TestOtherConnectionEventIgnored(t *testing.T) {
	vpp := newFake()
	h := start(t, vpp, time.Hour)
	// The new VPP's sw_if_index 1 is admin down; the old one's was up.
	vpp.mu.Lock()
	vpp.conn = 7
	vpp.ifaces[1].AdminUp = false
	vpp.mu.Unlock()
	dumps := vpp.dumps.Load()
	h.events <- Event{Conn: 7, SwIfIndex: 1}
	h.waitFor("a dump for the new connection", func() bool { return vpp.dumps.Load() > dumps })
	h.waitFor("the port down", func() bool { return h.get(ifOperStatus, 1001).Integer == 2 })
	if got := vpp.ones.Load(); got != 0 {
		t.Errorf("asked VPP %d times for one interface of another connection", got)
	}
}

// TestSubFollowsParent: a parent's link back up brings its sub-interface
// up in the same build, though the sub's own flag (from a dump while the
// parent was down) says down.
func TestSubFollowsParent(t *testing.T) {
	vpp := newFake()
	vpp.ifaces[1].LinkUp, vpp.ifaces[2].LinkUp = false, false
	h := start(t, vpp, time.Hour)
	if v := h.get(ifOperStatus, 1002); v.Integer != 7 {
		t.Fatalf("sub ifOperStatus = %d with its parent down, want lowerLayerDown(7)", v.Integer)
	}
	h.events <- Event{SwIfIndex: 1, LinkUp: true}
	h.waitFor("the sub up with its parent", func() bool { return h.get(ifOperStatus, 1002).Integer == 1 })
}

// TestRecreatedInOneBurst: an interface deleted and created again within
// one burst of events comes back as a new row: its counters started again
// (ifCounterDiscontinuityTime set), even though it keeps its ifIndex.
func TestRecreatedInOneBurst(t *testing.T) {
	vpp := newFake()
	vpp.counters[2] = model.Counters{} // no traffic: no counter goes back
	vpp.counters = append(vpp.counters, model.Counters{})
	h := start(t, vpp, time.Hour)
	disc := func() time.Time {
		s := h.tree.Load()
		i, ok := s.Find(1002)
		if !ok {
			return time.Time{}
		}
		return s.Row(i).CounterDiscontinuity
	}
	if !disc().IsZero() {
		t.Fatal("precondition: a discontinuity at start")
	}
	h.p.mu.Lock() // the whole burst queued before the poller takes it
	vpp.mu.Lock()
	sub := vpp.ifaces[2]
	sub.SwIfIndex = 3
	vpp.ifaces = append(vpp.ifaces[:2], sub)
	vpp.mu.Unlock()
	h.events <- Event{SwIfIndex: 2, Deleted: true}
	h.events <- Event{SwIfIndex: 3}
	h.p.mu.Unlock()
	h.waitFor("the sub-interface back with a discontinuity", func() bool {
		s := h.tree.Load()
		i, ok := s.Find(1002)
		return ok && s.Row(i).SwIfIndex == 3 && !disc().IsZero()
	})
}

// TestSameInterfaceSeesExtras: the rare fields live behind a pointer;
// sameInterface compares what it points to.
func TestSameInterfaceSeesExtras(t *testing.T) {
	mk := func(tag string) model.Interface {
		return model.WithExtra(model.Interface{SwIfIndex: 1, SupSwIfIndex: 1, Name: "Te0", DevType: "dpdk"},
			model.Extra{Tag: tag, LCPHostName: "e0", LCPHostSwIfIndex: 4, BondMembers: []model.BondMember{{SwIfIndex: 2}}})
	}
	a, b := mk("core"), mk("core") // equal extras, two pointers
	if !sameInterface(&a, &b) {
		t.Error("equal extras behind different pointers are not the same")
	}
	if c := mk("edge"); sameInterface(&a, &c) {
		t.Error("different tags are the same")
	}
	c := a
	c.SetLCPHost("e1", 4)
	if sameInterface(&a, &c) {
		t.Error("different linux-cp host names are the same")
	}
	plain := model.Interface{SwIfIndex: 1, SupSwIfIndex: 1, Name: "Te0", DevType: "dpdk"}
	if sameInterface(&a, &plain) {
		t.Error("an interface with extras is the same as one without")
	}
}

// TestRefreshKeepsExtras: a single-interface dump says nothing of linux-cp
// pairs, so the row keeps the last full dump's pair and takes the new tag;
// a copy of the row from before (sharing its extras) still says the old
// tag.
func TestRefreshKeepsExtras(t *testing.T) {
	vpp := newFake()
	vpp.ifaces[1].SetExtra(model.Extra{Tag: "old", LCPHostName: "e0", LCPHostSwIfIndex: 7})
	h := start(t, vpp, time.Hour)
	row := func() model.Interface {
		h.p.mu.Lock()
		defer h.p.mu.Unlock()
		for _, in := range h.p.ifaces {
			if in.SwIfIndex == 1 {
				return in
			}
		}
		return model.Interface{}
	}
	before := row()
	if before.Tag() != "old" || before.LCPHostName() != "e0" {
		t.Fatalf("row after the full dump: %+v", before.Extra())
	}
	vpp.mu.Lock()
	vpp.ifaces[1].SetExtra(model.Extra{Tag: "new"}) // as one details message says it
	vpp.mu.Unlock()
	h.events <- Event{SwIfIndex: 1, AdminUp: true, LinkUp: true, Check: true}
	h.waitFor("the new tag", func() bool { r := row(); return r.Tag() == "new" })
	after := row()
	if want := (model.Extra{Tag: "new", LCPHostName: "e0", LCPHostSwIfIndex: 7}); !reflect.DeepEqual(after.Extra(), want) {
		t.Errorf("row after the single dump: %+v, want %+v", after.Extra(), want)
	}
	if want := (model.Extra{Tag: "old", LCPHostName: "e0", LCPHostSwIfIndex: 7}); !reflect.DeepEqual(before.Extra(), want) {
		t.Errorf("copy from before the single dump: %+v, want %+v", before.Extra(), want)
	}
}

// TestSetAliasesBuilds: a new ifAlias map is served although the full dump
// it asks for finds the interfaces unchanged (a resting dump builds
// nothing otherwise).
func TestSetAliasesBuilds(t *testing.T) {
	h := start(t, newFake(), time.Hour)
	ifAlias := agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18}
	h.p.SetAliases(map[string]string{"TenGigabitEthernet3/0/0": "Transit A"})
	h.waitFor("ifAlias.1001 from the new map", func() bool {
		v := h.get(ifAlias, 1001)
		return string(v.Bytes) == "Transit A"
	})
}
