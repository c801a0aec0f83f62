package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// lcpScenario: a port mirrored into Linux by linux-cp as e0 through tap1.
const lcpScenario = `
interfaces:
  - name: TenGigabitEthernet3/0/0
    speed: 10G
    tag: from-the-vpp-tag
  - name: tap1
    kind: tap
    parent: TenGigabitEthernet3/0/0
    host_name: e0
`

// TestSIGHUPReloadsDescriptions: SIGHUP re-reads the vppcfg file and ifAlias
// follows within 1 s; a broken file on SIGHUP is logged and the previous
// descriptions stay. With --lcp-names the tap's ifName is its Linux name.
func TestSIGHUPReloadsDescriptions(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	scen := filepath.Join(dir, "scenario.yaml")
	cfg := filepath.Join(dir, "vppcfg.yaml")
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(scen, lcpScenario)
	write(cfg, "interfaces:\n  TenGigabitEthernet3/0/0:\n    description: \"Transit A\"\n")
	_, socks := startVppsim(t, dir, "--scenario", scen)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks, "--config", cfg, "--lcp-names")
	waitServing(t, sd, 15*time.Second, 3)
	ix := ifIndexes(t, sd)
	port, tap := ix["TenGigabitEthernet3/0/0"], ix["tap1"]
	if port == 0 || tap == 0 {
		t.Fatalf("ifDescr: %v", ix)
	}
	alias := func(want string) error {
		m, err := get(t, sd, ifXCol(18, port))
		if err != nil {
			return err
		}
		if got := m["."+ifXCol(18, port)].Value; got != `"`+want+`"` {
			return fmt.Errorf("ifAlias.%d = %s, want %q", port, got, want)
		}
		return nil
	}
	if err := alias("Transit A"); err != nil {
		t.Fatal(err)
	}
	m := mustGet(t, sd, ifXCol(colIfName, tap), ifCol(colIfDescr, tap), ifXCol(18, tap))
	if n := m["."+ifXCol(colIfName, tap)].Value; n != `"e0"` {
		t.Errorf("ifName of the linux-cp tap with --lcp-names: %s, want \"e0\"", n)
	}
	if d := m["."+ifCol(colIfDescr, tap)].Value; d != `"tap1"` {
		t.Errorf("ifDescr of the linux-cp tap: %s, want \"tap1\"", d)
	}
	if d := m["."+ifXCol(18, tap)].Value; d != `"LCP TenGigabitEthernet3/0/0 (tap1)"` {
		t.Errorf("ifAlias of the linux-cp tap: %s", d)
	}

	write(cfg, "interfaces:\n  TenGigabitEthernet3/0/0:\n    description: \"Transit B (moved)\"\n")
	a.signal(syscall.SIGHUP)
	eventually(t, time.Second, "ifAlias after SIGHUP", func() error { return alias("Transit B (moved)") })

	// Without a description the VPP tag is the alias.
	write(cfg, "interfaces: {}\n")
	a.signal(syscall.SIGHUP)
	eventually(t, time.Second, "ifAlias from the VPP tag after SIGHUP", func() error { return alias("from-the-vpp-tag") })

	write(cfg, "interfaces:\n  TenGigabitEthernet3/0/0:\n    description: [unclosed\n")
	a.signal(syscall.SIGHUP)
	eventually(t, time.Second, "the agent logs the broken file", func() error {
		if !strings.Contains(a.Log(), "keeping the previous descriptions") {
			return fmt.Errorf("not in the log:\n%s", tail(a.Log(), 5))
		}
		return nil
	})
	if err := alias("from-the-vpp-tag"); err != nil {
		t.Error(err)
	}
	select {
	case <-a.done:
		t.Fatalf("the agent exited on a broken vppcfg file: %v", a.err)
	default:
	}
}
