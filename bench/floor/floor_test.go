package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// allOIDs lists every OID the MIB serves, in the order newFloorMIB lays
// them out, which must be the SNMP order.
func allOIDs(m *floorMIB) [][]uint32 {
	var out [][]uint32
	for _, t := range m.tables {
		for _, c := range t.cols {
			for _, idx := range m.index {
				out = append(out, append(slices.Clone(t.entry), c.sub, idx))
			}
		}
	}
	return out
}

// TestNextMatchesLinearScan checks the arithmetic GetNext against a linear
// scan of every OID, from every OID and its neighbours.
func TestNextMatchesLinearScan(t *testing.T) {
	m := newFloorMIB(5, 1001)
	all := allOIDs(m)
	if !slices.IsSortedFunc(all, compareOID) {
		t.Fatal("the table's OIDs are not in SNMP order")
	}
	var probes [][]uint32
	for _, o := range all {
		n := len(o)
		probes = append(probes, o, append(slices.Clone(o), 0), o[:n-1], o[:n-2],
			append(slices.Clone(o[:n-1]), o[n-1]+1), append(slices.Clone(o[:n-1]), o[n-1]-1),
			append(slices.Clone(o[:n-2]), o[n-2]+1), append(slices.Clone(o[:n-2]), o[n-2]+1, 0))
	}
	probes = append(probes, nil, []uint32{0}, []uint32{1, 3, 6, 1, 2, 1}, []uint32{1, 3, 6, 1, 2, 1, 2, 2},
		[]uint32{1, 3, 6, 1, 2, 1, 2, 3}, []uint32{1, 3, 6, 1, 2, 1, 31}, []uint32{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 20},
		[]uint32{1, 3, 6, 1, 2, 1, 31, 1, 2}, []uint32{2}, []uint32{1, 3, 6, 1, 2, 1, 2, 2, 1, 0, 4000000000})
	var name [maxSubids + 5]uint32
	for _, from := range probes {
		for _, include := range []bool{false, true} {
			want := -1
			for i, o := range all {
				if c := compareOID(o, from); c > 0 || (include && c == 0) {
					want = i
					break
				}
			}
			p, ok := m.next(from, include)
			if !ok {
				if want >= 0 {
					t.Errorf("next(%v, include=%v): nothing, want %v", from, include, all[want])
				}
				continue
			}
			_, got := m.varbind(p, &name)
			if want < 0 || compareOID(got, all[want]) != 0 {
				w := "nothing"
				if want >= 0 {
					w = fmt.Sprint(all[want])
				}
				t.Errorf("next(%v, include=%v) = %v, want %s", from, include, got, w)
			}
		}
	}
}

// vb is one decoded response varbind.
type vb struct {
	typ   uint16
	name  []uint32
	value []byte // raw encoded value
}

// decodeResponse parses a Response PDU the floor wrote.
func decodeResponse(t *testing.T, b []byte) (hdr []byte, errStatus, errIndex uint16, vbs []vb) {
	t.Helper()
	if len(b) < 28 || b[0] != 1 || b[1] != pduResponse || b[2] != flagNetworkByteOrder {
		t.Fatalf("not a big-endian Response: % x", b[:min(len(b), 28)])
	}
	if int(be.Uint32(b[16:])) != len(b)-headerLen {
		t.Fatalf("payload length %d, PDU has %d bytes of payload", be.Uint32(b[16:]), len(b)-headerLen)
	}
	p := b[28:]
	var o [maxSubids + 5]uint32
	for len(p) > 0 {
		typ := be.Uint16(p)
		name, _, n, err := parseOID(p[4:], &o)
		if err != nil {
			t.Fatalf("varbind name: %v", err)
		}
		p = p[4+n:]
		var size int
		switch typ {
		case typeInteger, typeCounter32, typeGauge32, typeTimeTicks:
			size = 4
		case typeCounter64:
			size = 8
		case typeOctetString:
			size = 4 + (int(be.Uint32(p))+3)&^3
		case typeOID:
			size = 4 + 4*int(p[0])
		}
		vbs = append(vbs, vb{typ, slices.Clone(name), slices.Clone(p[:size])})
		p = p[size:]
	}
	return b[:headerLen], be.Uint16(b[24:]), be.Uint16(b[26:]), vbs
}

func oid(s string) []uint32 {
	var o []uint32
	for _, f := range strings.Split(strings.Trim(s, "."), ".") {
		var v uint32
		fmt.Sscan(f, &v)
		o = append(o, v)
	}
	return o
}

// TestHandleCapturedPDUs answers PDUs captured from snmpd 5.9.3 (see
// agentx/testdata/netsnmp/README.md) from a 3-row table whose
// ifIndex starts at 1, as the capture's subagent served.
func TestHandleCapturedPDUs(t *testing.T) {
	h := &handler{mib: newFloorMIB(3, 1)}
	octets := func(s string) []byte { return appendOctets(nil, []byte(s)) }
	u32 := func(v uint32) []byte { return be.AppendUint32(nil, v) }
	type want struct {
		typ   uint16
		name  string
		value []byte
	}
	for _, tc := range []struct {
		file      string
		errStatus uint16
		errIndex  uint16
		vbs       []want
	}{
		{"getnext-1-range.bin", 0, 0, []want{{typeOctetString, "1.3.6.1.2.1.31.1.1.1.1.1", octets("TenGigabitEthernet3/0/0.100")}}},
		{"getnext-2-ranges.bin", 0, 0, []want{
			{typeOctetString, "1.3.6.1.2.1.2.2.1.2.1", octets("TenGigabitEthernet3/0/0.100")},
			{typeTimeTicks, "1.3.6.1.2.1.2.2.1.9.1", u32(7)},
		}},
		{"get-3-ranges.bin", 0, 0, []want{
			{typeOctetString, "1.3.6.1.2.1.2.2.1.2.1", octets("TenGigabitEthernet3/0/0.100")},
			{typeInteger, "1.3.6.1.2.1.2.2.1.8.1", u32(1)},
			{typeOctetString, "1.3.6.1.2.1.31.1.1.1.1.1", octets("TenGigabitEthernet3/0/0.100")},
		}},
		// Nothing of ours lies in [ifTableLastChange, ifStackLastChange):
		// endOfMibView named by the start, include cleared.
		{"getnext-include-flag.bin", 0, 0, []want{{typeEndOfMIBView, "1.3.6.1.2.1.31.1.2", nil}}},
		{"testset.bin", errNotWritable, 1, nil},
	} {
		req, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		resp, closed, err := h.handle(req)
		if err != nil || closed {
			t.Fatalf("%s: handle: closed %v, %v", tc.file, closed, err)
		}
		hdr, es, ei, vbs := decodeResponse(t, resp)
		if string(hdr[4:16]) != string(req[4:16]) {
			t.Errorf("%s: session/transaction/packet ids % x, want % x", tc.file, hdr[4:16], req[4:16])
		}
		if es != tc.errStatus || ei != tc.errIndex {
			t.Errorf("%s: error %d index %d, want %d %d", tc.file, es, ei, tc.errStatus, tc.errIndex)
		}
		if len(vbs) != len(tc.vbs) {
			t.Fatalf("%s: %d varbinds, want %d", tc.file, len(vbs), len(tc.vbs))
		}
		for i, w := range tc.vbs {
			g := vbs[i]
			if g.typ != w.typ || compareOID(g.name, oid(w.name)) != 0 || string(g.value) != string(w.value) {
				t.Errorf("%s varbind %d: type %d %v % x, want type %d %s % x", tc.file, i, g.typ, g.name, g.value, w.typ, w.name, w.value)
			}
		}
	}
	req, _ := os.ReadFile("testdata/cleanupset.bin")
	if resp, closed, err := h.handle(req); resp != nil || closed || err != nil {
		t.Errorf("CleanupSet: response %x closed %v err %v, want no response", resp, closed, err)
	}
}

func TestHandleRejectsMalformed(t *testing.T) {
	h := &handler{mib: newFloorMIB(3, 1)}
	good, err := os.ReadFile("testdata/getnext-2-ranges.bin")
	if err != nil {
		t.Fatal(err)
	}
	for cut := headerLen + 1; cut < len(good); cut++ {
		if _, _, err := h.handle(good[:cut]); err == nil {
			t.Errorf("truncated to %d bytes: no error", cut)
		}
	}
	bad := slices.Clone(good)
	bad[headerLen] = 200 // n_subid over the cap
	if _, _, err := h.handle(bad); err == nil {
		t.Error("n_subid 200: no error")
	}
}

// TestZeroAllocations checks the per-PDU path allocates nothing, the
// floor's reason to exist.
func TestZeroAllocations(t *testing.T) {
	h := &handler{mib: newFloorMIB(1000, 1001)}
	req, err := os.ReadFile("testdata/getnext-2-ranges.bin")
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { h.handle(req) }); n != 0 {
		t.Errorf("handle allocates %v times per PDU", n)
	}
}

func BenchmarkHandleGetNext(b *testing.B) {
	h := &handler{mib: newFloorMIB(10000, 1001)}
	// ifHCInOctets.5000 -> .5001: a binary search in the middle of a column.
	req := []byte{1, pduGetNext, flagNetworkByteOrder, 0, 0, 0, 0, 6, 0, 0, 0, 9, 0, 0, 0, 10, 0, 0, 0, 0}
	req = appendOID(req, []uint32{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 6000}, false)
	req = appendOID(req, []uint32{1, 3, 6, 1, 2, 1, 32}, false)
	be.PutUint32(req[16:], uint32(len(req)-headerLen))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := h.handle(req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWalkThroughSnmpd serves 100 rows to a real snmpd, whose own IF-MIB is
// loaded, and walks both tables with snmpbulkwalk as the bench does.
func TestWalkThroughSnmpd(t *testing.T) {
	udp, master := startSnmpd(t)
	c, err := dial(master, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.open(100); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.serve(&handler{mib: newFloorMIB(100, 1001)}, 16) }()
	t.Cleanup(func() {
		syscall.Shutdown(c.fd, syscall.SHUT_RDWR) // ends serve's blocked read
		<-done
		syscall.Close(c.fd)
	})

	lines := snmp(t, "snmpbulkwalk", "-Cr50", udp, "1.3.6.1.2.1.31.1.1")
	if len(lines) != 19*100 {
		t.Errorf("ifXTable walk: %d varbinds, want %d", len(lines), 19*100)
	}
	for _, want := range []string{
		`.1.3.6.1.2.1.31.1.1.1.1.1001 = STRING: "TenGigabitEthernet3/0/0.100"`,
		`.1.3.6.1.2.1.31.1.1.1.6.1002 = Counter64: 246913578024`,
		`.1.3.6.1.2.1.31.1.1.1.18.1100 = STRING: "bench row 99"`,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("ifXTable walk lacks %s", want)
		}
	}
	if last := lines[len(lines)-1]; last != ".1.3.6.1.2.1.31.1.1.1.19.1100 = Timeticks: (0) 0:00:00.00" {
		t.Errorf("ifXTable walk ends with %s", last)
	}
	lines = snmp(t, "snmpbulkwalk", "-Cr50", udp, "1.3.6.1.2.1.2.2")
	if len(lines) != 22*100 || lines[0] != ".1.3.6.1.2.1.2.2.1.1.1001 = INTEGER: 1001" {
		t.Errorf("ifTable walk: %d varbinds, first %q; want %d from ifIndex.1001 (not snmpd's own rows)", len(lines), lines[0], 22*100)
	}
	if !slices.Contains(lines, ".1.3.6.1.2.1.2.2.1.6.1002 = Hex-STRING: 02 FE 00 00 00 01 ") {
		t.Error("ifTable walk lacks ifPhysAddress.1002")
	}
	got := snmp(t, "snmpget", udp, "1.3.6.1.2.1.2.2.1.2.1050", "1.3.6.1.2.1.2.2.1.2.7", "1.3.6.1.2.1.31.1.1.1.15.1001")
	want := []string{
		`.1.3.6.1.2.1.2.2.1.2.1050 = STRING: "TenGigabitEthernet4/0/1.149"`,
		`.1.3.6.1.2.1.2.2.1.2.7 = No Such Instance currently exists at this OID`,
		`.1.3.6.1.2.1.31.1.1.1.15.1001 = Gauge32: 10000`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("snmpget:\n got %q\nwant %q", got, want)
	}
}

// snmp runs a net-snmp client command and returns its output lines.
func snmp(t *testing.T, cmd string, args ...string) []string {
	t.Helper()
	args = append([]string{"-v2c", "-c", "public", "-On", "-t", "5", "-r", "1"}, args...)
	c := exec.Command(cmd, args...)
	c.Env = append(os.Environ(), "MIBS=")
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", cmd, strings.Join(args, " "), err, out)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// startSnmpd starts snmpd as AgentX master on loopback; it returns its UDP
// address and AgentX socket path. The test's cleanup kills it.
func startSnmpd(t *testing.T) (udp, master string) {
	t.Helper()
	bin, err := exec.LookPath("snmpd")
	if err != nil {
		t.Fatal("snmpd not found: apt-get install snmpd snmp")
	}
	// A short directory of our own: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "floor")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udp = pc.LocalAddr().String()
	pc.Close()
	master = filepath.Join(dir, "master")
	conf := fmt.Sprintf("agentaddress udp:%s\nrocommunity public 127.0.0.1\nmaster agentx\nagentXSocket unix:%s\n", udp, master)
	if err := os.WriteFile(filepath.Join(dir, "snmpd.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", "-Lf", filepath.Join(dir, "snmpd.log"), "-C", "-c", filepath.Join(dir, "snmpd.conf"),
		"-I", "-smux,mteTrigger,mteTriggerConf")
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"), "MIBS=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(master); err == nil {
			return udp, master
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "snmpd.log"))
	t.Fatalf("snmpd did not create %s:\n%s", master, log)
	return "", ""
}
