package statseg

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.fd.io/govpp/api"
)

const fixtureSHA256 = "be22a834d8e692f629117df178e032c56bf8a12e84ca87e8df0d51f183d8e73f"

func TestReplayFixtureReadByGovpp(t *testing.T) {
	img := fixtureImage(t)
	if sum := sha256.Sum256(img); hex.EncodeToString(sum[:]) != fixtureSHA256 {
		t.Fatalf("fixture image sha256 %x, want %s", sum, fixtureSHA256)
	}
	s, err := FromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Epoch() != 658 || s.Size() != 32<<20 {
		t.Errorf("image epoch %d size %d, want 658 and 32 MiB", s.Epoch(), s.Size())
	}
	path := serve(t, s)

	raw, err := os.ReadFile("testdata/interface_counters.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		InterfaceStats api.InterfaceStats
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.InterfaceStats.Interfaces) != 11 {
		t.Fatalf("fixture has %d interfaces, want 11", len(want.InterfaceStats.Interfaces))
	}
	got := ifaceStats(t, connect(t, path))
	diffCounters(t, "replayed 26.06 segment", got, want.InterfaceStats.Interfaces)
	if got[10].InterfaceName != Deleted {
		t.Errorf("index 10 is %q, want %q", got[10].InterfaceName, Deleted)
	}
	// Counters the capture names (README "Non-zero counters").
	if v := got[1]; v.Rx != (api.InterfaceCounterCombined{Packets: 167, Bytes: 32798}) || v.Drops != 20 || v.IP6 != 38 {
		t.Errorf("host-vpp-veth0: %+v", v)
	}

	// The memfd served is the image byte for byte.
	if b := fetch(t, path); !bytes.Equal(b, img) {
		t.Error("the served memfd differs from the image")
	}

	if err := s.SetInterfaces([]string{"x"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("SetInterfaces on an image: %v, want ErrReadOnly", err)
	}
	if err := s.SetScalar(Heartbeat, 1); !errors.Is(err, ErrReadOnly) {
		t.Errorf("SetScalar on an image: %v, want ErrReadOnly", err)
	}
	if s.AddCombined(Rx, 0, 1, 1, 1) || s.AddSimple(Drops, 0, 1, 1) {
		t.Error("Add on an image reported success")
	}
	s.ClearInterfaceCounters() // must do nothing
	if b := fetch(t, path); !bytes.Equal(b, img) {
		t.Error("the image changed")
	}
}

func TestFromImageRejectsShortImage(t *testing.T) {
	if s, err := FromImage(make([]byte, 100)); err == nil {
		s.Close()
		t.Error("a 100-byte image was accepted")
	}
}

// The segment built for the capture's 11 interfaces has the capture's
// /if/, /sys/ and /interfaces/ entries, with the same types, and the same
// vector shapes, read by a parser that shares no code with the writer.
func TestLayoutMatchesFixture(t *testing.T) {
	fx := parse(t, fixtureImage(t))
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetInterfaces(fixtureNames); err != nil {
		t.Fatal(err)
	}
	mine := parse(t, fetch(t, serve(t, s)))

	for _, p := range []*parsed{fx, mine} {
		if p.version != 2 || p.word6 != 0 || p.inProg != 0 || p.base%4096 != 0 {
			t.Errorf("header: version %d word6 %#x in_progress %d base %#x", p.version, p.word6, p.inProg, p.base)
		}
	}
	if mine.base != DefaultBase {
		t.Errorf("base %#x, want %#x", mine.base, uint64(DefaultBase))
	}

	set := func(p *parsed) map[string]uint32 {
		m := map[string]uint32{}
		for _, e := range p.entries {
			if strings.HasPrefix(e.name, "/if/") || strings.HasPrefix(e.name, "/sys/") || strings.HasPrefix(e.name, "/interfaces/") {
				m[e.name] = e.typ
			}
		}
		return m
	}
	want, got := set(fx), set(mine)
	if len(want) != 18+14+170 { // /if/, /sys/ (nodes, scalars, gauges, per-worker), /interfaces/
		t.Fatalf("the fixture parser found %d /if/ /sys/ /interfaces/ entries", len(want))
	}
	for name, typ := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("missing %s (type %d)", name, typ)
		} else if g != typ {
			t.Errorf("%s: type %d, want %d", name, g, typ)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("extra %s", name)
		}
	}
	// The /if/ entries come in the capture's order.
	order := func(p *parsed) []string {
		var out []string
		for _, e := range p.entries {
			if strings.HasPrefix(e.name, "/if/") {
				out = append(out, e.name)
			}
		}
		return out
	}
	if o, w := order(mine), order(fx); !slices.Equal(o, w) {
		t.Errorf("/if/ order %v, want %v", o, w)
	}

	for _, p := range []*parsed{fx, mine} {
		who := "fixture"
		if p == mine {
			who = "ours"
		}
		// Symlinks name their interface's counter.
		for _, e := range p.entries {
			if e.typ != typeSymlink || !strings.HasPrefix(e.name, "/interfaces/") {
				continue
			}
			parts := strings.Split(e.name, "/")
			target, i := p.entries[uint32(e.union)], int(e.union>>32)
			if target.name != "/if/"+parts[3] || strings.ReplaceAll(fixtureNames[i], "/", "_") != parts[2] {
				t.Errorf("%s: %s -> %s[%d]", who, e.name, target.name, i)
			}
		}
		// Names: strlen+1 string vectors, the /if/names vector with VPP's
		// string-vector header (hdr_size 3, log2_align 3).
		ne := mustEntry(t, p, Names)
		if n := p.names(t, ne); !reflect.DeepEqual(n, fixtureNames) {
			t.Errorf("%s: /if/names %q", who, n)
		}
		if h := p.vhdr(p.off(t, ne.union)); h != [2]byte{3, 3} {
			t.Errorf("%s: /if/names vector header %v, want [3 3]", who, h)
		}
		// Counters: one entry per thread (1 here), 11 values, with VPP's
		// cache-aligned vector header (hdr_size 8, 0x86).
		for _, c := range allIfCounters {
			e := mustEntry(t, p, c)
			v := p.counterVec(t, e)
			if len(v) != 1 || len(v[0]) != 11 {
				t.Errorf("%s: %s has %d threads, %d values", who, c, len(v), len(v[0]))
			}
			outer := p.off(t, e.union)
			if h := p.vhdr(outer); h != [2]byte{8, 0x86} {
				t.Errorf("%s: %s outer vector header %v", who, c, h)
			}
			if h := p.vhdr(p.off(t, le64(p.b, outer))); h != [2]byte{8, 0x86} {
				t.Errorf("%s: %s inner vector header %v", who, c, h)
			}
			if outer%64 != 0 {
				t.Errorf("%s: %s data not cache-aligned", who, c)
			}
		}
		// Directory vector header: heap pointer and hdr_size 2.
		if h := p.vhdr(p.off(t, le64(p.b, 32))); h != [2]byte{2, 3} {
			t.Errorf("%s: directory vector header %v", who, h)
		}
	}
}
