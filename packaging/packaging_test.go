package packaging

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = ".."

// packaged maps each file of the Debian package to its source in the
// repository and its mode; the agent binary's source is the build's.
var packaged = map[string]struct {
	src  string
	mode fs.FileMode
}{
	"/usr/sbin/vpp-snmp-agent":                         {"", 0o755},
	"/usr/lib/systemd/system/vpp-snmp-agent.service":   {"systemd/vpp-snmp-agent.service", 0o644},
	"/usr/lib/systemd/system/snmpd-dataplane.service":  {"systemd/snmpd-dataplane.service", 0o644},
	"/usr/lib/systemd/system/netns-dataplane.service":  {"systemd/netns-dataplane.service", 0o644},
	"/etc/default/vpp-snmp-agent":                      {"systemd/vpp-snmp-agent.default", 0o644},
	"/usr/lib/sysusers.d/vpp-snmp-agent.conf":          {"packaging/sysusers.conf", 0o644},
	"/usr/lib/tmpfiles.d/vpp-snmp-agent.conf":          {"packaging/tmpfiles.conf", 0o644},
	"/usr/share/doc/vpp-snmp-agent/snmpd.conf.example": {"snmpd.conf.example", 0o644},
	"/usr/share/doc/vpp-snmp-agent/README.md":          {"README.md", 0o644},
	"/usr/share/lintian/overrides/vpp-snmp-agent":      {"packaging/lintian-overrides", 0o644},
}

// Files of the package that deb.sh writes at build time (mode 0644).
const (
	manPage   = "/usr/share/man/man8/vpp-snmp-agent.8.gz"
	copyright = "/usr/share/doc/vpp-snmp-agent/copyright"
	changelog = "/usr/share/doc/vpp-snmp-agent/changelog.Debian.gz"
)

var generated = []string{manPage, copyright, changelog}

// debOnly are the package's files that install.sh does not install: they
// are Debian's (the copyright file and changelog of a package, lintian's
// overrides).
var debOnly = []string{copyright, changelog, "/usr/share/lintian/overrides/vpp-snmp-agent"}

// buildInputs are the repository's files deb.sh reads besides the packaged
// ones.
var buildInputs = []string{
	"packaging/deb.sh", "packaging/nfpm.yaml", "packaging/scripts/postinst", "packaging/scripts/prerm", "packaging/scripts/postrm",
	"packaging/licenses.txt", "packaging/debcopyright/main.go", "LICENSE", "go.mod", "go.sum",
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out.String())
	}
	return out.String()
}

func needTool(t *testing.T, name, debianPackage string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found: install the Debian package %s (make deps)", name, debianPackage)
	}
}

// stubManPage is what the stand-in for the agent prints for `manpage`.
const stubManPage = ".TH STUB 8\n.SH NAME\nstub \\- a stand\\-in for vpp\\-snmp\\-agent\n"

// stubBinary builds a stand-in for the agent into dir: a Go program (deb.sh
// reads its build information) that prints stubManPage for `manpage`. With
// cgo, it links the C library dynamically.
func stubBinary(t *testing.T, dir string, cgo bool) string {
	t.Helper()
	src := "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n" +
		"\tif len(os.Args) == 2 && os.Args[1] == \"manpage\" {\n\t\tfmt.Print(" + strconv.Quote(stubManPage) + ")\n\t\treturn\n\t}\n" +
		"\tfmt.Println(\"stub\")\n}\n"
	env := []string{"CGO_ENABLED=0"}
	if cgo {
		src = strings.Replace(src, "import (\n", "import (\n\t\"net\"\n", 1)
		src = strings.Replace(src, "\tfmt.Println(\"stub\")", "\t_, _ = net.LookupHost(\"localhost\")\n\tfmt.Println(\"stub\")", 1)
		env = []string{"CGO_ENABLED=1"}
	}
	srcDir := t.TempDir()
	writeFile(t, filepath.Join(srcDir, "go.mod"), "module example.org/stub\n\ngo 1.21\n")
	writeFile(t, filepath.Join(srcDir, "main.go"), src)
	p := filepath.Join(dir, "vpp-snmp-agent")
	cmd := exec.Command("go", "build", "-o", p, ".")
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), append(env, "GOFLAGS=", "GOWORK=off")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in agent: %v\n%s", err, out)
	}
	return p
}

// tree returns every regular file under root, as "/path mode sha256".
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files["/"+strings.TrimPrefix(p, root+"/")] = fmt.Sprintf("%v %x", fi.Mode(), sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestMaintainerScriptsParse(t *testing.T) {
	scripts, _ := filepath.Glob("scripts/*")
	scripts = append(scripts, "install.sh", "deb.sh")
	if len(scripts) < 5 {
		t.Fatalf("scripts: %q", scripts)
	}
	for _, s := range scripts {
		// dash is Debian's /bin/sh: no bashisms.
		for _, sh := range []string{"sh", "dash"} {
			if _, err := exec.LookPath(sh); err != nil {
				continue
			}
			if out, err := exec.Command(sh, "-n", s).CombinedOutput(); err != nil {
				t.Errorf("%s -n %s: %v\n%s", sh, s, err, out)
			}
		}
		fi, err := os.Stat(s)
		if err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable (%v)", s, err)
		}
	}
}

// TestInstallScript installs into a DESTDIR twice (the default PREFIX) and
// checks the tree, that a second run changes nothing, that the units point
// at the binary where it went, and that an edited /etc/default file is kept.
func TestInstallScript(t *testing.T) {
	bin := t.TempDir()
	stubBinary(t, bin, false)
	dest := t.TempDir()
	env := []string{"DESTDIR=" + dest, "BIN=" + bin, "PREFIX=", "SBINDIR=", "UNITDIR=", "MANDIR=", "SYSCONFDIR=", "DOCDIR=", "SYSUSERSDIR=", "TMPFILESDIR="}
	run(t, env, "./install.sh")
	first := tree(t, dest)
	want := []string{
		"/usr/local/sbin/vpp-snmp-agent",
		"/usr/local/share/man/man8/vpp-snmp-agent.8.gz",
		"/usr/lib/systemd/system/vpp-snmp-agent.service",
		"/usr/lib/systemd/system/snmpd-dataplane.service",
		"/usr/lib/systemd/system/netns-dataplane.service",
		"/etc/default/vpp-snmp-agent",
		"/usr/local/lib/sysusers.d/vpp-snmp-agent.conf",
		"/usr/local/lib/tmpfiles.d/vpp-snmp-agent.conf",
		"/usr/local/share/doc/vpp-snmp-agent/snmpd.conf.example",
		"/usr/local/share/doc/vpp-snmp-agent/README.md",
	}
	var got []string
	for p := range first {
		got = append(got, p)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("installed files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for p, info := range first {
		mode := strings.Fields(info)[0]
		wantMode := "-rw-r--r--"
		if strings.HasSuffix(p, "/sbin/vpp-snmp-agent") {
			wantMode = "-rwxr-xr-x"
		}
		if mode != wantMode {
			t.Errorf("%s: mode %s, want %s", p, mode, wantMode)
		}
	}

	if got := gunzip(t, filepath.Join(dest, "usr/local/share/man/man8/vpp-snmp-agent.8.gz")); got != stubManPage {
		t.Errorf("installed man page %q, want the binary's %q", got, stubManPage)
	}

	unit, err := os.ReadFile(filepath.Join(dest, "usr/lib/systemd/system/vpp-snmp-agent.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"ExecStart=/usr/local/sbin/vpp-snmp-agent\n", "Documentation=file:/usr/local/share/doc/vpp-snmp-agent/README.md\n", "EnvironmentFile=-/etc/default/vpp-snmp-agent\n"} {
		if !bytes.Contains(unit, []byte(line)) {
			t.Errorf("installed vpp-snmp-agent.service lacks %q", line)
		}
	}

	run(t, env, "./install.sh")
	if second := tree(t, dest); !mapsEqual(first, second) {
		t.Errorf("a second install.sh changed the tree:\n%v\n%v", first, second)
	}

	def := filepath.Join(dest, "etc/default/vpp-snmp-agent")
	edited := []byte("VPP_SNMP_LOG_LEVEL=debug\n")
	if err := os.WriteFile(def, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, env, "./install.sh")
	if b, _ := os.ReadFile(def); !bytes.Equal(b, edited) {
		t.Errorf("install.sh replaced the operator's /etc/default/vpp-snmp-agent with:\n%s", b)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDebPackage builds the package with deb.sh (nfpm via go run: slow the
// first time), then checks its listing, control fields and contents against
// the repository and install.sh's /usr layout, and, as root, installs,
// upgrades and purges it with the real dpkg in a scratch root.
func TestDebPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nfpm and a package")
	}
	needTool(t, "dpkg-deb", "dpkg")
	// deb.sh writes dist/ under its repository: give it a copy of the files
	// it packages, so the shared checkout is left alone.
	repo := t.TempDir()
	for _, f := range packaged {
		if f.src != "" {
			copyInto(t, repo, f.src)
		}
	}
	for _, f := range buildInputs {
		copyInto(t, repo, f)
	}
	binary := stubBinary(t, t.TempDir(), false)
	dist := filepath.Join(t.TempDir(), "dist")
	run(t, []string{"BINARY=" + binary, "DIST=" + dist, "VERSION=v1.2.3-4-gabc1234", "ARCH=amd64", "GOFLAGS=-mod=vendor"},
		filepath.Join(repo, "packaging", "deb.sh"))
	debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
	if len(debs) != 1 || filepath.Base(debs[0]) != "vpp-snmp-agent_1.2.3+4+gabc1234-1_amd64.deb" {
		t.Fatalf("deb.sh made %q, want vpp-snmp-agent_1.2.3+4+gabc1234-1_amd64.deb", debs)
	}
	deb := debs[0]

	listing := run(t, nil, "dpkg-deb", "-c", deb)
	t.Logf("dpkg-deb -c:\n%s", listing)
	files := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || strings.HasPrefix(f[0], "d") {
			continue
		}
		files[strings.TrimPrefix(f[len(f)-1], ".")] = f[0] + " " + f[1]
	}
	for path, want := range packaged {
		got, ok := files[path]
		wantInfo := fs.FileMode(want.mode).String() + " root/root"
		if !ok || got != wantInfo {
			t.Errorf("%s: %q in the package, want %q", path, got, wantInfo)
		}
	}
	for _, path := range generated {
		if got := files[path]; got != "-rw-r--r-- root/root" {
			t.Errorf("%s: %q in the package, want -rw-r--r-- root/root", path, got)
		}
	}
	for path := range files {
		if _, ok := packaged[path]; !ok && !slices.Contains(generated, path) {
			t.Errorf("unexpected file in the package: %s", path)
		}
	}

	fields := map[string]string{"Package": "vpp-snmp-agent", "Version": "1.2.3+4+gabc1234-1", "Architecture": "amd64",
		"Depends":    "systemd | systemd-standalone-sysusers | systemd-sysusers, systemd | systemd-standalone-tmpfiles | systemd-tmpfiles",
		"Recommends": "snmpd", "Section": "net"}
	for k, want := range fields {
		if got := strings.TrimSpace(run(t, nil, "dpkg-deb", "-f", deb, k)); got != want {
			t.Errorf("control %s: %q, want %q", k, got, want)
		}
	}
	ctl := t.TempDir()
	run(t, nil, "dpkg-deb", "-e", deb, ctl)
	if b, _ := os.ReadFile(filepath.Join(ctl, "conffiles")); strings.TrimSpace(string(b)) != "/etc/default/vpp-snmp-agent" {
		t.Errorf("conffiles: %q, want /etc/default/vpp-snmp-agent", b)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		if !sameFile(t, filepath.Join(ctl, s), filepath.Join("scripts", s)) {
			t.Errorf("control %s differs from packaging/scripts/%s", s, s)
		}
	}

	// The payload is the repository's files, byte for byte.
	x := t.TempDir()
	run(t, nil, "dpkg-deb", "-x", deb, x)
	for path, f := range packaged {
		src := binary
		if f.src != "" {
			src = filepath.Join(repoRoot, f.src)
		}
		if !sameFile(t, filepath.Join(x, path), src) {
			t.Errorf("%s in the package differs from %s", path, src)
		}
	}
	// The generated files: the binary's man page, the copyright file for
	// the binary, a changelog for this version.
	if got := gunzip(t, filepath.Join(x, manPage)); got != stubManPage {
		t.Errorf("%s: %q, want what the binary printed: %q", manPage, got, stubManPage)
	}
	cr := readFile(t, filepath.Join(x, copyright))
	for _, want := range []string{
		"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n",
		"\n\nFiles: *\nCopyright: The vpp-snmp-agent authors\nLicense: Apache-2.0\n",
		"\n\nFiles: std/*\n", // the stand-in links nothing but Go's library
		"\n\nLicense: Apache-2.0\n On Debian systems, the complete text of the Apache License, Version 2.0 can be found\n in /usr/share/common-licenses/Apache-2.0.\n",
	} {
		if !strings.Contains(cr, want) {
			t.Errorf("%s lacks %q:\n%s", copyright, want, cr)
		}
	}
	cl := gunzip(t, filepath.Join(x, changelog))
	maintainer := strings.TrimSpace(run(t, nil, "dpkg-deb", "-f", deb, "Maintainer"))
	if !strings.HasPrefix(cl, "vpp-snmp-agent (1.2.3+4+gabc1234-1) unstable; urgency=medium\n") ||
		!regexp.MustCompile(`\n -- `+regexp.QuoteMeta(maintainer)+`  \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000\n$`).MatchString(cl) {
		t.Errorf("%s (Maintainer %s):\n%s", changelog, maintainer, cl)
	}

	// install.sh with PREFIX=/usr lays out the same files.
	dest := t.TempDir()
	run(t, []string{"DESTDIR=" + dest, "BIN=" + filepath.Dir(binary), "PREFIX=/usr", "SBINDIR=", "UNITDIR=", "MANDIR=", "SYSCONFDIR=", "DOCDIR=", "SYSUSERSDIR=", "TMPFILESDIR="}, "./install.sh")
	inst := tree(t, dest)
	var want []string
	for path := range files {
		if !slices.Contains(debOnly, path) {
			want = append(want, path)
		}
	}
	for _, path := range want {
		if _, ok := inst[path]; !ok {
			t.Errorf("install.sh PREFIX=/usr does not install %s, which the package has", path)
		}
	}
	if len(inst) != len(want) {
		t.Errorf("install.sh PREFIX=/usr installs %d files, the package %d (besides %q)", len(inst), len(want), debOnly)
	}
	if !sameFile(t, filepath.Join(dest, manPage), filepath.Join(x, manPage)) {
		t.Error("install.sh and the package install different man pages")
	}

	t.Run("dpkg", func(t *testing.T) { dpkgLifecycle(t, deb) })

	// A binary built with cgo links libc dynamically: the package says so.
	t.Run("cgo", func(t *testing.T) {
		needTool(t, "gcc", "gcc")
		cgoBin := stubBinary(t, t.TempDir(), true)
		dist := filepath.Join(t.TempDir(), "dist")
		run(t, []string{"BINARY=" + cgoBin, "DIST=" + dist, "VERSION=1.0", "ARCH=amd64"}, filepath.Join(repo, "packaging", "deb.sh"))
		debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
		if len(debs) != 1 {
			t.Fatalf("packages: %q", debs)
		}
		if got := strings.TrimSpace(run(t, nil, "dpkg-deb", "-f", debs[0], "Depends")); !strings.HasSuffix(got, ", libc6") {
			t.Errorf("Depends: %q, want libc6 last", got)
		}
	})
}

// dpkgLifecycle installs the package with the real dpkg into a scratch root
// (maintainer scripts run with DPKG_ROOT, as for dpkg --root with
// --force-script-chrootless), then reinstalls it over an edited conffile
// and purges it.
func dpkgLifecycle(t *testing.T, deb string) {
	if os.Geteuid() != 0 {
		t.Skip("dpkg --root needs root to chown")
	}
	needTool(t, "dpkg", "dpkg")
	needTool(t, "systemd-sysusers", "systemd")
	root := t.TempDir()
	for _, d := range []string{"etc", "var/lib/dpkg/info", "var/lib/dpkg/updates"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A VPP already installed: its group vpp must be kept, with its gid.
	writeFile(t, filepath.Join(root, "var/lib/dpkg/status"), "")
	writeFile(t, filepath.Join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n")
	writeFile(t, filepath.Join(root, "etc/group"), "root:x:0:\nvpp:x:990:\n")
	dpkg := func(args ...string) string {
		t.Helper()
		// --force-depends: the scratch root has no systemd package.
		return run(t, nil, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-depends"}, args...)...)
	}
	dpkg("-i", deb)

	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	group, _ := os.ReadFile(filepath.Join(root, "etc/group"))
	user := regexp.MustCompile(`(?m)^vpp-snmp-agent:x:(\d+):(\d+):[^:]*:/var/lib/vpp-snmp-agent:/usr/sbin/nologin$`).FindStringSubmatch(string(passwd))
	if user == nil {
		t.Fatalf("no system user vpp-snmp-agent in /etc/passwd:\n%s", passwd)
	}
	if !regexp.MustCompile(`(?m)^vpp:x:990:vpp-snmp-agent$`).Match(group) ||
		!regexp.MustCompile(`(?m)^vpp-snmp-agent:x:`+user[2]+`:$`).Match(group) {
		t.Errorf("/etc/group: want vpp (gid 990 kept) with member vpp-snmp-agent, and group vpp-snmp-agent:\n%s", group)
	}
	state := filepath.Join(root, "var/lib/vpp-snmp-agent")
	fi, err := os.Stat(state)
	if err != nil {
		t.Fatal(err)
	}
	if st := statOwner(fi); fi.Mode().Perm() != 0o750 || st != user[1]+":990" {
		t.Errorf("/var/lib/vpp-snmp-agent: %v %s, want rwxr-x--- %s:990", fi.Mode(), st, user[1])
	}

	conf := filepath.Join(root, "etc/default/vpp-snmp-agent")
	orig, _ := os.ReadFile(conf)
	edited := append(orig, "VPP_SNMP_LOG_LEVEL=debug\n"...)
	writeFile(t, conf, string(edited))
	dpkg("-i", deb)
	if b, _ := os.ReadFile(conf); !bytes.Equal(b, edited) {
		t.Error("reinstalling replaced the edited /etc/default/vpp-snmp-agent")
	}

	dpkg("--purge", "vpp-snmp-agent")
	for _, p := range []string{"etc/default/vpp-snmp-agent", "var/lib/vpp-snmp-agent", "usr/sbin/vpp-snmp-agent", "usr/lib/systemd/system/vpp-snmp-agent.service", "usr/share/man/man8/vpp-snmp-agent.8.gz"} {
		if _, err := os.Stat(filepath.Join(root, p)); !os.IsNotExist(err) {
			t.Errorf("after purge /%s remains (%v)", p, err)
		}
	}
}

// TestDebBuildsAgent lets deb.sh build the real agent (BINARY missing) and
// checks the package as Debian's tools see it: the binary static, stripped
// and running; the man page the binary's own, with every flag; the
// copyright file naming every module the binary links; the changelog's
// version the package's; lintian with no error and no warning; and, as
// root, apt-get installing it on this machine (system_test.go).
func TestDebBuildsAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent, nfpm and a package")
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "cmd", "vpp-snmp-agent", "main.go")); err != nil {
		t.Skipf("no agent main yet: %v", err)
	}
	needTool(t, "dpkg-deb", "dpkg")
	out := t.TempDir()
	binary := filepath.Join(out, "bin", "vpp-snmp-agent")
	dist := filepath.Join(out, "dist")
	// Absolute BINARY and DIST: nothing is written into the checkout.
	run(t, []string{"BINARY=" + binary, "DIST=" + dist, "VERSION=0.1.0"}, "./deb.sh")
	info := run(t, nil, "go", "version", "-m", binary)
	if !strings.Contains(info, "CGO_ENABLED=0") {
		t.Errorf("deb.sh built a binary with cgo:\n%s", info)
	}
	debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("packages: %q", debs)
	}
	deb := debs[0]
	x := t.TempDir()
	run(t, nil, "dpkg-deb", "-x", deb, x)
	agent := filepath.Join(x, "usr/sbin/vpp-snmp-agent")
	help := run(t, nil, agent, "--help")
	if !strings.Contains(help, "--agentx-addr") && !strings.Contains(help, "-agentx-addr") {
		t.Errorf("packaged vpp-snmp-agent --help:\n%s", help)
	}
	if v := run(t, nil, agent, "--version"); v != "vpp-snmp-agent 0.1.0\n" {
		t.Errorf("packaged vpp-snmp-agent --version: %q, want the package's version", v)
	}
	if syms := elfSections(t, agent, ".symtab", ".debug_info"); len(syms) != 0 {
		t.Errorf("the packaged binary is not stripped: it has %q", syms)
	}

	page := gunzip(t, filepath.Join(x, manPage))
	if own := run(t, nil, agent, "manpage"); page != own {
		t.Errorf("%s is not what the packaged binary prints for `manpage`", manPage)
	}
	for _, flag := range []string{`\fB\-\-agentx\-addr\fR`, `\fB\-a\fR`, `\fB\-\-poll\-interval\fR`, `\fBVPP_SNMP_POLL_INTERVAL\fR`} {
		if !strings.Contains(page, flag) {
			t.Errorf("the man page lacks %s", flag)
		}
	}

	cr := readFile(t, filepath.Join(x, copyright))
	deps := 0
	for _, line := range strings.Split(info, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "dep" {
			continue
		}
		deps++
		if !strings.Contains(cr, "\n\nFiles: "+f[1]+"/") || !strings.Contains(cr, "Comment: Go module "+f[1]+" "+f[2]+" ") {
			t.Errorf("%s does not name %s %s, which the binary links", copyright, f[1], f[2])
		}
	}
	if deps == 0 {
		t.Errorf("go version -m lists no modules:\n%s", info)
	}

	version := strings.TrimSpace(run(t, nil, "dpkg-deb", "-f", deb, "Version"))
	if cl := gunzip(t, filepath.Join(x, changelog)); !strings.HasPrefix(cl, "vpp-snmp-agent ("+version+") ") {
		t.Errorf("changelog for another version than the package's %s:\n%s", version, cl)
	}

	t.Run("lintian", func(t *testing.T) { lintianClean(t, deb) })
	t.Run("apt", func(t *testing.T) { aptInstall(t, deb) })
}

// elfSections returns which of names are sections of an ELF file.
func elfSections(t *testing.T, path string, names ...string) []string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var have []string
	for _, n := range names {
		if f.Section(n) != nil {
			have = append(have, n)
		}
	}
	return have
}

// TestMaintainerDefault: make deb and deb.sh run alone sign the package
// with the same Maintainer.
func TestMaintainerDefault(t *testing.T) {
	mk := regexp.MustCompile(`(?m)^MAINTAINER \?= (.+)$`).FindStringSubmatch(readFile(t, filepath.Join(repoRoot, "Makefile")))
	sh := regexp.MustCompile(`(?m)^MAINTAINER=\$\{MAINTAINER:-(.+)\}$`).FindStringSubmatch(readFile(t, "deb.sh"))
	if mk == nil || sh == nil || mk[1] != sh[1] {
		t.Errorf("the Makefile's MAINTAINER %q and deb.sh's default %q differ", mk, sh)
	}
}

func copyInto(t *testing.T, dir, rel string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Error(err)
		return false
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Error(err)
		return false
	}
	return bytes.Equal(x, y)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// gunzip returns the content of a gzip file.
func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// statOwner returns "uid:gid" of a file.
func statOwner(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "?"
	}
	return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
}
