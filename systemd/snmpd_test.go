package systemd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// connectEnv makes the test binary a one-shot AgentX client instead: it
// connects to the unix socket named by the variable and exits 0, or 3 when
// the socket's permissions refuse it. TestSnmpdExampleConfig runs it under
// other user and group ids.
const connectEnv = "VSA_TEST_CONNECT_UNIX"

func TestMain(m *testing.M) {
	if path := os.Getenv(connectEnv); path != "" {
		c, err := net.Dial("unix", path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			if errors.Is(err, syscall.EACCES) {
				os.Exit(3)
			}
			os.Exit(1)
		}
		c.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The ids the AgentX permission check runs under: a stranger (nobody) who
// holds, or does not hold, the group of agentXPerms.
const (
	agentGID    = 4242
	strangerGID = 4243
	nobodyUID   = 65534
)

// exampleConfig is snmpd.conf.example made runnable on loopback: every
// example line ("#" then a letter) enabled, addresses and paths moved into
// the test's directory, and what the test needs to talk to it.
type exampleConfig struct {
	text        string
	sysLocation string
	community   string   // of the rocommunity line for 127.0.0.1
	v3User      []string // createUser's words
	trapsess    []string // trapsess's words
	trapCommune string   // of trap2sink
}

func renderExample(t *testing.T, port, trapPort int, socket string, owner string, group int) exampleConfig {
	t.Helper()
	b, err := os.ReadFile("../snmpd.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	var ec exampleConfig
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if len(line) > 1 && line[0] == '#' && (line[1] >= 'a' && line[1] <= 'z' || line[1] >= 'A' && line[1] <= 'Z') {
			line = line[1:]
		}
		if trimmed := strings.TrimSpace(line); trimmed == "" || trimmed[0] == '#' {
			out = append(out, line)
			continue
		}
		words, err := splitCommand(line)
		if err != nil {
			t.Fatalf("snmpd.conf.example: %q: %v", line, err)
		}
		seen[words[0]] = true
		switch words[0] {
		case "agentaddress":
			line = fmt.Sprintf("agentaddress udp:127.0.0.1:%d", port)
		case "agentXSocket":
			if words[1] != "unix:/var/agentx/master" {
				t.Errorf("agentXSocket %s: the agent's default is unix:/var/agentx/master", words[1])
			}
			line = "agentXSocket unix:" + socket
		case "agentXPerms":
			if len(words) != 5 || words[4] != "vpp-snmp-agent" {
				t.Errorf("%q: want SOCKPERMS DIRPERMS USER vpp-snmp-agent", line)
			}
			line = fmt.Sprintf("agentXPerms %s %s %s %d", words[1], words[2], owner, group)
		case "sysLocation":
			ec.sysLocation = strings.Join(words[1:], " ")
		case "rocommunity":
			if len(words) > 2 && words[2] == "127.0.0.1" {
				ec.community = words[1]
			}
		case "createUser":
			ec.v3User = words
		case "trap2sink":
			ec.trapCommune = words[2]
			line = fmt.Sprintf("trap2sink 127.0.0.1:%d %s", trapPort, ec.trapCommune)
		case "trapsess":
			ec.trapsess = words
			line = strings.Replace(line, words[len(words)-1], fmt.Sprintf("127.0.0.1:%d", trapPort), 1)
		}
		out = append(out, line)
	}
	for _, want := range []string{"master", "agentXSocket", "agentXPerms", "view", "rocommunity", "createUser", "rouser", "trap2sink", "trapsess", "sysLocation", "dontLogTCPWrappersConnects"} {
		if !seen[want] {
			t.Errorf("snmpd.conf.example has no %s line", want)
		}
	}
	if ec.community == "" || len(ec.v3User) != 6 || len(ec.trapsess) < 2 {
		t.Fatalf("snmpd.conf.example: want a rocommunity for 127.0.0.1, createUser USER AUTH PASS PRIV PASS and a trapsess line; have %q, %q, %q", ec.community, ec.v3User, ec.trapsess)
	}
	// Test-only: snmpEngine (engine ID, engineBoots) is outside the
	// example's view.
	out = append(out, "rocommunity enginetest 127.0.0.1 .1.3.6.1.6.3.10.2.1")
	ec.text = strings.Join(out, "\n")
	return ec
}

// TestSnmpdExampleConfig runs Debian's snmpd as snmpd-dataplane.service does
// (its Environment= and ExecStart= arguments) with snmpd.conf.example, then
// checks what the example promises: no complaint about the file, nothing of
// the host's configuration read, snmpd's own IF-MIB gone, the view, v2c and
// v3 access, an AgentX socket that the agent's group (and only it) can
// open, notifications to both sinks, and state kept across a restart.
func TestSnmpdExampleConfig(t *testing.T) {
	snmpdBin := needTool(t, "snmpd", "snmpd")
	needTool(t, "snmpget", "snmp")
	trapdBin := needTool(t, "snmptrapd", "snmptrapd")
	root := os.Geteuid() == 0

	base := worldReadableDir(t)
	persist := filepath.Join(base, "persist")
	confPath := filepath.Join(base, "snmpd-dataplane.conf")
	socket := filepath.Join(base, "agentx", "master")
	port, trapPort := freeUDPPort(t), freeUDPPort(t)
	owner, group := "Debian-snmp", agentGID
	if !root {
		owner, group = strconv.Itoa(os.Getuid()), os.Getgid()
	}
	ec := renderExample(t, port, trapPort, socket, owner, group)
	if err := os.WriteFile(confPath, []byte(ec.text), 0o644); err != nil {
		t.Fatal(err)
	}

	unit := mustReadUnit(t, "snmpd-dataplane.service")
	env := cleanEnv()
	unitEnv := unit.environment(t)
	for _, k := range []string{"SNMPCONFPATH", "SNMP_PERSISTENT_DIR", "MIBS"} {
		if _, ok := unitEnv[k]; !ok {
			t.Errorf("snmpd-dataplane.service: no Environment=%s", k)
		}
	}
	for k, v := range unitEnv {
		env = append(env, k+"="+strings.ReplaceAll(v, "/var/lib/snmpd-dataplane", persist))
	}
	argv := snmpdArgs(t, unit.command(t, "ExecStart"), confPath, filepath.Join(base, "snmpd.pid"), root)

	trapd := startTrapd(t, trapdBin, base, trapPort, ec)

	logPath := filepath.Join(base, "snmpd-1.log")
	snmpd := startSnmpd(t, snmpdBin, append(argv, "-Lf", logPath), env, port, socket, ec.community)

	v2c := []string{"-v2c", "-c", ec.community}
	get := func(oid string) string {
		t.Helper()
		out, err := snmpCmd("snmpget", v2c, port, oid)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// The system group comes from the file; snmpd's own IF-MIB is gone
	// (-I -ifTable,ifXTable), although the view includes it; the view hides
	// the rest (HOST-RESOURCES-MIB's hrSystemUptime).
	if out := get(".1.3.6.1.2.1.1.6.0"); !strings.Contains(out, `STRING: "`+ec.sysLocation+`"`) {
		t.Errorf("sysLocation.0: %s, want %q", out, ec.sysLocation)
	}
	for _, oid := range []string{".1.3.6.1.2.1.2.1.0", ".1.3.6.1.2.1.2.2.1.2.1", ".1.3.6.1.2.1.31.1.1.1.1.1", ".1.3.6.1.2.1.31.1.5.0", ".1.3.6.1.2.1.25.1.1.0"} {
		if out := get(oid); !strings.Contains(out, "No Such Object") {
			t.Errorf("%s: %s, want noSuchObject", oid, out)
		}
	}
	out, err := snmpCmd("snmpgetnext", v2c, port, ".1.3.6.1.2.1.2")
	if err != nil || !strings.Contains(out, "No more variables left in this MIB View") {
		t.Errorf("getnext after interfaces: %s %v, want endOfMibView (no IF-MIB from snmpd)", out, err)
	}

	// SNMPv3 with the example's user.
	v3 := []string{"-v3", "-l", "authPriv", "-u", ec.v3User[1], "-a", ec.v3User[2], "-A", ec.v3User[3], "-x", ec.v3User[4], "-X", ec.v3User[5]}
	if out, err := snmpCmd("snmpget", v3, port, ".1.3.6.1.2.1.1.6.0"); err != nil || !strings.Contains(out, ec.sysLocation) {
		t.Errorf("SNMPv3 get of sysLocation.0: %s %v", out, err)
	}
	engine := func(oid string) string {
		t.Helper()
		out, err := snmpCmd("snmpget", []string{"-v2c", "-c", "enginetest"}, port, oid)
		if err != nil || !strings.Contains(out, oid+" = ") || strings.Contains(out, "No Such") {
			t.Fatalf("snmpget %s: %s %v", oid, out, err)
		}
		return out
	}
	engineID := engine(".1.3.6.1.6.3.10.2.1.1.0")

	// The AgentX socket: group read-write, directory open, and only the
	// group gets in.
	checkAgentXSocket(t, socket, group, root)

	// coldStart through both sinks: a v2c trap and an acknowledged v3 inform.
	trapd.waitFor(t, "TRAP2, SNMP v2c, community "+ec.trapCommune, ".1.3.6.1.6.3.1.1.5.1")
	trapd.waitFor(t, "INFORM, SNMP v3, user "+flagValue(ec.trapsess, "-u"), ".1.3.6.1.6.3.1.1.5.1")

	snmpd.stop(t)
	checkSnmpdLog(t, logPath, confPath, filepath.Join(persist, "snmpd.conf"))

	// Restart: the persistent directory of the unit keeps engine ID and
	// engineBoots (which -C would lose).
	logPath = filepath.Join(base, "snmpd-2.log")
	snmpd = startSnmpd(t, snmpdBin, append(argv, "-Lf", logPath), env, port, socket, ec.community)
	if out := engine(".1.3.6.1.6.3.10.2.1.2.0"); !strings.HasSuffix(out, "INTEGER: 2") {
		t.Errorf("snmpEngineBoots.0 after a restart: %s, want 2", out)
	}
	if again := engine(".1.3.6.1.6.3.10.2.1.1.0"); again != engineID {
		t.Errorf("snmpEngineID changed across a restart: %s, then %s", engineID, again)
	}
	snmpd.stop(t)
	checkSnmpdLog(t, logPath, confPath, filepath.Join(persist, "snmpd.conf"))
}

// snmpdArgs turns the unit's ExecStart= into a test's: the test's file and
// pid file, logging to a file (added by the caller) instead of syslog, the
// configuration files read logged, and no -u/-g unless root.
func snmpdArgs(t *testing.T, argv []string, conf, pid string, root bool) []string {
	t.Helper()
	var args []string
	for i := 1; i < len(argv); i++ {
		switch a := argv[i]; a {
		case "-c":
			args = append(args, a, conf)
			i++
		case "-p":
			args = append(args, a, pid)
			i++
		case "-u", "-g":
			if root {
				args = append(args, a, argv[i+1])
			}
			i++
		case "-Lsd":
		default:
			args = append(args, a)
		}
	}
	if !slices.Contains(argv, "-Lsd") {
		t.Errorf("snmpd-dataplane ExecStart %q: want -Lsd", argv)
	}
	if !slices.Contains(args, "-I") || !strings.Contains(flagValue(args, "-I"), "-ifTable,ifXTable") {
		t.Errorf("snmpd-dataplane ExecStart %q: want -I -ifTable,ifXTable,...", argv)
	}
	return append(args, "-Dread_config:file")
}

type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func start(t *testing.T, name string, args, env []string) *process {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM (snmpd then saves its persistent state), then SIGKILL
// if it lingers.
func (p *process) stop(t *testing.T) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		t.Errorf("%s ignored SIGTERM", p.cmd.Path)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func startSnmpd(t *testing.T, bin string, args, env []string, port int, socket, community string) *process {
	t.Helper()
	p := start(t, bin, args, env)
	waitUntil(t, "snmpd to answer and open its AgentX socket", func() bool {
		if p.exited() {
			t.Fatalf("snmpd %q exited at start; log: %s", args, readLog(flagValue(args, "-Lf")))
		}
		if _, err := os.Stat(socket); err != nil {
			return false
		}
		// A short timeout: the first probes may come before snmpd listens.
		_, err := snmpCmd("snmpget", []string{"-v2c", "-c", community, "-t", "0.3", "-r", "0"}, port, ".1.3.6.1.2.1.1.3.0")
		return err == nil
	})
	return p
}

type trapd struct {
	*process
	log string
}

func startTrapd(t *testing.T, bin, base string, port int, ec exampleConfig) *trapd {
	t.Helper()
	s := ec.trapsess
	conf := fmt.Sprintf("createUser %s %s %s %s %s\nauthUser log %s\nauthCommunity log %s\n",
		flagValue(s, "-u"), flagValue(s, "-a"), flagValue(s, "-A"), flagValue(s, "-x"), flagValue(s, "-X"),
		flagValue(s, "-u"), ec.trapCommune)
	confPath := filepath.Join(base, "snmptrapd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	td := &trapd{log: filepath.Join(base, "snmptrapd.log")}
	env := append(cleanEnv(), "SNMP_PERSISTENT_DIR="+filepath.Join(base, "trapd"))
	td.process = start(t, bin, []string{"-f", "-C", "-c", confPath, "-Lf", td.log, "-On",
		"-F", `TRAP %P: %V|%v\n`, fmt.Sprintf("udp:127.0.0.1:%d", port)}, env)
	waitUntil(t, "snmptrapd to start", func() bool {
		if td.exited() {
			t.Fatalf("snmptrapd exited at start; log: %s", readLog(td.log))
		}
		return strings.Contains(readLog(td.log), "NET-SNMP version")
	})
	return td
}

// waitFor waits for a logged notification holding all of parts.
func (td *trapd) waitFor(t *testing.T, parts ...string) {
	t.Helper()
	ok := false
	waitUntil(t, fmt.Sprintf("snmptrapd to log %q", parts), func() bool {
		for _, line := range strings.Split(readLog(td.log), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				ok = true
				return true
			}
		}
		return false
	})
	if !ok {
		t.Errorf("no notification with %q; snmptrapd logged:\n%s", parts, readLog(td.log))
	}
}

// checkSnmpdLog checks that snmpd read exactly its own file and its
// persistent file, and logged no complaint about them, no unknown AgentX
// owner and no per-request line.
func checkSnmpdLog(t *testing.T, logPath, conf, persistent string) {
	t.Helper()
	log := readLog(logPath)
	readConf := false
	for _, line := range strings.Split(log, "\n") {
		if m := regexp.MustCompile(`read_config:file: Reading configuration (\S+)`).FindStringSubmatch(line); m != nil {
			switch m[1] {
			case conf:
				readConf = true
			case persistent:
			default:
				t.Errorf("snmpd read %s: only its -c file and persistent file should be read", m[1])
			}
			continue
		}
		for _, bad := range []string{conf, "Warning", "Error", "rror:", "Can't identify", "Connection from", "Cannot find module"} {
			if strings.Contains(line, bad) {
				t.Errorf("snmpd logged %q", line)
				break
			}
		}
	}
	if !readConf {
		t.Errorf("snmpd did not read %s; log:\n%s", conf, log)
	}
}

func checkAgentXSocket(t *testing.T, socket string, group int, root bool) {
	t.Helper()
	fi, err := os.Stat(socket)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 || int(st.Gid) != group {
		t.Errorf("AgentX socket %v gid %d, want a socket rw-rw---- of gid %d", fi.Mode(), st.Gid, group)
	}
	di, err := os.Stat(filepath.Dir(socket))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o755 {
		t.Errorf("AgentX directory %v, want rwxr-xr-x (the agent must get through)", di.Mode())
	}
	if !root {
		t.Log("not root: the connect check under other ids is skipped")
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary is copied where nobody may run it (go test's build
	// directory is private).
	client := filepath.Join(filepath.Dir(filepath.Dir(socket)), "connect")
	if err := copyFile(self, client, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		gid  uint32
		want int
	}{{agentGID, 0}, {strangerGID, 3}} {
		cmd := exec.Command(client)
		cmd.Env = []string{connectEnv + "=" + socket}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyUID, Gid: tc.gid, Groups: []uint32{}}}
		out, err := cmd.CombinedOutput()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("running the connect helper: %v", err)
		}
		if code != tc.want {
			t.Errorf("connect as uid %d gid %d: exit %d (%s), want %d (0 connected, 3 refused)", nobodyUID, tc.gid, code, bytes.TrimSpace(out), tc.want)
		}
	}
}

// snmpCmd runs a net-snmp client tool with opts against 127.0.0.1:port for
// oids, with numeric output, a 2 s timeout and one retry.
func snmpCmd(tool string, opts []string, port int, oids ...string) (string, error) {
	args := append([]string{"-On", "-t", "2", "-r", "1"}, opts...)
	args = append(append(args, fmt.Sprintf("udp:127.0.0.1:%d", port)), oids...)
	cmd := exec.Command(tool, args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %q: %w: %s", tool, args, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// cleanEnv is the environment without net-snmp variables of the caller, and
// with no MIB files loaded (numeric OIDs only).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SNMP") && !strings.HasPrefix(kv, "MIB") {
			env = append(env, kv)
		}
	}
	return append(env, "MIBS=")
}

// worldReadableDir is a fresh directory that snmpd, after it drops root, and
// the connect helper, running as nobody, can traverse (t.TempDir's parent is
// private).
func worldReadableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vsa-systemd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// waitUntil polls cond for up to 15 s (a bound against hanging, not a
// measurement) and fails the test if it never holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readLog(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}
