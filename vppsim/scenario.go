package vppsim

import (
	"bytes"
	_ "embed" // the default scenario
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// defaultRouter is the scenario used when none is given (make demo).
//
//go:embed default-router.yaml
var defaultRouter []byte

// Scenario is what the simulated VPP is configured with at start (and again
// after each restart): its interfaces, in creation order.
type Scenario struct {
	Interfaces []IfConfig `yaml:"interfaces"`
}

// IfConfig is one interface of a scenario.
type IfConfig struct {
	Name string `yaml:"name"` // required for ports; derived for the others when empty
	// Kind: dpdk (default), af-packet, memif, sub (dot1q/qinq), loopback,
	// bond, tap (linux-cp), vxlan, gre.
	Kind      string `yaml:"kind"`
	Parent    string `yaml:"parent"`     // sub: the parent; tap: the linux-cp phy
	SubID     uint32 `yaml:"sub_id"`     // sub: default vlan
	Vlan      uint16 `yaml:"vlan"`       // sub: outer VLAN, default sub_id
	InnerVlan uint16 `yaml:"inner_vlan"` // sub: QinQ inner VLAN
	// Speed of a port: 10G, 25G, 40G, 100G, 1G, 100M or kbit/s.
	Speed string `yaml:"speed"`
	MTU   uint32 `yaml:"mtu"` // L3 MTU
	MAC   string `yaml:"mac"`
	Tag   string `yaml:"tag"`
	State string `yaml:"state"` // admin state: up (default) or down
	Link  string `yaml:"link"`  // carrier of a port or memif: up (default) or down
	Bond  string `yaml:"bond"`  // the bond this port is a member of
	// BondMode: lacp (default), round-robin, active-backup, xor, broadcast;
	// BondLB: l2, l34 (default), l23.
	BondMode  string   `yaml:"bond_mode"`
	BondLB    string   `yaml:"bond_lb"`
	HostName  string   `yaml:"host_name"` // tap: the Linux interface name
	Netns     string   `yaml:"netns"`     // tap: the Linux namespace
	Addresses []string `yaml:"addresses"` // prefixes, e.g. 192.0.2.1/24
	// Neighbors are IP neighbours on the interface: static ones from the
	// start, dynamic ones while the interface passes traffic.
	Neighbors     []NeighborConfig `yaml:"neighbors"`
	Rates         Rates            `yaml:"rates"`
	DetailedStats bool             `yaml:"detailed_stats"`
}

// NeighborConfig is one IP neighbour of a scenario's interface.
type NeighborConfig struct {
	IP     string `yaml:"ip"`
	MAC    string `yaml:"mac"`
	Static bool   `yaml:"static"`
}

// ParseScenario reads a YAML scenario. Unknown fields are an error, so that
// a typo does not go unnoticed.
func ParseScenario(r io.Reader) (*Scenario, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decoding scenario: %w", err)
	}
	if _, err := sc.plan(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// LoadScenario reads a YAML scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	sc, err := ParseScenario(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return sc, nil
}

// DefaultScenario is "a realistic router": 4 x 10G and 2 x 100G dpdk ports
// (one without carrier, one admin down), dot1q and QinQ sub-interfaces, a
// LACP bond of two ports with a sub-interface, two loopbacks, two linux-cp
// taps, a VXLAN and a GRE tunnel, with traffic on most of them.
func DefaultScenario() *Scenario {
	sc, err := ParseScenario(bytes.NewReader(defaultRouter))
	if err != nil {
		// The embedded scenario is checked by the tests.
		panic(fmt.Sprintf("vppsim: embedded default scenario: %v", err))
	}
	return sc
}

// planned is one interface to create: the model's spec plus what is applied
// once every interface exists.
type planned struct {
	spec    ifaceSpec
	adminUp bool
	bond    string
	// root is true for interfaces that depend on no other: their creation
	// order changes from one restart to the next.
	root bool
}

func parseSpeed(s string) (uint32, error) {
	if s == "" {
		return 0, nil
	}
	mult := uint64(1)
	u := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(u, "G"):
		mult, u = 1000000, strings.TrimSuffix(u, "G")
	case strings.HasSuffix(u, "M"):
		mult, u = 1000, strings.TrimSuffix(u, "M")
	}
	n, err := strconv.ParseUint(u, 10, 32)
	if err != nil || n*mult > 1<<32-1 {
		return 0, fmt.Errorf("bad speed %q (want e.g. 10G, 100G, 100M or kbit/s)", s)
	}
	return uint32(n * mult), nil
}

func parseUpDown(s, def string) (bool, error) {
	if s == "" {
		s = def
	}
	switch s {
	case "up":
		return true, nil
	case "down":
		return false, nil
	}
	return false, fmt.Errorf("bad state %q (want up or down)", s)
}

var bondModes = map[string]uint32{"round-robin": 1, "active-backup": 2, "xor": 3, "broadcast": 4, "lacp": 5}
var bondLBs = map[string]uint32{"l2": 0, "l34": 1, "l23": 2}

// plan checks a scenario and turns it into specs.
func (sc *Scenario) plan() ([]planned, error) {
	var out []planned
	names := map[string]bool{"local0": true}
	for i, c := range sc.Interfaces {
		where := fmt.Sprintf("interface %d (%s)", i+1, c.Name)
		if c.Name == "local0" {
			continue // always there, index 0
		}
		kind := KindDPDK
		if c.Kind != "" {
			k, err := parseKind(c.Kind)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			kind = k
		}
		if kind == KindLocal {
			return nil, fmt.Errorf("%s: local0 cannot be configured", where)
		}
		speed, err := parseSpeed(c.Speed)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		admin, err := parseUpDown(c.State, "up")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		carrier, err := parseUpDown(c.Link, "up")
		if err != nil {
			return nil, fmt.Errorf("%s: link: %w", where, err)
		}
		p := planned{adminUp: admin, bond: c.Bond, root: true}
		sp := ifaceSpec{
			Name: c.Name, Kind: kind, Speed: speed, MTU: c.MTU, Tag: c.Tag,
			Rates: c.Rates, Detailed: c.DetailedStats, Carrier: carrier,
			HostName: c.HostName, Netns: c.Netns,
		}
		if len(c.Tag) >= 64 {
			return nil, fmt.Errorf("%s: tag longer than VPP's 63 bytes", where)
		}
		if c.MAC != "" {
			hw, err := net.ParseMAC(c.MAC)
			if err != nil || len(hw) != 6 {
				return nil, fmt.Errorf("%s: bad mac %q", where, c.MAC)
			}
			var mac [6]byte
			copy(mac[:], hw)
			sp.MAC = &mac
		}
		for _, a := range c.Addresses {
			pfx, err := netip.ParsePrefix(a)
			if err != nil {
				return nil, fmt.Errorf("%s: bad address: %w", where, err)
			}
			sp.Addresses = append(sp.Addresses, pfx)
		}
		for _, n := range c.Neighbors {
			a, err := netip.ParseAddr(n.IP)
			hw, merr := net.ParseMAC(n.MAC)
			if err != nil || merr != nil || len(hw) != 6 {
				return nil, fmt.Errorf("%s: bad neighbor %s %s", where, n.IP, n.MAC)
			}
			sp.Neighbors = append(sp.Neighbors, Neighbor{IP: a, MAC: [6]byte(hw), Static: n.Static})
		}
		switch kind {
		case KindDPDK, KindAfPacket, KindMemif:
			if c.Name == "" {
				return nil, fmt.Errorf("%s: a %s port needs a name", where, kind)
			}
		case KindSub:
			if c.Parent == "" {
				return nil, fmt.Errorf("%s: a sub-interface needs a parent", where)
			}
			sp.Parent = c.Parent
			sp.SubID, sp.OuterVlan, sp.InnerVlan = c.SubID, c.Vlan, c.InnerVlan
			if sp.SubID == 0 {
				sp.SubID = uint32(sp.OuterVlan)
			}
			if sp.OuterVlan == 0 {
				if sp.SubID > 4094 {
					return nil, fmt.Errorf("%s: sub_id %d needs an explicit vlan", where, sp.SubID)
				}
				sp.OuterVlan = uint16(sp.SubID)
			}
			if sp.SubID == 0 || sp.OuterVlan > 4094 || sp.InnerVlan > 4094 {
				return nil, fmt.Errorf("%s: want a sub_id or vlan in 1..4094", where)
			}
			if sp.Name == "" {
				sp.Name = c.Parent + "." + strconv.FormatUint(uint64(sp.SubID), 10)
			}
			p.root = false
		case KindTap:
			sp.Parent = c.Parent
			p.root = c.Parent == ""
		case KindBond:
			mode, lb := c.BondMode, c.BondLB
			if mode == "" {
				mode = "lacp"
			}
			if lb == "" {
				lb = "l34"
			}
			var ok1, ok2 bool
			sp.BondMode, ok1 = bondModes[mode]
			sp.BondLB, ok2 = bondLBs[lb]
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("%s: bad bond_mode %q or bond_lb %q", where, mode, lb)
			}
		}
		// Numbered kinds without a name are named when created.
		if sp.Name != "" {
			if names[sp.Name] {
				return nil, fmt.Errorf("%s: the name %s is used twice", where, sp.Name)
			}
			names[sp.Name] = true
		}
		p.spec = sp
		out = append(out, p)
	}
	// Parents and bonds must exist somewhere in the scenario.
	for i, p := range out {
		for _, ref := range []string{p.spec.Parent, p.bond} {
			if ref != "" && !names[ref] {
				return nil, fmt.Errorf("interface %d (%s): %s is not in the scenario", i+1, p.spec.Name, ref)
			}
		}
	}
	return out, nil
}
