package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// chaosScenario: ports (two of them bond members), a bond, sub-interfaces
// on a port and on the bond, a loopback; the test adds 2,000 generated
// QinQ sub-interfaces spread evenly over the four ports (so a restart,
// which may order the ports otherwise, names the same ones).
const chaosScenario = `
interfaces:
  - name: TenGigabitEthernet3/0/0
    speed: 10G
    rates: {rx_pps: 1000, tx_pps: 1000, rx_size: 100, tx_size: 100}
  - name: TenGigabitEthernet3/0/1
    speed: 10G
  - name: TenGigabitEthernet3/0/2
    speed: 10G
    bond: BondEthernet0
  - name: TenGigabitEthernet3/0/3
    speed: 10G
    bond: BondEthernet0
  - name: BondEthernet0
    kind: bond
    rates: {rx_pps: 100, tx_pps: 100}
  - name: TenGigabitEthernet3/0/0.100
    kind: sub
    parent: TenGigabitEthernet3/0/0
    vlan: 100
  - name: BondEthernet0.400
    kind: sub
    parent: BondEthernet0
    vlan: 400
  - name: loop0
    kind: loopback
`

// chaosStates is what IF-MIB must say of VPP's interfaces now: ifAdminStatus
// and ifOperStatus by name, from VPP's flags and the README's rules (down
// when admin down; a sub-interface lowerLayerDown under a parent not up; a
// bond lowerLayerDown when its link is down and none of its members is up).
func chaosStates(sim *vppsim.Sim) map[string][2]uint64 {
	ifs := sim.Interfaces()
	bySw := map[uint32]vppsim.Interface{}
	for _, x := range ifs {
		bySw[x.SwIfIndex] = x
	}
	own := func(x vppsim.Interface) uint64 {
		if x.AdminUp && x.LinkUp {
			return 1
		}
		return 2
	}
	oper := func(x vppsim.Interface) uint64 {
		o := own(x)
		if x.Kind == vppsim.KindBond && x.AdminUp && !x.LinkUp {
			members, up := 0, false
			for _, m := range ifs {
				if m.BondSwIfIndex == x.SwIfIndex {
					members++
					up = up || own(m) == 1
				}
			}
			if members > 0 && !up {
				o = 7
			}
		}
		return o
	}
	out := make(map[string][2]uint64, len(ifs))
	for _, x := range ifs {
		admin := uint64(2)
		if x.AdminUp {
			admin = 1
		}
		o := oper(x)
		if x.Kind == vppsim.KindSub {
			switch p, ok := bySw[x.SupSwIfIndex]; {
			case !x.AdminUp:
				o = 2
			case ok && oper(p) == 1:
				o = 1
			case ok:
				o = 7
			}
		}
		out[x.Name] = [2]uint64{admin, o}
	}
	return out
}

// servedStates walks ifAdminStatus and ifOperStatus and returns them by
// name (names from ix: name to ifIndex).
func servedStates(t *testing.T, sd *snmpdtest.Snmpd, ix map[string]uint32) (map[string][2]uint64, error) {
	byIx := map[uint32]string{}
	for n, i := range ix {
		byIx[i] = n
	}
	out := map[string][2]uint64{}
	for k, c := range []int{colIfAdminStatus, colIfOperStatus} {
		col, err := walkColumn(t, sd, oidIfEntry, c)
		if err != nil {
			return nil, err
		}
		vals, err := numbers(col)
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			st := out[byIx[i]]
			st[k] = v
			out[byIx[i]] = st
		}
	}
	return out, nil
}

// diffStates lists the names whose states differ, at most a few.
func diffStates(got, want map[string][2]uint64) string {
	var d []string
	for n, w := range want {
		if g, ok := got[n]; !ok || g != w {
			d = append(d, fmt.Sprintf("%s: served %v, VPP %v", n, g, w))
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			d = append(d, fmt.Sprintf("%s: served, VPP has none", n))
		}
	}
	sort.Strings(d)
	if len(d) > 8 {
		d = append(d[:8], fmt.Sprintf("... %d in all", len(d)))
	}
	return strings.Join(d, "; ")
}

// walkRecord is one walk of ifXTable by a background walker.
type walkRecord struct {
	start, end time.Time
	err        error
}

// walkers runs n snmpbulkwalks of ifXTable in a loop until stop is closed,
// checking each against want (every row of every column, ifName by
// ifIndex exactly as in want).
func walkers(t *testing.T, sd *snmpdtest.Snmpd, n int, want map[string]uint32, stop <-chan struct{}) func() []walkRecord {
	ixs := make([]uint64, 0, len(want))
	for _, i := range want {
		ixs = append(ixs, uint64(i))
	}
	slices.Sort(ixs)
	var mu sync.Mutex
	var recs []walkRecord
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := walkRecord{start: time.Now()}
				out, err := sd.Cmd(t, "snmpbulkwalk", "-Cr50", "-t", "3", "-r", "1", oidIfXTable)
				r.end = time.Now()
				if err == nil {
					err = checkXWalk(snmpdtest.ParseLines(out), ixs, want)
				}
				r.err = err
				mu.Lock()
				recs = append(recs, r)
				mu.Unlock()
			}
		}()
	}
	return func() []walkRecord {
		wg.Wait()
		return recs
	}
}

// checkXWalk checks an ifXTable walk: whole (19 columns, every row) and
// ifName naming each ifIndex as want does.
func checkXWalk(lines []snmpdtest.Line, ixs []uint64, want map[string]uint32) error {
	cols, err := checkTableWalk(lines, oidIfXEntry, 19, ixs)
	if err != nil {
		return err
	}
	for name, i := range want {
		l := cols[colIfName][uint64(i)]
		if got := strings.Trim(l.Value, `"`); got != name {
			return fmt.Errorf("ifName.%d = %q, want %q", i, got, name)
		}
	}
	return nil
}

// window is a span of the test in which walks may fail: one that overlaps
// it is not held against the agent.
type window struct {
	what       string
	start, end time.Time
}

// TestChaos: the real snmpd, the agent and vppsim with 2,008 interfaces;
// seeded flap storms, every vppsim fault in turn, VPP killed and
// restarted, snmpd killed and restarted, while 4 snmpbulkwalks of ifXTable
// run all the time. After each storm every row's ifAdminStatus and
// ifOperStatus equal VPP's within 1 s; every walk is whole with exactly
// VPP's names and unchanged ifIndexes, except those overlapping the
// windows the README declares (snmpd restarting); every row reads down
// while VPP is gone and right again after; the agent never exits and its
// RSS stays within 20 % of where it started. CHAOS_ROUNDS=N repeats the
// storms and faults N times (`make chaos`).
func TestChaos(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	rounds := 1
	if r := os.Getenv("CHAOS_ROUNDS"); r != "" {
		if _, err := fmt.Sscanf(r, "%d", &rounds); err != nil || rounds < 1 {
			t.Fatalf("CHAOS_ROUNDS=%q", r)
		}
	}
	dir := shortDir(t)
	socks := socketsIn(dir)
	sc, err := vppsim.ParseScenario(strings.NewReader(chaosScenario))
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(testWriter{t})
	log.SetLevel(logrus.WarnLevel)
	sim, err := vppsim.New(vppsim.Config{
		APISocket: socks.api, StatsSocket: socks.stats, CLISocket: socks.cli,
		Scenario: sc, Interfaces: 2000, Logger: log,
		RestartDelay: 5 * time.Second, // VPP away longer than --vpp-down-after
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks, "--details-interval", "2s", "--vpp-down-after", "2s")
	waitServing(t, sd, 30*time.Second, len(sim.Interfaces()))
	ix := ifIndexes(t, sd)
	t.Logf("%d interfaces", len(ix))
	settled := func(what string) {
		t.Helper()
		// The spec's grace: VPP's state is served within 1 s of the last change.
		time.Sleep(time.Second)
		got, err := servedStates(t, sd, ix)
		if err != nil {
			t.Fatalf("%s: walking the states: %v", what, err)
		}
		if d := diffStates(got, chaosStates(sim)); d != "" {
			t.Fatalf("%s: 1 s later the states differ from VPP's: %s", what, d)
		}
	}
	// converged waits for the agent to catch up after a fault that cut it
	// off from VPP (a restart): storms are timed from there.
	converged := func(what string) {
		t.Helper()
		eventually(t, 15*time.Second, what, func() error {
			got, err := servedStates(t, sd, ix)
			if err != nil {
				return err
			}
			if d := diffStates(got, chaosStates(sim)); d != "" {
				return fmt.Errorf("%s", d)
			}
			return nil
		})
	}
	settled("at start")
	rss0 := rssKiB(t, a.cmd.Process.Pid)

	stop := make(chan struct{})
	collect := walkers(t, sd, 4, ix, stop)
	var windows []window
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	seed := rng.Uint64()
	t.Logf("storm seed %d", seed)
	rng = rand.New(rand.NewPCG(seed, 12))
	var parents, subs []string
	for _, x := range sim.Interfaces() {
		switch {
		case x.Kind == vppsim.KindDPDK:
			parents = append(parents, x.Name)
		case x.Kind == vppsim.KindSub:
			subs = append(subs, x.Name)
		}
	}
	storm := func(n int) {
		t.Helper()
		for range n {
			up := rng.IntN(2) == 0
			var err error
			switch k := rng.IntN(3); {
			case k == 0:
				err = sim.SetLink(parents[rng.IntN(len(parents))], up)
			case k == 1:
				err = sim.SetAdmin(parents[rng.IntN(len(parents))], up)
			default:
				err = sim.SetAdmin(subs[rng.IntN(len(subs))], up)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	fault := func(command string, f vppsim.Fault) {
		t.Helper()
		if out := sim.RunCLI(command); out != "" && !strings.HasPrefix(out, "renumbered") {
			t.Fatalf("%s: %q", command, out)
		}
		eventually(t, 10*time.Second, command+" fired", func() error {
			if sim.FaultFired(f) == 0 {
				return fmt.Errorf("not yet")
			}
			return nil
		})
	}
	faults := 0
	for round := range rounds {
		storm(100)
		settled(fmt.Sprintf("round %d: storm 1", round))

		fault("fault details-drop 30", vppsim.FaultDetailsDrop)
		storm(50)
		d := dumps(sim)
		eventually(t, 10*time.Second, "two short dumps", func() error {
			if dumps(sim) < d+2 {
				return fmt.Errorf("not yet")
			}
			return nil
		})
		settled(fmt.Sprintf("round %d: storm under details-drop", round))
		sim.ClearFaults()
		fault("fault stats-busy 3s", vppsim.FaultStatsBusy)
		fault("fault api-stall 3s", vppsim.FaultAPIStall)
		fault("fault api-close", vppsim.FaultAPIClose)
		fault("fault short-frame", vppsim.FaultShortFrame)
		fault("fault huge-frame", vppsim.FaultHugeFrame)
		fault("fault renumber", vppsim.FaultRenumber)
		faults += 7
		sim.ClearFaults()
		converged(fmt.Sprintf("round %d: the states right after the faults", round))
		storm(100)
		settled(fmt.Sprintf("round %d: storm after the faults", round))

		// VPP killed: every row down while it is gone, right after.
		restarted := make(chan error, 1)
		go func() { restarted <- sim.RestartWith(vppsim.RestartKill) }()
		eventually(t, 5*time.Second, "every row down while VPP is gone", func() error {
			got, err := servedStates(t, sd, ix)
			if err != nil {
				return err
			}
			for n, s := range got {
				if s[1] != 2 {
					return fmt.Errorf("%s ifOperStatus %d", n, s[1])
				}
			}
			if len(got) != len(ix) {
				return fmt.Errorf("%d rows, want %d", len(got), len(ix))
			}
			return nil
		})
		if err := <-restarted; err != nil {
			t.Fatal(err)
		}
		converged(fmt.Sprintf("round %d: the states right after VPP's return", round))
		faults++

		// snmpd killed and restarted: the declared window of walk errors.
		w := window{what: "snmpd restart", start: time.Now()}
		sd.Restart(t)
		waitServing(t, sd, 15*time.Second, len(ix))
		w.end = time.Now()
		windows = append(windows, w)
		faults++
	}
	close(stop)
	recs := collect()

	good, excused := 0, 0
	var bad []string
	for _, r := range recs {
		if r.err == nil {
			good++
			continue
		}
		in := false
		for _, w := range windows {
			if r.start.Before(w.end) && r.end.After(w.start) {
				in = true
			}
		}
		if in {
			excused++
			continue
		}
		bad = append(bad, fmt.Sprintf("walk %s..%s: %v", r.start.Format("15:04:05.000"), r.end.Format("15:04:05.000"), r.err))
	}
	rss := rssKiB(t, a.cmd.Process.Pid)
	t.Logf("chaos: %d faults, %d walks whole, %d failed in declared windows, %d failed outside; agent RSS %d KiB -> %d KiB",
		faults, good, excused, len(bad), rss0, rss)
	if len(bad) > 0 {
		t.Errorf("%d walks failed outside the declared windows: %s", len(bad), strings.Join(bad[:min(len(bad), 5)], "; "))
	}
	if good < 4 {
		t.Errorf("only %d whole walks: the walkers did not run", good)
	}
	select {
	case <-a.done:
		t.Fatalf("the agent exited: %v", a.err)
	default:
	}
	if float64(rss) > 1.2*float64(rss0) {
		t.Errorf("agent RSS grew from %d KiB to %d KiB, over 20 %%", rss0, rss)
	}
}
