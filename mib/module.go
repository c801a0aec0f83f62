package mib

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// module is one MIB module: the objects it serves and how it builds its
// rows. Each is declared in its own file and registered from its init;
// IF-MIB is the base the others join by ifIndex, built by Build itself.
type module struct {
	name    string // as --mibs names it: "if", "ip", "etherlike"
	mib     string // e.g. "IP-MIB (RFC 4293)"
	objects []object
	// build returns the module's data for b.s (nil: no rows), from b.src
	// and the interfaces already in b.s. nil for IF-MIB.
	build func(b *builder) any
	id    int // position in modules, and of its data in Snapshot.parts
}

// modules is every module, registered at init and sorted by name; nothing
// writes it afterwards.
var modules []*module

func register(m *module) *module {
	for _, o := range m.objects {
		if p, ok := o.(interface{ prepare() }); ok {
			p.prepare()
		}
	}
	modules = append(modules, m)
	slices.SortFunc(modules, func(a, b *module) int { return strings.Compare(a.name, b.name) })
	for i, m := range modules {
		m.id = i
	}
	return m
}

func moduleNamed(name string) *module {
	for _, m := range modules {
		if m.name == name {
			return m
		}
	}
	return nil
}

// MIBs returns the name of every module (what --mibs accepts), sorted.
func MIBs() []string {
	out := make([]string, len(modules))
	for i, m := range modules {
		out[i] = m.name
	}
	return out
}

// CheckMIBs reports a name that is no module's.
func CheckMIBs(names []string) error {
	for _, n := range names {
		if moduleNamed(n) == nil {
			return fmt.Errorf("unknown MIB %q (known: %s)", n, strings.Join(MIBs(), ", "))
		}
	}
	return nil
}

// served returns the modules named (IF-MIB alone for none), in registration
// order, and their objects merged in OID order.
func served(names []string) ([]*module, []object) {
	if len(names) == 0 {
		names = []string{"if"}
	}
	var ms []*module
	var objs []object
	for _, m := range modules {
		if slices.Contains(names, m.name) {
			ms = append(ms, m)
			objs = append(objs, m.objects...)
		}
	}
	slices.SortFunc(objs, func(a, b object) int { return a.oid().Compare(b.oid()) })
	return ms, objs
}

// Subtrees returns the subtrees to register with the master for the MIB
// modules named (IF-MIB alone for none), in OID order: each object, as
// specific as snmpd's own registration of it, since the most specific
// registration wins before priority (a broader 1.3.6.1.2.1.2 would get
// nothing).
func Subtrees(mibs ...string) []agentx.OID {
	_, objs := served(mibs)
	var out []agentx.OID
	for _, o := range objs {
		for _, r := range o.registrations() {
			out = append(out, append(agentx.OID(nil), r...))
		}
	}
	return out
}

// Objects lists the served columns and scalars of the MIB modules named
// (IF-MIB alone for none), in OID order: the mapping the README documents.
func Objects(mibs ...string) []Column {
	_, objs := served(mibs)
	var out []Column
	for _, o := range objs {
		out = append(out, o.doc()...)
	}
	return out
}

// Sources are what the modules other than IF-MIB are built from, joined to
// the interfaces by sw_if_index: they must come from the same API
// connection as the interfaces of the snapshot they go into.
type Sources struct {
	Addresses []model.Address
	Neighbors []model.Neighbor
}

// builder is what a module's build gets.
type builder struct {
	s, prev *Snapshot // prev: the snapshot s follows (never nil)
	src     *Sources  // never nil
	// first: no sources were given before these (WithSources), so nothing
	// in them is a change since the agent started.
	first bool
	// sameJoin: the sources and the rows' ifIndex and sw_if_index are
	// prev's, so a module built from nothing else may keep prev's data.
	sameJoin bool
	now      time.Time
}

// ifRow returns the IF-MIB row of sw_if_index sw in b.s.
func (b *builder) ifRow(sw uint32) (int, bool) { return b.s.bySw.find(sw) }

// prevData returns m's data in the previous snapshot, nil when none.
func prevData[D any](b *builder, m *module) *D {
	if m.id >= len(b.prev.parts) {
		return nil
	}
	d, _ := b.prev.parts[m.id].(*D)
	return d
}

// dataOf returns m's data in s, nil when none.
func dataOf[D any](s *Snapshot, m *module) *D {
	if m.id >= len(s.parts) {
		return nil
	}
	d, _ := s.parts[m.id].(*D)
	return d
}
