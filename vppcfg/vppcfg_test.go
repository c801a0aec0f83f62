package vppcfg

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	got, err := Load("testdata/router.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"BondEthernet0":                    "Bond described under interfaces", // interfaces wins
		"BondEthernet0.10":                 "VLAN 10 over the LAG",
		"GigabitEthernet3/0/0":             "LAG member 1",
		"GigabitEthernet3/0/1":             "LAG member 2",
		"HundredGigabitEthernet12/0/0":     "Transit: Example Networks (AS64500)",
		"HundredGigabitEthernet12/0/0.100": "Customer A",
		"loop0":                            "Router ID",
		"vxlan_tunnel1":                    "VXLAN to the lab",
		"tap100":                           "12345", // a YAML number is still text here
	}
	if !maps.Equal(got, want) {
		t.Errorf("Load:\n got %v\nwant %v", got, want)
	}
}

func TestEmptyAndUnknown(t *testing.T) {
	for _, doc := range []string{"", "# nothing\n", "interfaces:\n", "unknown: [1, 2]\nprefixlists: {}\n", "interfaces:\n  Te0:\n    mtu: 9000\n"} {
		m, err := Parse([]byte(doc))
		if err != nil || len(m) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want empty", doc, m, err)
		}
	}
}

func TestBadYAML(t *testing.T) {
	for name, doc := range map[string]string{
		"syntax":          "interfaces:\n  Te0: [\n",
		"tabs":            "interfaces:\n\tTe0:\n",
		"list not map":    "interfaces: [a, b]\n",
		"descr is a map":  "loopbacks:\n  loop0:\n    description: {a: b}\n",
		"subs not a map":  "interfaces:\n  Te0:\n    sub-interfaces: 5\n",
		"top is a string": "just text",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vppcfg.yaml")
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("Load = %v, want an error naming the file", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("Load(missing) succeeded")
	}
}

// FuzzParse: bytes from outside never panic, and what comes out is usable
// as an ifAlias map (non-empty names and descriptions).
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("interfaces:\n  a: &x {description: d, sub-interfaces: {1: *x}}\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		for k, v := range m {
			if k == "" || v == "" {
				t.Fatalf("empty name or description: %q=%q", k, v)
			}
		}
		m2, _ := Parse(b)
		if !maps.Equal(m, m2) {
			t.Fatal("Parse is not deterministic")
		}
	})
}
