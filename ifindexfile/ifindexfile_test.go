package ifindexfile

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// indexes builds an Indexes from m, each name last seen at t0.
func indexes(t *testing.T, m map[string]uint32) *ifindex.Registry {
	t.Helper()
	var recs []ifindex.Record
	for n, ix := range m {
		recs = append(recs, ifindex.Record{Name: n, IfIndex: ix, LastSeen: t0})
	}
	x, err := ifindex.NewFrom(recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// same reports whether x and y hold the same records and tombstones.
func same(x, y *ifindex.Registry) bool {
	return slices.Equal(slices.Collect(x.Records()), slices.Collect(y.Records())) &&
		slices.Equal(slices.Collect(x.Tombstones()), slices.Collect(y.Tombstones()))
}

// mustLoad loads path and fails unless the file itself was good.
func mustLoad(t *testing.T, path string) *ifindex.Registry {
	t.Helper()
	x, rep := Load(path)
	if rep.From != path || len(rep.Problems) != 0 {
		t.Fatalf("Load(%s): %+v", path, rep)
	}
	return x
}

func TestMissingIsEmpty(t *testing.T) {
	x, rep := Load(filepath.Join(t.TempDir(), "ifindex.json"))
	if x.Len() != 0 || !rep.Missing || rep.From != "" || len(rep.Problems) != 0 || len(rep.MovedAside) != 0 {
		t.Fatalf("Load(missing) = %d entries, %+v", x.Len(), rep)
	}
}

// TestRoundTripThroughBuild: the map Build allocates, saved and loaded,
// gives an agent restarted after a VPP renumbering the same ifIndexes.
func TestRoundTripThroughBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ifindex.json")
	names := []string{"local0", "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/0.100", "loop0", `odd "name"\with/escapes é`}
	var ifaces []model.Interface
	for i, n := range names {
		ifaces = append(ifaces, model.Interface{SwIfIndex: uint32(i), SupSwIfIndex: uint32(i), Name: n})
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	x0, _ := Load(path)
	_, x1, _ := mib.Build(nil, ifaces, nil, x0, now, mib.Options{})
	if err := Save(path, x1); err != nil {
		t.Fatal(err)
	}
	x2 := mustLoad(t, path)
	if !same(x1, x2) || x2.Len() != len(names) {
		t.Fatalf("loaded %v, saved %v", slices.Collect(x2.Records()), slices.Collect(x1.Records()))
	}
	// restart with reversed sw_if_index: same numbers, nothing changed
	for i := range ifaces {
		ifaces[i].SwIfIndex = uint32(len(ifaces) - i)
	}
	_, x3, _ := mib.Build(nil, ifaces, nil, x2, now, mib.Options{})
	if x3 != x2 {
		t.Error("Build changed the map for known names seen just now")
	}
	for i, n := range names {
		if got, _ := x3.Lookup(n); got != uint32(1000+i) {
			t.Errorf("%s: %d, want %d", n, got, 1000+i)
		}
	}
	// one line per interface and three more, and nothing left beside the
	// file: there was no file to keep as the previous copy
	b, _ := os.ReadFile(path)
	if got := strings.Count(string(b), "\n"); got != len(names)+3 {
		t.Errorf("file has %d lines:\n%s", got, b)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the state file", len(ents))
	}
}

func TestSaveEmptyAndNil(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	if err := Save(path, nil); err != nil {
		t.Fatal(err)
	}
	if x := mustLoad(t, path); x.Len() != 0 {
		t.Fatalf("Load = %d names", x.Len())
	}
}

// TestSaveKeepsPrevious: each Save keeps the file it replaces as .prev,
// but only a good one: a file damaged behind the agent's back is moved
// aside and the previous copy stays as it was.
// Both with Save and with one Store, which reads back only a file it did
// not write.
func TestSaveKeepsPrevious(t *testing.T) {
	for _, name := range []string{"Save", "Store"} {
		t.Run(name, func(t *testing.T) { testSaveKeepsPrevious(t, name == "Store") })
	}
}

func testSaveKeepsPrevious(t *testing.T, store bool) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ifindex.json")
	save := Save
	if store {
		s := NewStore(path)
		save = func(_ string, x *ifindex.Registry) error { return s.Save(x) }
	}
	a := indexes(t, map[string]uint32{"a": 1000})
	b := indexes(t, map[string]uint32{"a": 1000, "b": 1001})
	c := indexes(t, map[string]uint32{"a": 1000, "b": 1001, "c": 1002})
	for _, x := range []*ifindex.Registry{a, b} {
		if err := save(path, x); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustLoad(t, path+PrevSuffix); !same(got, a) {
		t.Errorf(".prev holds %v, want the first map", maps.Collect(got.All()))
	}
	if err := os.WriteFile(path, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := save(path, c); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, path+PrevSuffix); !same(got, a) {
		t.Errorf(".prev holds %v after the file was damaged, want it unchanged", maps.Collect(got.All()))
	}
	if got := mustLoad(t, path); !same(got, c) {
		t.Errorf("file holds %v", maps.Collect(got.All()))
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("moved aside: %v, want the damaged file", aside)
	}
	if junk, _ := os.ReadFile(aside[0]); string(junk) != "junk" {
		t.Errorf("%s holds %q", aside[0], junk)
	}
}

// corruptCases are file contents Load must refuse, each with a word its
// problem must contain.
var corruptCases = map[string]struct{ content, want string }{
	"junk":              {"1000 local0\n", "invalid character"},
	"empty":             {"", "unexpected end"},
	"truncated":         {`{"version": 1, "interfaces": [{"ifIndex": 1000, "na`, "unexpected end"},
	"null":              {"null", "version 0"},
	"duplicate ifIndex": {`{"version": 1, "interfaces": [{"ifIndex": 5, "name": "a"}, {"ifIndex": 5, "name": "b"}]}`, "share ifIndex 5"},
	"name twice":        {`{"version": 1, "interfaces": [{"ifIndex": 5, "name": "a"}, {"ifIndex": 6, "name": "a"}]}`, "listed twice"},
	"version":           {`{"version": 2, "interfaces": []}`, "version 2"},
	"no version":        {`{"interfaces": []}`, "version 0"},
	"no interfaces":     {`{"version": 1}`, "no interfaces"},
	"zero index":        {`{"version": 1, "interfaces": [{"ifIndex": 0, "name": "a"}]}`, "outside"},
	"too big":           {`{"version": 1, "interfaces": [{"ifIndex": 2147483648, "name": "a"}]}`, "outside"},
	"negative":          {`{"version": 1, "interfaces": [{"ifIndex": -1, "name": "a"}]}`, "cannot unmarshal"},
	"null entry":        {`{"version": 1, "interfaces": [null]}`, "null"},
	"wrong types":       {`{"version": "1", "interfaces": {}}`, "cannot unmarshal"},
	"negative seen":     {`{"version": 1, "interfaces": [{"ifIndex": 5, "name": "a", "seen": -3}]}`, "seen -3"},
	"tombstone of a name": {`{"version": 1, "interfaces": [{"ifIndex": 5, "name": "a"}], "forgotten": [{"ifIndex": 5, "at": 1795306109}]}`,
		"share ifIndex 5"},
	"tombstone without time": {`{"version": 1, "interfaces": [], "forgotten": [{"ifIndex": 5}]}`, "at 0"},
	"null tombstone":         {`{"version": 1, "interfaces": [], "forgotten": [null]}`, "null"},
}

// TestCorruptFallsBackToPrevious: a corrupt file is reported naming it,
// moved aside with its content, and the previous copy is used; the next
// Save writes the file again and leaves that copy alone.
func TestCorruptFallsBackToPrevious(t *testing.T) {
	for name, c := range corruptCases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ifindex.json")
			good := indexes(t, map[string]uint32{"a": 1000, "odd": 1234})
			if err := Save(path, good); err != nil {
				t.Fatal(err)
			}
			if err := Save(path, good); err != nil { // keeps it as .prev
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			now := time.Unix(1795306109, 0)
			x, rep := load(path, maxSize, now)
			if rep.From != path+PrevSuffix || !same(x, good) {
				t.Fatalf("loaded %v from %q, want the previous copy's %v", maps.Collect(x.All()), rep.From, maps.Collect(good.All()))
			}
			if len(rep.Problems) != 1 || !errors.Is(rep.Problems[0], ErrCorrupt) ||
				!strings.Contains(rep.Problems[0].Error(), path) || !strings.Contains(rep.Problems[0].Error(), c.want) {
				t.Fatalf("problems %v, want one ErrCorrupt naming %s and saying %q", rep.Problems, path, c.want)
			}
			aside := path + ".corrupt-1795306109"
			if !slices.Equal(rep.MovedAside, []string{aside}) {
				t.Fatalf("moved aside %v, want %s", rep.MovedAside, aside)
			}
			if b, err := os.ReadFile(aside); err != nil || string(b) != c.content {
				t.Errorf("%s holds %q (%v), want the corrupt content", aside, b, err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the corrupt file is still at %s: %v", path, err)
			}
			// the next save: the file is back and the previous copy unchanged
			next := indexes(t, map[string]uint32{"a": 1000, "odd": 1234, "new": 1001})
			if err := Save(path, next); err != nil {
				t.Fatal(err)
			}
			if got := mustLoad(t, path); !same(got, next) {
				t.Errorf("after saving: %v", maps.Collect(got.All()))
			}
			if got := mustLoad(t, path+PrevSuffix); !same(got, good) {
				t.Errorf(".prev after saving: %v", maps.Collect(got.All()))
			}
		})
	}
}

// TestBothBad: the file and its previous copy are both corrupt: both are
// moved aside, both reported, and the map is empty (first sight).
func TestBothBad(t *testing.T) {
	for name, c := range corruptCases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ifindex.json")
			for _, p := range []string{path, path + PrevSuffix} {
				if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			x, rep := load(path, maxSize, time.Unix(1795306109, 0))
			if x.Len() != 0 || rep.From != "" || len(rep.Problems) != 2 || len(rep.MovedAside) != 2 {
				t.Fatalf("Load = %d names, %+v; want an empty map, two problems, two files moved aside", x.Len(), rep)
			}
			for i, p := range []string{path, path + PrevSuffix} {
				if !errors.Is(rep.Problems[i], ErrCorrupt) || !strings.Contains(rep.Problems[i].Error(), p+":") {
					t.Errorf("problem %d: %v, want ErrCorrupt naming %s", i, rep.Problems[i], p)
				}
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s not moved aside", p)
				}
			}
			if err := Save(path, indexes(t, map[string]uint32{"a": 1000})); err != nil {
				t.Fatal(err)
			}
			mustLoad(t, path)
		})
	}
}

// TestMissingWithPrevious: the file is missing but its previous copy is
// there (a corrupt file was moved aside, then the agent stopped before it
// saved): the copy is used, and it is not a problem.
func TestMissingWithPrevious(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ifindex.json")
	good := indexes(t, map[string]uint32{"a": 1000})
	if err := Save(path+PrevSuffix, good); err != nil {
		t.Fatal(err)
	}
	x, rep := Load(path)
	if !same(x, good) || rep.From != path+PrevSuffix || !rep.Missing || len(rep.Problems) != 0 {
		t.Fatalf("Load = %v, %+v", maps.Collect(x.All()), rep)
	}
}

// TestDirectory: a directory where the file should be cannot be moved
// aside safely: it is reported and left, the previous copy is used if there
// is one (else the map is empty), and Save fails naming the path.
func TestDirectory(t *testing.T) {
	for _, withPrev := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "ifindex.json")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		good := indexes(t, map[string]uint32{"a": 1000})
		want := ""
		if withPrev {
			if err := Save(path+PrevSuffix, good); err != nil {
				t.Fatal(err)
			}
			want = path + PrevSuffix
		}
		x, rep := Load(path)
		if rep.From != want || len(rep.Problems) != 1 || !errors.Is(rep.Problems[0], ErrNotFile) ||
			!strings.Contains(rep.Problems[0].Error(), path) || len(rep.MovedAside) != 0 {
			t.Fatalf("prev %v: Load = %d names, %+v", withPrev, x.Len(), rep)
		}
		if withPrev != (x.Len() == 1) {
			t.Errorf("prev %v: %d names", withPrev, x.Len())
		}
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			t.Errorf("the directory was moved: %v", err)
		}
		err := Save(path, good)
		if !errors.Is(err, ErrNotFile) || !strings.Contains(err.Error(), path) {
			t.Errorf("Save over a directory: %v, want ErrNotFile naming %s", err, path)
		}
	}
	// saving into a missing directory fails and leaves nothing
	if err := Save(filepath.Join(t.TempDir(), "no", "such", "f.json"), nil); err == nil {
		t.Fatal("Save into a missing directory succeeded")
	}
}

// TestOverLimit: a file above the read limit is corrupt without being read
// (a sparse file of 256 MiB and a byte: nothing is allocated for it).
func TestOverLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ifindex.json")
	good := indexes(t, map[string]uint32{"a": 1000})
	if err := Save(path+PrevSuffix, good); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	x, rep := Load(path)
	if !same(x, good) || len(rep.Problems) != 1 || !errors.Is(rep.Problems[0], ErrCorrupt) || !strings.Contains(rep.Problems[0].Error(), "more than") {
		t.Fatalf("Load = %v, %+v", maps.Collect(x.All()), rep)
	}
}

// TestSaveRefusesOverLimit: Save never writes a file Load would refuse: a
// map whose encoding exceeds the read limit is an error and the file on
// disk stays as it was; at the limit exactly it is written and read back.
func TestSaveRefusesOverLimit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ifindex.json")
	small := indexes(t, map[string]uint32{"a": 1000})
	if err := Save(path, small); err != nil {
		t.Fatal(err)
	}
	m := map[string]uint32{}
	for i := range uint32(100) {
		m[strings.Repeat("x", int(i)+1)] = 2000 + i
	}
	big := indexes(t, m)
	limit := int64(len(encoded(t, big)))
	err := save(path, big, limit-1, time.Now())
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), path) {
		t.Fatalf("save above the limit: %v, want ErrTooLarge naming the file", err)
	}
	if got := mustLoad(t, path); !same(got, small) {
		t.Errorf("the file changed after a refused save: %v", maps.Collect(got.All()))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("a refused save left %d entries in the directory", len(ents))
	}
	if err := save(path, big, limit, time.Now()); err != nil {
		t.Fatalf("save at the limit: %v", err)
	}
	got, rep := load(path, limit, time.Now())
	if rep.From != path || !same(got, big) {
		t.Errorf("a file saved at the limit does not load with it: %+v", rep)
	}
}

// TestOldFormat: a file written before last-seen times and tombstones
// (exactly as the previous agent wrote it) loads with no time known; the
// file written after a Build has them, and a reader of the old format
// (ignoring fields it does not know, as encoding/json does) still reads
// the same names and ifIndexes from it.
func TestOldFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ifindex.json")
	old := "{\"version\": 1, \"interfaces\": [\n" +
		`{"ifIndex":1000,"name":"local0"},` + "\n" +
		`{"ifIndex":1001,"name":"TenGigabitEthernet3/0/0"},` + "\n" +
		`{"ifIndex":1005,"nameHex":"686f73742dff"}` + "\n]}\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	x := mustLoad(t, path)
	want := map[string]uint32{"local0": 1000, "TenGigabitEthernet3/0/0": 1001, "host-\xff": 1005}
	if got := maps.Collect(x.All()); !maps.Equal(got, want) {
		t.Fatalf("old format: %v, want %v", got, want)
	}
	for r := range x.Records() {
		if !r.LastSeen.IsZero() {
			t.Errorf("%s: last seen %v in a file without times", r.Name, r.LastSeen)
		}
	}
	_, y, _ := mib.Build(nil, []model.Interface{{Name: "local0"}}, nil, x.WithForgetAfter(time.Hour), t0, mib.Options{})
	if err := Save(path, y); err != nil {
		t.Fatal(err)
	}
	z := mustLoad(t, path)
	for r := range z.Records() {
		if !r.LastSeen.Equal(t0) {
			t.Errorf("%s: last seen %v, want %v (counted from the first Build)", r.Name, r.LastSeen, t0)
		}
	}
	var v struct {
		Version    int
		Interfaces []struct {
			IfIndex uint32
			Name    string
			NameHex string
		}
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &v); err != nil || v.Version != 1 || len(v.Interfaces) != 3 {
		t.Fatalf("the new file read as the old format: %+v, %v", v, err)
	}
}

// TestTimesRoundTrip: last-seen times and tombstones survive Save and
// Load.
func TestTimesRoundTrip(t *testing.T) {
	x, err := ifindex.NewFrom(
		[]ifindex.Record{{Name: "a", IfIndex: 1000, LastSeen: t0}, {Name: "b", IfIndex: 1001}},
		[]ifindex.Tombstone{{IfIndex: 1300, Forgotten: t0.Add(time.Hour)}, {IfIndex: 7, Forgotten: t0}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ifindex.json")
	if err := Save(path, x); err != nil {
		t.Fatal(err)
	}
	if y := mustLoad(t, path); !same(x, y) {
		t.Errorf("saved %v %v, loaded %v %v", slices.Collect(x.Records()), slices.Collect(x.Tombstones()),
			slices.Collect(y.Records()), slices.Collect(y.Tombstones()))
	}
}

// FuzzParse: any state file content is refused cleanly or yields a map that
// saves and loads back to the same map.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version": 1, "interfaces": [{"ifIndex": 1001, "name": "TenGigabitEthernet3/0/0"}]}`))
	f.Add([]byte(`{"version": 1, "interfaces": [{"ifIndex": 1001, "name": "a"}, {"ifIndex": 1001, "name": "b"}]}`))
	f.Add([]byte(`{"version": 1, "interfaces": [null]}`))
	f.Add([]byte(`{"version": 2}`))
	f.Add([]byte(`{"version": 1, "interfaces": [{"ifIndex": 0, "name": ""}]}`))
	f.Add([]byte(`{"version": 1, "interfaces": [{"ifIndex": 1001, "name": "a", "seen": 1795306109}], "forgotten": [{"ifIndex": 1300, "at": 1795306109}]}`))
	f.Add([]byte(`{"version": 1, "interfaces": [{"ifIndex": 1001, "nameHex": "ff", "seen": 1099511627777}], "forgotten": [{"ifIndex": 1001, "at": 1}]}`))
	for _, c := range corruptCases {
		f.Add([]byte(c.content))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Parse(b)
		if err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "ifindex.json")
		if err := Save(path, x); err != nil {
			t.Fatal(err)
		}
		y, rep := Load(path)
		if rep.From != path || len(rep.Problems) != 0 {
			t.Fatalf("a parsed map does not load back: %+v", rep)
		}
		if !same(x, y) {
			t.Fatalf("saved %v %v, loaded %v %v", slices.Collect(x.Records()), slices.Collect(x.Tombstones()),
				slices.Collect(y.Records()), slices.Collect(y.Tombstones()))
		}
	})
}

// TestNonUTF8Names: names with bytes JSON cannot hold (Linux allows them in
// interface names, so af_packet's host-<name> has them) survive a save and
// a load, each with its own ifIndex.
func TestNonUTF8Names(t *testing.T) {
	want := map[string]uint32{"host-\xfe": 1001, "host-\xff": 1002, "host-eth0": 1003}
	x, err := ifindex.New(want)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ifindex.json")
	if err := Save(path, x); err != nil {
		t.Fatal(err)
	}
	y := mustLoad(t, path)
	for name, ix := range want {
		if got, ok := y.Lookup(name); !ok || got != ix {
			t.Errorf("%q: got %d (%v), want %d", name, got, ok, ix)
		}
	}
}
