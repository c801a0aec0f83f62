package agentx

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixturePDU is one PDU of the snmpd 5.9.3 sessions captured in
// testdata/netsnmp (its README says how they were recorded).
type fixturePDU struct {
	file, dir, typ string
	line           int
	b              []byte
}

func loadFixtures(t testing.TB) []fixturePDU {
	t.Helper()
	files, err := filepath.Glob("testdata/netsnmp/pdus-*.txt")
	if err != nil || len(files) != 4 {
		t.Fatalf("fixture files: %v %v", files, err)
	}
	var pdus []fixturePDU
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for ln := 1; sc.Scan(); ln++ {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			fs := strings.Fields(line)
			if len(fs) != 3 {
				t.Fatalf("%s:%d: %q", f, ln, line)
			}
			b, err := hex.DecodeString(fs[2])
			if err != nil {
				t.Fatalf("%s:%d: %v", f, ln, err)
			}
			pdus = append(pdus, fixturePDU{file: filepath.Base(f), dir: fs[0], typ: fs[1], line: ln, b: b})
		}
	}
	if len(pdus) != 160 {
		t.Fatalf("only %d fixture PDUs", len(pdus))
	}
	return pdus
}

func loadBins(t testing.TB) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob("testdata/netsnmp/*.bin")
	if len(files) != 13 {
		t.Fatalf("want 13 .bin fixtures, got %d", len(files))
	}
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(f)] = b
	}
	return m
}

// Every captured PDU decodes as the type the capture names, and encodes back
// to exactly the bytes that crossed the socket.
func TestFixturesDecodeAndReencode(t *testing.T) {
	orders := map[bool]int{}
	for _, f := range loadFixtures(t) {
		p, err := decodePDU(f.b)
		if err != nil {
			t.Errorf("%s:%d %s: %v", f.file, f.line, f.typ, err)
			continue
		}
		if p.typ.String() != f.typ {
			t.Errorf("%s:%d: decoded %v, capture says %s", f.file, f.line, p.typ, f.typ)
		}
		orders[p.bigEndian()]++
		checkReencode(t, f.file+":"+itoa(f.line)+" "+f.typ, p, f.b)
	}
	if orders[true] < 50 || orders[false] < 50 {
		t.Errorf("byte orders seen: %v", orders)
	}
	for name, b := range loadBins(t) {
		p, err := decodePDU(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkReencode(t, name, p, b)
	}
}

// checkReencode compares the re-encoding of p with the original bytes. The
// one non-canonical encoding snmpd produces: in the varbinds it echoes in a
// Response to Notify, an ObjectIdentifier value carries include=1 (we
// encode 0, as RFC 2741 5.1 says for anything but a SearchRange start). Only
// such bytes may differ, and the contents must not.
func checkReencode(t *testing.T, what string, p *pdu, orig []byte) {
	t.Helper()
	got := p.appendTo(nil)
	if bytes.Equal(got, orig) {
		return
	}
	if len(got) != len(orig) {
		t.Errorf("%s: re-encoded\n%x\nwant\n%x", what, got, orig)
		return
	}
	for i := range got {
		if got[i] != orig[i] && !(got[i] == 0 && orig[i] == 1 && i%4 == 2) {
			t.Errorf("%s: re-encoding differs at byte %d\n%x\nwant\n%x", what, i, got, orig)
			return
		}
	}
	if p.typ != pduResponse || !hasOIDValue(p.varbinds) {
		t.Errorf("%s: include byte differs outside an OID value", what)
	}
	p2, err := decodePDU(got)
	if err != nil || !reflect.DeepEqual(p, p2) {
		t.Errorf("%s: re-encoding decodes to %+v (%v), want %+v", what, p2, err, p)
	}
}

func hasOIDValue(vbs []Varbind) bool {
	for _, vb := range vbs {
		if vb.Value.Type == TypeObjectIdentifier {
			return true
		}
	}
	return false
}

// Spot checks of decoded values against the fixture README.
func TestFixtureValues(t *testing.T) {
	bins := loadBins(t)
	p, err := decodePDU(bins["response-to-open.bin"])
	if err != nil {
		t.Fatal(err)
	}
	if p.sessionID != 6 || p.sysUpTime != 303 || len(p.varbinds) != 1 ||
		p.varbinds[0].Name.Compare(OID{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 1}) != 0 ||
		string(p.varbinds[0].Value.Bytes) != "fixture subagent" {
		t.Errorf("response-to-open: %+v", p)
	}
	p, _ = decodePDU(bins["get-3-ranges.bin"])
	want := []OID{{1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1}, {1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 1}, {1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 1}}
	if len(p.ranges) != 3 {
		t.Fatalf("get-3-ranges: %d ranges", len(p.ranges))
	}
	for i, w := range want {
		if p.ranges[i].start.Compare(w) != 0 || len(p.ranges[i].end) != 0 || p.ranges[i].include {
			t.Errorf("range %d: %+v, want start %v", i, p.ranges[i], w)
		}
	}
	p, _ = decodePDU(bins["getnext-include-flag.bin"])
	if len(p.ranges) != 1 || !p.ranges[0].include || p.ranges[0].end.Compare(OID{1, 3, 6, 1, 2, 1, 31, 1, 5}) != 0 {
		t.Errorf("getnext-include-flag: %+v", p.ranges)
	}
	p, _ = decodePDU(bins["response-to-notify.bin"])
	if len(p.varbinds) != 4 || p.varbinds[0].Name.Compare(snmpTrapOID0) != 0 ||
		p.varbinds[0].Value.OID.Compare(OID{1, 3, 6, 1, 6, 3, 1, 1, 5, 3}) != 0 || p.sysUpTime != 549 {
		t.Errorf("response-to-notify: %+v", p)
	}
}

// fixtureTree rebuilds the fixture subagent's table from its own answers: a
// subset of its table that holds every name it ever returned, which is
// enough to reproduce every answer (a GetNext answer has nothing between
// its start and itself in the full table, so neither in the subset).
func fixtureTree(pdus []fixturePDU) *listTree {
	seen := map[string]bool{}
	var vbs []Varbind
	for _, f := range pdus {
		if f.dir != "subagent->master" || f.typ != "Response" {
			continue
		}
		p, err := decodePDU(f.b)
		if err != nil {
			continue
		}
		for _, vb := range p.varbinds {
			switch vb.Value.Type {
			case TypeNoSuchObject, TypeNoSuchInstance, TypeEndOfMIBView:
				continue
			}
			k := string(fmtOID(vb.Name))
			if !seen[k] {
				seen[k] = true
				vbs = append(vbs, vb)
			}
		}
	}
	return newListTree(vbs...)
}

func fmtOID(o OID) []byte {
	var b []byte
	for _, s := range o {
		b = append(b, '.')
		b = append(b, itoa(int(s))...)
	}
	return b
}

// The dispatcher answers every request snmpd sent in the captures exactly
// as the capture's subagent did, byte for byte where both answered in the
// request's byte order. The one deliberate difference: CleanupSet gets no
// Response (RFC 2741 7.2.4.4), where the capture's subagent sent one.
func TestDispatcherReplaysFixtures(t *testing.T) {
	pdus := loadFixtures(t)
	tree := fixtureTree(pdus)
	if len(tree.e) < 15 {
		t.Fatalf("fixture table has only %d entries", len(tree.e))
	}
	d := newTestDispatcher(tree, "")
	answered := 0
	for i, f := range pdus {
		if f.dir != "master->subagent" || f.typ == "Response" {
			continue
		}
		got, ok := d.answer(f.b, nil)
		if f.typ == "CleanupSet" {
			if ok {
				t.Errorf("%s:%d: answered CleanupSet", f.file, f.line)
			}
			continue
		}
		if !ok {
			t.Errorf("%s:%d: no answer to %s", f.file, f.line, f.typ)
			continue
		}
		want := pdus[i+1]
		if want.dir != "subagent->master" || want.typ != "Response" {
			t.Fatalf("%s:%d: next line is not the subagent's Response", f.file, f.line)
		}
		answered++
		if got[2]&flagNetworkByteOrder == want.b[2]&flagNetworkByteOrder {
			if !bytes.Equal(got, want.b) {
				t.Errorf("%s:%d %s: answered\n%x\nwant\n%x", f.file, f.line, f.typ, got, want.b)
			}
			continue
		}
		// The mixed-order capture's subagent answered in its own byte
		// order; ours follows the request's. Compare contents.
		if got[2]&flagNetworkByteOrder != f.b[2]&flagNetworkByteOrder {
			t.Errorf("%s:%d: answer not in the request's byte order", f.file, f.line)
		}
		gp, err1 := decodePDU(got)
		wp, err2 := decodePDU(want.b)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s:%d: %v %v", f.file, f.line, err1, err2)
		}
		gp.flags, wp.flags = 0, 0
		if !reflect.DeepEqual(gp, wp) {
			t.Errorf("%s:%d %s: answered %+v, want %+v", f.file, f.line, f.typ, gp, wp)
		}
	}
	if answered < 40 {
		t.Errorf("only %d requests answered", answered)
	}
}
