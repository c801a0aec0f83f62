package packaging

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lintianClean runs the real lintian on a package and fails on any error
// (E:) or warning (W:); information (I:) and overridden tags (O:) pass.
func lintianClean(t *testing.T, deb string) {
	t.Helper()
	needTool(t, "lintian", "lintian")
	cmd := exec.Command("lintian", "--no-tag-display-limit", deb)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	t.Logf("lintian %s:\n%s", filepath.Base(deb), out.String())
	var bad []string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "E: ") || strings.HasPrefix(line, "W: ") {
			bad = append(bad, line)
		}
	}
	if len(bad) != 0 || err != nil {
		t.Errorf("lintian: %v\n%s\n%s", err, strings.Join(bad, "\n"), stderr.String())
	}
}

// The unit and the system user the package installs.
const (
	installedUnitDir = "/usr/lib/systemd/system"
	agentUser        = "vpp-snmp-agent"
)

// aptInstall installs the package on this machine with apt-get, as an
// operator would, and checks what that did: the system user and its groups,
// the state directory, units that systemd-analyze verify accepts, and the
// installed agent, run as its unit runs it (its user and groups, its command
// line, its environment file) with no VPP here: it must say so on a clear
// line and keep running, then stop cleanly on SIGTERM. The package is purged
// afterwards, and a user or group it made is removed.
func aptInstall(t *testing.T, deb string) {
	if os.Geteuid() != 0 {
		t.Skip("installs a package on this machine: needs root")
	}
	needTool(t, "apt-get", "apt")
	needTool(t, "systemd-analyze", "systemd")
	needTool(t, "snmpd", "snmpd") // snmpd-dataplane.service's ExecStart
	lockMachine(t)
	out, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Status}", "vpp-snmp-agent").Output()
	if s := strings.TrimSpace(string(out)); s != "" && s != "not-installed" {
		t.Skipf("vpp-snmp-agent is already on this machine (%s): not replacing it", s)
	}

	existed := map[string]bool{}
	if _, err := user.Lookup(agentUser); err == nil {
		existed["user "+agentUser] = true
	}
	for _, g := range []string{"vpp", agentUser} {
		if _, err := user.LookupGroup(g); err == nil {
			existed["group "+g] = true
		}
	}
	t.Cleanup(func() {
		apt(t, "purge", "vpp-snmp-agent")
		if !existed["user "+agentUser] {
			_ = exec.Command("userdel", agentUser).Run()
		}
		for _, g := range []string{agentUser, "vpp"} {
			if _, err := user.LookupGroup(g); err == nil && !existed["group "+g] {
				if out, err := exec.Command("groupdel", g).CombinedOutput(); err != nil {
					t.Errorf("groupdel %s: %v %s", g, err, out)
				}
			}
		}
	})

	// apt's download sandbox (user _apt) must be able to read the file, or
	// apt warns: put it in a world-readable directory.
	dir, err := os.MkdirTemp("", "vpp-snmp-agent-apt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, filepath.Base(deb))
	if err := os.WriteFile(local, []byte(readFile(t, deb)), 0o644); err != nil {
		t.Fatal(err)
	}
	out = []byte(apt(t, "install", local))
	t.Logf("apt-get install %s:\n%s", local, out)
	if hasAptProblem(string(out)) {
		t.Errorf("apt-get install is not clean:\n%s", out)
	}

	u, err := user.Lookup(agentUser)
	if err != nil {
		t.Fatalf("after install: %v", err)
	}
	if u.HomeDir != "/var/lib/vpp-snmp-agent" {
		t.Errorf("user %s: home %s, want /var/lib/vpp-snmp-agent", agentUser, u.HomeDir)
	}
	vpp, err := user.LookupGroup("vpp")
	if err != nil {
		t.Fatalf("after install: %v", err)
	}
	gids, err := u.GroupIds()
	if err != nil || !slices.Contains(gids, vpp.Gid) {
		t.Errorf("user %s is not in group vpp (groups %v, %v)", agentUser, gids, err)
	}
	fi, err := os.Stat("/var/lib/vpp-snmp-agent")
	if err != nil {
		t.Fatal(err)
	}
	if own := statOwner(fi); fi.Mode().Perm() != 0o750 || own != u.Uid+":"+vpp.Gid {
		t.Errorf("/var/lib/vpp-snmp-agent: %v %s, want rwxr-x--- %s:%s", fi.Mode(), own, u.Uid, vpp.Gid)
	}

	units := []string{"netns-dataplane.service", "snmpd-dataplane.service", "vpp-snmp-agent.service"}
	var paths []string
	for _, u := range units {
		paths = append(paths, filepath.Join(installedUnitDir, u))
	}
	if out, err := exec.Command("systemd-analyze", append([]string{"verify", "--man=no"}, paths...)...).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("systemd-analyze verify of the installed units: %v\n%s", err, out)
	}
	if out, err := exec.Command("man", "-w", "vpp-snmp-agent").CombinedOutput(); err == nil && !strings.Contains(string(out), "/usr/share/man/man8/vpp-snmp-agent.8.gz") {
		t.Errorf("man -w vpp-snmp-agent: %s", out)
	}

	t.Run("run as the unit", func(t *testing.T) { runAsUnit(t, filepath.Join(installedUnitDir, "vpp-snmp-agent.service")) })
}

// apt runs apt-get non-interactively, waiting for dpkg's lock a bounded
// time (another apt may hold it), and returns its output.
func apt(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("apt-get", append([]string{"-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"}, args...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("apt-get %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// hasAptProblem reports a warning or error of apt, dpkg or a maintainer
// script in apt-get's output.
func hasAptProblem(out string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "W: ") || strings.HasPrefix(line, "E: ") ||
			strings.Contains(line, "dpkg: warning") || strings.Contains(line, "dpkg: error") {
			return true
		}
	}
	return false
}

// lockMachine serialises the tests that change this machine (several
// checkouts may run their tests at once): an exclusive flock, polled for a
// bounded time.
func lockMachine(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "vpp-snmp-agent-system-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
	deadline := time.NewTimer(10 * time.Minute)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Fatalf("flock %s: %v", f.Name(), err)
		}
		select {
		case <-deadline.C:
			t.Fatalf("another test has held %s for 10 minutes", f.Name())
		case <-tick.C:
		}
	}
}

// serviceUnit is what runAsUnit needs of a unit file: the [Service]
// settings, each key's values in order.
type serviceUnit map[string][]string

func readServiceUnit(t *testing.T, path string) serviceUnit {
	t.Helper()
	u := serviceUnit{}
	section := ""
	for _, line := range strings.Split(readFile(t, path), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case strings.HasSuffix(line, "\\"):
			t.Fatalf("%s: continued lines are not supported here: %q", path, line)
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		case section == "Service":
			k, v, _ := strings.Cut(line, "=")
			u[strings.TrimSpace(k)] = append(u[strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return u
}

func (u serviceUnit) one(t *testing.T, key string) string {
	t.Helper()
	if len(u[key]) != 1 {
		t.Fatalf("want one %s=, have %q", key, u[key])
	}
	return u[key][0]
}

// words splits a setting's value on blanks; quoting and specifiers, which
// these units do not use, are refused rather than misread.
func words(t *testing.T, v string) []string {
	t.Helper()
	if strings.ContainsAny(v, `"'\%$`) {
		t.Fatalf("quoting, escapes, specifiers or variables in %q: not supported here", v)
	}
	return strings.Fields(v)
}

// environmentFile reads a systemd EnvironmentFile=: KEY=VALUE lines,
// comments, and values in quotes.
func environmentFile(t *testing.T, path string) []string {
	t.Helper()
	var env []string
	for _, line := range strings.Split(readFile(t, path), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not KEY=VALUE: %q", path, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env = append(env, strings.TrimSpace(k)+"="+v)
	}
	return env
}

// runAsUnit starts the unit's ExecStart= with its User=, Group= and
// SupplementaryGroups=, and the environment systemd would give it (its
// EnvironmentFile= and Environment=, PATH, and the user's HOME, USER,
// LOGNAME, SHELL), from / . Its sandboxing (NetworkNamespacePath=,
// ProtectSystem= ...) is systemd's and not applied: this machine has no
// systemd running, and the namespace may not exist.
func runAsUnit(t *testing.T, unitPath string) {
	u := readServiceUnit(t, unitPath)
	argv := words(t, strings.TrimLeft(u.one(t, "ExecStart"), "-@+!:"))
	usr, err := user.Lookup(u.one(t, "User"))
	if err != nil {
		t.Fatal(err)
	}
	grp, err := user.LookupGroup(u.one(t, "Group"))
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(usr.Uid)
	gid, _ := strconv.Atoi(grp.Gid)
	var groups []uint32
	for _, v := range u["SupplementaryGroups"] {
		for _, name := range words(t, v) {
			g, err := user.LookupGroup(name)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := strconv.Atoi(g.Gid)
			groups = append(groups, uint32(n))
		}
	}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + usr.HomeDir, "USER=" + usr.Username, "LOGNAME=" + usr.Username, "SHELL=/usr/sbin/nologin"}
	for _, f := range u["EnvironmentFile"] {
		path, optional := strings.CutPrefix(f, "-")
		if _, err := os.Stat(path); err != nil && optional {
			continue
		}
		env = append(env, environmentFile(t, path)...)
	}
	for _, v := range u["Environment"] {
		env = append(env, words(t, v)...)
	}

	// Where the agent looks for VPP: there must be nothing there.
	apiSocket := "/run/vpp/api.sock"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "VPP_SNMP_API_SOCKET="); ok {
			apiSocket = v
		}
	}
	if _, err := os.Stat(apiSocket); err == nil {
		t.Skipf("%s exists: a VPP runs on this machine", apiSocket)
	}
	// Nor an snmpd that it would register IF-MIB with.
	if _, err := os.Stat("/var/agentx/master"); err == nil {
		t.Skip("/var/agentx/master exists: an snmpd runs on this machine; not registering IF-MIB with it")
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw // both go to the journal under systemd
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %q as %s:%s: %v", argv, usr.Username, grp.Name, err)
	}
	pw.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
		pr.Close()
	})
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	// The clear line: not info, naming the socket it looked for.
	var log []string
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	found := ""
	for found == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the agent closed its output before saying VPP is missing:\n%s", strings.Join(log, "\n"))
			}
			log = append(log, line)
			if strings.Contains(line, apiSocket) && !strings.Contains(line, "level=info") {
				found = line
			}
		case <-timeout.C:
			t.Fatalf("no line about the missing VPP (%s) within 60 s:\n%s", apiSocket, strings.Join(log, "\n"))
		}
	}
	t.Logf("the agent says: %s", found)
	if !strings.Contains(found, "does not exist") && !strings.Contains(found, "no such file") {
		t.Errorf("the line does not say that %s is missing: %s", apiSocket, found)
	}
	select {
	case err := <-exited:
		stopped = true
		t.Fatalf("the agent exited (%v) instead of waiting for VPP:\n%s", err, strings.Join(log, "\n"))
	default:
	}

	// SIGTERM, as systemctl stop sends: a clean exit, status 0.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() { // keep draining, so the agent never blocks on a full pipe
		for line := range lines {
			log = append(log, line)
		}
	}()
	stop := time.NewTimer(30 * time.Second)
	defer stop.Stop()
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("after SIGTERM: %v", err)
		}
	case <-stop.C:
		t.Fatal("the agent did not stop within 30 s of SIGTERM")
	}
}
