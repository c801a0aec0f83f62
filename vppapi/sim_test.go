package vppapi_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppapi"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// These tests run the client against vppsim, which speaks VPP's binary API
// on a unix socket: apisocket (the adapter vppapi dials) and govpp's real
// core are under test.

// logBuffer collects the client's log lines (race-safe).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines(substr string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

func discard() logrus.FieldLogger { return logTo(io.Discard) }

// logTo is a logger writing to w.
func logTo(w io.Writer) logrus.FieldLogger {
	l := logrus.New()
	l.Out = w
	return l
}

func simConfig(t *testing.T) vppsim.Config {
	dir := t.TempDir()
	return vppsim.Config{
		APISocket:   filepath.Join(dir, "api.sock"),
		StatsSocket: filepath.Join(dir, "stats.sock"),
		Tick:        -1, // no traffic: these tests are about the API
		Logger:      discard(),
	}
}

func startSim(t *testing.T, cfg vppsim.Config) *vppsim.Sim {
	t.Helper()
	s, err := vppsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// connected is a client of socket, run (see runClient) and connected.
func connected(t *testing.T, socket string, opts ...vppapi.Option) *vppapi.Client {
	t.Helper()
	c := vppapi.New(socket, opts...)
	runClient(t, c)
	next(t, c, 5*time.Second, vppapi.Connected)
	return c
}

// runClient starts Run and stops it at the end of the test, checking that
// Run returns nil and closes Events.
func runClient(t *testing.T, c *vppapi.Client) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
		for range c.Events() {
		}
	})
}

// next returns the next event of one of kinds, failing after timeout.
func next(t *testing.T, c *vppapi.Client, timeout time.Duration, kinds ...vppapi.EventKind) vppapi.Event {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("Events closed while waiting for %v", kinds)
			}
			if slices.Contains(kinds, ev.Kind) {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("no %v event within %v", kinds, timeout)
		}
	}
}

// want maps the simulator's own model of its interfaces to what the client
// must return: an independent path to the same answer.
func want(s *vppsim.Sim) []model.Interface {
	sims := s.Interfaces()
	bySw := map[uint32]vppsim.Interface{}
	for _, x := range sims {
		bySw[x.SwIfIndex] = x
	}
	var out []model.Interface
	for _, x := range sims {
		i := model.Interface{
			SwIfIndex: x.SwIfIndex, SupSwIfIndex: x.SupSwIfIndex, Name: x.Name, DevType: x.DevType,
			Sub: x.Kind == vppsim.KindSub, AdminUp: x.AdminUp, LinkUp: x.LinkUp, LinkSpeed: x.LinkSpeed,
			MTU: x.MTU[0], LinkMTU: uint32(x.LinkMTU), MAC: x.MAC, Duplex: model.Duplex(x.LinkDuplex),
		}
		i.SetTag(x.Tag)
		if i.Sub {
			// VPP reports the speed of the hardware interface under a
			// sub-interface: its parent's.
			i.LinkSpeed = bySw[x.SupSwIfIndex].LinkSpeed
		}
		if x.Kind == vppsim.KindBond {
			for _, m := range sims {
				if m.BondSwIfIndex == x.SwIfIndex && m.Kind != vppsim.KindBond {
					i.SetBondMembers(append(i.BondMembers(), model.BondMember{SwIfIndex: m.SwIfIndex, Active: m.AdminUp && m.LinkUp}))
				}
			}
		}
		out = append(out, i)
	}
	for _, p := range s.LCPPairs() {
		for k := range out {
			if out[k].SwIfIndex == p.PhySwIfIndex {
				out[k].SetLCPHost(p.HostIfName, p.HostSwIfIndex)
			}
		}
	}
	return out
}

func compare(t *testing.T, got, exp []model.Interface) {
	t.Helper()
	if len(got) != len(exp) {
		t.Fatalf("%d interfaces, want %d", len(got), len(exp))
	}
	for k := range exp {
		g := got[k]
		// VPP lists a bond's members in its own order; compare them as a set.
		slices.SortFunc(g.BondMembers(), func(a, b model.BondMember) int { return int(a.SwIfIndex) - int(b.SwIfIndex) })
		if !reflect.DeepEqual(g, exp[k]) {
			t.Errorf("interface %d:\n got %+v %+v\nwant %+v %+v", k, g, g.Extra(), exp[k], exp[k].Extra())
		}
	}
}

func byName(ifs []model.Interface, name string) model.Interface {
	for _, i := range ifs {
		if i.Name == name {
			return i
		}
	}
	return model.Interface{}
}

// TestInterfacesMatchSim: Interfaces returns the simulator's default router
// (ports, subs, QinQ, an LACP bond, loopbacks, linux-cp taps, tunnels)
// field by field, bond members and linux-cp pairs included.
func TestInterfacesMatchSim(t *testing.T) {
	cfg := simConfig(t)
	s := startSim(t, cfg)
	logs := &logBuffer{}
	c := connected(t, cfg.APISocket, vppapi.WithLogger(logTo(logs)))

	got, err := c.Interfaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	compare(t, got, want(s))

	// Literal facts of the default scenario, not derived from the simulator.
	bond := byName(got, "BondEthernet0")
	if bond.DevType != "bond" || len(bond.BondMembers()) != 2 || !bond.BondMembers()[0].Active || !bond.BondMembers()[1].Active {
		t.Errorf("BondEthernet0 = %+v %+v, want 2 active members", bond, bond.Extra())
	}
	te0 := byName(got, "TenGigabitEthernet3/0/0")
	if te0.LCPHostName() != "e0" || te0.LinkSpeed != 10000000 || te0.Tag() != "uplink-transit-a" || !te0.AdminUp || !te0.LinkUp {
		t.Errorf("TenGigabitEthernet3/0/0 = %+v %+v", te0, te0.Extra())
	}
	if tap := byName(got, "tap1"); tap.SwIfIndex != te0.LCPHostSwIfIndex() || tap.LCPHostName() != "" {
		t.Errorf("tap1 = %+v %+v; TenGigabitEthernet3/0/0's host sw_if_index %d", tap, tap.Extra(), te0.LCPHostSwIfIndex())
	}
	qinq := byName(got, "TenGigabitEthernet3/0/0.200")
	if !qinq.Sub || qinq.SupSwIfIndex != te0.SwIfIndex || qinq.AdminUp || !qinq.LinkUp || qinq.DevType != "dpdk" {
		t.Errorf("TenGigabitEthernet3/0/0.200 = %+v", qinq)
	}
	if te1 := byName(got, "TenGigabitEthernet3/0/1"); !te1.AdminUp || te1.LinkUp {
		t.Errorf("TenGigabitEthernet3/0/1 (no carrier) = %+v", te1)
	}
	if v, err := c.Version(context.Background()); err != nil || v != "26.06-release" {
		t.Errorf("Version = %q, %v", v, err)
	}
	// The default table has linux-cp; only the LACP plugin is missing.
	if l := logs.lines("lacks"); len(l) != 1 || strings.Contains(l[0], "lcp_itf_pair_get") || !strings.Contains(l[0], "sw_interface_lacp_dump") {
		t.Errorf("compatibility log lines %q", l)
	}
}

// TestAdminDownEvent: an admin-down in the simulator reaches Events within
// a second (an assertion of arrival before a deadline), then Interfaces
// shows it.
func TestAdminDownEvent(t *testing.T) {
	cfg := simConfig(t)
	s := startSim(t, cfg)
	c := connected(t, cfg.APISocket, vppapi.WithLogger(discard()))
	loop0, err := s.Interface("loop0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAdmin("loop0", false); err != nil {
		t.Fatal(err)
	}
	ev := next(t, c, time.Second, vppapi.InterfaceChanged)
	if ev != (vppapi.Event{Kind: vppapi.InterfaceChanged, Conn: 1, SwIfIndex: loop0.SwIfIndex}) {
		t.Errorf("event %+v, want loop0 (%d) admin and link down", ev, loop0.SwIfIndex)
	}
	got, err := c.Interfaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if i := byName(got, "loop0"); i.AdminUp || i.LinkUp {
		t.Errorf("loop0 after admin down: %+v", i)
	}
	// Creation and deletion are events too.
	lo, err := s.CreateLoopback()
	if err != nil {
		t.Fatal(err)
	}
	if ev := next(t, c, time.Second, vppapi.InterfaceChanged); ev.SwIfIndex != lo.SwIfIndex || ev.Deleted {
		t.Errorf("create event %+v, want %d", ev, lo.SwIfIndex)
	}
	if err := s.Delete(lo.Name); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, c, time.Second, vppapi.InterfaceChanged); ev.SwIfIndex != lo.SwIfIndex || !ev.Deleted {
		t.Errorf("delete event %+v, want %d deleted", ev, lo.SwIfIndex)
	}
}

// TestRestart: the simulator restarts (sockets gone, interfaces created
// again in another order); the client says Disconnected, reconnects, says
// Connected, and Interfaces returns the new sw_if_index values.
func TestRestart(t *testing.T) {
	cfg := simConfig(t)
	cfg.RestartDelay = 200 * time.Millisecond
	s := startSim(t, cfg)
	c := connected(t, cfg.APISocket, vppapi.WithLogger(discard()))
	before, err := c.Interfaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	next(t, c, 5*time.Second, vppapi.Disconnected)
	next(t, c, 5*time.Second, vppapi.Connected)
	after, err := c.Interfaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	compare(t, after, want(s))
	moved := 0
	for _, b := range before {
		if a := byName(after, b.Name); a.Name != "" && a.SwIfIndex != b.SwIfIndex {
			moved++
		}
	}
	if moved == 0 {
		t.Error("no sw_if_index moved across the restart; the test needs the simulator to move them")
	}
}

// TestAbsentAtStart: Run keeps retrying while there is no VPP, requests
// fail with ErrNotConnected meanwhile, and the client connects once the
// simulator appears.
func TestAbsentAtStart(t *testing.T) {
	cfg := simConfig(t)
	c := vppapi.New(cfg.APISocket, vppapi.WithLogger(discard()), vppapi.WithReconnectInterval(200*time.Millisecond))
	runClient(t, c)
	time.Sleep(700 * time.Millisecond) // several attempts
	if _, err := c.Interfaces(context.Background()); err != vppapi.ErrNotConnected {
		t.Fatalf("Interfaces without VPP: %v, want ErrNotConnected", err)
	}
	s := startSim(t, cfg)
	next(t, c, 5*time.Second, vppapi.Connected)
	got, err := c.Interfaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	compare(t, got, want(s))
}

// TestMessageTable2606: against a VPP announcing 26.06's message table
// (no linux-cp), one log line names lcp_itf_pair_get as missing, and
// Interfaces still works, without host interface names.
func TestMessageTable2606(t *testing.T) {
	cfg := simConfig(t)
	table, err := vppsim.LoadMessageTable("testdata/message_table.txt")
	if err != nil {
		t.Fatal(err)
	}
	cfg.MessageTable = table
	s := startSim(t, cfg)
	logs := &logBuffer{}
	c := connected(t, cfg.APISocket, vppapi.WithLogger(logTo(logs)))
	got, err := c.Interfaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	exp := want(s)
	for k := range exp {
		exp[k].SetLCPHost("", 0)
	}
	compare(t, got, exp)
	lines := logs.lines("lacks")
	if len(lines) != 1 || !strings.Contains(lines[0], "lcp_itf_pair_get_f75ba505") || !strings.Contains(lines[0], "linux-cp") {
		t.Errorf("compatibility log lines %q, want one naming lcp_itf_pair_get_f75ba505", lines)
	}
	t.Logf("log: %s", lines)
}

// TestSlowReceiver: a receiver that does not read while many events arrive
// gets the buffered ones and then one Resync, and the client keeps working.
func TestSlowReceiver(t *testing.T) {
	cfg := simConfig(t)
	s := startSim(t, cfg)
	c := connected(t, cfg.APISocket, vppapi.WithLogger(discard()), vppapi.WithEventBuffer(2))
	for i := range 10 {
		if err := s.SetAdmin("loop0", i%2 == 1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // one event each: VPP batches per wake-up
	}
	next(t, c, 2*time.Second, vppapi.Resync)
	if _, err := c.Interfaces(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestInterfaceOne: the single-interface dump returns that interface's
// current state (after a change in the simulator), index 0 included (VPP
// dumps everything for 0), and found=false for an index VPP lacks.
func TestInterfaceOne(t *testing.T) {
	cfg := simConfig(t)
	s := startSim(t, cfg)
	c := connected(t, cfg.APISocket, vppapi.WithLogger(discard()))
	ctx := context.Background()

	if err := s.SetLink("TenGigabitEthernet3/0/0", false); err != nil {
		t.Fatal(err)
	}
	te0, err := s.Interface("TenGigabitEthernet3/0/0")
	if err != nil {
		t.Fatal(err)
	}
	in, found, err := c.Interface(ctx, te0.SwIfIndex)
	if err != nil || !found {
		t.Fatalf("Interface(%d) = found %v, %v", te0.SwIfIndex, found, err)
	}
	if in.Name != "TenGigabitEthernet3/0/0" || !in.AdminUp || in.LinkUp || in.LinkSpeed != 10000000 {
		t.Errorf("after carrier loss: %+v, want admin up, link down", in)
	}
	if in, found, err := c.Interface(ctx, 0); err != nil || !found || in.Name != "local0" {
		t.Errorf("Interface(0) = %+v, %v, %v; want local0", in, found, err)
	}
	if _, found, err := c.Interface(ctx, 99999); err != nil || found {
		t.Errorf("Interface(99999) = found %v, %v; want not found", found, err)
	}
}
