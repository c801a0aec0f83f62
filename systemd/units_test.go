package systemd

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// agentBinary is where the package installs the agent; systemd-analyze
// verify wants every ExecStart= binary to exist, so the tests point this one
// at a stub (the other binaries, /bin/sh, /bin/ip, /usr/sbin/snmpd, /bin/kill,
// are the machine's own).
const agentBinary = "/usr/sbin/vpp-snmp-agent"

// copyUnits copies the units into dir with the agent binary replaced by an
// executable stub, and returns their paths.
func copyUnits(t *testing.T, dir string) []string {
	t.Helper()
	stub := filepath.Join(dir, "vpp-snmp-agent-stub")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, name := range unitNames {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), agentBinary, stub)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// analyzeVerify runs systemd-analyze verify on paths (man pages are not
// checked: Debian images often strip them) and returns its output.
func analyzeVerify(t *testing.T, paths ...string) (string, error) {
	t.Helper()
	sa := needTool(t, "systemd-analyze", "systemd")
	out, err := exec.Command(sa, append([]string{"verify", "--man=no"}, paths...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestUnitsVerify(t *testing.T) {
	paths := copyUnits(t, t.TempDir())
	out, err := analyzeVerify(t, paths...)
	if err != nil || out != "" {
		t.Fatalf("systemd-analyze verify: err %v, output:\n%s", err, out)
	}
}

// TestVerifyCatchesMistakes shows that the check above can fail: the same
// systemd-analyze reports a misspelt key and a missing binary.
func TestVerifyCatchesMistakes(t *testing.T) {
	dir := t.TempDir()
	paths := copyUnits(t, dir)
	bad := filepath.Join(dir, "broken.service")
	unit := "[Unit]\nDescription=broken\nRequires=netns-dataplane.service\n[Service]\nExecStart=/nonexistent/vpp-snmp-agent\nProtectSytem=strict\n"
	if err := os.WriteFile(bad, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := analyzeVerify(t, append(paths, bad)...)
	if err == nil {
		t.Errorf("systemd-analyze verify accepted a unit with a missing binary; output:\n%s", out)
	}
	for _, want := range []string{"ProtectSytem", "/nonexistent/vpp-snmp-agent"} {
		if !strings.Contains(out, want) {
			t.Errorf("systemd-analyze verify did not report %q; output:\n%s", want, out)
		}
	}
}

// TestAgentUnitExposure scores vpp-snmp-agent.service with systemd's own
// security review (0 = locked down, 10 = fully exposed).
func TestAgentUnitExposure(t *testing.T) {
	sa := needTool(t, "systemd-analyze", "systemd")
	paths := copyUnits(t, t.TempDir())
	agent := paths[slices.Index(unitNames, "vpp-snmp-agent.service")]
	out, err := exec.Command(sa, "security", "--offline=yes", "--no-pager", agent).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for vpp-snmp-agent\.service: ([0-9.]+) (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure level in:\n%s", out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exposure %.1f %s", score, m[2])
	// 1.3 measured; what remains is what the agent needs (AF_UNIX, AF_INET
	// for AgentX over TCP, the host's root, supplementary groups) or what
	// systemd cannot see (PrivateNetwork= is replaced by NetworkNamespacePath=).
	if score > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0:\n%s", score, out)
	}
}

// TestAgentUnitHardening checks the settings the deployment relies on, by
// value, so that none is dropped or weakened unnoticed.
func TestAgentUnitHardening(t *testing.T) {
	u := mustReadUnit(t, "vpp-snmp-agent.service")
	want := map[string]string{
		"User":                     "vpp-snmp-agent",
		"Group":                    "vpp",
		"SupplementaryGroups":      "vpp-snmp-agent",
		"EnvironmentFile":          "-/etc/default/vpp-snmp-agent",
		"ExecStart":                agentBinary,
		"ExecReload":               "/bin/kill -HUP $MAINPID",
		"Restart":                  "on-failure",
		"RestartSec":               "1",
		"RestartPreventExitStatus": "78",
		"NetworkNamespacePath":     "/run/netns/dataplane",
		"StateDirectory":           "vpp-snmp-agent",
		"NoNewPrivileges":          "yes",
		"ProtectSystem":            "strict",
		"ProtectHome":              "yes",
		"PrivateTmp":               "yes",
		"PrivateDevices":           "yes",
		"ProtectKernelTunables":    "yes",
		"ProtectKernelModules":     "yes",
		"ProtectControlGroups":     "yes",
		"RestrictNamespaces":       "yes",
		"RestrictSUIDSGID":         "yes",
		"LockPersonality":          "yes",
		"MemoryDenyWriteExecute":   "yes",
		"SystemCallArchitectures":  "native",
		"CapabilityBoundingSet":    "",
		"AmbientCapabilities":      "",
		"RestrictAddressFamilies":  "AF_UNIX AF_INET AF_INET6",
	}
	for key, v := range want {
		got, ok := u.value("Service", key)
		if !ok || got != v {
			t.Errorf("[Service] %s=%q (set: %v), want %q", key, got, ok, v)
		}
	}
	filters := u.values("Service", "SystemCallFilter")
	if !slices.Contains(filters, "@system-service") || !slices.Contains(filters, "~@privileged @resources") {
		t.Errorf("SystemCallFilter=%q, want @system-service and ~@privileged @resources", filters)
	}
	for _, key := range []string{"DynamicUser", "PrivateUsers"} {
		if v, ok := u.value("Service", key); ok && v != "" && v != "no" {
			// DynamicUser would lose the ifIndex file's owner between runs;
			// PrivateUsers would hide the groups that open VPP's sockets.
			t.Errorf("[Service] %s=%s must not be set", key, v)
		}
	}
	if v, _ := u.value("Service", "UMask"); v != "0027" {
		t.Errorf("UMask=%q, want 0027 (the ifIndex file is not for everyone)", v)
	}
}

// TestUnitDependencies checks the wiring between the three units: the
// namespace unit makes the namespace that the other two join, snmpd needs
// it, and the agent comes after VPP and snmpd.
func TestUnitDependencies(t *testing.T) {
	netns := mustReadUnit(t, "netns-dataplane.service")
	snmpd := mustReadUnit(t, "snmpd-dataplane.service")
	agent := mustReadUnit(t, "vpp-snmp-agent.service")

	start := strings.Join(netns.command(t, "ExecStart"), " ")
	m := regexp.MustCompile(`ip netns add (\S+);`).FindStringSubmatch(start)
	if m == nil {
		t.Fatalf("netns-dataplane ExecStart=%s does not run ip netns add", start)
	}
	nsPath := "/run/netns/" + m[1]
	for _, u := range []*unitFile{snmpd, agent} {
		if got, _ := u.value("Service", "NetworkNamespacePath"); got != nsPath {
			t.Errorf("%s: NetworkNamespacePath=%q, want %q (made by netns-dataplane)", u.path, got, nsPath)
		}
		for _, key := range []string{"Requires", "After"} {
			if !slices.Contains(u.words("Unit", key), "netns-dataplane.service") {
				t.Errorf("%s: %s= lacks netns-dataplane.service", u.path, key)
			}
		}
	}
	if v, _ := netns.value("Service", "Type"); v != "oneshot" {
		t.Errorf("netns-dataplane Type=%q, want oneshot", v)
	}
	if v, _ := netns.value("Service", "RemainAfterExit"); v != "yes" {
		t.Errorf("netns-dataplane RemainAfterExit=%q, want yes", v)
	}
	if !slices.Contains(netns.words("Unit", "Before"), "vpp.service") {
		t.Error("netns-dataplane must come Before=vpp.service (linux-cp puts its interfaces there)")
	}
	for _, dep := range []string{"vpp.service", "snmpd-dataplane.service"} {
		if !slices.Contains(agent.words("Unit", "After"), dep) {
			t.Errorf("vpp-snmp-agent After= lacks %s", dep)
		}
	}
	if !slices.Contains(agent.words("Unit", "Wants"), "snmpd-dataplane.service") {
		t.Error("vpp-snmp-agent Wants= lacks snmpd-dataplane.service")
	}
	// Type=notify: snmpd says when its AgentX socket is there, so After= is
	// meaningful for the agent.
	if v, _ := snmpd.value("Service", "Type"); v != "notify" {
		t.Errorf("snmpd-dataplane Type=%q, want notify", v)
	}
	argv := snmpd.command(t, "ExecStart")
	for _, want := range []string{"-f", "-Lsd"} {
		if !slices.Contains(argv, want) {
			t.Errorf("snmpd-dataplane ExecStart lacks %s: %q", want, argv)
		}
	}
	if slices.Contains(argv, "-C") {
		t.Error("snmpd-dataplane ExecStart has -C: it would skip the persistent file (engineBoots, v3 users)")
	}
	if got := flagValue(argv, "-c"); got != "/etc/snmp/snmpd-dataplane.conf" {
		t.Errorf("snmpd-dataplane -c %q, want /etc/snmp/snmpd-dataplane.conf", got)
	}
	if got := flagValue(argv, "-p"); got != "/run/snmpd-dataplane.pid" {
		t.Errorf("snmpd-dataplane -p %q, want /run/snmpd-dataplane.pid", got)
	}
	for _, u := range []*unitFile{netns, snmpd, agent} {
		if !slices.Contains(u.words("Install", "WantedBy"), "multi-user.target") {
			t.Errorf("%s: WantedBy= lacks multi-user.target", u.path)
		}
	}
}

// flagValue returns the argument after flag in argv, or "".
func flagValue(argv []string, flag string) string {
	for i, a := range argv[:len(argv)-1] {
		if a == flag {
			return argv[i+1]
		}
	}
	return ""
}

// TestNetnsUnitCommands runs the namespace unit's ExecStart= and ExecStop=
// for real (under another namespace name), each twice, ExecStart first on a
// namespace made beforehand (as by hand, or left by a crash): both must be
// idempotent, and the namespace must end with lo up.
func TestNetnsUnitCommands(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("ip netns add needs root")
	}
	needTool(t, "ip", "iproute2")
	u := mustReadUnit(t, "netns-dataplane.service")
	name := fmt.Sprintf("vsa-test-%d", os.Getpid())
	rename := func(argv []string) []string {
		out := make([]string, len(argv))
		for i, a := range argv {
			out[i] = strings.ReplaceAll(a, "dataplane", name)
		}
		return out
	}
	start, stop := rename(u.command(t, "ExecStart")), rename(u.command(t, "ExecStop"))
	nsFile := "/run/netns/" + name
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", name).Run() })
	run := func(what string, argv []string) {
		t.Helper()
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s %q: %v\n%s", what, argv, err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		if strings.Contains(string(out), "Operation not permitted") {
			t.Skipf("this machine refuses network namespaces: %s", out)
		}
		t.Fatalf("ip netns add %s: %v %s", name, err, out)
	}
	// From here the namespace may exist already: ExecStart must cope.
	for i := range 2 {
		run(fmt.Sprintf("ExecStart (run %d)", i+1), start)
		if _, err := os.Stat(nsFile); err != nil {
			t.Fatalf("after ExecStart: %v", err)
		}
		out, err := exec.Command("ip", "-n", name, "-o", "link", "show", "lo").CombinedOutput()
		if err != nil || !strings.Contains(string(out), ",UP") {
			t.Fatalf("lo in %s not up: %v %s", name, err, out)
		}
	}
	for i := range 2 {
		run(fmt.Sprintf("ExecStop (run %d)", i+1), stop)
		if _, err := os.Stat(nsFile); !os.IsNotExist(err) {
			t.Fatalf("after ExecStop: %s still there (%v)", nsFile, err)
		}
	}
}

// TestDefaultFileMatchesAgent checks that /etc/default/vpp-snmp-agent names
// exactly the agent's VPP_SNMP_* variables (the envconfig tags of the config
// struct in cmd/vpp-snmp-agent), so a renamed or new setting is not
// silently missing from or stale in the sample.
func TestDefaultFileMatchesAgent(t *testing.T) {
	vars := defaultFileVars(t)
	src := filepath.Join("..", "cmd", "vpp-snmp-agent", "config.go")
	tags, err := envconfigTags(src)
	if err != nil {
		t.Fatalf("reading the agent's settings: %v", err)
	}
	if len(tags) == 0 {
		t.Fatalf("%s: no envconfig tags found", src)
	}
	for _, tag := range tags {
		if _, ok := vars[tag]; !ok {
			t.Errorf("vpp-snmp-agent.default lacks %s", tag)
		}
	}
	for v := range vars {
		if !slices.Contains(tags, v) {
			t.Errorf("vpp-snmp-agent.default names %s, which the agent does not read", v)
		}
	}
}

// defaultFileVars returns the VPP_SNMP_* assignments of the sample file
// (commented out or not) and their values.
func defaultFileVars(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("vpp-snmp-agent.default")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	re := regexp.MustCompile(`(?m)^#?(VPP_SNMP_[A-Z0-9_]+)=(.*)$`)
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		if _, dup := vars[m[1]]; dup {
			t.Errorf("vpp-snmp-agent.default sets %s twice", m[1])
		}
		vars[m[1]] = m[2]
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			// Everything is commented out: the defaults are the binary's.
			t.Errorf("vpp-snmp-agent.default: active line %q", line)
		}
	}
	return vars
}

// envconfigTags returns the envconfig:"..." tags of the struct named config
// in the Go file src.
func envconfigTags(src string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
	if err != nil {
		return nil, err
	}
	var tags []string
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "config" {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return true
		}
		found = true
		for _, field := range st.Fields.List {
			if field.Tag == nil {
				continue
			}
			tag, err := strconv.Unquote(field.Tag.Value)
			if err != nil {
				continue
			}
			if v := reflectTag(tag, "envconfig"); v != "" {
				tags = append(tags, v)
			}
		}
		return false
	})
	if !found {
		return nil, fmt.Errorf("%s: no struct type named config", src)
	}
	return tags, nil
}

// reflectTag is reflect.StructTag.Get for a tag read from source.
func reflectTag(tag, key string) string {
	m := regexp.MustCompile(key + `:"([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestDefaultFileValues checks the values shown in the sample against the
// defaults the agent prints in --help (built from cmd/vpp-snmp-agent).
func TestDefaultFileValues(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent")
	}
	if _, err := os.Stat(filepath.Join("..", "cmd", "vpp-snmp-agent", "main.go")); err != nil {
		t.Skipf("no agent main yet: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "vpp-snmp-agent")
	build := exec.Command("go", "build", "-o", bin, "../cmd/vpp-snmp-agent")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the agent: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--help")
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // no VPP_SNMP_* from the caller
	help, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vpp-snmp-agent --help: %v\n%s", err, help)
	}
	// flag.PrintDefaults: "  -name type\n    \tusage (default value)".
	defaults := map[string]string{}
	re := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)[^\n]*\n((?:    [^\n]*\n?)+)`)
	for _, m := range re.FindAllStringSubmatch(string(help), -1) {
		if d := regexp.MustCompile(`\(default (.*)\)\s*$`).FindStringSubmatch(strings.TrimSpace(m[2])); d != nil {
			defaults[m[1]] = strings.Trim(d[1], `"`)
		}
	}
	if len(defaults) == 0 {
		t.Fatalf("no defaults found in --help:\n%s", help)
	}
	for v, val := range defaultFileVars(t) {
		flag := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v, "VPP_SNMP_")), "_", "-")
		def, ok := defaults[flag]
		if !ok {
			// Flags without a default (empty string, false) print none.
			if val != "" && val != "false" && v != "VPP_SNMP_CONFIG" {
				t.Errorf("%s=%s: --%s has no default in --help", v, val, flag)
			}
			continue
		}
		if def != val {
			t.Errorf("%s=%s in the sample, but --%s defaults to %s", v, val, flag, def)
		}
	}
}
