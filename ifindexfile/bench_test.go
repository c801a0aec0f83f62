package ifindexfile

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
)

// benchRegistry is a map of n names as a large router has them: physical
// ports and their sub-interfaces, each last seen, and a few tombstones.
func benchRegistry(b *testing.B, n int) *ifindex.Registry {
	b.Helper()
	recs := make([]ifindex.Record, n)
	for i := range recs {
		recs[i] = ifindex.Record{
			Name:     fmt.Sprintf("TenGigabitEthernet%d/0/%d.%d", i/4000, i/1000%4, i%1000),
			IfIndex:  uint32(1000 + i),
			LastSeen: t0.Add(time.Duration(i) * time.Second),
		}
	}
	var tombs []ifindex.Tombstone
	for i := range n / 100 {
		tombs = append(tombs, ifindex.Tombstone{IfIndex: uint32(1000 + n + i), Forgotten: t0})
	}
	x, err := ifindex.NewFrom(recs, tombs)
	if err != nil {
		b.Fatal(err)
	}
	return x
}

// BenchmarkSave: saving 100,000 names over the file the previous save
// wrote, as the agent does each time its map changes: with one Store (the
// agent's way) and with Save (which reads the old file back each time).
func BenchmarkSave(b *testing.B) {
	x := benchRegistry(b, 100_000)
	for _, name := range []string{"Store", "Save"} {
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "ifindex.json")
			s := NewStore(path)
			save := s.Save
			if name == "Save" {
				save = func(x *ifindex.Registry) error { return Save(path, x) }
			}
			if err := save(x); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := save(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
