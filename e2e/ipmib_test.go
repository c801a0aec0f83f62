package e2e

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// IP-MIB and EtherLike-MIB objects, as LibreNMS reads them.
const (
	oidIPAdEntIfIndex            = "1.3.6.1.2.1.4.20.1.2"
	oidIPAdEntNetMask            = "1.3.6.1.2.1.4.20.1.3"
	oidIPNetToMediaPhysAddress   = "1.3.6.1.2.1.4.22.1.2"
	oidIPAddressPrefixOrigin     = "1.3.6.1.2.1.4.32.1.5"
	oidIPAddressIfIndex          = "1.3.6.1.2.1.4.34.1.3"
	oidIPAddressPrefix           = "1.3.6.1.2.1.4.34.1.5"
	oidIPNetToPhysicalPhysAddr   = "1.3.6.1.2.1.4.35.1.4"
	oidIPNetToPhysicalType       = "1.3.6.1.2.1.4.35.1.6"
	oidDot3StatsDuplexStatus     = "1.3.6.1.2.1.10.7.2.1.19"
	oidIfNameColumn              = "1.3.6.1.2.1.31.1.1.1.1"
	ipWait                       = 5 * time.Second // a poll (--ip-interval 1s) and then some
	defaultRouterEthernetPortsRe = "TenGigabitEthernet3/0/[0-3]|HundredGigabitEthernet5/0/[01]"
)

// inetIndex is an address as RFC 4293 indexes it: type, length, octets.
func inetIndex(a netip.Addr) string {
	typ := 1
	if a.Is6() {
		typ = 2
	}
	parts := []string{strconv.Itoa(typ), strconv.Itoa(a.BitLen() / 8)}
	for _, b := range a.AsSlice() {
		parts = append(parts, strconv.Itoa(int(b)))
	}
	return strings.Join(parts, ".")
}

// column walks one column and returns its values by instance suffix.
func column(t *testing.T, sd *snmpdtest.Snmpd, oid string) (map[string]snmpdtest.Line, error) {
	lines, err := bulkwalk(t, sd, oid)
	if err != nil {
		return nil, err
	}
	out := map[string]snmpdtest.Line{}
	for _, l := range lines {
		if suffix, ok := strings.CutPrefix(l.OID, "."+oid+"."); ok {
			l.Value = strings.TrimSpace(l.Value)
			out[suffix] = l
		}
	}
	return out, nil
}

// ifNameByIndex returns ifName by ifIndex, as a poller's port list has it.
func ifNameByIndex(t *testing.T, sd *snmpdtest.Snmpd) map[string]string {
	t.Helper()
	m, err := column(t, sd, oidIfNameColumn)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for ix, l := range m {
		out[ix] = strings.Trim(l.Value, `"`)
	}
	return out
}

func startIPMIB(t *testing.T, extra ...string) (*vppsim.Sim, *snmpdtest.Snmpd, vppSockets) {
	t.Helper()
	needBinaries(t)
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{})
	sd := snmpdtest.Start(t, snmpdtest.Options{RWCommunity: true})
	startAgent(t, dir, sd, socks, append([]string{"--ip-interval", "1s"}, extra...)...)
	waitServing(t, sd, 15*time.Second, -1)
	return sim, sd, socks
}

// TestIPMIBDefaultRouter checks IP-MIB and EtherLike-MIB through snmpd
// against vppsim's default router, joined as LibreNMS joins them: by
// ifIndex, through ifName.
func TestIPMIBDefaultRouter(t *testing.T) {
	sim, sd, socks := startIPMIB(t)
	var names map[string]string
	eventually(t, 15*time.Second, "ipAdEntIfIndex serves the default router's addresses", func() error {
		names = ifNameByIndex(t, sd)
		m, err := column(t, sd, oidIPAdEntIfIndex)
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return errors.New("no ipAdEntIfIndex yet")
		}
		return nil
	})
	ifIndexOfName := func(name string) string {
		for ix, n := range names {
			if n == name {
				return ix
			}
		}
		t.Fatalf("no ifName %s in %v", name, names)
		return ""
	}

	t.Run("ipAdEntIfIndex resolves through ifName", func(t *testing.T) {
		m, err := column(t, sd, oidIPAdEntIfIndex)
		if err != nil {
			t.Fatal(err)
		}
		// what vppsim was configured with, IPv4
		want := map[string]string{}
		for _, x := range sim.Interfaces() {
			for _, p := range x.Addresses {
				if p.Addr().Is4() {
					want[p.Addr().String()] = x.Name
				}
			}
		}
		if want["192.0.2.1"] != "TenGigabitEthernet3/0/0" || want["198.51.100.1"] != "HundredGigabitEthernet5/0/0" {
			t.Fatalf("the default router changed: %v", want)
		}
		for addr, l := range m {
			n, ok := names[l.Value]
			if !ok {
				t.Errorf("ipAdEntIfIndex.%s = %s: no such ifIndex in ifName (LibreNMS would skip it)", addr, l.Value)
				continue
			}
			if want[addr] != n {
				t.Errorf("ipAdEntIfIndex.%s resolves to %s, want %q", addr, n, want[addr])
			}
		}
		if len(m) != len(want) {
			t.Errorf("ipAddrTable has %d rows, want %d (the default router's IPv4 addresses, none of Linux's): %v", len(m), len(want), m)
		}
		g := mustGet(t, sd, oidIPAdEntNetMask+".192.0.2.1", oidIPAddressIfIndex+"."+inetIndex(netip.MustParseAddr("192.0.2.1")))
		if l := g["."+oidIPAdEntNetMask+".192.0.2.1"]; l.Type != "IpAddress" || l.Value != "255.255.255.254" {
			t.Errorf("ipAdEntNetMask.192.0.2.1 = %s, want IpAddress 255.255.255.254", l)
		}
		if l := g["."+oidIPAddressIfIndex+".1.4.192.0.2.1"]; l.Value != m["192.0.2.1"].Value {
			t.Errorf("ipAddressIfIndex.ipv4.192.0.2.1 = %s, want ipAdEntIfIndex's %s", l, m["192.0.2.1"].Value)
		}
	})

	t.Run("IPv6 ipAddressTable and its prefix", func(t *testing.T) {
		a := netip.MustParseAddr("2001:db8:0:1::1")
		ix := ifIndexOfName("TenGigabitEthernet3/0/0")
		g := mustGet(t, sd, oidIPAddressIfIndex+"."+inetIndex(a), oidIPAddressPrefix+"."+inetIndex(a))
		if l := g["."+oidIPAddressIfIndex+"."+inetIndex(a)]; l.Value != ix {
			t.Errorf("ipAddressIfIndex of %s = %s, want %s (TenGigabitEthernet3/0/0)", a, l, ix)
		}
		pfx := fmt.Sprintf(".%s.%s.%s.64", oidIPAddressPrefixOrigin, ix, inetIndex(netip.MustParseAddr("2001:db8:0:1::")))
		if l := g["."+oidIPAddressPrefix+"."+inetIndex(a)]; l.Type != "OID" || l.Value != pfx {
			t.Errorf("ipAddressPrefix of %s = %s, want OID %s", a, l, pfx)
		}
		o := mustGet(t, sd, strings.TrimPrefix(pfx, "."))
		if l := o[pfx]; l.Type != "INTEGER" || l.Value != "2" {
			t.Errorf("the ipAddressPrefixOrigin it points at = %s, want manual(2)", l)
		}
	})

	t.Run("ipNetToPhysicalPhysAddress resolves through ifName", func(t *testing.T) {
		ix := ifIndexOfName("TenGigabitEthernet3/0/0.100")
		want := "." + oidIPNetToPhysicalPhysAddr + "." + ix + "." + inetIndex(netip.MustParseAddr("203.0.113.2"))
		eventually(t, ipWait, "the scenario's static neighbour", func() error {
			m, err := column(t, sd, oidIPNetToPhysicalPhysAddr)
			if err != nil {
				return err
			}
			for suffix := range m {
				if _, ok := names[strings.SplitN(suffix, ".", 2)[0]]; !ok {
					return fmt.Errorf("ipNetToPhysicalPhysAddress.%s: ifIndex not in ifName", suffix)
				}
			}
			if l, ok := m[strings.TrimPrefix(want, "."+oidIPNetToPhysicalPhysAddr+".")]; !ok || l.Value != "02 00 5E 00 71 02" {
				return fmt.Errorf("%s = %v, want 02 00 5E 00 71 02", want, l)
			}
			return nil
		})
	})

	t.Run("a neighbour added and deleted", func(t *testing.T) {
		ix := ifIndexOfName("TenGigabitEthernet3/0/0")
		suffix := ix + ".1.4.192.0.2.0"
		phys := oidIPNetToPhysicalPhysAddr + "." + suffix
		ctl(t, socks, "set", "ip", "neighbor", "TenGigabitEthernet3/0/0", "192.0.2.0", "02:00:00:00:00:01", "static")
		eventually(t, ipWait, "the new neighbour is served", func() error {
			g, err := get(t, sd, phys, oidIPNetToPhysicalType+"."+suffix, oidIPNetToMediaPhysAddress+"."+ix+".192.0.2.0")
			if err != nil {
				return err
			}
			for _, l := range g {
				if v := strings.TrimSpace(l.Value); v != "02 00 00 00 00 01" && v != "4" {
					return fmt.Errorf("%s", l)
				}
			}
			return nil
		})
		ctl(t, socks, "set", "ip", "neighbor", "del", "TenGigabitEthernet3/0/0", "192.0.2.0", "02:00:00:00:00:01")
		eventually(t, ipWait, "the deleted neighbour is gone", func() error {
			g, err := get(t, sd, phys)
			if err != nil {
				return err
			}
			if l := g["."+phys]; l.Type != "" || !strings.Contains(l.Value, "No Such Instance") {
				return fmt.Errorf("still %s", l)
			}
			return nil
		})
	})

	t.Run("an address added and deleted", func(t *testing.T) {
		ix := ifIndexOfName("loop1")
		ctl(t, socks, "set", "interface", "ip", "address", "loop1", "10.9.9.1/24")
		eventually(t, ipWait, "the new address is served", func() error {
			g, err := get(t, sd, oidIPAdEntIfIndex+".10.9.9.1", oidIPAdEntNetMask+".10.9.9.1")
			if err != nil {
				return err
			}
			if g["."+oidIPAdEntIfIndex+".10.9.9.1"].Value != ix || g["."+oidIPAdEntNetMask+".10.9.9.1"].Value != "255.255.255.0" {
				return fmt.Errorf("%v", g)
			}
			return nil
		})
		ctl(t, socks, "set", "interface", "ip", "address", "del", "loop1", "10.9.9.1/24")
		waitAddressGone(t, sd, "10.9.9.1", "the deleted address is gone")
	})

	t.Run("writes are refused", func(t *testing.T) {
		ix := ifIndexOfName("TenGigabitEthernet3/0/0")
		for _, set := range [][]string{
			{"1.3.6.1.2.1.4.34.1.10." + inetIndex(netip.MustParseAddr("192.0.2.1")), "i", "6"}, // ipAddressRowStatus destroy
			{oidIPNetToPhysicalType + "." + ix + ".1.4.192.0.2.7", "i", "4"},                   // create a neighbour
			{"1.3.6.1.2.1.4.20.1.3.192.0.2.1", "a", "255.255.255.0"},                           // ipAdEntNetMask
		} {
			out, err := sd.Cmd(t, "snmpset", set...)
			if err == nil || !strings.Contains(err.Error(), "notWritable") {
				t.Errorf("snmpset %v: %v, output %q; want notWritable", set, err, out)
			}
		}
		g := mustGet(t, sd, oidIPAddressIfIndex+".1.4.192.0.2.1")
		if l := g["."+oidIPAddressIfIndex+".1.4.192.0.2.1"]; l.Value != ix {
			t.Errorf("after the refused SETs: %s", l)
		}
	})

	t.Run("EtherLike dot3StatsDuplexStatus", func(t *testing.T) {
		m, err := column(t, sd, oidDot3StatsDuplexStatus)
		if err != nil {
			t.Fatal(err)
		}
		ports := 0
		for ix, n := range names {
			isPort := strings.HasPrefix(n, "TenGigabitEthernet3/0/") && !strings.Contains(n, ".") ||
				strings.HasPrefix(n, "HundredGigabitEthernet5/0/") && !strings.Contains(n, ".")
			l, served := m[ix]
			switch {
			case isPort && (!served || l.Value != "3"):
				t.Errorf("dot3StatsDuplexStatus of %s (%s) = %v, want fullDuplex(3)", n, ix, l)
			case !isPort && served:
				t.Errorf("dot3StatsDuplexStatus served for %s, which is no Ethernet port", n)
			}
			if isPort {
				ports++
			}
		}
		if ports != 6 || len(m) != 6 {
			t.Errorf("%d ports named, %d rows served; want 6 (%s)", ports, len(m), defaultRouterEthernetPortsRe)
		}
	})
}

// TestIPMIBOff: with --mibs if the agent registers none of the new tables,
// and snmpd answers them itself, from Linux (whose ifIndexes are small; the
// agent's are 1000 and up).
func TestIPMIBOff(t *testing.T) {
	_, sd, _ := startIPMIB(t, "--mibs", "if")
	m, err := column(t, sd, oidIPAdEntIfIndex)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m["127.0.0.1"]; !ok {
		t.Errorf("ipAdEntIfIndex has no 127.0.0.1: snmpd's own ipAddrTable is not answering: %v", m)
	}
	agents := func(oid string, ifIndexOf func(suffix string, l snmpdtest.Line) string) {
		m, err := column(t, sd, oid)
		if err != nil {
			t.Fatal(err)
		}
		for suffix, l := range m {
			if n, _ := strconv.Atoi(ifIndexOf(suffix, l)); n >= 1000 {
				t.Errorf("%s.%s = %s: the agent's, with --mibs if", oid, suffix, l.Value)
			}
		}
	}
	value := func(_ string, l snmpdtest.Line) string { return l.Value }
	first := func(suffix string, _ snmpdtest.Line) string { return strings.SplitN(suffix, ".", 2)[0] }
	agents(oidIPAdEntIfIndex, value)
	agents(oidIPAddressIfIndex, value)
	agents(oidIPNetToPhysicalPhysAddr, first)
	agents(oidIPNetToMediaPhysAddress, first)
	agents(oidDot3StatsDuplexStatus, first)
}

// TestIPMIBAddressOfNewInterface: with the sweeps an hour apart, an
// interface configured as vppcfg does (created, addressed, set up) has its
// address served at once, for two ip_address_dump requests (one per
// family), not a sweep of the router; a deleted one's address goes with it
// for none.
func TestIPMIBAddressOfNewInterface(t *testing.T) {
	sim, sd, socks := startIPMIB(t, "--ip-interval", "1h")
	// the first sweep, at start
	eventually(t, 15*time.Second, "the default router's addresses", func() error {
		g, err := get(t, sd, oidIPAdEntIfIndex+".192.0.2.1")
		if err != nil {
			return err
		}
		if l := g["."+oidIPAdEntIfIndex+".192.0.2.1"]; strings.Contains(l.Value, "No Such") {
			return errors.New("not yet")
		}
		return nil
	})
	addressDumps := func() uint64 { return sim.APICounts()["ip_address_dump"] }
	before := addressDumps()
	if before < uint64(2*len(sim.Interfaces())) {
		t.Fatalf("%d ip_address_dump before, want the first sweep's %d at least", before, 2*len(sim.Interfaces()))
	}
	loop := strings.TrimSpace(ctl(t, socks, "create", "loopback", "interface"))
	ctl(t, socks, "set", "interface", "ip", "address", loop, "10.77.0.1/24")
	ctl(t, socks, "set", "interface", "state", loop, "up")
	var ix string
	eventually(t, ipWait, "the loopback's address is served", func() error {
		names := ifNameByIndex(t, sd)
		for i, n := range names {
			if n == loop {
				ix = i
			}
		}
		g, err := get(t, sd, oidIPAdEntIfIndex+".10.77.0.1")
		if err != nil {
			return err
		}
		if got := g["."+oidIPAdEntIfIndex+".10.77.0.1"].Value; ix == "" || got != ix {
			return fmt.Errorf("ipAdEntIfIndex.10.77.0.1 = %s, %s is ifIndex %q", got, loop, ix)
		}
		return nil
	})
	// The create event may come with or without its own dump (the set-up
	// may fall in the same burst): two or four requests, never a sweep.
	if n := addressDumps() - before; n < 2 || n > 4 {
		t.Errorf("%d ip_address_dump for one new interface, want 2 to 4", n)
	}
	before = addressDumps()
	ctl(t, socks, "delete", "loopback", "interface", "intfc", loop)
	waitAddressGone(t, sd, "10.77.0.1", "the loopback's address is gone")
	if n := addressDumps() - before; n != 0 {
		t.Errorf("%d ip_address_dump for a deleted interface, want 0", n)
	}
}

// waitAddressGone waits until ipAdEntIfIndex of the IPv4 address addr
// answers noSuchInstance.
func waitAddressGone(t *testing.T, sd *snmpdtest.Snmpd, addr, what string) {
	t.Helper()
	eventually(t, ipWait, what, func() error {
		g, err := get(t, sd, oidIPAdEntIfIndex+"."+addr)
		if err != nil {
			return err
		}
		if l := g["."+oidIPAdEntIfIndex+"."+addr]; !strings.Contains(l.Value, "No Such Instance") {
			return fmt.Errorf("still %s", l)
		}
		return nil
	})
}
