package e2e

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// operColumn walks ifOperStatus and returns it by ifIndex.
func operColumn(t *testing.T, sd *snmpdtest.Snmpd) (map[uint32]uint64, error) {
	col, err := walkColumn(t, sd, oidIfEntry, colIfOperStatus)
	if err != nil {
		return nil, err
	}
	return numbers(col)
}

// TestVPPKilledReadsDown: VPP killed with SIGKILL, every row reads
// ifOperStatus down(2) within 10 s, none lost and no ifIndex moved; VPP
// started again, the real states are back within 5 s with the same
// ifIndexes.
func TestVPPKilledReadsDown(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	vpp, socks := startVppsim(t, dir)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, -1)
	ix := ifIndexes(t, sd)
	var before map[uint32]uint64
	eventually(t, 5*time.Second, "the oper states of the running VPP", func() error {
		var err error
		before, err = operColumn(t, sd)
		if err == nil && len(before) != len(ix) {
			err = fmt.Errorf("%d oper states for %d interfaces", len(before), len(ix))
		}
		return err
	})
	ups := 0
	for _, o := range before {
		if o == 1 {
			ups++
		}
	}
	if ups == 0 {
		t.Fatal("no interface up before the kill: the test would prove nothing")
	}

	vpp.kill()
	killed := time.Now()
	eventually(t, 10*time.Second, "every row down after VPP was killed", func() error {
		m, err := operColumn(t, sd)
		if err != nil {
			return err
		}
		if len(m) != len(ix) {
			return errStop{fmt.Errorf("%d rows after the kill, want all %d", len(m), len(ix))}
		}
		for i, o := range m {
			if o != 2 {
				return fmt.Errorf("ifOperStatus.%d = %d", i, o)
			}
		}
		return nil
	})
	t.Logf("every row down %v after the kill", time.Since(killed).Round(time.Millisecond))
	if got := ifIndexes(t, sd); !maps.Equal(got, ix) {
		t.Fatalf("ifIndexes changed while VPP was gone:\n got %v\nwant %v", got, ix)
	}

	startVppsim(t, dir)
	started := time.Now()
	eventually(t, 5*time.Second, "the real states back", func() error {
		m, err := operColumn(t, sd)
		if err != nil {
			return err
		}
		if !maps.Equal(m, before) {
			return fmt.Errorf("oper states %v, want %v", m, before)
		}
		return nil
	})
	t.Logf("real states back %v after VPP was started (its start included)", time.Since(started).Round(time.Millisecond))
	if got := ifIndexes(t, sd); !maps.Equal(got, ix) {
		t.Fatalf("ifIndexes changed across the VPP restart:\n got %v\nwant %v", got, ix)
	}
}

// cpuTicks returns the user+system CPU time of process pid so far, in
// clock ticks (/proc/PID/stat fields 14 and 15).
func cpuTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	return utime + stime
}

// dumps is how many sw_interface_dump requests VPP has received.
func dumps(sim *vppsim.Sim) uint64 { return sim.APICounts()["sw_interface_dump"] }

// TestShortDumpsKeepRows: with `fault details-drop 30` every dump lacks
// 30 % of the interfaces, full dumps every 2 s and a VPP restart: 20 walks
// of ifName over 300 interfaces all complete with the same ifIndexes.
func TestShortDumpsKeepRows(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario, generate: 295})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	startAgent(t, dir, sd, socks, "--details-interval", "2s")
	waitServing(t, sd, 15*time.Second, 300)
	want := ifIndexes(t, sd)
	if len(want) != 300 {
		t.Fatalf("%d interfaces, want 300", len(want))
	}
	if out := sim.RunCLI("fault details-drop 30"); out != "" {
		t.Fatalf("fault details-drop 30: %q", out)
	}
	before := dumps(sim)
	for i := range 20 {
		if i == 10 {
			if err := sim.Restart(); err != nil {
				t.Fatal(err)
			}
		}
		// Each walk after another short dump.
		d := dumps(sim)
		eventually(t, 5*time.Second, "another dump", func() error {
			if dumps(sim) == d {
				return errors.New("none yet")
			}
			return nil
		})
		got, err := ifNames(t, sd)
		if err != nil {
			t.Fatalf("walk %d: %v", i, err)
		}
		if err := sameNames(got, want, swIfIndexes(t, sim)); err != nil {
			t.Fatalf("walk %d: %v", i, err)
		}
	}
	// With the fault still on, what VPP really deleted in its restart leaves.
	eventually(t, 10*time.Second, "exactly VPP's names", func() error {
		got, err := ifNames(t, sd)
		if err != nil {
			return err
		}
		if err := sameNames(got, want, swIfIndexes(t, sim)); err != nil {
			return err
		}
		if vpp := swIfIndexes(t, sim); len(got) != len(vpp) {
			return fmt.Errorf("%d rows, VPP has %d interfaces", len(got), len(vpp))
		}
		return nil
	})
	fired := sim.FaultFired(vppsim.FaultDetailsDrop)
	t.Logf("details dropped: %d over %d dumps", fired, dumps(sim)-before)
	if fired == 0 || dumps(sim) == before {
		t.Fatalf("the fault never fired (%d details dropped, %d dumps): the test proved nothing", fired, dumps(sim)-before)
	}
}

// sameNames checks a walk against the names served before (want) and
// VPP's now (vpp: name to sw_if_index): every name in both is served, and
// with the ifIndex it had; nothing is served that neither has. Names VPP
// added or deleted meanwhile may or may not be there yet.
func sameNames(got, want, vpp map[string]uint32) error {
	for name, ix := range got {
		_, now := vpp[name]
		w, before := want[name]
		if !now && !before {
			return fmt.Errorf("%s (ifIndex %d) served, but VPP never had it", name, ix)
		}
		if before && w != ix {
			return fmt.Errorf("%s served with ifIndex %d, it had %d", name, ix, w)
		}
	}
	for name := range vpp {
		if _, before := want[name]; before {
			if _, ok := got[name]; !ok {
				return fmt.Errorf("%s missing from the walk (%d rows, VPP has %d)", name, len(got), len(vpp))
			}
		}
	}
	return nil
}

// ifNames walks ifName (ifXTable) and returns each name's ifIndex.
func ifNames(t *testing.T, sd *snmpdtest.Snmpd) (map[string]uint32, error) {
	col, err := walkColumn(t, sd, oidIfXEntry, colIfName)
	if err != nil {
		return nil, err
	}
	return byName(col)
}

// TestRenumberKeepsIfIndexes: a VPP restart where every interface keeps
// its name but gets another sw_if_index: every name keeps its ifIndex, the
// oper states stay, every ifCounterDiscontinuityTime is set.
func TestRenumberKeepsIfIndexes(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, -1)
	ix := ifIndexes(t, sd)
	oper, err := operColumn(t, sd)
	if err != nil {
		t.Fatal(err)
	}
	sw := swIfIndexes(t, sim)
	start := mustGet(t, sd, oidSysUpTime)["."+oidSysUpTime]
	upAt, err := ticks(start)
	if err != nil {
		t.Fatal(err)
	}
	if out := sim.RunCLI("fault renumber"); !strings.HasPrefix(out, "renumbered") {
		t.Fatalf("fault renumber: %q", out)
	}
	moved := 0
	for name, n := range swIfIndexes(t, sim) {
		if n != sw[name] {
			moved++
		}
	}
	if moved < len(sw)-1 {
		t.Fatalf("only %d of %d interfaces got another sw_if_index: the test would prove little", moved, len(sw))
	}
	eventually(t, 5*time.Second, "every discontinuity time set after the renumbering restart", func() error {
		for name, i := range ix {
			l := mustGet(t, sd, ifXCol(colIfCounterDiscTime, i))["."+ifXCol(colIfCounterDiscTime, i)]
			d, err := ticks(l)
			if err != nil {
				return err
			}
			if d < upAt {
				return fmt.Errorf("ifCounterDiscontinuityTime of %s (%d) = %d, before the restart (%d)", name, i, d, upAt)
			}
		}
		return nil
	})
	if got := ifIndexes(t, sd); !maps.Equal(got, ix) {
		t.Errorf("ifIndexes moved with the renumbering:\n got %v\nwant %v", got, ix)
	}
	eventually(t, 3*time.Second, "the oper states as before", func() error {
		got, err := operColumn(t, sd)
		if err == nil && !maps.Equal(got, oper) {
			err = fmt.Errorf("oper states %v, want %v", got, oper)
		}
		return err
	})
}

// TestStatsBusy: VPP holds the stats segment busy for 6 s: every GET of
// ifHCInOctets answers a non-zero Counter64 at once, the agent spends
// under 1 s of CPU in those seconds, and counters move again right after.
func TestStatsBusy(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)
	x, err := sim.Interface("TenGigabitEthernet3/0/0")
	if err != nil {
		t.Fatal(err)
	}
	oid := ifXCol(colIfHCInOctets, 1000+x.SwIfIndex)
	read := func() (uint64, error) {
		m, err := get(t, sd, oid)
		if err != nil {
			return 0, err
		}
		l := m["."+oid]
		if l.Type != "Counter64" {
			return 0, fmt.Errorf("ifHCInOctets = %s", l)
		}
		return number(l)
	}
	eventually(t, 5*time.Second, "traffic counted", func() error {
		n, err := read()
		if err == nil && n == 0 {
			err = errors.New("ifHCInOctets still 0")
		}
		return err
	})
	cpu0 := cpuTicks(t, a.cmd.Process.Pid)
	if out := sim.RunCLI("fault stats-busy 6s"); out != "" {
		t.Fatalf("fault stats-busy: %q", out)
	}
	begun := time.Now()
	gets := 0
	var last uint64
	for time.Since(begun) < 6*time.Second {
		n, err := read()
		if err != nil {
			t.Fatalf("GET %d while the segment is busy: %v", gets, err)
		}
		if n == 0 {
			t.Fatalf("GET %d while the segment is busy: ifHCInOctets 0", gets)
		}
		last = n
		gets++
	}
	cpu := float64(cpuTicks(t, a.cmd.Process.Pid)-cpu0) / clockTicks
	t.Logf("%d GETs in the busy window, all non-zero; agent CPU %.2f s; fired %d", gets, cpu, sim.FaultFired(vppsim.FaultStatsBusy))
	if sim.FaultFired(vppsim.FaultStatsBusy) == 0 {
		t.Fatal("stats-busy never fired: the test proved nothing")
	}
	if cpu >= 1 {
		t.Errorf("the agent used %.2f s of CPU in the 6 s busy window, want under 1 s", cpu)
	}
	eventually(t, 8*time.Second, "counters moving again after the busy window", func() error {
		n, err := read()
		if err == nil && n <= last {
			err = fmt.Errorf("ifHCInOctets %d, not beyond %d", n, last)
		}
		return err
	})
}

// clockTicks is the kernel's USER_HZ, /proc's unit of CPU time (100 on
// Linux everywhere that matters).
const clockTicks = 100

// TestSubFollowsParentAfterDump: a parent's link down, a full dump (which
// records the sub-interface's link flag down too), the link up again: the
// sub-interface reads up within 1 s, with no dump in between.
func TestSubFollowsParentAfterDump(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	startAgent(t, dir, sd, socks, "--details-interval", "300ms")
	waitServing(t, sd, 15*time.Second, 5)
	const port, sub = "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/0.100"
	ix := ifIndexes(t, sd)
	if out := sim.RunCLI("set interface link " + port + " down"); out != "" {
		t.Fatalf("set interface link: %q", out)
	}
	waitOper(t, sd, ix[sub], 7, 2*time.Second) // lowerLayerDown
	d := dumps(sim)
	eventually(t, 5*time.Second, "a full dump with the link down", func() error {
		if dumps(sim) < d+2 {
			return errors.New("no full dump yet")
		}
		return nil
	})
	if out := sim.RunCLI("set interface link " + port + " up"); out != "" {
		t.Fatalf("set interface link: %q", out)
	}
	waitOper(t, sd, ix[sub], 1, time.Second)
}

// rssKiB returns the resident memory of process pid, in KiB.
func rssKiB(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no VmRSS", pid)
	return 0
}

// TestAPIFaults: frames govpp's own reader would misread (a frame shorter
// than a reply header) or allocate 4 GiB for (a header claiming it), a
// connection closed in the middle of a dump, and a VPP whose API stalls
// for 3 s: after each, the agent still runs, serves exactly what it served
// before, and its memory stays near where it was.
func TestAPIFaults(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks, "--details-interval", "1s")
	waitServing(t, sd, 15*time.Second, -1)
	names := ifIndexes(t, sd)
	oper, err := operColumn(t, sd)
	if err != nil {
		t.Fatal(err)
	}
	rss0 := rssKiB(t, a.cmd.Process.Pid)
	for _, c := range []struct {
		command string
		fault   vppsim.Fault
	}{
		{"fault short-frame", vppsim.FaultShortFrame},
		{"fault huge-frame", vppsim.FaultHugeFrame},
		{"fault api-close", vppsim.FaultAPIClose},
		{"fault api-stall 3s", vppsim.FaultAPIStall},
	} {
		if out := sim.RunCLI(c.command); out != "" {
			t.Fatalf("%s: %q", c.command, out)
		}
		eventually(t, 10*time.Second, c.command+" fired", func() error {
			if sim.FaultFired(c.fault) == 0 {
				return errors.New("not yet")
			}
			return nil
		})
		// Answers stay right through the fault and after it.
		eventually(t, 10*time.Second, "the same walk after "+c.command, func() error {
			got, err := ifIndexesErr(t, sd)
			if err != nil {
				return err
			}
			if !maps.Equal(got, names) {
				return errStop{fmt.Errorf("ifDescr walk after %s:\n got %v\nwant %v", c.command, got, names)}
			}
			o, err := operColumn(t, sd)
			if err != nil {
				return err
			}
			if !maps.Equal(o, oper) {
				return errStop{fmt.Errorf("ifOperStatus after %s:\n got %v\nwant %v", c.command, o, oper)}
			}
			if !strings.Contains(a.Log(), "connected to VPP") {
				return errors.New("not connected")
			}
			return nil
		})
		select {
		case <-a.done:
			t.Fatalf("the agent exited after %s: %v", c.command, a.err)
		default:
		}
		sim.ClearFaults()
	}
	// A new connection after each fault that ended one.
	if n := strings.Count(a.Log(), "connected to VPP"); n < 3 {
		t.Errorf("%d connections to VPP, want a reconnection after each frame fault and the close", n)
	}
	rss := rssKiB(t, a.cmd.Process.Pid)
	t.Logf("agent RSS %d KiB before the faults, %d KiB after", rss0, rss)
	if rss > rss0+64*1024 {
		t.Errorf("agent RSS grew from %d to %d KiB through the faults", rss0, rss)
	}
}
