package systemd

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// unitNames are the units this package ships.
var unitNames = []string{"netns-dataplane.service", "snmpd-dataplane.service", "vpp-snmp-agent.service"}

// setting is one "Key=Value" line of a unit file.
type setting struct {
	section, key, value string
	line                int
}

// unitFile is a parsed unit file, settings in file order.
type unitFile struct {
	path     string
	settings []setting
}

// readUnit parses a unit file the way systemd does for what these tests need:
// [Section] headers, Key=Value lines, "#" and ";" comments, and lines
// continued with a trailing backslash.
func readUnit(path string) (*unitFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading unit: %w", err)
	}
	defer f.Close()
	u := &unitFile{path: path}
	section := ""
	sc := bufio.NewScanner(f)
	n, pending, pendingLine := 0, "", 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			if pending == "" {
				pendingLine = n
			}
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		start := n
		if pending != "" {
			line, start, pending = pending+line, pendingLine, ""
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: not Key=Value: %q", path, start, line)
		}
		u.settings = append(u.settings, setting{section, strings.TrimSpace(key), strings.TrimSpace(value), start})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading unit %s: %w", path, err)
	}
	return u, nil
}

func mustReadUnit(t *testing.T, name string) *unitFile {
	t.Helper()
	u, err := readUnit(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// values returns every value given to section.key, in order (list settings
// such as SystemCallFilter= accumulate over lines).
func (u *unitFile) values(section, key string) []string {
	var vs []string
	for _, s := range u.settings {
		if s.section == section && s.key == key {
			vs = append(vs, s.value)
		}
	}
	return vs
}

// value returns the last value of section.key (the one systemd uses for a
// single-valued setting) and whether there was one.
func (u *unitFile) value(section, key string) (string, bool) {
	vs := u.values(section, key)
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// words returns the space-separated words of every value of section.key
// (After=a b, After=c is {a, b, c}).
func (u *unitFile) words(section, key string) []string {
	var ws []string
	for _, v := range u.values(section, key) {
		ws = append(ws, strings.Fields(v)...)
	}
	return ws
}

// environment returns the Environment= assignments of [Service].
func (u *unitFile) environment(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, v := range u.values("Service", "Environment") {
		words, err := splitCommand(v)
		if err != nil {
			t.Fatalf("%s: Environment=%s: %v", u.path, v, err)
		}
		for _, w := range words {
			k, val, ok := strings.Cut(w, "=")
			if !ok {
				t.Fatalf("%s: Environment=%s: %q is not NAME=VALUE", u.path, v, w)
			}
			env[k] = val
		}
	}
	return env
}

// command returns the argv of the single Exec line section.key, without
// systemd's prefixes (-, @, +, !, :).
func (u *unitFile) command(t *testing.T, key string) []string {
	t.Helper()
	vs := u.values("Service", key)
	if len(vs) != 1 {
		t.Fatalf("%s: want exactly one %s=, have %d", u.path, key, len(vs))
	}
	argv, err := splitCommand(strings.TrimLeft(vs[0], "-@+!:"))
	if err != nil {
		t.Fatalf("%s: %s=%s: %v", u.path, key, vs[0], err)
	}
	if len(argv) == 0 {
		t.Fatalf("%s: %s= is empty", u.path, key)
	}
	return argv
}

// splitCommand splits a command line as systemd does for the cases these
// units use: words separated by blanks, '...' and "..." quoting, and
// backslash escapes inside double quotes.
func splitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"/bin/kill -HUP $MAINPID", []string{"/bin/kill", "-HUP", "$MAINPID"}},
		{`/bin/sh -ec 'a || b; exec c'`, []string{"/bin/sh", "-ec", "a || b; exec c"}},
		{`A=1 "B=two words" C="x\"y"`, []string{"A=1", "B=two words", `C=x"y`}},
		{"MIBS=", []string{"MIBS="}},
	} {
		got, err := splitCommand(tc.in)
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := splitCommand("sh -c 'open"); err == nil {
		t.Error("splitCommand accepted an unterminated quote")
	}
}

// needTool returns the path of a program the test needs, or fails the test
// naming the Debian package that provides it (tests do not install
// packages: `make deps` and .ci/run do).
func needTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
			if fi, err := os.Stat(dir + "/" + name); err == nil && fi.Mode().IsRegular() {
				return dir + "/" + name
			}
		}
		t.Fatalf("%s not found: install the Debian package %s (make deps)", name, debianPackage)
	}
	return p
}
