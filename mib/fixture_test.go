package mib

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppfixture"
)

// The real VPP 26.06 capture (see testdata/README.md).
const detailsFile = "testdata/sw_interface_details.json"

// loadDetails parses govpp's SwInterfaceDetails as captured into the
// Interfaces vppapi would produce.
func loadDetails(t testing.TB) []model.Interface {
	t.Helper()
	b, err := os.ReadFile(detailsFile)
	if err != nil {
		t.Fatal(err)
	}
	var raw []struct {
		SwIfIndex, SupSwIfIndex uint32
		L2Address               string
		Flags                   uint32
		Type                    uint32
		LinkSpeed, LinkMtu      uint32
		LinkDuplex              uint32
		Mtu                     []uint32
		InterfaceName           string
		InterfaceDevType        string
		Tag                     string
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("parsing %s: %v", detailsFile, err)
	}
	out := make([]model.Interface, len(raw))
	for i, r := range raw {
		in := model.Interface{
			SwIfIndex: r.SwIfIndex, SupSwIfIndex: r.SupSwIfIndex,
			Name: r.InterfaceName, DevType: r.InterfaceDevType,
			Sub:     r.Type == 1, // IF_API_TYPE_SUB
			AdminUp: r.Flags&1 != 0, LinkUp: r.Flags&2 != 0,
			LinkSpeed: r.LinkSpeed, LinkMTU: r.LinkMtu, Duplex: model.Duplex(r.LinkDuplex),
		}
		in.SetTag(r.Tag)
		if len(r.Mtu) > 0 {
			in.MTU = r.Mtu[0]
		}
		parts := strings.Split(r.L2Address, ":")
		if len(parts) != 6 {
			t.Fatalf("%s: bad L2Address %q", r.InterfaceName, r.L2Address)
		}
		for k, p := range parts {
			v, err := strconv.ParseUint(p, 16, 8)
			if err != nil {
				t.Fatalf("%s: bad L2Address %q", r.InterfaceName, r.L2Address)
			}
			in.MAC[k] = byte(v)
		}
		out[i] = in
	}
	return out
}

// loadCounters is the capture's counters, indexed by sw_if_index.
func loadCounters(t testing.TB) []model.Counters {
	t.Helper()
	_, cs := vppfixture.Counters[model.Counters](t)
	return cs
}

// fakeClock is a master whose sysUpTime started at start.
type fakeClock struct{ start time.Time }

func (c fakeClock) Ticks(t time.Time) uint32 {
	if t.Before(c.start) {
		return 0
	}
	return uint32(t.Sub(c.start) / (10 * time.Millisecond))
}

// t0 is when the fixture was captured; the fake master started 100 s before.
var (
	t0    = time.Date(2026, 11, 21, 23, 48, 29, 0, time.UTC)
	clock = fakeClock{start: t0.Add(-100 * time.Second)}
)

// fixtureSnapshot is the first Build of the real capture.
func fixtureSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	s, _, tr := Build(nil, loadDetails(t), loadCounters(t), nil, t0, Options{Clock: clock})
	if len(tr) != 0 {
		t.Fatalf("first build reported transitions: %v", tr)
	}
	return s
}

// oid parses a dotted OID.
func oid(t testing.TB, s string) agentx.OID {
	t.Helper()
	var o agentx.OID
	for _, p := range strings.Split(strings.TrimPrefix(s, "."), ".") {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			t.Fatalf("bad OID %q", s)
		}
		o = append(o, uint32(v))
	}
	return o
}

func oidString(o agentx.OID) string {
	var b strings.Builder
	for i, v := range o {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return b.String()
}

// format renders a value as snmpwalk -On would.
func format(v agentx.Value) string {
	switch v.Type {
	case agentx.TypeInteger:
		return fmt.Sprintf("INTEGER: %d", int32(v.Integer))
	case agentx.TypeOctetString:
		printable := true
		for _, c := range v.Bytes {
			if c < 0x20 || c > 0x7e {
				printable = false
			}
		}
		if printable {
			return fmt.Sprintf("STRING: %q", v.Bytes)
		}
		return fmt.Sprintf("Hex-STRING: % X", v.Bytes)
	case agentx.TypeObjectIdentifier:
		return "OID: ." + oidString(v.OID)
	case agentx.TypeCounter32:
		return fmt.Sprintf("Counter32: %d", v.Integer)
	case agentx.TypeGauge32:
		return fmt.Sprintf("Gauge32: %d", v.Integer)
	case agentx.TypeTimeTicks:
		return fmt.Sprintf("Timeticks: (%d)", v.Integer)
	case agentx.TypeCounter64:
		return fmt.Sprintf("Counter64: %d", v.Integer)
	case agentx.TypeIPAddress:
		if len(v.Bytes) == 4 {
			return fmt.Sprintf("IpAddress: %d.%d.%d.%d", v.Bytes[0], v.Bytes[1], v.Bytes[2], v.Bytes[3])
		}
	}
	return fmt.Sprintf("type %d", v.Type)
}

func sameValue(a, b agentx.Value) bool {
	return a.Type == b.Type && a.Integer == b.Integer && string(a.Bytes) == string(b.Bytes) && a.OID.Compare(b.OID) == 0
}
