package ifindexfile

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
)

func TestMissingIsEmpty(t *testing.T) {
	x, err := Load(filepath.Join(t.TempDir(), "ifindex.json"))
	if err != nil || x.Len() != 0 {
		t.Fatalf("Load(missing) = %v entries, %v", x.Len(), err)
	}
}

// TestRoundTripThroughBuild: the map Build allocates, saved and loaded,
// gives an agent restarted after a VPP renumbering the same ifIndexes.
func TestRoundTripThroughBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ifindex.json")
	names := []string{"local0", "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/0.100", "loop0", `odd "name"\with/escapes é`}
	var ifaces []mib.Interface
	for i, n := range names {
		ifaces = append(ifaces, mib.Interface{SwIfIndex: uint32(i), SupSwIfIndex: uint32(i), Name: n})
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	x0, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, x1, _ := mib.Build(nil, ifaces, nil, x0, now, mib.Options{})
	if err := Save(path, x1); err != nil {
		t.Fatal(err)
	}
	x2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(maps.Collect(x1.All()), maps.Collect(x2.All())) || x2.Len() != len(names) {
		t.Fatalf("loaded %v, saved %v", maps.Collect(x2.All()), maps.Collect(x1.All()))
	}
	// restart with reversed sw_if_index: same numbers, nothing allocated
	for i := range ifaces {
		ifaces[i].SwIfIndex = uint32(len(ifaces) - i)
	}
	_, x3, _ := mib.Build(nil, ifaces, nil, x2, now, mib.Options{})
	if x3 != x2 {
		t.Error("Build allocated for known names")
	}
	for i, n := range names {
		if got, _ := x3.Lookup(n); got != uint32(1000+i) {
			t.Errorf("%s: %d, want %d", n, got, 1000+i)
		}
	}
	// one line per interface, and nothing left beside the file
	b, _ := os.ReadFile(path)
	if got := strings.Count(string(b), "\n"); got != len(names)+2 {
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
	x, err := Load(path)
	if err != nil || x.Len() != 0 {
		t.Fatalf("Load = %d, %v", x.Len(), err)
	}
}

func TestCorrupt(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":   `{"version": 1, "interfaces": [{"ifIndex": 1000, "na`,
		"not json":    "1000 local0\n",
		"version":     `{"version": 2, "interfaces": []}`,
		"no version":  `{"interfaces": []}`,
		"zero index":  `{"version": 1, "interfaces": [{"ifIndex": 0, "name": "a"}]}`,
		"too big":     `{"version": 1, "interfaces": [{"ifIndex": 2147483648, "name": "a"}]}`,
		"negative":    `{"version": 1, "interfaces": [{"ifIndex": -1, "name": "a"}]}`,
		"shared":      `{"version": 1, "interfaces": [{"ifIndex": 5, "name": "a"}, {"ifIndex": 5, "name": "b"}]}`,
		"twice":       `{"version": 1, "interfaces": [{"ifIndex": 5, "name": "a"}, {"ifIndex": 6, "name": "a"}]}`,
		"null entry":  `{"version": 1, "interfaces": [null]}`,
		"empty file":  ``,
		"wrong types": `{"version": "1", "interfaces": {}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ifindex.json")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Load = %v, want ErrCorrupt naming the file", err)
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	// a directory where the file should be: not "missing", not "corrupt"
	_, err := Load(dir)
	if err == nil || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Load(directory) = %v", err)
	}
	// saving into a missing directory fails and leaves nothing
	if err := Save(filepath.Join(dir, "no", "such", "f.json"), nil); err == nil {
		t.Fatal("Save into a missing directory succeeded")
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
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Parse(b)
		if err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "ifindex.json")
		if err := Save(path, x); err != nil {
			t.Fatal(err)
		}
		y, err := Load(path)
		if err != nil {
			t.Fatalf("a parsed map does not load back: %v", err)
		}
		if x.Len() != y.Len() {
			t.Fatalf("%d names saved, %d loaded", x.Len(), y.Len())
		}
		for name, ix := range x.All() {
			if got, ok := y.Lookup(name); !ok || got != ix {
				t.Fatalf("%q: saved %d, loaded %d (%v)", name, ix, got, ok)
			}
		}
	})
}

// TestNonUTF8Names: names with bytes JSON cannot hold (Linux allows them in
// interface names, so af_packet's host-<name> has them) survive a save and
// a load, each with its own ifIndex.
func TestNonUTF8Names(t *testing.T) {
	want := map[string]uint32{"host-\xfe": 1001, "host-\xff": 1002, "host-eth0": 1003}
	x, err := mib.NewIndexes(want)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ifindex.json")
	if err := Save(path, x); err != nil {
		t.Fatal(err)
	}
	y, err := Load(path)
	if err != nil {
		t.Fatalf("loading names that are not UTF-8: %v", err)
	}
	for name, ix := range want {
		if got, ok := y.Lookup(name); !ok || got != ix {
			t.Errorf("%q: got %d (%v), want %d", name, got, ok, ix)
		}
	}
}
