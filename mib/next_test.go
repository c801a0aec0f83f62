package mib

import (
	"testing"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
)

func TestNextEdges(t *testing.T) {
	s := fixtureSnapshot(t)
	cases := []struct {
		from    string
		include bool
		want    string // "" for the end of the view
	}{
		{"0", false, "1.3.6.1.2.1.2.1.0"},
		{"1.3.6.1.2.1.2", false, "1.3.6.1.2.1.2.1.0"},
		{"1.3.6.1.2.1.2.1", false, "1.3.6.1.2.1.2.1.0"},
		{"1.3.6.1.2.1.2.1.0", true, "1.3.6.1.2.1.2.1.0"},
		{"1.3.6.1.2.1.2.1.0", false, "1.3.6.1.2.1.2.2.1.1.1000"},
		{"1.3.6.1.2.1.2.1.0.5", true, "1.3.6.1.2.1.2.2.1.1.1000"},
		{"1.3.6.1.2.1.2.2", false, "1.3.6.1.2.1.2.2.1.1.1000"},
		{"1.3.6.1.2.1.2.2.0", false, "1.3.6.1.2.1.2.2.1.1.1000"},
		{"1.3.6.1.2.1.2.2.1.0", false, "1.3.6.1.2.1.2.2.1.1.1000"},
		{"1.3.6.1.2.1.2.2.1.5", false, "1.3.6.1.2.1.2.2.1.5.1000"},
		{"1.3.6.1.2.1.2.2.1.5.1003", false, "1.3.6.1.2.1.2.2.1.5.1004"},
		{"1.3.6.1.2.1.2.2.1.5.1003", true, "1.3.6.1.2.1.2.2.1.5.1003"},
		{"1.3.6.1.2.1.2.2.1.5.1003.0", true, "1.3.6.1.2.1.2.2.1.5.1004"},
		{"1.3.6.1.2.1.2.2.1.5.999", true, "1.3.6.1.2.1.2.2.1.5.1000"},
		{"1.3.6.1.2.1.2.2.1.5.4294967295", false, "1.3.6.1.2.1.2.2.1.6.1000"},
		{"1.3.6.1.2.1.2.2.1.22.1009", false, "1.3.6.1.2.1.31.1.1.1.1.1000"},
		{"1.3.6.1.2.1.2.2.1.23", false, "1.3.6.1.2.1.31.1.1.1.1.1000"},
		{"1.3.6.1.2.1.2.2.2", false, "1.3.6.1.2.1.31.1.1.1.1.1000"},
		{"1.3.6.1.2.1.2.3", false, "1.3.6.1.2.1.31.1.1.1.1.1000"},
		{"1.3.6.1.2.1.31.1.1.1.19.1009", false, "1.3.6.1.2.1.31.1.2.1.3.0.1000"},
		{"1.3.6.1.2.1.31.1.2.1.1", false, "1.3.6.1.2.1.31.1.2.1.3.0.1000"},
		{"1.3.6.1.2.1.31.1.2.1.3.0", false, "1.3.6.1.2.1.31.1.2.1.3.0.1000"},
		{"1.3.6.1.2.1.31.1.2.1.3.0.1000", false, "1.3.6.1.2.1.31.1.2.1.3.0.1002"},
		{"1.3.6.1.2.1.31.1.2.1.3.0.1000", true, "1.3.6.1.2.1.31.1.2.1.3.0.1000"},
		{"1.3.6.1.2.1.31.1.2.1.3.0.1000.1", true, "1.3.6.1.2.1.31.1.2.1.3.0.1002"},
		{"1.3.6.1.2.1.31.1.2.1.3.1007", false, "1.3.6.1.2.1.31.1.2.1.3.1007.0"},
		{"1.3.6.1.2.1.31.1.2.1.3.1008", true, "1.3.6.1.2.1.31.1.2.1.3.1008.1001"},
		{"1.3.6.1.2.1.31.1.2.1.3.1009.1001", false, "1.3.6.1.2.1.31.1.5.0"},
		{"1.3.6.1.2.1.31.1.2.1.4", false, "1.3.6.1.2.1.31.1.5.0"},
		{"1.3.6.1.2.1.31.1.3", false, "1.3.6.1.2.1.31.1.5.0"},
		{"1.3.6.1.2.1.31.1.5.0", false, "1.3.6.1.2.1.31.1.6.0"},
		{"1.3.6.1.2.1.31.1.6", false, "1.3.6.1.2.1.31.1.6.0"},
		{"1.3.6.1.2.1.31.1.6.0", true, "1.3.6.1.2.1.31.1.6.0"},
		{"1.3.6.1.2.1.31.1.6.0", false, ""},
		{"1.3.6.1.2.1.31.2", false, ""},
		{"2", false, ""},
	}
	for _, c := range cases {
		name, v, ok := s.Next(make(agentx.OID, 0, 20), oid(t, c.from), c.include)
		got := ""
		if ok {
			got = oidString(name)
		} else if v.Type != agentx.TypeEndOfMIBView {
			t.Errorf("Next(%s) at the end: type %d", c.from, v.Type)
		}
		if got != c.want {
			t.Errorf("Next(%s, include=%v) = %q, want %q", c.from, c.include, got, c.want)
		}
	}
}

func TestGetExceptions(t *testing.T) {
	s := fixtureSnapshot(t)
	cases := []struct {
		name string
		want agentx.VarType
	}{
		{"1.3.6.1.2.1.2.1.0", agentx.TypeInteger},
		{"1.3.6.1.2.1.2.1", agentx.TypeNoSuchInstance},
		{"1.3.6.1.2.1.2.1.1", agentx.TypeNoSuchInstance},
		{"1.3.6.1.2.1.2.2", agentx.TypeNoSuchObject},
		{"1.3.6.1.2.1.2.2.1", agentx.TypeNoSuchObject},
		{"1.3.6.1.2.1.2.2.1.23.1000", agentx.TypeNoSuchObject},
		{"1.3.6.1.2.1.2.2.1.2", agentx.TypeNoSuchInstance},
		{"1.3.6.1.2.1.2.2.1.2.1", agentx.TypeNoSuchInstance},
		{"1.3.6.1.2.1.2.2.1.2.1000.0", agentx.TypeNoSuchInstance},
		{"1.3.6.1.2.1.2.2.1.2.1000", agentx.TypeOctetString},
		{"1.3.6.1.2.1.31.1.1.1.20.1000", agentx.TypeNoSuchObject},
		{"1.3.6.1.2.1.31.1.2.1.1.0.1000", agentx.TypeNoSuchObject}, // not-accessible index column
		{"1.3.6.1.2.1.31.1.2.1.3.0.1000", agentx.TypeInteger},
		{"1.3.6.1.2.1.31.1.2.1.3.0.1001", agentx.TypeNoSuchInstance}, // veth0 has subs above
		{"1.3.6.1.2.1.31.1.2.1.3.1008.1001", agentx.TypeInteger},
		{"1.3.6.1.2.1.31.1.5.0", agentx.TypeTimeTicks},
		{"1.3.6.1.2.1.31.1.6.0", agentx.TypeTimeTicks},
		{"1.3.6.1.2.1.31.1.3.0", agentx.TypeNoSuchObject},
		{"1.3.6.1.2.1.1.1.0", agentx.TypeNoSuchObject},
		{"0", agentx.TypeNoSuchObject},
	}
	for _, c := range cases {
		if got := s.Get(oid(t, c.name)).Type; got != c.want {
			t.Errorf("Get(%s) type %d, want %d", c.name, got, c.want)
		}
	}
	if v := s.Get(nil); v.Type != agentx.TypeNoSuchObject {
		t.Errorf("Get(nil) type %d", v.Type)
	}
}

// TestNilAndEmpty: a nil or empty snapshot serves the scalars only.
func TestNilAndEmpty(t *testing.T) {
	var nilSnap *Snapshot
	empty, _, _ := Build(nil, nil, nil, nil, t0, Options{})
	for _, s := range []*Snapshot{nilSnap, empty} {
		if v := s.Get(oid(t, "1.3.6.1.2.1.2.1.0")); v.Type != agentx.TypeInteger || v.Integer != 0 {
			t.Errorf("ifNumber.0 = %s", format(v))
		}
		name, _, ok := s.Next(nil, oid(t, "1.3.6.1.2.1.2.1.0"), false)
		if !ok || oidString(name) != "1.3.6.1.2.1.31.1.5.0" {
			t.Errorf("Next after ifNumber.0 = %s %v", oidString(name), ok)
		}
	}
	if nilSnap.WithCounters(nil, t0) != nil {
		t.Error("nil.WithCounters is not nil")
	}
}

// TestNoAllocs: Get and Next allocate nothing (testing.AllocsPerRun, not
// timing).
func TestNoAllocs(t *testing.T) {
	s := fixtureSnapshot(t)
	names := []agentx.OID{
		oid(t, "1.3.6.1.2.1.2.2.1.2.1005"), oid(t, "1.3.6.1.2.1.31.1.1.1.6.1001"),
		oid(t, "1.3.6.1.2.1.2.2.1.9.1001"), oid(t, "1.3.6.1.2.1.31.1.2.1.3.1008.1001"),
		oid(t, "1.3.6.1.2.1.31.1.5.0"), oid(t, "1.3.6.1.2.1.2.2.1.22.1000"),
	}
	dst := make(agentx.OID, 0, 32)
	n := testing.AllocsPerRun(100, func() {
		for _, name := range names {
			s.Get(name)
			dst, _, _ = s.Next(dst, name, false)
		}
	})
	if n != 0 {
		t.Errorf("Get+Next allocate %.1f times per run", n)
	}
}
