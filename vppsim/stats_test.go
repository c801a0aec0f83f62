package vppsim

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/adapter/statsclient"
	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/core"

	dpmodel "github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

const trafficRouter = `
interfaces:
  - name: TenGigabitEthernet3/0/0
    detailed_stats: true
    rates: {rx_pps: 1000, tx_pps: 500, rx_size: 100, tx_size: 200, multicast_permille: 100, broadcast_permille: 50, drops_pps: 10, rx_miss_pps: 2, rx_error_pps: 1, tx_error_pps: 3, rx_no_buf_pps: 4, punt_pps: 5}
  - name: HundredGigabitEthernet5/0/0
    speed: 100G
    link: down
    rates: {rx_pps: 1000, tx_pps: 1000}
  - name: TenGigabitEthernet3/0/2
    bond: BondEthernet0
  - name: TenGigabitEthernet3/0/3
    bond: BondEthernet0
  - name: BondEthernet0
    kind: bond
    rates: {rx_pps: 300, tx_pps: 200, rx_size: 1000, tx_size: 1000}
  - name: gre0
    kind: gre
    state: down
    rates: {rx_pps: 1000, tx_pps: 1000}
  - name: TenGigabitEthernet3/0/0.100
    kind: sub
    parent: TenGigabitEthernet3/0/0
    vlan: 100
    rates: {rx_pps: 100, tx_pps: 100}
`

// statsConn connects govpp's statsclient through core.ConnectStats.
func statsConn(t *testing.T, s *Sim) *core.StatsConnection {
	t.Helper()
	c, err := core.ConnectStats(statsclient.NewStatsClient(s.cfg.StatsSocket))
	if err != nil {
		t.Fatalf("core.ConnectStats: %v", err)
	}
	t.Cleanup(c.Disconnect)
	return c
}

func govppCounters(ic api.InterfaceCounters) dpmodel.Counters {
	return dpmodel.Counters{
		RxPackets: ic.Rx.Packets, RxBytes: ic.Rx.Bytes, TxPackets: ic.Tx.Packets, TxBytes: ic.Tx.Bytes,
		RxUnicastPackets: ic.RxUnicast.Packets, RxUnicastBytes: ic.RxUnicast.Bytes,
		RxMulticastPackets: ic.RxMulticast.Packets, RxMulticastBytes: ic.RxMulticast.Bytes,
		RxBroadcastPackets: ic.RxBroadcast.Packets, RxBroadcastBytes: ic.RxBroadcast.Bytes,
		TxUnicastPackets: ic.TxUnicast.Packets, TxUnicastBytes: ic.TxUnicast.Bytes,
		TxMulticastPackets: ic.TxMulticast.Packets, TxMulticastBytes: ic.TxMulticast.Bytes,
		TxBroadcastPackets: ic.TxBroadcast.Packets, TxBroadcastBytes: ic.TxBroadcast.Bytes,
		Drops: ic.Drops, Punts: ic.Punts, RxNoBuf: ic.RxNoBuf, RxMiss: ic.RxMiss,
		RxError: ic.RxErrors, TxError: ic.TxErrors,
	}
}

func interfaceStats(t *testing.T, c *core.StatsConnection) []api.InterfaceCounters {
	t.Helper()
	var st api.InterfaceStats
	if err := c.GetInterfaceStats(&st); err != nil {
		t.Fatalf("GetInterfaceStats: %v", err)
	}
	return st.Interfaces
}

// TestCountersThroughStatsclient: what govpp's statsclient reads, summed
// over threads, is what the simulator counted, and what the rates say.
func TestCountersThroughStatsclient(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, trafficRouter), Workers: 2})
	s.Advance(1500 * time.Millisecond)
	s.Advance(2300 * time.Millisecond)
	c := statsConn(t, s)
	got := interfaceStats(t, c)
	ifs := s.Interfaces()
	if len(got) != len(ifs) {
		t.Fatalf("statsclient sees %d interfaces, the simulator has %d", len(got), len(ifs))
	}
	for _, x := range ifs {
		g := got[x.SwIfIndex]
		if g.InterfaceName != x.Name {
			t.Errorf("index %d: statsclient name %q, want %q", x.SwIfIndex, g.InterfaceName, x.Name)
		}
		if gc, want := govppCounters(g), s.Counters(x.SwIfIndex); gc != want {
			t.Errorf("%s: statsclient\n %+v\nsimulator\n %+v", x.Name, gc, want)
		}
	}
	// The rates, worked out by hand for 3.8 s: Ten0 counts its own rx
	// and its sub-interface's; of every 1000 of its own packets the first
	// 100 are multicast and the next 50 broadcast (3800 rx: 3 cycles and
	// 800; 1900 tx: 1 cycle and 900).
	ten0 := govppCounters(got[1])
	want := dpmodel.Counters{
		RxPackets: 3800 + 380, RxBytes: 3800*100 + 380*512, TxPackets: 1900, TxBytes: 1900 * 200,
		RxUnicastPackets: 3200, RxUnicastBytes: 320000, RxMulticastPackets: 400, RxMulticastBytes: 40000,
		RxBroadcastPackets: 200, RxBroadcastBytes: 20000,
		TxUnicastPackets: 1600, TxUnicastBytes: 320000, TxMulticastPackets: 200, TxMulticastBytes: 40000,
		TxBroadcastPackets: 100, TxBroadcastBytes: 20000,
		Drops: 38, Punts: 19, RxNoBuf: 15, RxMiss: 7, RxError: 3, TxError: 11,
	}
	if ten0 != want {
		t.Errorf("TenGigabitEthernet3/0/0:\n got %+v\nwant %+v", ten0, want)
	}
	// No carrier, admin down: nothing counted.
	for _, idx := range []uint32{2, 6} {
		if c := govppCounters(got[idx]); c != (dpmodel.Counters{}) {
			t.Errorf("%s passes no traffic but counted %+v", got[idx].InterfaceName, c)
		}
	}
	// The bond's traffic is counted at its members too, split between
	// them (each tick's odd packet goes to the second).
	if m0, m1 := got[3].Rx.Packets, got[4].Rx.Packets; got[5].Rx.Packets != 1140 || m0+m1 != 1140 || m0 < 560 || m1 < 560 {
		t.Errorf("bond rx %d, members %d and %d; want 1140 split about evenly", got[5].Rx.Packets, m0, m1)
	}

	// Per thread: nothing on the main thread, both workers busy.
	sc := statsclient.NewStatsClient(s.cfg.StatsSocket)
	if err := sc.Connect(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sc.Disconnect() }()
	entries, err := sc.DumpStats("^/if/rx$")
	if err != nil || len(entries) != 1 {
		t.Fatalf("DumpStats(/if/rx): %v %v", entries, err)
	}
	perThread := entries[0].Data.(adapter.CombinedCounterStat)
	if len(perThread) != 3 || perThread[0][1].Packets() != 0 || perThread[1][1].Packets() != 2090 || perThread[2][1].Packets() != 2090 {
		t.Errorf("/if/rx of TenGigabitEthernet3/0/0 per thread: %v, want [0 2090 2090]", perThread)
	}

	// clear interfaces zeroes them all.
	s.ClearCounters()
	for _, g := range interfaceStats(t, c) {
		if gc := govppCounters(g); gc != (dpmodel.Counters{}) {
			t.Errorf("%s after clear: %+v", g.InterfaceName, gc)
		}
	}
	// A deleted interface stays in the segment, named "deleted", with its
	// counters; a new one on its index starts from zero.
	s.Advance(time.Second)
	before := interfaceStats(t, c)[7]
	if err := s.Delete("TenGigabitEthernet3/0/0.100"); err != nil {
		t.Fatal(err)
	}
	after := interfaceStats(t, c)
	if after[7].InterfaceName != "deleted" || after[7].Rx != before.Rx || before.Rx.Packets != 100 {
		t.Errorf("deleted index 7: %+v (before %+v)", after[7], before)
	}
	x, err := s.CreateLoopback()
	if err != nil || x.SwIfIndex != 7 {
		t.Fatalf("CreateLoopback: %+v %v, want index 7", x, err)
	}
	after = interfaceStats(t, c)
	if after[7].InterfaceName != "loop0" || govppCounters(after[7]) != (dpmodel.Counters{}) || s.Counters(7) != (dpmodel.Counters{}) {
		t.Errorf("index 7 reused: %+v, simulator %+v; want loop0 at zero", after[7], s.Counters(7))
	}
}

// TestTickerCountsRealTime: with a tick, counters move on their own.
func TestTickerCountsRealTime(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, trafficRouter), Tick: 10 * time.Millisecond})
	deadline := time.Now().Add(10 * time.Second)
	for s.Counters(1).RxPackets < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("rx of TenGigabitEthernet3/0/0 still %d after 10 s at 1000 pps", s.Counters(1).RxPackets)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dumpNames(t *testing.T, ch api.Channel) map[string]uint32 {
	t.Helper()
	out := map[string]uint32{}
	for _, d := range dump(t, ch, &interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(NoIndex)}) {
		out[d.InterfaceName] = uint32(d.SwIfIndex)
	}
	return out
}

// TestRestart: govpp's AsyncConnect sees VPP go and come back; the
// interfaces are the same but their indexes moved (predictably); the stats
// segment is a new one, counters from zero.
func TestRestart(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, trafficRouter), RestartDelay: 200 * time.Millisecond})
	conn, waitState := asyncConnect(t, s)
	waitState(core.Connected)
	ch, err := conn.NewAPIChannel()
	if err != nil {
		t.Fatal(err)
	}
	before := dumpNames(t, ch)
	ch.Close()
	s.Advance(time.Second)
	if s.Counters(before["TenGigabitEthernet3/0/0"]).RxPackets == 0 {
		t.Fatal("no traffic before the restart")
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	waitState(core.Disconnected)
	waitState(core.Connected)
	ch, err = conn.NewAPIChannel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	after := dumpNames(t, ch)
	if len(after) != len(before) {
		t.Fatalf("after the restart: %v, before: %v", after, before)
	}
	// Restart 1 rotates the independent interfaces by one: the first
	// port is created last of them.
	wantAfter := map[string]uint32{
		"local0": 0, "HundredGigabitEthernet5/0/0": 1, "TenGigabitEthernet3/0/2": 2, "TenGigabitEthernet3/0/3": 3,
		"BondEthernet0": 4, "gre0": 5, "TenGigabitEthernet3/0/0": 6, "TenGigabitEthernet3/0/0.100": 7,
	}
	if !reflect.DeepEqual(after, wantAfter) {
		t.Errorf("indexes after the restart: %v, want %v", after, wantAfter)
	}
	if before["TenGigabitEthernet3/0/0"] != 1 {
		t.Errorf("indexes before the restart: %v", before)
	}
	// A new stats connection sees the new segment: new names, zero.
	for _, g := range interfaceStats(t, statsConn(t, s)) {
		if after[g.InterfaceName] != g.InterfaceIndex {
			t.Errorf("stats index %d named %q, the API says %d", g.InterfaceIndex, g.InterfaceName, after[g.InterfaceName])
		}
		if gc := govppCounters(g); gc != (dpmodel.Counters{}) {
			t.Errorf("%s after the restart: %+v", g.InterfaceName, gc)
		}
	}
	if s.Generation() != 1 {
		t.Errorf("generation %d, want 1", s.Generation())
	}
}

// TestGovppStaleNamesAfterKill reproduces a govpp v0.13.0 bug: after
// VPP is killed and restarted (its stats.sock replaced
// without being removed), a long-lived core.StatsConnection goes on
// returning the old interface list and counters, with no error. A fresh
// connection reads the new VPP. The agent's workaround must survive this.
func TestGovppStaleNamesAfterKill(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, trafficRouter)})
	s.Advance(time.Second)
	old := statsConn(t, s)
	before := interfaceStats(t, old)
	if before[1].InterfaceName != "TenGigabitEthernet3/0/0" || before[1].Rx.Packets == 0 {
		t.Fatalf("before the restart: %+v", before[1])
	}
	if err := s.RestartWith(RestartKill); err != nil {
		t.Fatal(err)
	}
	s.Advance(500 * time.Millisecond)
	fresh := interfaceStats(t, statsConn(t, s))
	if fresh[1].InterfaceName != "HundredGigabitEthernet5/0/0" || fresh[6].InterfaceName != "TenGigabitEthernet3/0/0" {
		t.Fatalf("a fresh connection after the restart: %q at 1, %q at 6", fresh[1].InterfaceName, fresh[6].InterfaceName)
	}
	if fresh[6].Rx.Packets != 550 {
		t.Errorf("a fresh connection: rx %d at 6, want 550", fresh[6].Rx.Packets)
	}
	var stale api.InterfaceStats
	err := old.GetInterfaceStats(&stale)
	if err != nil {
		t.Fatalf("the long-lived connection returned %v; the bug is that it returns old data with no error", err)
	}
	if stale.Interfaces[1].InterfaceName != "TenGigabitEthernet3/0/0" || stale.Interfaces[1].Rx != before[1].Rx {
		t.Fatalf("the long-lived connection read %+v: the stale-segment bug did not reproduce", stale.Interfaces[1])
	}
}

// TestRestartCancelled: a Restart whose delay is cut by the context ends
// with the context's error, and Close still works.
func TestRestartCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(Config{APISocket: dir + "/api.sock", StatsSocket: dir + "/stats.sock",
		RestartDelay: time.Hour, Tick: -1, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Restart() }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Restart: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Restart did not return after cancel")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}
