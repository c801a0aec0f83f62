package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestManPage: `vpp-snmp-agent manpage` prints the man page, exit 0, with
// every flag of the FlagSet parseConfig uses and every VPP_SNMP_* variable,
// the built-in defaults whatever the environment says, and is not in --help.
func TestManPage(t *testing.T) {
	t.Setenv("VPP_SNMP_POLL_INTERVAL", "7s")
	var stdout, stderr bytes.Buffer
	if code := run([]string{manPageArg}, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
		t.Fatalf("vpp-snmp-agent %s: exit %d, stderr %q", manPageArg, code, stderr.String())
	}
	page := stdout.String()
	if !strings.Contains(page, "\n.TH VPP\\-SNMP\\-AGENT 8 ") || !strings.Contains(page, "\n.SH NAME\nvpp\\-snmp\\-agent \\- ") {
		t.Fatalf("no .TH for section 8 or no NAME line:\n%s", page)
	}

	cfg := defaultConfig()
	newFlagSet(&cfg).VisitAll(func(f *flag.Flag) {
		dashes := `\-\-`
		if len(f.Name) == 1 {
			dashes = `\-`
		}
		if name := `\fB` + dashes + strings.ReplaceAll(f.Name, "-", `\-`) + `\fR`; !strings.Contains(page, name) {
			t.Errorf("the man page lacks the flag %s", name)
		}
	})
	// Independently of manpage.go's reflection: every envconfig tag.
	typ := reflect.TypeFor[config]()
	for i := 0; i < typ.NumField(); i++ {
		if tag := typ.Field(i).Tag.Get("envconfig"); tag != "" {
			if v := `\fB` + tag + `\fR`; !strings.Contains(page, v) {
				t.Errorf("the man page lacks the environment variable %s", v)
			}
		}
	}
	if !strings.Contains(page, "\\fB\\-\\-poll\\-interval\\fR \\fIduration\\fR\nmaximum age of a counter value served.\nDefault: \\fB1s\\fR.\n") {
		t.Errorf("--poll-interval: want its built-in default 1s (not the environment's 7s):\n%s", page)
	}

	stdout.Reset()
	run([]string{"--help"}, &stdout, &stderr)
	if strings.Contains(stdout.String(), manPageArg) {
		t.Errorf("--help mentions %q: it is for the package build only", manPageArg)
	}
	if code := run([]string{manPageArg, "extra"}, &stdout, &stderr); code != exitConfig {
		t.Errorf("%s with another argument: exit %d, want %d", manPageArg, code, exitConfig)
	}
}

// TestManPageOptions: flags bound to one variable are one option, long name
// first; a flag the environment cannot set has no variable; a flag added
// to the FlagSet is in the page.
func TestManPageOptions(t *testing.T) {
	var s struct {
		Addr  string `envconfig:"ADDR"`
		Plain int
		Quiet bool `ignored:"true"`
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.StringVar(&s.Addr, "a", "", "short form")
	fs.StringVar(&s.Addr, "addr", "tcp:1.2.3.4:705", "the address")
	fs.IntVar(&s.Plain, "plain", 3, "a number")
	fs.BoolVar(&s.Quiet, "quiet", false, "say less")
	fs.Func("func", "not a pointer `value`", func(string) error { return nil })
	env := map[uintptr]string{
		reflect.ValueOf(&s.Addr).Pointer():  "VPP_SNMP_ADDR",
		reflect.ValueOf(&s.Plain).Pointer(): "VPP_SNMP_PLAIN",
	}
	var b bytes.Buffer
	writeManPage(&b, fs, env, "1.0")
	page := b.String()
	for _, want := range []string{
		".TP\n\\fB\\-\\-addr\\fR \\fIstring\\fR, \\fB\\-a\\fR \\fIstring\\fR\nthe address.\nDefault: \\fBtcp:1.2.3.4:705\\fR.\nEnvironment: \\fBVPP_SNMP_ADDR\\fR.\n",
		".TP\n\\fB\\-\\-plain\\fR \\fIint\\fR\na number.\nDefault: \\fB3\\fR.\nEnvironment: \\fBVPP_SNMP_PLAIN\\fR.\n",
		".TP\n\\fB\\-\\-quiet\\fR\nsay less.\n.TP\n",
		".TP\n\\fB\\-\\-func\\fR \\fIvalue\\fR\nnot a pointer value.\n.TP\n",
		`"vpp\-snmp\-agent 1.0"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the man page lacks\n%s\nin:\n%s", want, page)
		}
	}

	// The real struct: envNames follows envconfig's rules.
	var cfg config
	names := envNames(&cfg)
	if got := names[reflect.ValueOf(&cfg.PollInterval).Pointer()]; got != "VPP_SNMP_POLL_INTERVAL" {
		t.Errorf("PollInterval: %q, want VPP_SNMP_POLL_INTERVAL", got)
	}
	if got, ok := names[reflect.ValueOf(&cfg.Version).Pointer()]; ok {
		t.Errorf("Version (ignored by envconfig) has a variable %q", got)
	}
}

// TestManPageLints renders the page with man-db's man --warnings, as
// lintian does; any groff warning fails.
func TestManPageLints(t *testing.T) {
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man (man-db) is not installed; lintian (make test in packaging) checks the page too")
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{manPageArg}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	p := filepath.Join(t.TempDir(), "vpp-snmp-agent.8")
	if err := os.WriteFile(p, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", p)
	cmd.Env = []string{"LC_ALL=C.UTF-8", "MANWIDTH=80", "PATH=/usr/bin:/bin"}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil || errs.Len() != 0 {
		t.Errorf("man --warnings: %v\n%s", err, errs.String())
	}
	if out.Len() == 0 {
		t.Error("man rendered nothing")
	}
}
