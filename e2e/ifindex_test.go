package e2e

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindexfile"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

const persistScenario = `
interfaces:
  - name: TenGigabitEthernet3/0/0
    speed: 10G
    mtu: 9000
    mac: 3c:fd:fe:00:30:00
    rates: {rx_pps: 1000, tx_pps: 1000, rx_size: 100, tx_size: 100}
  - name: TenGigabitEthernet3/0/1
    speed: 10G
    mtu: 9000
    mac: 3c:fd:fe:00:30:01
  - name: loop0
    kind: loopback
    mtu: 1500
  - name: TenGigabitEthernet3/0/0.100
    kind: sub
    parent: TenGigabitEthernet3/0/0
    vlan: 100
    mtu: 1500
    rates: {rx_pps: 100, tx_pps: 100, rx_size: 100, tx_size: 100}
`

// persistWant is persistScenario's IF-MIB with the given ifIndexes and
// counters at zero.
func persistWant(ix map[string]uint32) []wantIf {
	const port, sub = "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/0.100"
	ws := []wantIf{
		{name: "local0", ifType: typeOther, admin: down, oper: down},
		{name: port, ifType: typeEthernet, mtu: 9000, speedKbps: 10e6, mac: "3C FD FE 00 30 00", admin: up, oper: up, connector: true},
		{name: "TenGigabitEthernet3/0/1", ifType: typeEthernet, mtu: 9000, speedKbps: 10e6, mac: "3C FD FE 00 30 01", admin: up, oper: up, connector: true},
		{name: "loop0", ifType: typeLoopback, mtu: 1500, mac: "DE AD 00 00 00 00", admin: up, oper: up},
		{name: sub, ifType: typeL2VLAN, mtu: 1500, speedKbps: 10e6, mac: "3C FD FE 00 30 00", admin: up, oper: up, stacked: true},
	}
	for i := range ws {
		ws[i].ifIndex = ix[ws[i].name]
	}
	return ws
}

func swIfIndexes(t *testing.T, sim *vppsim.Sim) map[string]uint32 {
	t.Helper()
	m := map[string]uint32{}
	for _, x := range sim.Interfaces() {
		m[x.Name] = x.SwIfIndex
	}
	return m
}

// waitIfIndexes polls the ifDescr walk until it is exactly want.
func waitIfIndexes(t *testing.T, sd *snmpdtest.Snmpd, timeout time.Duration, what string, want map[string]uint32) {
	t.Helper()
	eventually(t, timeout, what, func() error {
		got, err := ifIndexesErr(t, sd)
		if err != nil {
			return err
		}
		if !maps.Equal(got, want) {
			return fmt.Errorf("ifIndexes %v, want %v", got, want)
		}
		return nil
	})
}

// TestIfIndexPersists checks that an interface name keeps its ifIndex when
// VPP deletes and re-creates it on another sw_if_index (whose own
// 1000 + sw_if_index another interface took meanwhile), when the agent
// restarts with the same --ifindex-file, and when VPP restarts with its
// interfaces in another order and its counters at zero; after that restart
// ifCounterDiscontinuityTime moves and the walk is right again within 3 s.
// vppsim runs in-process: the test needs its sw_if_index values, deletes
// and creations in a precise order, and counters that move only when told.
func TestIfIndexPersists(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario, tick: -1})
	sim.Advance(time.Second)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)
	const port, sub = "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/0.100"

	// First sight: 1000 + sw_if_index.
	sw0 := swIfIndexes(t, sim)
	want := map[string]uint32{}
	for name, sw := range sw0 {
		want[name] = 1000 + sw
	}
	waitIfIndexes(t, sd, 3*time.Second, "first ifIndexes", want)

	// Delete the sub-interface; a new loopback takes its sw_if_index (VPP
	// reuses the last freed), then the sub-interface comes back elsewhere.
	if err := sim.Delete(sub); err != nil {
		t.Fatal(err)
	}
	loop, err := sim.CreateLoopback()
	if err != nil {
		t.Fatal(err)
	}
	if loop.SwIfIndex != sw0[sub] {
		t.Fatalf("precondition: %s got sw_if_index %d, not the deleted %s's %d", loop.Name, loop.SwIfIndex, sub, sw0[sub])
	}
	if err := sim.SetAdmin(loop.Name, true); err != nil {
		t.Fatal(err)
	}
	again, err := sim.CreateSub(port, 100, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.SetAdmin(sub, true); err != nil {
		t.Fatal(err)
	}
	var loopIx uint32
	eventually(t, 3*time.Second, "the re-created sub-interface keeps its ifIndex", func() error {
		got, err := ifIndexesErr(t, sd)
		if err != nil {
			return err
		}
		loopIx = got[loop.Name]
		if got[sub] != want[sub] || loopIx == 0 || len(got) != len(want)+1 {
			return fmt.Errorf("ifIndexes %v; want %s at %d (it is at sw_if_index %d now) and a new %s", got, sub, want[sub], again.SwIfIndex, loop.Name)
		}
		return nil
	})
	for name, ix := range want {
		if ix == loopIx {
			t.Errorf("%s got ifIndex %d, which is %s's", loop.Name, ix, name)
		}
	}
	want[loop.Name] = loopIx
	// The re-created sub-interface's counters started again from zero.
	discOID := ifXCol(colIfCounterDiscTime, want[sub])
	if v, err := ticks(mustGet(t, sd, discOID)["."+discOID]); err != nil || v == 0 {
		t.Errorf("ifCounterDiscontinuityTime of the re-created %s = %d (%v), want the time it came back", sub, v, err)
	}

	// The agent restarts with the same file.
	a.signal(syscall.SIGTERM)
	if code := a.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("agent exit status %d after SIGTERM", code)
	}
	b, err := os.ReadFile(a.ifindexFile)
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if !strings.Contains(string(b), fmt.Sprintf("%q", name)) {
			t.Errorf("%s lacks %s:\n%s", a.ifindexFile, name, b)
		}
	}
	startAgent(t, dir, sd, socks) // the same --ifindex-file
	waitIfIndexes(t, sd, 15*time.Second, "ifIndexes after the agent restarted", want)

	// VPP restarts: other sw_if_index values, a new stats segment, counters
	// from zero, and the loopback made at run time forgotten.
	oid := func(col int, name string) string { return ifXCol(col, want[name]) }
	before := map[string]uint64{}
	m := mustGet(t, sd, oid(colIfCounterDiscTime, port), oid(colIfCounterDiscTime, sub), oid(colIfHCInOctets, port))
	if n, err := number(m["."+oid(colIfHCInOctets, port)]); err != nil || n == 0 {
		t.Fatalf("precondition: %s has no traffic before the restart: %v %v", port, n, err)
	}
	for _, name := range []string{port, sub} {
		if before[name], err = ticks(m["."+oid(colIfCounterDiscTime, name)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.Restart(); err != nil {
		t.Fatal(err)
	}
	sw1 := swIfIndexes(t, sim)
	if sw1[port] == sw0[port] {
		t.Fatalf("precondition: %s kept sw_if_index %d across the restart", port, sw1[port])
	}
	delete(want, loop.Name)
	ws := persistWant(want)
	eventually(t, 3*time.Second, "walks right after VPP restarted", func() error {
		if err := walkErr(t, sd, oidIfTable, wantTable(oidIfEntry, 22, ws, ifEntryValue)); err != nil {
			return err
		}
		if err := walkErr(t, sd, oidIfXTable, wantTable(oidIfXEntry, 19, ws, ifXEntryValue)); err != nil {
			return err
		}
		return walkErr(t, sd, oidIfStackTable, wantStack(ws, []stackPair{{want[sub], want[port]}}))
	})
	m = mustGet(t, sd, oid(colIfCounterDiscTime, port), oid(colIfCounterDiscTime, sub), oidSysUpTime)
	upTo, err := ticks(m["."+oidSysUpTime])
	if err != nil {
		t.Fatal(err)
	}
	// A VPP restart restarts every counter (a new stats segment), whether
	// or not one went back: the port's went back to zero, the
	// sub-interface (re-created without traffic) had none to lose.
	for _, name := range []string{port, sub} {
		v, err := ticks(m["."+oid(colIfCounterDiscTime, name)])
		if err != nil {
			t.Fatal(err)
		}
		if v <= before[name] || v > upTo {
			t.Errorf("ifCounterDiscontinuityTime of %s = %d after VPP restarted, want in %d..sysUpTime (%d)", name, v, before[name]+1, upTo)
		}
	}

	// Traffic again: counted at the new sw_if_index, served at the old
	// ifIndex (counters are at most 1 s old).
	sim.Advance(time.Second)
	wantOctets := sim.Counters(sw1[port]).RxBytes
	if wantOctets != 1000*100+100*100 {
		t.Fatalf("precondition: vppsim counted %d octets on %s", wantOctets, port)
	}
	eventually(t, 3*time.Second, "counters after VPP restarted", func() error {
		m, err := get(t, sd, oid(colIfHCInOctets, port))
		if err != nil {
			return err
		}
		if n, err := number(m["."+oid(colIfHCInOctets, port)]); err != nil || n != wantOctets {
			return fmt.Errorf("ifHCInOctets of %s = %d (%v), want %d", port, n, err, wantOctets)
		}
		return nil
	})
}

// errorLine returns the first error-level line of log that contains every
// one of words, or "".
func errorLine(log string, words ...string) string {
next:
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, "level=error") {
			continue
		}
		for _, w := range words {
			if !strings.Contains(l, w) {
				continue next
			}
		}
		return l
	}
	return ""
}

// savedNames reads the ifIndex file as the agent would and returns its map.
func savedNames(path string) (map[string]uint32, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	x, err := ifindexfile.Parse(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return maps.Collect(x.All()), len(b), nil
}

// TestCorruptIfIndexFileStarts: whatever is wrong with the ifIndex file
// (junk, empty, truncated, null, a shared ifIndex, a directory in its
// place), the agent starts, serves every interface at 1000 + sw_if_index
// (there is no previous copy) and logs an error naming the file. A bad file
// is moved aside and a good one written; a directory is left, and saving
// into it is logged as an error.
func TestCorruptIfIndexFileStarts(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario, tick: -1})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	want := map[string]uint32{}
	for name, sw := range swIfIndexes(t, sim) {
		want[name] = 1000 + sw
	}
	for _, c := range []struct{ name, content string }{
		{"junk", "1000 local0\n"},
		{"empty", ""},
		{"truncated", `{"version": 1, "interfaces": [{"ifIndex": 1001, "name": "x"`},
		{"null", "null"},
		{"shared ifIndex", `{"version": 1, "interfaces": [{"ifIndex": 1001, "name": "a"}, {"ifIndex": 1001, "name": "b"}]}`},
		{"directory", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cdir := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			if err := os.Mkdir(cdir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(cdir, "ifindex.json")
			var err error
			if c.name == "directory" {
				err = os.Mkdir(path, 0o755)
			} else {
				err = os.WriteFile(path, []byte(c.content), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			a := startAgent(t, cdir, sd, socks)
			waitIfIndexes(t, sd, 15*time.Second, "serving with a bad ifIndex file", want)
			if l := errorLine(a.Log(), path, "ifIndex state file unusable"); l == "" {
				t.Errorf("no error naming %s in the agent's log", path)
			}
			if l := errorLine(a.Log(), "first sight"); l == "" {
				t.Error("no error saying the agent starts as on first sight")
			}
			if c.name == "directory" {
				eventually(t, 15*time.Second, "the failing save logged", func() error {
					if errorLine(a.Log(), "saving the ifIndex map; retrying", path) == "" {
						return errors.New("no error about saving into the directory")
					}
					return nil
				})
				if st, err := os.Stat(path); err != nil || !st.IsDir() {
					t.Errorf("the directory is gone: %v", err)
				}
			} else {
				aside, _ := filepath.Glob(path + ".corrupt-*")
				if len(aside) != 1 {
					t.Fatalf("moved aside: %v, want the bad file", aside)
				}
				if b, err := os.ReadFile(aside[0]); err != nil || string(b) != c.content {
					t.Errorf("%s holds %q (%v), want the bad content", aside[0], b, err)
				}
				eventually(t, 15*time.Second, "a good file saved", func() error {
					got, _, err := savedNames(path)
					if err != nil {
						return err
					}
					if !maps.Equal(got, want) {
						return fmt.Errorf("saved %v, want %v", got, want)
					}
					return nil
				})
			}
			a.signal(syscall.SIGTERM)
			if code := a.wait(t, 10*time.Second); code != 0 {
				t.Fatalf("exit status %d after SIGTERM", code)
			}
		})
	}
}

// TestIfIndexCorruptMidWrite: the state file is cut in the middle while the
// agent is stopped (what a torn write would leave). The agent starts,
// serves, logs an error naming the file, and every interface keeps its
// ifIndex from the previous copy kept beside the file, including a
// re-created sub-interface and a new loopback, neither of which is at
// 1000 + its sw_if_index.
func TestIfIndexCorruptMidWrite(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario, tick: -1})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks)
	const port, sub = "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/0.100"
	want := map[string]uint32{}
	for name, sw := range swIfIndexes(t, sim) {
		want[name] = 1000 + sw
	}
	waitIfIndexes(t, sd, 15*time.Second, "first ifIndexes", want)

	// The sub-interface is deleted, a loopback takes its sw_if_index (and,
	// finding its 1000 + sw_if_index taken, another number), and the
	// sub-interface comes back at a new sw_if_index with its old ifIndex.
	if err := sim.Delete(sub); err != nil {
		t.Fatal(err)
	}
	loop, err := sim.CreateLoopback()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.CreateSub(port, 100, 0, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the loopback and the re-created sub-interface served", func() error {
		got, err := ifIndexesErr(t, sd)
		if err != nil {
			return err
		}
		if got[sub] != want[sub] || got[loop.Name] == 0 || len(got) != len(want)+1 {
			return fmt.Errorf("ifIndexes %v; want %s at %d and a new %s", got, sub, want[sub], loop.Name)
		}
		want[loop.Name] = got[loop.Name]
		return nil
	})
	sw := swIfIndexes(t, sim)
	for _, name := range []string{sub, loop.Name} {
		if want[name] == 1000+sw[name] {
			t.Fatalf("precondition: %s has ifIndex %d = 1000 + its sw_if_index", name, want[name])
		}
	}
	eventually(t, 5*time.Second, "the map saved", func() error {
		got, _, err := savedNames(a.ifindexFile)
		if err != nil {
			return err
		}
		if !maps.Equal(got, want) {
			return fmt.Errorf("saved %v, want %v", got, want)
		}
		return nil
	})

	a.signal(syscall.SIGTERM)
	if code := a.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	b, err := os.ReadFile(a.ifindexFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.ifindexFile, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	before := len(a.Log())

	a = startAgent(t, dir, sd, socks)
	waitIfIndexes(t, sd, 15*time.Second, "every ifIndex kept after the file was cut", want)
	log := a.Log()[before:]
	if errorLine(log, a.ifindexFile, "ifIndex state file unusable") == "" {
		t.Errorf("no error naming %s in the agent's log:\n%s", a.ifindexFile, log)
	}
	if errorLine(log, "using the previous copy") == "" {
		t.Errorf("no error saying the previous copy is used:\n%s", log)
	}
	if aside, _ := filepath.Glob(a.ifindexFile + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("moved aside: %v, want the cut file", aside)
	}
}

// TestIfIndexForget: with --ifindex-forget-after 4s, 300 loopbacks created
// and deleted are forgotten: the file shrinks to under a third of its size
// with them, the interfaces present keep their ifIndexes throughout and
// across an agent restart. --details-interval 1s: forgetting happens at a
// build, and the periodic dump is what builds when nothing else happens.
func TestIfIndexForget(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario, tick: -1})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	flags := []string{"--ifindex-forget-after", "4s", "--details-interval", "1s"}
	a := startAgent(t, dir, sd, socks, flags...)
	want := map[string]uint32{}
	for name, sw := range swIfIndexes(t, sim) {
		want[name] = 1000 + sw
	}
	waitIfIndexes(t, sd, 15*time.Second, "first ifIndexes", want)

	var loops []string
	for range 300 {
		out := strings.TrimSpace(sim.RunCLI("create loopback interface"))
		if !strings.HasPrefix(out, "loop") || strings.Contains(out, " ") {
			t.Fatalf("create loopback interface: %q", out)
		}
		loops = append(loops, out)
	}
	var full int
	eventually(t, 15*time.Second, "the 300 loopbacks saved", func() error {
		got, size, err := savedNames(a.ifindexFile)
		if err != nil {
			return err
		}
		if len(got) != len(want)+len(loops) {
			return fmt.Errorf("%d names saved, want %d", len(got), len(want)+len(loops))
		}
		full = size
		return nil
	})
	waitServing(t, sd, 5*time.Second, len(want)+len(loops))
	for _, name := range loops {
		if out := sim.RunCLI("delete loopback interface intfc " + name); out != "" {
			t.Fatalf("delete loopback interface intfc %s: %q", name, out)
		}
	}
	// forgotten after 4 s unseen (and a grain), tombstones gone 4 s later
	eventually(t, 60*time.Second, "the loopbacks forgotten and the file shrunk", func() error {
		got, size, err := savedNames(a.ifindexFile)
		if err != nil {
			return err
		}
		if !maps.Equal(got, want) || size*3 >= full {
			return fmt.Errorf("%d bytes (%d with the loopbacks), names %v; want %v", size, full, got, want)
		}
		return nil
	})
	waitIfIndexes(t, sd, 5*time.Second, "the interfaces present after the loopbacks went", want)

	a.signal(syscall.SIGTERM)
	if code := a.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	startAgent(t, dir, sd, socks, flags...)
	waitIfIndexes(t, sd, 15*time.Second, "ifIndexes after the agent restarted", want)
}
