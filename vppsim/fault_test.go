package vppsim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/codec"
	"go.fd.io/govpp/core"
	"golang.org/x/sys/unix"

	dpmodel "github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// allInterfaces is the dump of every interface.
var allInterfaces = &interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(NoIndex)}

// wantCLI runs a CLI command through the control socket and checks its
// output.
func wantCLI(t *testing.T, s *Sim, cmd, want string) {
	t.Helper()
	if got := ctl(t, s, cmd); got != want {
		t.Errorf("%s:\n got %q\nwant %q", cmd, got, want)
	}
}

// streamDump dumps every interface through a govpp Stream whose reply
// buffer holds the whole dump: a Channel's 100-deep buffer drops replies
// when the test is slower than 100 ms to take them (a loaded machine), and
// this test must count the simulator's drops alone.
func streamDump(t *testing.T, conn *core.Connection) []*interfaces.SwInterfaceDetails {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := conn.NewStream(ctx, core.WithReplySize(4096), core.WithReplyTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	if err := st.SendMsg(allInterfaces); err != nil {
		t.Fatal(err)
	}
	if err := st.SendMsg(&memclnt.ControlPing{}); err != nil {
		t.Fatal(err)
	}
	var out []*interfaces.SwInterfaceDetails
	for {
		m, err := st.RecvMsg()
		if err != nil {
			t.Fatalf("sw_interface_dump after %d details: %v", len(out), err)
		}
		switch m := m.(type) {
		case *interfaces.SwInterfaceDetails:
			out = append(out, m)
		case *memclnt.ControlPingReply:
			return out
		default:
			t.Fatalf("unexpected %s in a dump", m.GetMessageName())
		}
	}
}

// TestFaultDetailsDrop: through govpp, a dump comes back short by exactly
// round(n × P / 100) details and still ends (the control_ping_reply comes);
// each dropped detail counts as one firing, and show api counts only the
// details sent.
func TestFaultDetailsDrop(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter), Interfaces: 987})
	conn, _ := connect(t, s)
	if n := len(streamDump(t, conn)); n != 1000 {
		t.Fatalf("%d interfaces, want 1000", n)
	}

	wantCLI(t, s, "fault details-drop 30", "")
	wantCLI(t, s, "fault", "details-drop 30 fired 0\n")
	first := streamDump(t, conn)
	second := streamDump(t, conn)
	if len(first) != 700 || len(second) != 700 {
		t.Fatalf("with 30 %% dropped: %d and %d details, want 700 of 1000 each", len(first), len(second))
	}
	if reflect.DeepEqual(names(first), names(second)) {
		t.Error("two dumps dropped the same details; want a different set each time")
	}
	wantCLI(t, s, "fault", "details-drop 30 fired 600\n")
	// The details that come are whole and in order.
	last := int64(-1)
	for _, d := range first {
		if int64(d.SwIfIndex) <= last || d.InterfaceName == "" {
			t.Fatalf("detail %+v after index %d", d, last)
		}
		last = int64(d.SwIfIndex)
	}

	// 100 %: an empty dump that still ends without error.
	if err := s.SetDetailsDrop(100); err != nil {
		t.Fatal(err)
	}
	if n := len(streamDump(t, conn)); n != 0 {
		t.Errorf("with 100 %% dropped: %d details", n)
	}
	if err := s.SetDetailsDrop(0); err != nil {
		t.Fatal(err)
	}
	if n := len(streamDump(t, conn)); n != 1000 {
		t.Errorf("after details-drop 0: %d details, want 1000", n)
	}
	wantCLI(t, s, "fault", "details-drop off fired 1600\n")
	if got := s.APICounts()["sw_interface_details"]; got != 1000+700+700+0+1000 {
		t.Errorf("show api: %d sw_interface_details sent, want 3400", got)
	}
	wantCLI(t, s, "fault off", "")
	wantCLI(t, s, "fault", "")
	if s.FaultFired(FaultDetailsDrop) != 0 {
		t.Error("fault off kept the count")
	}
}

// TestFaultAPIClose: govpp sees a dump cut after half its details with no
// end, then the connection gone (its health check reports Disconnected),
// and reconnects; the fault fires once.
func TestFaultAPIClose(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter)})
	conn, waitState := asyncConnect(t, s)
	waitState(core.Connected)
	ch, err := conn.NewAPIChannel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	ch.SetReplyTimeout(2 * time.Second)

	wantCLI(t, s, "fault api-close", "")
	wantCLI(t, s, "fault", "api-close armed fired 0\n")
	var got []string
	rc := ch.SendMultiRequest(allInterfaces)
	for {
		d := new(interfaces.SwInterfaceDetails)
		last, err := rc.ReceiveReply(d)
		if err != nil {
			break
		}
		if last {
			t.Fatalf("the dump ended normally after %v", got)
		}
		got = append(got, d.InterfaceName)
	}
	if want := names(wantRouter())[:7]; !reflect.DeepEqual(got, want) {
		t.Errorf("details before the close: %v, want the first 7 of 13: %v", got, want)
	}
	waitState(core.Disconnected)
	waitState(core.Connected)
	wantCLI(t, s, "fault", "api-close off fired 1\n")

	// One-shot: the next dump is whole.
	ch2, err := conn.NewAPIChannel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch2.Close()
	if n := len(dump(t, ch2, allInterfaces)); n != 13 {
		t.Errorf("after the close: %d details, want 13", n)
	}
	if s.FaultFired(FaultAPIClose) != 1 {
		t.Errorf("api-close fired %d times, want 1", s.FaultFired(FaultAPIClose))
	}
}

// rawPing is a control_ping frame from the first client with a context.
func rawPing(context uint32) []byte {
	d := make([]byte, 10)
	binary.BigEndian.PutUint16(d, 23) // control_ping in the default table
	binary.BigEndian.PutUint32(d[2:6], 0x80000001)
	binary.BigEndian.PutUint32(d[6:10], context)
	return frame(d)
}

// pending reports how many bytes are queued for reading on c, without
// waiting and without consuming them.
func pending(t *testing.T, c net.Conn) int {
	t.Helper()
	rc, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var rerr error
	if err := rc.Control(func(fd uintptr) {
		buf := make([]byte, 1<<16)
		n, _, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT|unix.MSG_PEEK)
	}); err != nil {
		t.Fatal(err)
	}
	if errors.Is(rerr, unix.EAGAIN) {
		return 0
	}
	if rerr != nil {
		t.Fatal(rerr)
	}
	return n
}

// TestFaultAPIStall: during a stall govpp's request and a new connection's
// sockclnt_create are read but not answered; when the stall ends (by fault
// off, or by itself) they are answered, in order.
func TestFaultAPIStall(t *testing.T) {
	s := startSim(t, Config{})
	_, ch := connect(t, s)
	ch.SetReplyTimeout(time.Minute)

	c0 := s.APICounts()
	wantCLI(t, s, "fault api-stall 1h", "")
	replied := make(chan error, 1)
	go func() { replied <- ch.SendRequest(&memclnt.ControlPing{}).ReceiveReply(&memclnt.ControlPingReply{}) }()
	waitFor(t, "the stall to hold govpp's control_ping", func() bool { return s.FaultFired(FaultAPIStall) == 1 })

	// A new client: accepted, read, not answered.
	raw := sendCapturedCreate(t, s)
	if _, err := raw.Write(append(rawPing(1), rawPing(2)...)); err != nil {
		t.Fatal(err)
	}
	// Each stalled connection reads one message and holds it.
	waitFor(t, "the new client's sockclnt_create to be read", func() bool {
		c := s.APICounts()
		return c["sockclnt_create"] == c0["sockclnt_create"]+1 && c["control_ping"] == c0["control_ping"]+1
	})
	if n := pending(t, raw); n != 0 {
		t.Errorf("the new client got %d bytes during the stall", n)
	}
	select {
	case err := <-replied:
		t.Fatalf("govpp's control_ping answered during the stall (%v)", err)
	default:
	}
	if c := s.APICounts(); c["control_ping_reply"] != c0["control_ping_reply"] || c["sockclnt_create_reply"] != c0["sockclnt_create_reply"] {
		t.Errorf("sent during the stall: %v, before it: %v", c, c0)
	}
	wantCLI(t, s, "fault", "api-stall 1h0m0s fired 1\n")

	wantCLI(t, s, "fault off", "")
	select {
	case err := <-replied:
		if err != nil {
			t.Errorf("govpp's control_ping after the stall: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("govpp's control_ping still unanswered after the stall")
	}
	if _, data := readFrame(t, raw); binary.BigEndian.Uint16(data) != 16 {
		t.Errorf("the new client's first answer: %x, want sockclnt_create_reply", data[:6])
	}
	for _, want := range []uint32{1, 2} {
		if _, data := readFrame(t, raw); binary.BigEndian.Uint16(data) != 24 || binary.BigEndian.Uint32(data[2:6]) != want {
			t.Errorf("after the stall: %x, want control_ping_reply with context %d", data, want)
		}
	}

	// A window that ends by itself: re-timed to end soon once it held a
	// request.
	wantCLI(t, s, "fault api-stall 1h", "")
	go func() { replied <- ch.SendRequest(&memclnt.ControlPing{}).ReceiveReply(&memclnt.ControlPingReply{}) }()
	waitFor(t, "the second stall to hold a request", func() bool { return s.FaultFired(FaultAPIStall) == 1 })
	wantCLI(t, s, "fault api-stall 10ms", "")
	if err := <-replied; err != nil {
		t.Errorf("control_ping after a stall that ended by itself: %v", err)
	}
	waitFor(t, "the listing to say the stall ended", func() bool { return ctl(t, s, "fault") == "api-stall off fired 1\n" })
}

// TestFaultAPIStallEndsAtRestart: connections held by a stall go with the
// API socket when VPP restarts (no hang).
func TestFaultAPIStallEndsAtRestart(t *testing.T) {
	s := startSim(t, Config{})
	if err := s.SetAPIStall(time.Hour); err != nil {
		t.Fatal(err)
	}
	raw := sendCapturedCreate(t, s)
	waitFor(t, "the stall to hold sockclnt_create", func() bool { return s.FaultFired(FaultAPIStall) == 1 })
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	_ = raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := raw.Read(make([]byte, 16)); err == nil {
		t.Errorf("read %d bytes from a connection of the stopped VPP", n)
	}
	s.ClearFaults()
}

// statsHeader maps the served stats segment as a reader does and returns
// its epoch and in_progress words.
func statsHeader(t *testing.T, s *Sim) (epoch, inProgress uint64) {
	t.Helper()
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sock)
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: s.cfg.StatsSocket}); err != nil {
		t.Fatalf("connecting to the stats socket: %v", err)
	}
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(sock, make([]byte, 1), oob, 0)
	if err != nil {
		t.Fatalf("recvmsg: %v", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages: %v %d", err, len(msgs))
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("unix rights: %v %v", err, fds)
	}
	defer unix.Close(fds[0])
	m, err := unix.Mmap(fds[0], 0, 4096, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	return binary.LittleEndian.Uint64(m[16:]), binary.LittleEndian.Uint64(m[24:])
}

// TestFaultStatsBusy: the segment's in_progress stays set for the window
// (through a directory change and a restart), govpp's statsclient gives up
// meanwhile, counters keep their values, and after the window they move
// again.
func TestFaultStatsBusy(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, trafficRouter)})
	s.Advance(time.Second)
	before := s.Counters(1)
	if before.RxPackets == 0 {
		t.Fatal("no traffic before the window")
	}
	conn := statsConn(t, s)

	wantCLI(t, s, "fault stats-busy 1h", "")
	if _, ip := statsHeader(t, s); ip != 1 {
		t.Fatalf("in_progress %d during stats-busy, want 1", ip)
	}
	wantCLI(t, s, "fault", "stats-busy 1h0m0s fired 1\n")
	var st api.InterfaceStats
	if err := conn.GetInterfaceStats(&st); !errors.Is(err, adapter.ErrStatsAccessFailed) {
		t.Errorf("govpp read during stats-busy: %v, want ErrStatsAccessFailed", err)
	}
	s.Advance(time.Second)
	if got := s.Counters(1); got != before {
		t.Errorf("counters moved during stats-busy: %+v, were %+v", got, before)
	}
	epoch, _ := statsHeader(t, s)
	wantCLI(t, s, "create loopback interface", "loop0\n")
	if e, ip := statsHeader(t, s); ip != 1 || e == epoch {
		t.Errorf("after a directory change during stats-busy: epoch %d (was %d), in_progress %d; want a new epoch and 1", e, epoch, ip)
	}

	// Ended by fault off: released at once, counters as they were.
	wantCLI(t, s, "fault off", "")
	if _, ip := statsHeader(t, s); ip != 0 {
		t.Fatalf("in_progress %d after fault off", ip)
	}
	for _, g := range interfaceStats(t, statsConn(t, s)) {
		if g.InterfaceIndex == 1 && govppCounters(g) != before {
			t.Errorf("after the window govpp reads %+v, want %+v", govppCounters(g), before)
		}
	}
	s.Advance(time.Second)
	if got := s.Counters(1); got.RxPackets <= before.RxPackets {
		t.Errorf("counters did not move after the window: %+v", got)
	}

	// A window survives a restart, and ends by itself.
	if err := s.SetStatsBusy(time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, ip := statsHeader(t, s); ip != 1 {
		t.Errorf("in_progress %d in the new segment during stats-busy, want 1", ip)
	}
	if err := s.SetStatsBusy(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the window to end by itself", func() bool { _, ip := statsHeader(t, s); return ip == 0 })
	wantCLI(t, s, "fault", "stats-busy off fired 1\n")
	s.Advance(time.Second)
	var moved bool
	for _, g := range interfaceStats(t, statsConn(t, s)) {
		moved = moved || govppCounters(g) != dpmodel.Counters{}
	}
	if !moved {
		t.Error("no counter moved after the window ended")
	}
}

// TestFaultShortAndHugeFrames reads the raw frames: a short frame claims
// and carries 2 bytes (a reader takes the context from elsewhere), a huge
// one claims 0xffffffff and carries 6; each fires once and the stream goes
// on.
func TestFaultShortAndHugeFrames(t *testing.T) {
	s := startSim(t, Config{})
	c := sendCapturedCreate(t, s)
	readFrame(t, c)
	read := func(n int) []byte {
		t.Helper()
		b := make([]byte, n)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatalf("reading %d bytes: %v", n, err)
		}
		return b
	}
	wantNormal := func(context uint32) {
		t.Helper()
		if _, err := c.Write(rawPing(context)); err != nil {
			t.Fatal(err)
		}
		_, data := readFrame(t, c)
		if len(data) < 6 || binary.BigEndian.Uint16(data) != 24 || binary.BigEndian.Uint32(data[2:6]) != context {
			t.Fatalf("a normal control_ping_reply with context %d: got %x", context, data)
		}
	}

	wantCLI(t, s, "fault short-frame", "")
	if _, err := c.Write(rawPing(7)); err != nil {
		t.Fatal(err)
	}
	hdr := read(16)
	if n := binary.BigEndian.Uint32(hdr[8:12]); n != 2 {
		t.Fatalf("short frame: header claims %d bytes, want 2", n)
	}
	if id := binary.BigEndian.Uint16(read(2)); id != 24 {
		t.Errorf("short frame carries message id %d, want control_ping_reply (24)", id)
	}
	wantNormal(8)
	wantCLI(t, s, "fault", "short-frame off fired 1\n")

	wantCLI(t, s, "fault huge-frame", "")
	if _, err := c.Write(rawPing(9)); err != nil {
		t.Fatal(err)
	}
	hdr = read(16)
	if n := binary.BigEndian.Uint32(hdr[8:12]); n != 0xffffffff {
		t.Fatalf("huge frame: header claims %#x bytes, want 0xffffffff", n)
	}
	if d := read(6); binary.BigEndian.Uint16(d) != 24 || binary.BigEndian.Uint32(d[2:6]) != 9 {
		t.Errorf("huge frame carries %x, want control_ping_reply's id and context 9", d)
	}
	wantNormal(10)
	wantCLI(t, s, "fault", "short-frame off fired 1\nhuge-frame off fired 1\n")
	if got := s.APICounts()["control_ping_reply"]; got != 4 {
		t.Errorf("show api: %d control_ping_reply sent, want 4 (the short and huge frames included)", got)
	}
}

// TestFaultRenumber: through govpp, after the renumbering restart every
// interface has its name and another sw_if_index (local0 stays 0), and
// everything that refers to indexes (sub-interfaces, linux-cp pairs, the
// stats segment) follows.
func TestFaultRenumber(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter)})
	conn, waitState := asyncConnect(t, s)
	waitState(core.Connected)
	indexes := func() map[string]uint32 {
		t.Helper()
		ch, err := conn.NewAPIChannel()
		if err != nil {
			t.Fatal(err)
		}
		defer ch.Close()
		return dumpNames(t, ch)
	}
	before := indexes()

	wantCLI(t, s, "fault renumber", "renumbered (generation 1)\n")
	waitState(core.Disconnected)
	waitState(core.Connected)
	after := indexes()
	// Ordered by their old index, each interface takes the next one's.
	want := map[string]uint32{}
	for name, i := range before {
		want[name] = i%12 + 1
	}
	want["local0"] = 0
	if !reflect.DeepEqual(after, want) {
		t.Errorf("after renumber: %v, want %v", after, want)
	}
	wantCLI(t, s, "fault", "renumber off fired 1\n")

	ch, err := conn.NewAPIChannel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	for _, d := range dump(t, ch, allInterfaces) {
		if d.Type == interface_types.IF_API_TYPE_SUB && d.SupSwIfIndex != after["TenGigabitEthernet3/0/0"] {
			t.Errorf("%s: parent %d, want %d", d.InterfaceName, d.SupSwIfIndex, after["TenGigabitEthernet3/0/0"])
		}
	}
	pairs, _, err := lcpPairs(t, lcp.NewServiceClient(conn), NoIndex)
	if err != nil || len(pairs) != 2 {
		t.Fatalf("lcp pairs: %v %v", pairs, err)
	}
	if p := pairs[0]; uint32(p.PhySwIfIndex) != after["TenGigabitEthernet3/0/0"] || uint32(p.HostSwIfIndex) != after["tap1"] {
		t.Errorf("pair e0: %+v, want phy %d host %d", p, after["TenGigabitEthernet3/0/0"], after["tap1"])
	}
	for _, g := range interfaceStats(t, statsConn(t, s)) {
		if after[g.InterfaceName] != g.InterfaceIndex {
			t.Errorf("stats index %d named %q, the API says %d", g.InterfaceIndex, g.InterfaceName, after[g.InterfaceName])
		}
	}

	// Again: every interface moves from where the first renumbering put it.
	if err := s.Renumber(); err != nil {
		t.Fatal(err)
	}
	waitState(core.Disconnected)
	waitState(core.Connected)
	again := indexes()
	for name, i := range again {
		if name != "local0" && i == after[name] {
			t.Errorf("second renumber left %s on %d", name, i)
		}
	}
	if s.FaultFired(FaultRenumber) != 2 || s.Generation() != 2 {
		t.Errorf("renumber fired %d, generation %d; want 2 and 2", s.FaultFired(FaultRenumber), s.Generation())
	}
}

// TestRenumberedMovesEveryInterface: the placement is a permutation of the
// run's indexes that moves every interface off its old index, also when
// the old indexes are not the new run's (interfaces made or deleted since).
func TestRenumberedMovesEveryInterface(t *testing.T) {
	m := newModel()
	if _, err := m.add(ifaceSpec{Kind: KindLocal}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if _, err := m.add(ifaceSpec{Kind: KindLoopback}); err != nil {
			t.Fatal(err)
		}
	}
	for _, old := range []map[string]uint32{
		{"local0": 0, "loop0": 1, "loop1": 2, "loop2": 3, "loop3": 4},
		{"local0": 0, "loop0": 4, "loop1": 3, "loop2": 2, "loop3": 1},
		{"local0": 0, "loop0": 2, "loop1": 9, "loop2": 10, "loop3": 11}, // the shift alone would keep loop0 on 2
		{"local0": 0, "loop0": 3},
	} {
		place := renumbered(m, old)
		var got []int
		for name, i := range place {
			if o, ok := old[name]; ok && name != "local0" && o == i {
				t.Errorf("old %v: %s stays on %d", old, name, i)
			}
			got = append(got, int(i))
		}
		sort.Ints(got)
		if !reflect.DeepEqual(got, []int{0, 1, 2, 3, 4}) || place["local0"] != 0 {
			t.Errorf("old %v: placement %v is not a permutation keeping local0 on 0", old, place)
		}
	}
}

// TestShowAPI counts what govpp's client and the simulator exchanged, by
// name without CRC, sorted.
func TestShowAPI(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter)})
	_, ch := connect(t, s)
	dump(t, ch, allInterfaces)
	dump(t, ch, &interfaces.SwInterfaceDump{SwIfIndex: 9})
	out := ctl(t, s, "show api")
	counts, bytes := map[string]uint64{}, map[string]uint64{}
	var order []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("show api line %q: want NAME COUNT BYTES", l)
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatalf("show api line %q: %v", l, err)
		}
		if bytes[f[0]], err = strconv.ParseUint(f[2], 10, 64); err != nil {
			t.Fatalf("show api line %q: %v", l, err)
		}
		if withoutCRC(f[0]) != f[0] {
			t.Errorf("show api names %q with its CRC", f[0])
		}
		counts[f[0]] = n
		order = append(order, f[0])
	}
	if !sort.StringsAreSorted(order) {
		t.Errorf("show api not sorted by name:\n%s", out)
	}
	for name, want := range map[string]uint64{
		"sockclnt_create": 1, "sockclnt_create_reply": 1,
		"sw_interface_dump": 2, "sw_interface_details": 14,
	} {
		if counts[name] != want {
			t.Errorf("show api: %s %d, want %d\n%s", name, counts[name], want, out)
		}
	}
	if counts["control_ping"] < 2 || counts["control_ping"] != counts["control_ping_reply"] {
		t.Errorf("show api: control_ping %d, control_ping_reply %d; want as many, at least 2", counts["control_ping"], counts["control_ping_reply"])
	}
	if !reflect.DeepEqual(counts, s.APICounts()) {
		t.Errorf("show api %v, APICounts %v", counts, s.APICounts())
	}
	// Every frame carries the 16-byte socket header; sw_interface_details
	// is of fixed size (its strings are fixed arrays), as is a dump request.
	details := 16 + len(encode(t, &interfaces.SwInterfaceDetails{}))
	if got := bytes["sw_interface_details"]; got != 14*uint64(details) {
		t.Errorf("show api: sw_interface_details %d bytes, want 14 x %d", got, details)
	}
	if got := bytes["sw_interface_dump"]; got != 2*uint64(16+len(encode(t, &interfaces.SwInterfaceDump{}))) {
		t.Errorf("show api: sw_interface_dump %d bytes for 2", got)
	}
	if !reflect.DeepEqual(bytes, s.APIBytes()) {
		t.Errorf("show api %v, APIBytes %v", bytes, s.APIBytes())
	}
}

func TestWithoutCRC(t *testing.T) {
	for in, want := range map[string]string{
		"sw_interface_details_6c221fc7": "sw_interface_details",
		"control_ping_51077d14":         "control_ping",
		"odd_name":                      "odd_name",
		"odd_1234567z":                  "odd_1234567z",
	} {
		if got := withoutCRC(in); got != want {
			t.Errorf("withoutCRC(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFaultCLIErrors: bad settings are refused with VPP-like messages, and
// help lists every fault command.
func TestFaultCLIErrors(t *testing.T) {
	s := startSim(t, Config{})
	for cmd, want := range map[string]string{
		"fault details-drop 101": "fault details-drop: want a percentage, 0..100\n",
		"fault details-drop":     "fault details-drop: want a percentage, 0..100\n",
		"fault stats-busy soon":  "fault stats-busy: bad duration `soon'\n",
		"fault api-stall":        "fault api-stall: want a duration, e.g. 6s\n",
		"fault api-stall -1s":    "fault api-stall: bad duration `-1s'\n",
		"fault api-close now":    "fault api-close: unknown input `now'\n",
		"fault renumber twice":   "fault renumber: unknown input `twice'\n",
		"fault sideways":         "fault: unknown input `sideways'\n",
	} {
		wantCLI(t, s, cmd, want)
	}
	wantCLI(t, s, "fault", "")
	help := ctl(t, s, "help")
	for _, k := range faultNames {
		if !strings.Contains(help, "fault "+k) {
			t.Errorf("help lacks fault %s", k)
		}
	}
	for _, c := range []string{"fault off", "show api"} {
		if !strings.Contains(help, c) {
			t.Errorf("help lacks %s", c)
		}
	}

	r := startReplay(t)
	if got := r.RunCLI("fault renumber"); !strings.Contains(got, "replay") {
		t.Errorf("renumber of a replay: %q", got)
	}
	if got := r.RunCLI("fault stats-busy 1s"); !strings.Contains(got, "read-only") {
		t.Errorf("stats-busy of a replay: %q", got)
	}
	if got := fmt.Sprint(Fault(42)); got != "fault(42)" {
		t.Errorf("Fault(42) prints %q", got)
	}
}

// encode is m as a frame, without the socket header.
func encode(t *testing.T, m api.Message) []byte {
	t.Helper()
	data, err := codec.EncodeMsg(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
