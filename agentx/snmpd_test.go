package agentx

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// These tests run the real net-snmp snmpd (snmpdtest) as master and its
// client tools as managers.

var (
	ifNumberOID = OID{1, 3, 6, 1, 2, 1, 2, 1}
	ifTableOID  = OID{1, 3, 6, 1, 2, 1, 2, 2}
	ifEntryOID  = OID{1, 3, 6, 1, 2, 1, 2, 2, 1}
	ifXTableOID = OID{1, 3, 6, 1, 2, 1, 31, 1, 1}
	ifXEntryOID = OID{1, 3, 6, 1, 2, 1, 31, 1, 1, 1}
	ifSubtrees  = []OID{ifNumberOID, ifTableOID, ifXTableOID}
)

// ifTree is a small IF-MIB: ifNumber.0, ifIndex/ifDescr/ifMtu of 3 rows,
// ifName/ifHCInOctets/ifHighSpeed/ifAlias of the same rows.
func ifTree(tag string) *listTree {
	var vbs []Varbind
	vbs = append(vbs, Varbind{oidAppend(ifNumberOID, 0), Value{Type: TypeInteger, Integer: 3}})
	for i := uint32(1); i <= 3; i++ {
		vbs = append(vbs,
			Varbind{oidAppend(ifEntryOID, 1, i), Value{Type: TypeInteger, Integer: uint64(i)}},
			Varbind{oidAppend(ifEntryOID, 2, i), str(fmt.Sprintf("%s-eth%d", tag, i))},
			Varbind{oidAppend(ifEntryOID, 4, i), Value{Type: TypeInteger, Integer: 9000}},
			Varbind{oidAppend(ifXEntryOID, 1, i), str(fmt.Sprintf("e%d", i))},
			Varbind{oidAppend(ifXEntryOID, 6, i), Value{Type: TypeCounter64, Integer: uint64(i)<<32 + 12345}},
			Varbind{oidAppend(ifXEntryOID, 15, i), Value{Type: TypeGauge32, Integer: 10000}},
			Varbind{oidAppend(ifXEntryOID, 18, i), str("")},
		)
	}
	return newListTree(vbs...)
}

// startAgent runs a Session against sd serving tree, and waits until it is
// registered.
func startAgent(t testing.TB, sd *snmpdtest.Snmpd, tree Tree, cfg Config, opts ...Option) *Session {
	t.Helper()
	cfg.Addr = sd.AgentXAddr
	if cfg.Subtrees == nil {
		cfg.Subtrees = ifSubtrees
	}
	cfg.ID = OID{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2}
	cfg.Description = "agentx test"
	s, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.SetTree(tree)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitConnected(t, s, 10*time.Second)
	return s
}

func waitConnected(t testing.TB, s *Session, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !s.Connected() {
		if time.Now().After(deadline) {
			t.Fatalf("session not registered within %v", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// netsnmpLine formats a varbind as snmpwalk -On prints it.
func netsnmpLine(vb Varbind) snmpdtest.Line {
	l := snmpdtest.Line{OID: string(fmtOID(vb.Name))}
	v := vb.Value
	switch v.Type {
	case TypeInteger:
		l.Type, l.Value = "INTEGER", strconv.Itoa(int(int32(uint32(v.Integer))))
	case TypeOctetString:
		if len(v.Bytes) == 0 {
			l.Value = `""`
		} else {
			l.Type, l.Value = "STRING", strconv.Quote(string(v.Bytes))
		}
	case TypeGauge32:
		l.Type, l.Value = "Gauge32", strconv.FormatUint(v.Integer, 10)
	case TypeCounter32:
		l.Type, l.Value = "Counter32", strconv.FormatUint(v.Integer, 10)
	case TypeCounter64:
		l.Type, l.Value = "Counter64", strconv.FormatUint(v.Integer, 10)
	default:
		panic(fmt.Sprintf("test formatter lacks type %d", v.Type))
	}
	return l
}

func wantLines(t *testing.T, got []snmpdtest.Line, want []Varbind) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if w := netsnmpLine(want[i]); got[i] != w {
			t.Errorf("line %d: got %v, want %v", i, got[i], w)
		}
	}
}

func cmdLines(t *testing.T, sd *snmpdtest.Snmpd, tool string, args ...string) []snmpdtest.Line {
	t.Helper()
	out, err := sd.Cmd(t, tool, args...)
	if err != nil {
		t.Fatalf("%v\nsnmpd log:\n%s", err, sd.Log())
	}
	return snmpdtest.ParseLines(out)
}

func dotted(o OID) string { return strings.TrimPrefix(string(fmtOID(o)), ".") }

// Gets, walks and bulk gets through snmpd, over the raw unix path, the
// net.Conn unix path and TCP, in both byte orders.
func TestSnmpdServes(t *testing.T) {
	variants := []struct {
		name string
		tcp  bool
		opts []Option
	}{
		{"unix-raw-network-order", false, nil},
		{"unix-raw-host-order", false, []Option{WithByteOrder(binary.LittleEndian)}},
		{"unix-netconn", false, []Option{withNetConn()}},
		{"tcp", true, nil},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			o := snmpdtest.Options{}
			if v.tcp {
				o.AgentXSocket = fmt.Sprintf("tcp:127.0.0.1:%d", freeTCPPort(t))
			}
			sd := snmpdtest.Start(t, o)
			tree := ifTree("vpp")
			startAgent(t, sd, tree, Config{}, v.opts...)
			testGets(t, sd, tree)
		})
	}
}

func testGets(t *testing.T, sd *snmpdtest.Snmpd, tree *listTree) {
	get := func(o OID) Varbind { return Varbind{o, tree.Get(o)} }
	// Six objects over two registrations: snmpd sends one Get with six
	// ranges; all six come back.
	six := []Varbind{
		get(oidAppend(ifEntryOID, 2, 1)), get(oidAppend(ifXEntryOID, 1, 1)), get(oidAppend(ifEntryOID, 4, 2)),
		get(oidAppend(ifXEntryOID, 6, 3)), get(oidAppend(ifNumberOID, 0)), get(oidAppend(ifXEntryOID, 15, 2)),
	}
	var args []string
	for _, vb := range six {
		args = append(args, dotted(vb.Name))
	}
	wantLines(t, cmdLines(t, sd, "snmpget", args...), six)

	// Walks equal the served tree.
	var ifTab, ifXTab []Varbind
	for _, vb := range tree.e {
		switch {
		case vb.Name.HasPrefix(ifTableOID):
			ifTab = append(ifTab, vb)
		case vb.Name.HasPrefix(ifXTableOID):
			ifXTab = append(ifXTab, vb)
		}
	}
	wantLines(t, cmdLines(t, sd, "snmpwalk", dotted(ifTableOID)), ifTab)
	wantLines(t, cmdLines(t, sd, "snmpbulkwalk", "-Cr5", dotted(ifXTableOID)), ifXTab)
	wantLines(t, cmdLines(t, sd, "snmpbulkwalk", "-Cr50", "1.3.6.1.2.1.2"), append([]Varbind{get(oidAppend(ifNumberOID, 0))}, ifTab...))

	// Bulk get with a non-repeater and two repeaters.
	wantLines(t, cmdLines(t, sd, "snmpbulkget", "-Cn1", "-Cr3", dotted(ifNumberOID), dotted(oidAppend(ifEntryOID, 2)), dotted(oidAppend(ifXEntryOID, 1))),
		[]Varbind{
			get(oidAppend(ifNumberOID, 0)),
			get(oidAppend(ifEntryOID, 2, 1)), get(oidAppend(ifXEntryOID, 1, 1)),
			get(oidAppend(ifEntryOID, 2, 2)), get(oidAppend(ifXEntryOID, 1, 2)),
			get(oidAppend(ifEntryOID, 2, 3)), get(oidAppend(ifXEntryOID, 1, 3)),
		})

	// Exceptions reach the client.
	lines := cmdLines(t, sd, "snmpget", dotted(oidAppend(ifEntryOID, 2, 99)), dotted(oidAppend(ifEntryOID, 3, 1)), dotted(oidAppend(ifEntryOID, 2, 2)))
	if len(lines) != 3 || lines[0].Value != "No Such Instance currently exists at this OID" ||
		lines[1].Value != "No Such Object available on this agent at this OID" || lines[2] != netsnmpLine(get(oidAppend(ifEntryOID, 2, 2))) {
		t.Errorf("exceptions: %v", lines)
	}
}

func TestSnmpdRefusesSet(t *testing.T) {
	sd := snmpdtest.Start(t, snmpdtest.Options{RWCommunity: true})
	tree := ifTree("vpp")
	startAgent(t, sd, tree, Config{})
	for range 3 {
		out, err := sd.Cmd(t, "snmpset", dotted(oidAppend(ifXEntryOID, 18, 1)), "s", "x")
		if err == nil || !strings.Contains(err.Error(), "exit status 2") || !strings.Contains(out+err.Error(), "notWritable") {
			t.Fatalf("snmpset: %q, %v", out, err)
		}
		lines := cmdLines(t, sd, "snmpget", dotted(oidAppend(ifXEntryOID, 18, 1)), dotted(oidAppend(ifEntryOID, 2, 1)))
		wantLines(t, lines, []Varbind{{oidAppend(ifXEntryOID, 18, 1), str("")}, {oidAppend(ifEntryOID, 2, 1), str("vpp-eth1")}})
	}
	if strings.Contains(sd.Log(), "illegal") {
		t.Errorf("snmpd complained:\n%s", sd.Log())
	}
}

// With snmpd's own IF-MIB loaded, registrations of exactly ifNumber,
// ifTable and ifXTable at priority 100 win over snmpd's at 127.
func TestSnmpdPriorityBeatsBuiltinIFMIB(t *testing.T) {
	sd := snmpdtest.Start(t, snmpdtest.Options{BuiltinIFMIB: true})
	before := cmdLines(t, sd, "snmpget", dotted(oidAppend(ifEntryOID, 2, 1)))
	if len(before) != 1 || before[0].Type != "STRING" {
		t.Fatalf("snmpd's own ifDescr.1: %v", before)
	}
	tree := ifTree("ours")
	startAgent(t, sd, tree, Config{})
	testGets(t, sd, tree)
}

// The Clock follows snmpd's sysUpTime.
func TestSnmpdClock(t *testing.T) {
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	s := startAgent(t, sd, ifTree("vpp"), Config{})
	lines := cmdLines(t, sd, "snmpget", "1.3.6.1.2.1.1.3.0")
	ours := s.Clock().Ticks(time.Now())
	var theirs uint32
	if len(lines) != 1 || lines[0].Type != "Timeticks" {
		t.Fatalf("sysUpTime: %v", lines)
	}
	fmt.Sscanf(lines[0].Value, "(%d)", &theirs)
	if d := int64(ours) - int64(theirs); d < -5 || d > 100 {
		t.Errorf("Clock says %d ticks, snmpd's sysUpTime %d", ours, theirs)
	}
	if s.Clock().Ticks(time.Now().Add(-time.Hour)) != 0 {
		t.Error("an instant before snmpd started is not 0")
	}
}

// A Notify becomes a trap at the sink; snmpd's Response echoes it.
func TestSnmpdNotify(t *testing.T) {
	td := snmpdtest.StartTrapd(t)
	sd := snmpdtest.Start(t, snmpdtest.Options{TrapSink: td.Addr})
	s := startAgent(t, sd, ifTree("vpp"), Config{})
	linkDown := OID{1, 3, 6, 1, 6, 3, 1, 1, 5, 3}
	vbs := []Varbind{
		{snmpTrapOID0, Value{Type: TypeObjectIdentifier, OID: linkDown}},
		{oidAppend(ifEntryOID, 1, 2), Value{Type: TypeInteger, Integer: 2}},
		{oidAppend(ifEntryOID, 7, 2), Value{Type: TypeInteger, Integer: 1}},
		{oidAppend(ifEntryOID, 8, 2), Value{Type: TypeInteger, Integer: 2}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := s.notify(ctx, vbs)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.varbinds) != len(vbs) {
		t.Errorf("Response echoes %d varbinds, want %d", len(resp.varbinds), len(vbs))
	}
	for i := range min(len(resp.varbinds), len(vbs)) {
		if resp.varbinds[i].Name.Compare(vbs[i].Name) != 0 || resp.varbinds[i].Value.Type != vbs[i].Value.Type {
			t.Errorf("echo %d: %+v", i, resp.varbinds[i])
		}
	}
	log := td.WaitFor(t, ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.3", 10*time.Second)
	for _, want := range []string{".1.3.6.1.2.1.2.2.1.1.2 = INTEGER: 2", ".1.3.6.1.2.1.2.2.1.8.2 = INTEGER: 2"} {
		if !strings.Contains(log, want) {
			t.Errorf("trap lacks %q:\n%s", want, log)
		}
	}
	// With our own sysUpTime.0 first.
	up := Varbind{sysUpTime0, Value{Type: TypeTimeTicks, Integer: 4242}}
	if err := s.Notify(ctx, append([]Varbind{up}, vbs...)); err != nil {
		t.Fatal(err)
	}
	td.WaitFor(t, ".1.3.6.1.2.1.1.3.0 = Timeticks: (4242)", 10*time.Second)
	// Malformed varbind lists are refused before sending.
	if err := s.Notify(ctx, vbs[1:]); err == nil {
		t.Error("Notify without snmpTrapOID.0 accepted")
	}
}

// Cancelling Run closes the session (snmpd unregisters it) and Notify then
// fails with ErrNotConnected.
func TestSnmpdShutdown(t *testing.T) {
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	s, err := New(Config{Addr: sd.AgentXAddr, Subtrees: ifSubtrees})
	if err != nil {
		t.Fatal(err)
	}
	s.SetTree(ifTree("vpp"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitConnected(t, s, 10*time.Second)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	lines := cmdLines(t, sd, "snmpget", dotted(oidAppend(ifEntryOID, 2, 1)))
	if len(lines) != 1 || !strings.HasPrefix(lines[0].Value, "No Such Object") {
		t.Errorf("after Close: %v", lines)
	}
	if err := s.Notify(context.Background(), []Varbind{{snmpTrapOID0, Value{Type: TypeObjectIdentifier, OID: OID{1, 3}}}}); err != ErrNotConnected {
		t.Errorf("Notify after shutdown: %v", err)
	}
}

// snmpd SIGKILLed during a bulkwalk and restarted, 20 times: each time the
// subagent answers again within 3 s of snmpd answering.
func TestSnmpdKilledMidWalk(t *testing.T) {
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	tree := newTableTree(ifXEntryOID, []uint32{1, 6}, 5000, 1)
	s := startAgent(t, sd, tree, Config{Subtrees: []OID{ifXTableOID}})
	probe := dotted(oidAppend(ifXEntryOID, 1, 1000))
	want := netsnmpLine(Varbind{oidAppend(ifXEntryOID, 1, 1000), tree.Get(oidAppend(ifXEntryOID, 1, 1000))})
	var times []time.Duration
	for i := range 20 {
		walk := make(chan struct{})
		go func() {
			defer close(walk)
			sd.Cmd(t, "snmpbulkwalk", "-Cr50", "-t", "0.3", "-r", "0", dotted(ifXTableOID))
		}()
		time.Sleep(time.Duration(50+i*10) * time.Millisecond)
		sd.Kill()
		<-walk
		sd.Restart(t)
		start := time.Now()
		for {
			out, _ := sd.Cmd(t, "snmpget", "-t", "0.5", "-r", "0", probe)
			if l := snmpdtest.ParseLines(out); len(l) == 1 && l[0] == want {
				break
			}
			if time.Since(start) > 3*time.Second {
				t.Fatalf("round %d: subagent not answering 3 s after snmpd restarted (connected=%v)\nlog:\n%s", i, s.Connected(), sd.Log())
			}
			time.Sleep(10 * time.Millisecond)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	t.Logf("recovery after restart over %d rounds: min %v, median %v, max %v", len(times), times[0], times[len(times)/2], times[len(times)-1])
}

// 8 parallel bulkwalks of 20,000 varbinds while the tree is swapped 10 times
// a second: every walk is complete and in order, with no error.
func TestSnmpdParallelWalksDuringSwaps(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	cols := []uint32{3, 4} // Gauge32 = generation, Counter64 = generation<<32 | row
	const rows = 10000
	s := startAgent(t, sd, newTableTree(ifXEntryOID, cols, rows, 1), Config{Subtrees: []OID{ifXTableOID}})
	ref := newTableTree(ifXEntryOID, cols, rows, 0).all()

	stop := make(chan struct{})
	swapped := make(chan int)
	go func() {
		gen := uint64(1)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				swapped <- int(gen)
				return
			case <-tick.C:
				gen++
				s.SetTree(newTableTree(ifXEntryOID, cols, rows, gen))
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := sd.Cmd(t, "snmpbulkwalk", "-Cr50", "-t", "10", dotted(ifXTableOID))
			if err != nil {
				errs <- fmt.Errorf("walk %d: %v", w, err)
				return
			}
			errs <- checkWalk(snmpdtest.ParseLines(out), ref)
		}()
	}
	wg.Wait()
	close(stop)
	gens := <-swapped
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if gens < 5 {
		t.Errorf("only %d generations during the walks", gens)
	}
	t.Logf("8 walks of %d varbinds over %d tree generations", len(ref), gens)
	if strings.Contains(sd.Log(), "illegal") {
		t.Errorf("snmpd complained:\n%s", sd.Log())
	}
}

// checkWalk checks a walk of the swapped table: every name of ref in order,
// Counter64 values carrying the row, Gauge32 values a generation.
func checkWalk(lines []snmpdtest.Line, ref []Varbind) error {
	if len(lines) != len(ref) {
		return fmt.Errorf("walk has %d lines, want %d", len(lines), len(ref))
	}
	for i, l := range lines {
		if l.OID != string(fmtOID(ref[i].Name)) {
			return fmt.Errorf("line %d: %v, want name %s", i, l, fmtOID(ref[i].Name))
		}
		switch ref[i].Value.Type {
		case TypeCounter64:
			v, err := strconv.ParseUint(l.Value, 10, 64)
			if l.Type != "Counter64" || err != nil || v&0xffffffff != ref[i].Value.Integer&0xffffffff || v>>32 == 0 {
				return fmt.Errorf("line %d: %v", i, l)
			}
		case TypeGauge32:
			if v, err := strconv.ParseUint(l.Value, 10, 32); l.Type != "Gauge32" || err != nil || v == 0 {
				return fmt.Errorf("line %d: %v", i, l)
			}
		}
	}
	return nil
}

// snmpd SIGKILLed and restarted on the same socket path, 5 times, staying
// down longer each time (until the session has tried 0, 1, ... 4 times, so
// that its backoff has grown): each time the session registers again and
// serves. The attempts and the delays from the new socket's creation (its
// mtime, which the kernel truncates to a clock tick of a few ms: the
// delays are over-estimated by up to that) to the connection and to the
// registration are reported.
func TestSnmpdRestartReregisters(t *testing.T) {
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	path := strings.TrimPrefix(sd.AgentXAddr, "unix:")
	var dials, lastDial atomic.Int64
	regs := make(chan time.Time, 4)
	tree := ifTree("vpp")
	startAgent(t, sd, tree, Config{}, withHooks(func() {
		dials.Add(1)
		lastDial.Store(time.Now().UnixNano())
	}, func() {
		select {
		case regs <- time.Now():
		default:
		}
	}))
	<-regs
	probe := oidAppend(ifEntryOID, 2, 2)
	var toDial, toReg []time.Duration
	for round := range 5 {
		sd.Kill()
		d0 := dials.Load()
		for deadline := time.Now().Add(10 * time.Second); dials.Load() < d0+int64(round); {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d attempts in 10 s while snmpd was down", round, dials.Load()-d0)
			}
			time.Sleep(5 * time.Millisecond)
		}
		sd.Restart(t)
		var reg time.Time
		select {
		case reg = <-regs:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: not registered 10 s after snmpd restarted (%d attempts)\nsnmpd log:\n%s", round, dials.Load()-d0, sd.Log())
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		n := dials.Load() - d0
		if n < 1 {
			t.Errorf("round %d: registered again without connecting", round)
		}
		dial := time.Unix(0, lastDial.Load())
		toDial = append(toDial, dial.Sub(fi.ModTime()))
		toReg = append(toReg, reg.Sub(fi.ModTime()))
		t.Logf("round %d: %d connection attempts; socket created, then connected after %v, registered after %v", round, n,
			dial.Sub(fi.ModTime()).Round(10*time.Microsecond), reg.Sub(fi.ModTime()).Round(10*time.Microsecond))
		wantLines(t, cmdLines(t, sd, "snmpget", dotted(probe)), []Varbind{{probe, tree.Get(probe)}})
	}
	for _, d := range []struct {
		what string
		ds   []time.Duration
	}{{"connection", toDial}, {"registration", toReg}} {
		slices.Sort(d.ds)
		t.Logf("from socket to %s over %d rounds: min %v, median %v, max %v", d.what, len(d.ds), d.ds[0], d.ds[len(d.ds)/2], d.ds[len(d.ds)-1])
	}
}

// The same over TCP, where there is no path to watch: the backoff, capped
// at 1 s, brings the session back. The delay from snmpd answering again
// (Restart returning) to the registration is reported.
func TestSnmpdRestartReregistersTCP(t *testing.T) {
	sd := snmpdtest.Start(t, snmpdtest.Options{AgentXSocket: fmt.Sprintf("tcp:127.0.0.1:%d", freeTCPPort(t))})
	var dials atomic.Int64
	regs := make(chan time.Time, 4)
	tree := ifTree("vpp")
	startAgent(t, sd, tree, Config{}, withHooks(func() { dials.Add(1) }, func() {
		select {
		case regs <- time.Now():
		default:
		}
	}))
	<-regs
	probe := oidAppend(ifEntryOID, 2, 2)
	var delays []time.Duration
	for round := range 3 {
		sd.Kill()
		d0 := dials.Load()
		sd.Restart(t)
		up := time.Now()
		var reg time.Time
		select {
		case reg = <-regs:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: not registered 10 s after snmpd restarted (%d attempts)\nsnmpd log:\n%s", round, dials.Load()-d0, sd.Log())
		}
		delays = append(delays, reg.Sub(up))
		t.Logf("round %d: %d connection attempts; registered %v after snmpd answered", round, dials.Load()-d0, reg.Sub(up).Round(10*time.Microsecond))
		wantLines(t, cmdLines(t, sd, "snmpget", dotted(probe)), []Varbind{{probe, tree.Get(probe)}})
	}
	slices.Sort(delays)
	t.Logf("from snmpd answering to registration over %d rounds: min %v, median %v, max %v", len(delays), delays[0], delays[len(delays)/2], delays[len(delays)-1])
}
