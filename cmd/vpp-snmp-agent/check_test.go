package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/statsread"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// These tests call run in this process, which sets govpp's package-level
// loggers: none of them runs in parallel.

// checkSubjects are the parts check reports, in its order.
var checkSubjects = []string{"VPP API", "stats segment", "linux-cp", "vppcfg file", "ifIndex file", "AgentX"}

// runCheckArgs runs `check args...` and returns its exit status and lines.
func runCheckArgs(t *testing.T, args ...string) (int, []string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"check"}, args...), &out, &errb)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	t.Logf("check %s -> %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, lines, errb.String()
}

// wantReport checks that lines are one per part, in order, each starting
// with its verdict, and returns them by part.
func wantReport(t *testing.T, lines []string) map[string]string {
	t.Helper()
	if len(lines) != len(checkSubjects) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(checkSubjects), strings.Join(lines, "\n"))
	}
	by := map[string]string{}
	for i, l := range lines {
		v, rest, _ := strings.Cut(l, " ")
		if v != "ok" && v != "warn" && v != "FAIL" {
			t.Errorf("line %d %q does not start with ok, warn or FAIL", i, l)
		}
		if !strings.HasPrefix(strings.TrimLeft(rest, " "), checkSubjects[i]) {
			t.Errorf("line %d %q: want the %s part there", i, l, checkSubjects[i])
		}
		by[checkSubjects[i]] = l
	}
	return by
}

func TestCheckArguments(t *testing.T) {
	code, _, stderr := runCheckArgs(t, "--no-such-flag")
	if code != exitConfig || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "no-such-flag") {
		t.Errorf("bad flag: exit %d, stderr %q; want %d and one line naming it", code, stderr, exitConfig)
	}
	code, _, stderr = runCheckArgs(t, "--priority", "0")
	if code != exitConfig || !strings.Contains(stderr, "priority") {
		t.Errorf("bad value: exit %d, stderr %q; want %d", code, stderr, exitConfig)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"--log-level", "debug", "check"}, &out, &errb); code != exitConfig || !strings.Contains(errb.String(), "check must come first") {
		t.Errorf("check after a flag: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"check", "--help"}, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "vpp-snmp-agent check [flags]") {
		t.Errorf("check --help: exit %d, output:\n%s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"--help"}, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "vpp-snmp-agent check [flags]") {
		t.Errorf("--help does not mention check: exit %d, output:\n%s", code, out.String())
	}
}

// fileState is what check must not change: the bytes and the mtime.
type fileState struct {
	b     []byte
	mtime time.Time
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{b, st.ModTime()}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// shortTempDir is a temporary directory whose socket paths fit the 108
// bytes of a unix address (t.TempDir embeds the test's name).
func shortTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "chk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// check tells what the agent will make of the ifIndex file and its
// previous copy, and never changes either, good or bad (the agent's own
// loading moves a bad one aside), nor creates anything beside them.
func TestCheckLeavesIfIndexFileAlone(t *testing.T) {
	const good = "{\"version\": 1, \"interfaces\": [\n{\"ifIndex\":1001,\"name\":\"TenGigabitEthernet3/0/0\"},\n{\"ifIndex\":1002,\"name\":\"loop0\"}\n]}\n"
	const older = "{\"version\": 1, \"interfaces\": [\n{\"ifIndex\":1001,\"name\":\"TenGigabitEthernet3/0/0\"}\n]}\n"
	const dirMark = "<dir>" // a directory in the file's place
	for _, c := range []struct {
		name, file, prev string // "" absent
		verdict          string
		want             []string
	}{
		{"good", good, older, "ok", []string{"2 entries; previous copy ifindex.json.prev: 1 entry"}},
		{"good, no copy", good, "", "ok", []string{"2 entries; no previous copy (ifindex.json.prev)"}},
		{"first start", "", "", "ok", []string{"absent: a first start"}},
		{"only the copy", "", older, "warn", []string{"absent; previous copy ifindex.json.prev: 1 entry; the agent will start from the previous copy"}},
		{"corrupt", good[:40], older, "warn", []string{"corrupt ifIndex state file", "move it aside (ifindex.json.corrupt-<unix time>) and start from the previous copy"}},
		{"both corrupt", good[:40], "[]", "warn", []string{"previous copy unusable: corrupt", "start afresh at 1000 + sw_if_index"}},
		{"a directory", dirMark, older, "FAIL", []string{"not a regular file", "cannot save ifIndexes until it is moved away"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := shortTempDir(t)
			path := filepath.Join(dir, "ifindex.json")
			past := time.Now().Add(-time.Hour).Truncate(time.Second)
			for p, content := range map[string]string{path: c.file, path + ".prev": c.prev} {
				var err error
				switch content {
				case "":
					continue
				case dirMark:
					err = os.Mkdir(p, 0o755)
				default:
					err = os.WriteFile(p, []byte(content), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, past, past); err != nil {
					t.Fatal(err)
				}
			}
			before := map[string]fileState{}
			for _, p := range []string{path, path + ".prev"} {
				if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
					before[p] = stateOf(t, p)
				}
			}
			names := dirNames(t, dir)
			code, lines, _ := runCheckArgs(t, "--api-socket", filepath.Join(dir, "api.sock"),
				"--stats-socket", filepath.Join(dir, "stats.sock"), "--agentx-addr", "unix:"+filepath.Join(dir, "master"),
				"--ifindex-file", path)
			if code != 1 {
				t.Errorf("exit %d with no VPP and no snmpd, want 1", code)
			}
			l := wantReport(t, lines)["ifIndex file"]
			if !strings.HasPrefix(l, fmt.Sprintf("%-4s ifIndex file %s: ", c.verdict, path)) {
				t.Errorf("ifIndex line %q, want %s naming %s", l, c.verdict, path)
			}
			for _, w := range c.want {
				if !strings.Contains(l, w) {
					t.Errorf("ifIndex line %q lacks %q", l, w)
				}
			}
			for p, want := range before {
				got := stateOf(t, p)
				if !bytes.Equal(got.b, want.b) || !got.mtime.Equal(want.mtime) {
					t.Errorf("%s changed: mtime %v -> %v, %d -> %d bytes", p, want.mtime, got.mtime, len(want.b), len(got.b))
				}
			}
			if got := dirNames(t, dir); !slices.Equal(got, names) {
				t.Errorf("files beside the ifIndex file: %v, before %v", got, names)
			}
		})
	}
	t.Run("directory to create", func(t *testing.T) {
		dir := shortTempDir(t)
		path := filepath.Join(dir, "sub", "ifindex.json")
		_, lines, _ := runCheckArgs(t, "--api-socket", filepath.Join(dir, "api.sock"),
			"--stats-socket", filepath.Join(dir, "stats.sock"), "--agentx-addr", "unix:"+filepath.Join(dir, "master"),
			"--ifindex-file", path)
		if l := wantReport(t, lines)["ifIndex file"]; !strings.HasPrefix(l, "ok ") || !strings.Contains(l, "absent") {
			t.Errorf("ifIndex line %q", l)
		}
		if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("check created %s: %v", filepath.Dir(path), err)
		}
	})
}

// startSim runs vppsim in this process with its sockets in dir.
func startSim(t *testing.T, dir string, table *vppsim.MsgTable) *vppsim.Sim {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	sim, err := vppsim.New(vppsim.Config{
		APISocket:    filepath.Join(dir, "api.sock"),
		StatsSocket:  filepath.Join(dir, "stats.sock"),
		Tick:         -1,
		MessageTable: table,
		Logger:       log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = sim.Close() })
	return sim
}

// Against vppsim and the real snmpd: everything ok, with VPP's version,
// its interface and linux-cp pair counts; then, with a subagent holding
// the IF-MIB subtrees at the same priority, AgentX fails naming them.
func TestCheckAgainstSimAndSnmpd(t *testing.T) {
	dir := shortTempDir(t)
	sim := startSim(t, dir, nil)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	args := []string{"--api-socket", filepath.Join(dir, "api.sock"), "--stats-socket", filepath.Join(dir, "stats.sock"),
		"--agentx-addr", sd.AgentXAddr, "--ifindex-file", filepath.Join(dir, "ifindex.json")}
	code, lines, stderr := runCheckArgs(t, args...)
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	by := wantReport(t, lines)
	n := len(sim.Interfaces())
	for part, want := range map[string]string{
		"VPP API":       fmt.Sprintf("ok   VPP API %s: VPP 26.06-release, %d interfaces", args[1], n),
		"stats segment": fmt.Sprintf("ok   stats segment %s: segment version 2, %d interfaces in /if/names, 14 of 14 interface counters", args[3], n),
		"linux-cp":      fmt.Sprintf("ok   linux-cp: %d pairs", len(sim.LCPPairs())),
		"vppcfg file":   "ok   vppcfg file: not configured",
		"AgentX":        fmt.Sprintf("ok   AgentX %s: session opened, %d subtrees registered at priority 100, closed", sd.AgentXAddr, len(mib.Subtrees())),
	} {
		if !strings.HasPrefix(by[part], want) {
			t.Errorf("%s line %q, want %q", part, by[part], want)
		}
	}

	s, err := agentx.New(agentx.Config{Addr: sd.AgentXAddr, Subtrees: mib.Subtrees(), Priority: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for !s.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("the holding session did not register within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, lines, _ = runCheckArgs(t, args...)
	if code != 1 {
		t.Errorf("exit %d with the subtrees held, want 1", code)
	}
	l := wantReport(t, lines)["AgentX"]
	for _, w := range []string{"FAIL", sd.AgentXAddr, "duplicateRegistration", "ifTable (1.3.6.1.2.1.2.2)", "priority 100", "already running"} {
		if !strings.Contains(l, w) {
			t.Errorf("AgentX line %q lacks %q", l, w)
		}
	}
	if !s.Connected() {
		t.Error("the holding session lost its registration to check")
	}
}

// A VPP without linux-cp (26.06's message table): a warning, exit 0.
func TestCheckWithoutLinuxCP(t *testing.T) {
	dir := shortTempDir(t)
	table, err := vppsim.LoadMessageTable("../../vppsim/msgtable-vpp-26.06.txt")
	if err != nil {
		t.Fatal(err)
	}
	startSim(t, dir, table)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	code, lines, _ := runCheckArgs(t, "--api-socket", filepath.Join(dir, "api.sock"), "--stats-socket", filepath.Join(dir, "stats.sock"),
		"--agentx-addr", sd.AgentXAddr, "--ifindex-file", filepath.Join(dir, "ifindex.json"))
	if code != 0 {
		t.Errorf("exit %d, want 0: a missing linux-cp is a warning", code)
	}
	if l := wantReport(t, lines)["linux-cp"]; !strings.HasPrefix(l, "warn linux-cp: not loaded") {
		t.Errorf("linux-cp line %q", l)
	}
}

func TestAgentXResultWording(t *testing.T) {
	const addr = "unix:/run/agentx/master"
	refused := func(e agentx.ErrorStatus, prio uint8, detail ...agentx.Varbind) agentx.ProbeResult {
		r := agentx.ProbeResult{Connected: true, Opened: true, Closed: true}
		for _, st := range mib.Subtrees()[:2] {
			r.Registrations = append(r.Registrations, agentx.Registration{Subtree: st, Priority: prio})
		}
		r.Registrations[1].Error, r.Registrations[1].Detail = e, detail
		return r
	}
	for _, c := range []struct {
		name    string
		r       agentx.ProbeResult
		err     error
		verdict string
		want    []string
		not     []string
	}{
		{"absent", agentx.ProbeResult{}, fmt.Errorf("connecting to unix:/run/agentx/master: %w", syscall.ENOENT), "FAIL",
			[]string{"no such file", "master agentx", "agentXSocket " + addr}, nil},
		{"refused", agentx.ProbeResult{}, fmt.Errorf("connecting: %w", syscall.ECONNREFUSED), "FAIL",
			[]string{"nobody listens", "agentXSocket " + addr}, nil},
		{"permission", agentx.ProbeResult{}, fmt.Errorf("connecting: %w", syscall.EACCES), "FAIL",
			[]string{"permission denied", "agentXPerms"}, nil},
		{"silent", agentx.ProbeResult{Connected: true}, fmt.Errorf("opening a session: %w within 5s", agentx.ErrNoResponse), "FAIL",
			[]string{"no AgentX answer", "agentXSocket"}, nil},
		{"open refused", agentx.ProbeResult{Connected: true, OpenError: agentx.OpenFailed}, nil, "FAIL",
			[]string{"refused the session", "openFailed"}, nil},
		{"duplicate", refused(agentx.DuplicateRegistration, 100), nil, "FAIL",
			[]string{"1 of 2 registrations at priority 100 refused", "duplicateRegistration: ifTable (1.3.6.1.2.1.2.2)", "already running"},
			[]string{"ifNumber", "the master says", "below 127"}},
		{"duplicate named", refused(agentx.DuplicateRegistration, 127, agentx.Varbind{Name: agentx.OID{1, 3, 6, 1, 4, 1, 9}, Value: agentx.Value{Type: agentx.TypeOctetString, Bytes: []byte("other")}}), nil, "FAIL",
			[]string{`the master says: 1.3.6.1.4.1.9 = "other"`, "below 127"}, nil},
		{"denied", refused(agentx.RequestDenied, 100), nil, "FAIL",
			[]string{"requestDenied: ifTable"}, []string{"already running"}},
		{"all well", refused(agentx.NoError, 100), nil, "ok",
			[]string{"session opened, 2 subtrees registered at priority 100, closed"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := agentXResult("AgentX "+addr, addr, c.r, c.err)
			l := r.String()
			if r.v.String() != c.verdict || !strings.HasPrefix(l, fmt.Sprintf("%-4s AgentX %s: ", c.verdict, addr)) {
				t.Errorf("%q, want verdict %s and the address", l, c.verdict)
			}
			for _, w := range c.want {
				if !strings.Contains(l, w) {
					t.Errorf("%q lacks %q", l, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(l, w) {
					t.Errorf("%q has %q", l, w)
				}
			}
		})
	}
}

func TestVPPSocketAdvice(t *testing.T) {
	dir := shortTempDir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const conf = "socksvr { socket-name X }"
	for _, c := range []struct {
		name, path string
		err        error
		want       string
	}{
		{"permission", file, fmt.Errorf("dial: %w", syscall.EACCES), "group vpp"},
		{"absent by error", file, fmt.Errorf("dial: %w", syscall.ENOENT), "is its socket at this path (startup.conf: " + conf + ")"},
		{"absent by stat", filepath.Join(dir, "none"), errors.New("VPP API socket file does not exist"), "is VPP running?"},
		{"not a socket", file, errors.New("something"), "not a socket"},
		{"wrong kind", sock, fmt.Errorf("dial: %w", syscall.EPROTOTYPE), "a socket of another kind"},
		{"nobody listens", sock, fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "nobody listens"},
		{"silent", sock, errors.New("i/o timeout"), "answering"},
	} {
		if got := vppSocketAdvice(c.path, c.err, conf); !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q in it", c.name, got, c.want)
		}
	}
}

func TestStatsResultWording(t *testing.T) {
	info := statsread.SegmentInfo{Version: 2, Counters: []string{"/if/rx", "/if/tx"}, Missing: []string{"/if/rx-miss"}}
	r := statsResult("stats segment /s", 1, info, true)
	if r.v != vWarn || r.String() != "warn stats segment /s: segment version 2, 1 interface in /if/names, 2 of 3 interface counters; VPP lacks /if/rx-miss: what they feed reads 0" {
		t.Errorf("%q", r)
	}
	if r := statsResult("stats segment /s", 3, statsread.SegmentInfo{}, false); r.v != vOK || r.text != "3 interfaces in /if/names" {
		t.Errorf("%q", r)
	}
}
