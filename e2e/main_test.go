package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// binaries are the real programs under test, built once by TestMain.
type binaries struct {
	agent, vppsim string
	err           error // why they could not be built
}

var bin binaries

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if testing.Short() {
		return m.Run() // every test skips
	}
	dir, err := os.MkdirTemp("", "e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: creating the binaries' directory:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = build(dir)
	return m.Run()
}

// build compiles the agent and vppsim from the module root (go test runs in
// the package directory, one below it). go test puts its own go first in
// PATH. E2E_RACE=1 builds them with the race detector, so that the
// processes themselves are checked (slower; a race ends the process with
// exit status 66 and its report in the process's log).
func build(dir string) binaries {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if os.Getenv("E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/vpp-snmp-agent", "./cmd/vppsim")...)
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		return binaries{err: fmt.Errorf("go build: %w\n%s", err, out)}
	}
	return binaries{agent: filepath.Join(dir, "vpp-snmp-agent"), vppsim: filepath.Join(dir, "vppsim")}
}

// needBinaries skips in -short mode and fails when the build failed.
func needBinaries(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	if bin.err != nil {
		t.Fatal(bin.err)
	}
}

// proc is one child process with its combined output in a file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // Wait's result, valid once done is closed
}

// startProc starts a program; its stdout and stderr go to DIR/NAME.log. The
// test's cleanup kills it if it still runs and, when the test failed, shows
// the end of its log.
func startProc(t *testing.T, dir, name, path string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("creating %s: %v", p.log, err)
	}
	p.cmd = exec.Command(path, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if strings.Contains(p.Log(), "WARNING: DATA RACE") { // built with E2E_RACE=1
			t.Errorf("%s reported a data race (log %s)", name, p.log)
		}
		if t.Failed() {
			t.Logf("--- end of %s log (%s):\n%s", name, p.log, tail(p.Log(), 60))
		}
	})
	return p
}

// Log returns what the process has written so far.
func (p *proc) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func (p *proc) signal(sig syscall.Signal) { _ = p.cmd.Process.Signal(sig) }

// kill sends SIGKILL (if it still runs) and waits for the exit.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.signal(syscall.SIGKILL)
	<-p.done
}

// wait returns the exit status, or fails the test if the process is still
// running after timeout.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-p.done:
	case <-tm.C:
		t.Fatalf("%s still running %v later", p.name, timeout)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("%s: %v", p.name, p.err)
	return -1
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// vppSockets are where a VPP (vppsim) listens.
type vppSockets struct {
	api, stats, cli string
}

func socketsIn(dir string) vppSockets {
	return vppSockets{
		api:   filepath.Join(dir, "api.sock"),
		stats: filepath.Join(dir, "stats.sock"),
		cli:   filepath.Join(dir, "cli.sock"),
	}
}

// shortDir is a fresh temporary directory with a short path: unix socket
// paths are limited to 108 bytes and t.TempDir() embeds the test's name.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// simOptions configure an in-process vppsim.
type simOptions struct {
	scenario string        // YAML; "" is vppsim's default router
	tick     time.Duration // 0: vppsim's default; negative: counters move only on Advance
	workers  int
	generate int // generated QinQ sub-interfaces beside the scenario's
}

// startSim runs vppsim in this process, with its sockets in dir.
func startSim(t *testing.T, dir string, o simOptions) (*vppsim.Sim, vppSockets) {
	t.Helper()
	socks := socketsIn(dir)
	log := logrus.New()
	log.SetOutput(testWriter{t})
	log.SetLevel(logrus.WarnLevel)
	cfg := vppsim.Config{
		APISocket:    socks.api,
		StatsSocket:  socks.stats,
		CLISocket:    socks.cli,
		Tick:         o.tick,
		Workers:      o.workers,
		Interfaces:   o.generate,
		RestartDelay: 200 * time.Millisecond,
		Logger:       log,
	}
	if o.scenario != "" {
		sc, err := vppsim.ParseScenario(strings.NewReader(o.scenario))
		if err != nil {
			t.Fatalf("scenario: %v", err)
		}
		cfg.Scenario = sc
	}
	sim, err := vppsim.New(cfg)
	if err != nil {
		t.Fatalf("vppsim.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx); err != nil {
		cancel()
		t.Fatalf("vppsim.Start: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = sim.Close() })
	return sim, socks
}

// testWriter sends a logger's lines to t.Log until the test ends.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	defer func() { _ = recover() }() // a line after the test ended
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// startVppsim runs the vppsim binary with its sockets in dir and waits
// until its API and CLI sockets accept connections.
func startVppsim(t *testing.T, dir string, args ...string) (*proc, vppSockets) {
	t.Helper()
	socks := socketsIn(dir)
	all := append([]string{"--api-socket", socks.api, "--stats-socket", socks.stats, "--cli-socket", socks.cli}, args...)
	p := startProc(t, dir, "vppsim", bin.vppsim, all...)
	eventually(t, 15*time.Second, "vppsim is ready", func() error {
		select {
		case <-p.done:
			return errStop{fmt.Errorf("vppsim exited: %v\n%s", p.err, p.Log())}
		default:
		}
		if !strings.Contains(p.Log(), "vppsim ready") {
			return errors.New("no \"vppsim ready\" in its log yet")
		}
		return nil
	})
	return p, socks
}

// ctl runs `vppsim ctl -s SOCK COMMAND...` and returns its output.
func ctl(t *testing.T, socks vppSockets, command ...string) string {
	t.Helper()
	args := append([]string{"ctl", "-s", socks.cli, "-timeout", "10s"}, command...)
	out, err := exec.Command(bin.vppsim, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("vppsim ctl %s: %v\n%s", strings.Join(command, " "), err, out)
	}
	return string(out)
}

// agent is one vpp-snmp-agent process.
type agent struct {
	*proc
	ifindexFile string
}

// startAgent runs the agent binary against snmpd and a VPP. extra flags
// come last (and so win).
func startAgent(t *testing.T, dir string, sd *snmpdtest.Snmpd, vpp vppSockets, extra ...string) *agent {
	t.Helper()
	a := &agent{ifindexFile: filepath.Join(dir, "ifindex.json")}
	args := []string{
		"--agentx-addr", sd.AgentXAddr,
		"--api-socket", vpp.api,
		"--stats-socket", vpp.stats,
		"--ifindex-file", a.ifindexFile,
		"--log-level", "info",
	}
	a.proc = startProc(t, dir, "agent", bin.agent, append(args, extra...)...)
	return a
}

// errStop ends eventually at once: waiting longer cannot help.
type errStop struct{ error }

// eventually calls f until it returns nil and fails the test if that does
// not happen within timeout, with f's last error.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	if err := poll(timeout, f); err != nil {
		t.Fatalf("%s: not within %v: %v", what, timeout, err)
	}
}

// poll calls f until it returns nil (then nil) or timeout passes (then f's
// last error). f runs at least once, and once more at the deadline.
func poll(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		var stop errStop
		if err == nil || errors.As(err, &stop) {
			return err
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// snmp runs a net-snmp client without failing the test, with a short
// timeout so that polling loops keep their pace.
func snmp(sd *snmpdtest.Snmpd, t *testing.T, tool string, args ...string) ([]snmpdtest.Line, error) {
	out, err := sd.Cmd(t, tool, append([]string{"-t", "1", "-r", "0"}, args...)...)
	if err != nil {
		return nil, err
	}
	return snmpdtest.ParseLines(out), nil
}

// get runs one snmpget of all oids (one SNMP request) and returns the
// values by OID (with the leading dot).
func get(t *testing.T, sd *snmpdtest.Snmpd, oids ...string) (map[string]snmpdtest.Line, error) {
	lines, err := snmp(sd, t, "snmpget", oids...)
	if err != nil {
		return nil, err
	}
	if len(lines) != len(oids) {
		return nil, fmt.Errorf("snmpget of %d OIDs printed %d lines: %v", len(oids), len(lines), lines)
	}
	m := make(map[string]snmpdtest.Line, len(lines))
	for _, l := range lines {
		m[l.OID] = l
	}
	for _, o := range oids {
		if _, ok := m["."+o]; !ok {
			return nil, fmt.Errorf("snmpget printed no %s: %v", o, lines)
		}
	}
	return m, nil
}

// mustGet is get that fails the test.
func mustGet(t *testing.T, sd *snmpdtest.Snmpd, oids ...string) map[string]snmpdtest.Line {
	t.Helper()
	m, err := get(t, sd, oids...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bulkwalk runs snmpbulkwalk from oid without failing the test.
func bulkwalk(t *testing.T, sd *snmpdtest.Snmpd, oid string) ([]snmpdtest.Line, error) {
	out, err := sd.Cmd(t, "snmpbulkwalk", "-Cr50", "-t", "2", "-r", "1", oid)
	if err != nil {
		return nil, err
	}
	return snmpdtest.ParseLines(out), nil
}

// waitServing waits until the agent answers ifNumber.0 through snmpd with
// want interfaces (any number when want < 0).
func waitServing(t *testing.T, sd *snmpdtest.Snmpd, timeout time.Duration, want int) {
	t.Helper()
	eventually(t, timeout, "the agent serves ifNumber.0 through snmpd", func() error {
		return checkIfNumber(t, sd, want)
	})
}

func checkIfNumber(t *testing.T, sd *snmpdtest.Snmpd, want int) error {
	m, err := get(t, sd, oidIfNumber)
	if err != nil {
		return err
	}
	l := m["."+oidIfNumber]
	if l.Type != "INTEGER" {
		return fmt.Errorf("ifNumber.0 = %s", l)
	}
	if want >= 0 && l.Value != fmt.Sprint(want) {
		return fmt.Errorf("ifNumber.0 = %s, want %d", l.Value, want)
	}
	return nil
}

// OIDs used across the tests.
const (
	oidSysUpTime          = "1.3.6.1.2.1.1.3.0"
	oidIfNumber           = "1.3.6.1.2.1.2.1.0"
	oidIfTable            = "1.3.6.1.2.1.2.2"
	oidIfEntry            = "1.3.6.1.2.1.2.2.1"
	oidIfXTable           = "1.3.6.1.2.1.31.1.1"
	oidIfXEntry           = "1.3.6.1.2.1.31.1.1.1"
	oidIfStackTable       = "1.3.6.1.2.1.31.1.2"
	oidIfStackEntry       = "1.3.6.1.2.1.31.1.2.1"
	oidIfTableLastChange  = "1.3.6.1.2.1.31.1.5.0"
	oidIfStackLastChange  = "1.3.6.1.2.1.31.1.6.0"
	oidSnmpTrapOID        = "1.3.6.1.6.3.1.1.4.1.0"
	oidLinkDown           = "1.3.6.1.6.3.1.1.5.3"
	oidLinkUp             = "1.3.6.1.6.3.1.1.5.4"
	colIfDescr            = 2
	colIfOperStatus       = 8
	colIfAdminStatus      = 7
	colIfLastChange       = 9
	colIfHCInOctets       = 6
	colIfCounterDiscTime  = 19
	colIfName             = 1
	colIfStackStatus      = 3
	colIfInOctets         = 10
	colIfHCInUcastPkts    = 7
	colIfHCInMcastPkts    = 8
	colIfHCInBcastPkts    = 9
	colIfInUcastPkts      = 11
	colIfInNUcastPkts     = 12
	colIfHighSpeed        = 15
	colIfSpeed            = 5
	colIfIndex            = 1
	colIfInMulticastPkts  = 2
	colIfInBroadcastPkts  = 3
	colIfHCOutOctets      = 10
	colIfOutOctets        = 16
	colIfLinkUpDownTrapEn = 14
)

// ifCol is ifEntry.col.ifIndex, ifXCol ifXEntry.col.ifIndex.
func ifCol(col int, ifIndex uint32) string { return fmt.Sprintf("%s.%d.%d", oidIfEntry, col, ifIndex) }
func ifXCol(col int, ifIndex uint32) string {
	return fmt.Sprintf("%s.%d.%d", oidIfXEntry, col, ifIndex)
}

// ticks parses a Timeticks value as net-snmp prints it: "(1234) 0:00:12.34".
func ticks(l snmpdtest.Line) (uint64, error) {
	if l.Type != "Timeticks" {
		return 0, fmt.Errorf("%s is not Timeticks", l)
	}
	var n uint64
	if _, err := fmt.Sscanf(l.Value, "(%d)", &n); err != nil {
		return 0, fmt.Errorf("%s: %v", l, err)
	}
	return n, nil
}

// number parses a Gauge32, Counter32, Counter64 or non-negative INTEGER.
func number(l snmpdtest.Line) (uint64, error) {
	switch l.Type {
	case "INTEGER", "Gauge32", "Counter32", "Counter64":
	default:
		return 0, fmt.Errorf("%s is not a number", l)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(l.Value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", l, err)
	}
	return n, nil
}
