package vppapi

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"

	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/codec"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// fixtureDetails decodes testdata/sw_interface_details.raw.hex (what a real
// VPP 26.06 sent, from the message id on) with govpp's codec.
func fixtureDetails(t *testing.T) []*interfaces.SwInterfaceDetails {
	t.Helper()
	f, err := os.Open("testdata/sw_interface_details.raw.hex")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*interfaces.SwInterfaceDetails
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatal(err)
		}
		if id := int(b[0])<<8 | int(b[1]); id != 155 {
			t.Fatalf("message id %d, want 155 (sw_interface_details)", id)
		}
		d := &interfaces.SwInterfaceDetails{}
		if err := codec.DefaultCodec.DecodeMsg(b, d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonDetail is the capture's own decoding of the same messages.
type jsonDetail struct {
	SwIfIndex        uint32
	SupSwIfIndex     uint32
	L2Address        string
	Flags            uint32
	Type             uint32
	LinkSpeed        uint32
	LinkMtu          uint32
	Mtu              []uint32
	InterfaceName    string
	InterfaceDevType string
	Tag              string
}

// TestFromDetailsFixture maps the 10 real sw_interface_details and checks
// every model.Interface field against the capture's JSON, decoded independently.
func TestFromDetailsFixture(t *testing.T) {
	raw := fixtureDetails(t)
	b, err := os.ReadFile("testdata/sw_interface_details.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []jsonDetail
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 10 || len(want) != 10 {
		t.Fatalf("%d raw, %d json details; want 10 each", len(raw), len(want))
	}
	for i, d := range raw {
		got := fromDetails(d)
		w := want[i]
		mac, err := net.ParseMAC(w.L2Address)
		if err != nil {
			t.Fatal(err)
		}
		exp := model.Interface{
			SwIfIndex:    w.SwIfIndex,
			SupSwIfIndex: w.SupSwIfIndex,
			Name:         w.InterfaceName,
			DevType:      w.InterfaceDevType,
			Sub:          w.Type == 1,
			AdminUp:      w.Flags&1 != 0,
			LinkUp:       w.Flags&2 != 0,
			LinkSpeed:    w.LinkSpeed,
			MTU:          w.Mtu[0],
			LinkMTU:      w.LinkMtu,
			MAC:          [6]byte(mac),
		}
		exp.SetTag(w.Tag)
		if !equalInterface(got, exp) {
			t.Errorf("details %d:\n got %+v %+v\nwant %+v %+v", i, got, got.Extra(), exp, exp.Extra())
		}
	}
}

// TestFromDetailsQuirks pins the 26.06 quirks the IF-MIB mapping relies on,
// as literal values from the capture's README.
func TestFromDetailsQuirks(t *testing.T) {
	raw := fixtureDetails(t)
	by := map[string]model.Interface{}
	for _, d := range raw {
		i := fromDetails(d)
		by[i.Name] = i
	}
	cases := []struct {
		name string
		want model.Interface
	}{
		{"local0", model.Interface{SwIfIndex: 0, SupSwIfIndex: 0, Name: "local0", DevType: "local"}},
		{"host-vpp-veth0", model.WithExtra(model.Interface{SwIfIndex: 1, SupSwIfIndex: 1, Name: "host-vpp-veth0",
			DevType: "af-packet", AdminUp: true, LinkUp: true, MTU: 9000, LinkMTU: 9000, MAC: [6]byte{0x02, 0xfe, 0x03, 0x4f, 0x56, 0x90}},
			model.Extra{Tag: "uplink-to-vppns1"})},
		{"loop0", model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "loop0", DevType: "Loopback", AdminUp: true, LinkUp: true,
			MTU: 9000, LinkMTU: 9000, MAC: [6]byte{0xde, 0xad}}},
		{"memif1/0", model.Interface{SwIfIndex: 5, SupSwIfIndex: 5, Name: "memif1/0", DevType: "memif", AdminUp: true,
			MTU: 9000, LinkMTU: 9000, MAC: [6]byte{0x02, 0xfe, 0x22, 0x4b, 0xa3, 0xcd}}},
		{"gre0", model.Interface{SwIfIndex: 7, SupSwIfIndex: 7, Name: "gre0", DevType: "GRE tunnel device", AdminUp: true, LinkUp: true,
			MTU: 9000, LinkMTU: 65512}},
		{"host-vpp-veth0.100", model.Interface{SwIfIndex: 8, SupSwIfIndex: 1, Name: "host-vpp-veth0.100", DevType: "af-packet", Sub: true,
			AdminUp: true, LinkUp: true, MTU: 1500, LinkMTU: 9000}},
		// Admin down, link up (from its parent), L3 MTU unset.
		{"host-vpp-veth0.200", model.Interface{SwIfIndex: 9, SupSwIfIndex: 1, Name: "host-vpp-veth0.200", DevType: "af-packet", Sub: true,
			LinkUp: true, MTU: 0, LinkMTU: 9000}},
	}
	for _, c := range cases {
		got, ok := by[c.name]
		if !ok {
			t.Errorf("%s missing", c.name)
			continue
		}
		if !equalInterface(got, c.want) {
			t.Errorf("%s:\n got %+v %+v\nwant %+v %+v", c.name, got, got.Extra(), c.want, c.want.Extra())
		}
	}
}

// TestEventFromFixture maps the six real sw_interface_event frames.
func TestEventFromFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/want_interface_events.txt")
	if err != nil {
		t.Fatal(err)
	}
	var got []Event
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec struct {
			RawHex string `json:"raw_hex"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		raw, err := hex.DecodeString(rec.RawHex)
		if err != nil {
			t.Fatal(err)
		}
		e := &interfaces.SwInterfaceEvent{}
		if err := codec.DefaultCodec.DecodeMsg(raw, e); err != nil {
			t.Fatal(err)
		}
		got = append(got, eventFrom(e, 0))
	}
	want := []Event{
		{Kind: InterfaceChanged, SwIfIndex: 3},
		{Kind: InterfaceChanged, SwIfIndex: 3, AdminUp: true, LinkUp: true},
		{Kind: InterfaceChanged, SwIfIndex: 2},
		{Kind: InterfaceChanged, SwIfIndex: 2, AdminUp: true, LinkUp: true},
		{Kind: InterfaceChanged, SwIfIndex: 10},
		{Kind: InterfaceChanged, SwIfIndex: 10, Deleted: true},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestAssembleBondsAndLCP(t *testing.T) {
	ifs := []model.Interface{
		{SwIfIndex: 1, AdminUp: true, LinkUp: true},  // member of rr bond 10, up
		{SwIfIndex: 2, AdminUp: true, LinkUp: false}, // member of rr bond 10, link down
		{SwIfIndex: 3, AdminUp: true, LinkUp: true},  // member of LACP bond 11, collecting-distributing
		{SwIfIndex: 4, AdminUp: true, LinkUp: true},  // member of LACP bond 11, still attached
		{SwIfIndex: 10, AdminUp: true, LinkUp: true},
		{SwIfIndex: 11, AdminUp: true, LinkUp: true},
		{SwIfIndex: 12}, // tap of the lcp pair
	}
	bonds := []bondInfo{
		{swIfIndex: 10, members: []uint32{1, 2}},
		{swIfIndex: 11, lacp: true, members: []uint32{3, 4}},
		{swIfIndex: 99, members: []uint32{1}}, // vanished bond: ignored
	}
	mux := map[uint32]uint32{3: 3, 4: 2}
	pairs := []lcpPair{{phy: 10, host: 12, hostName: "be0"}, {phy: 77, host: 78, hostName: "gone"}}
	assemble(ifs, bonds, mux, pairs)

	check := func(i int, want []model.BondMember) {
		t.Helper()
		got := ifs[i].BondMembers()
		if len(got) != len(want) {
			t.Fatalf("sw %d members %+v, want %+v", ifs[i].SwIfIndex, got, want)
		}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("sw %d members %+v, want %+v", ifs[i].SwIfIndex, got, want)
			}
		}
	}
	check(4, []model.BondMember{{SwIfIndex: 1, Active: true}, {SwIfIndex: 2, Active: false}})
	check(5, []model.BondMember{{SwIfIndex: 3, Active: true}, {SwIfIndex: 4, Active: false}})
	check(0, nil)
	if ifs[4].LCPHostName() != "be0" || ifs[4].LCPHostSwIfIndex() != 12 {
		t.Errorf("bond 10 lcp = %q/%d, want be0/12", ifs[4].LCPHostName(), ifs[4].LCPHostSwIfIndex())
	}
	if ifs[6].LCPHostName() != "" {
		t.Errorf("the tap side got a host name %q", ifs[6].LCPHostName())
	}

	// Without the lacp plugin, LACP members count as active when admin and
	// link are up.
	ifs2 := []model.Interface{{SwIfIndex: 3, AdminUp: true, LinkUp: true}, {SwIfIndex: 4, AdminUp: true}, {SwIfIndex: 11}}
	assemble(ifs2, []bondInfo{{swIfIndex: 11, lacp: true, members: []uint32{3, 4}}}, nil, nil)
	if m := ifs2[2].BondMembers(); len(m) != 2 || !m[0].Active || m[1].Active {
		t.Errorf("LACP fallback members %+v, want 3 active, 4 not", m)
	}
}

func equalInterface(a, b model.Interface) bool {
	return reflect.DeepEqual(a, b)
}
