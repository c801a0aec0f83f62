package mib

import (
	"strings"
	"testing"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// netSNMPType is the type label net-snmp's tools print for v, with the two
// spellings of OCTET STRING (and the untyped empty string) made one.
func netSNMPType(v agentx.Value) string {
	if v.Type == agentx.TypeOctetString {
		return "STRING"
	}
	return strings.SplitN(format(v), ":", 2)[0]
}

// TestColumnsMatchSnmpd walks the real snmpd's own ifTable and ifXTable
// (Debian's net-snmp 5.9.3, serving this machine's Linux interfaces) and
// checks that this package serves exactly the same columns with the same
// SNMP types: the SMI types of IF-MIB as net-snmp implements them.
func TestColumnsMatchSnmpd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts snmpd")
	}
	d := snmpdtest.Start(t, snmpdtest.Options{BuiltinIFMIB: true})
	s := fixtureSnapshot(t)
	for _, table := range []struct {
		name  string
		entry agentx.OID
		cols  uint32
	}{
		{"ifTable", oidIfEntry, 22},
		{"ifXTable", oidIfXEntry, 19},
	} {
		theirs := map[uint32]string{}
		for _, l := range d.Walk(t, "."+oidString(table.entry)) {
			o := oid(t, l.OID)
			if !o.HasPrefix(table.entry) || len(o) != len(table.entry)+2 {
				t.Fatalf("%s: unexpected line %s", table.name, l)
			}
			typ := l.Type
			if typ == "" && l.Value == `""` || typ == "Hex-STRING" {
				typ = "STRING"
			}
			col := o[len(table.entry)]
			if prev, ok := theirs[col]; ok && prev != typ {
				t.Fatalf("snmpd serves column %d as both %s and %s", col, prev, typ)
			}
			theirs[col] = typ
		}
		if len(theirs) == 0 {
			t.Fatalf("snmpd served no %s", table.name)
		}
		for col := uint32(1); col <= table.cols; col++ {
			ours := netSNMPType(s.Get(append(append(agentx.OID(nil), table.entry...), col, 1001)))
			want, ok := theirs[col]
			switch {
			case !ok:
				// snmpd leaves out a column only when it has no data for it
				t.Logf("%s column %d: snmpd serves none; we serve %s", table.name, col, ours)
			case ours != want:
				t.Errorf("%s column %d: we serve %s, snmpd serves %s", table.name, col, ours, want)
			}
		}
		for col := range theirs {
			if col < 1 || col > table.cols {
				t.Errorf("snmpd serves %s column %d, which we do not", table.name, col)
			}
		}
	}
	l := d.Walk(t, ".1.3.6.1.2.1.2.1")
	if len(l) != 1 || l[0].Type != netSNMPType(s.Get(oid(t, "1.3.6.1.2.1.2.1.0"))) {
		t.Errorf("ifNumber: snmpd %v", l)
	}
}
