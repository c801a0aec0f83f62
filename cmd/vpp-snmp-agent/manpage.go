package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// manPageArg, given as the only argument, prints the man page
// vpp-snmp-agent(8) in roff on stdout and exits 0. It is not in --help: it is
// for the package build (packaging/deb.sh), which installs its output, so the
// man page is written from the same flag.FlagSet that parseConfig parses with
// and cannot drift from the flags.
const manPageArg = "manpage"

// printManPage writes the man page and returns errHelp (the caller exits 0),
// or the write error. The defaults shown are the built-in ones: the
// environment is not read.
func printManPage(w io.Writer) error {
	cfg := defaultConfig()
	bw := bufio.NewWriter(w)
	writeManPage(bw, newFlagSet(&cfg), envNames(&cfg), version)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the man page: %w", err)
	}
	return errHelp
}

// manOption is one option of the man page: a setting and every flag name
// that sets it (--agentx-addr and its short form -a).
type manOption struct {
	names []*flag.Flag // the longest name first
	env   string       // VPP_SNMP_*, or "" when the environment cannot set it
}

// manOptions groups fs's flags by the variable they set (flags bound to the
// same variable are one option), in the order of their longest names.
func manOptions(fs *flag.FlagSet, env map[uintptr]string) []manOption {
	var opts []manOption
	index := map[uintptr]int{}
	fs.VisitAll(func(f *flag.Flag) {
		p := valuePointer(f.Value)
		if i, ok := index[p]; ok && p != 0 {
			opts[i].names = append(opts[i].names, f)
			return
		}
		index[p] = len(opts)
		opts = append(opts, manOption{names: []*flag.Flag{f}, env: env[p]})
	})
	for _, o := range opts {
		// Long names before short ones (--agentx-addr, -a).
		slices.SortStableFunc(o.names, func(a, b *flag.Flag) int { return len(b.Name) - len(a.Name) })
	}
	// VisitAll went in lexical order of all names; keep the long names'.
	slices.SortStableFunc(opts, func(a, b manOption) int { return strings.Compare(a.names[0].Name, b.names[0].Name) })
	return opts
}

// valuePointer is the address of the variable a flag sets: the flag
// package's values for StringVar, DurationVar ... are pointers to it. Other
// kinds of flag.Value give 0 (the flag is then an option of its own).
func valuePointer(v flag.Value) uintptr {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer {
		return 0
	}
	return rv.Pointer()
}

// envNames maps the address of each field of cfg to the environment
// variable envconfig reads it from (the tag: the whole name).
func envNames(cfg *config) map[uintptr]string {
	names := map[uintptr]string{}
	v := reflect.ValueOf(cfg).Elem()
	for i := 0; i < v.NumField(); i++ {
		field := v.Type().Field(i)
		if !field.IsExported() || field.Tag.Get("ignored") == "true" {
			continue
		}
		key := field.Tag.Get("envconfig")
		if key == "" {
			key = strings.ToUpper(field.Name) // envconfig's default
		}
		names[v.Field(i).Addr().Pointer()] = key
	}
	return names
}

// roff escapes text for a man page: backslashes, and hyphens as \- (so that
// options and paths copied from the page work); a line may not start with
// a control character.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// flagName is a flag as written on the command line: --name, or -x.
func flagName(f *flag.Flag) string {
	if len(f.Name) == 1 {
		return `\-` + f.Name
	}
	return `\-\-` + roff(f.Name)
}

// writeManPage writes vpp-snmp-agent(8) for the flags of fs.
func writeManPage(w io.Writer, fs *flag.FlagSet, env map[uintptr]string, version string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p(`.\" vpp-snmp-agent(8), written by "vpp-snmp-agent %s" from its flags`, manPageArg)
	p(`.\" (cmd/vpp-snmp-agent/manpage.go); do not edit.`)
	p(`.TH VPP\-SNMP\-AGENT 8 "" "vpp\-snmp\-agent %s" "System Administration"`, roff(version))
	p(`.\" Paths and options are not to be hyphenated at line ends.`)
	p(`.nh`)
	p(`.ad l`)
	p(`.SH NAME`)
	p(`vpp\-snmp\-agent \- AgentX subagent serving IF\-MIB for the fd.io VPP dataplane`)
	p(`.SH SYNOPSIS`)
	p(`.B vpp\-snmp\-agent`)
	p(`.RI [ options ]`)
	p(`.br`)
	p(`.B vpp\-snmp\-agent check`)
	p(`.RI [ options ]`)
	p(`.SH DESCRIPTION`)
	p(`.B vpp\-snmp\-agent`)
	p(`connects to the AgentX master socket of net\-snmp's`)
	p(`.BR snmpd (8)`)
	p(`and serves IF\-MIB (RFC 2863: ifTable, ifXTable, ifStackTable, ifNumber,`)
	p(`ifTableLastChange, ifStackLastChange, and the linkUp and linkDown`)
	p(`notifications) for the interfaces of the fd.io VPP dataplane, read from`)
	p(`VPP's binary API socket and its stats segment.`)
	p(`.PP`)
	p(`It keeps each interface's ifIndex across restarts in a state file,`)
	p(`reconnects to VPP and to snmpd by itself when either restarts, and serves`)
	p(`the last known data while VPP is away.`)
	p(`Counters are read on demand: none served is older than the poll interval.`)
	p(`.PP`)
	p(`.B vpp\-snmp\-agent check`)
	p(`takes the same options and environment, after the word check. It connects`)
	p(`once to everything the agent uses (VPP's API socket and stats segment, the`)
	p(`vppcfg file, the ifIndex file and its previous copy, snmpd's AgentX socket,`)
	p(`where it opens a session, registers what the agent registers and closes it),`)
	p(`each step bounded by 5 seconds, and prints one line per part, starting with`)
	p(`ok, warn or FAIL, naming what it tried and, on failure, what to do.`)
	p(`It changes nothing: the ifIndex file is only read.`)
	p(`Run it first, as the agent's user, when something does not work.`)
	p(`.SH OPTIONS`)
	p(`Each option can also be set with the environment variable named below;`)
	p(`an option on the command line wins over the environment.`)
	for _, o := range manOptions(fs, env) {
		arg, usage := flag.UnquoteUsage(o.names[0])
		var heads []string
		for _, f := range o.names {
			h := `\fB` + flagName(f) + `\fR`
			if arg != "" {
				h += ` \fI` + roff(arg) + `\fR`
			}
			heads = append(heads, h)
		}
		p(`.TP`)
		p(`%s`, strings.Join(heads, ", "))
		p(`%s`, roff(sentence(usage)))
		if def := o.names[0].DefValue; def != "" && def != "false" {
			p(`Default: \fB%s\fR.`, roff(def))
		}
		if o.env != "" {
			p(`Environment: \fB%s\fR.`, roff(o.env))
		}
	}
	p(`.TP`)
	p(`\fB\-\-help\fR, \fB\-h\fR`)
	p(`print the usage and exit.`)
	p(`.SH ENVIRONMENT`)
	p(`The`)
	p(`.B VPP_SNMP_*`)
	p(`variables above; the systemd unit reads them from`)
	p(`.IR /etc/default/vpp\-snmp\-agent .`)
	p(`.B GOGC`)
	p(`(Go's garbage collector target) is 10 unless set;`)
	p(`.B GOMEMLIMIT`)
	p(`(Go's soft memory limit), unless set, follows the interfaces served:`)
	p(`900 bytes each, at least 64 MiB, and at least 1.5 times the live heap.`)
	p(`.SH SIGNALS`)
	p(`.TP`)
	p(`.BR SIGTERM ", " SIGINT`)
	p(`Close the AgentX session and exit 0.`)
	p(`.TP`)
	p(`.B SIGHUP`)
	p(`Read the vppcfg file of \fB\-\-config\fR again; a bad file is logged and the`)
	p(`previous interface descriptions stay.`)
	p(`.SH EXIT STATUS`)
	p(`0 after SIGTERM or SIGINT, \fB\-\-help\fR or \fB\-\-version\fR;`)
	p(`%d (EX_CONFIG) for a bad configuration (an unknown option, a bad value, an`, exitConfig)
	p(`unreadable vppcfg file), reported on one line on standard error.`)
	p(`.B check`)
	p(`exits 0 when the agent would work (warnings allowed), 1 when not, and %d`, exitConfig)
	p(`for a bad configuration.`)
	p(`Once started, the agent does not exit when VPP or snmpd is missing: it`)
	p(`logs it and retries.`)
	p(`.SH FILES`)
	p(`.TP`)
	p(`.I /etc/default/vpp\-snmp\-agent`)
	p(`Settings of the systemd unit, as VPP_SNMP_* variables.`)
	p(`.TP`)
	p(`.I /usr/lib/systemd/system/vpp\-snmp\-agent.service`)
	p(`The unit: runs the agent as user vpp\-snmp\-agent, group vpp, in the`)
	p(`network namespace "dataplane", beside snmpd\-dataplane.service.`)
	p(`.TP`)
	p(`.I /usr/share/doc/vpp\-snmp\-agent/`)
	p(`README.md (deployment, configuration, the IF\-MIB objects and how they`)
	p(`are derived from VPP, troubleshooting) and snmpd.conf.example.`)
	p(`.SH SEE ALSO`)
	p(`.BR snmpd (8),`)
	p(`.BR snmpd.conf (5),`)
	p(`.BR snmpwalk (1),`)
	p(`.BR systemd.exec (5)`)
}

// sentence ends a flag's usage with a full stop (it is not capitalised:
// it may start with a name such as vppcfg).
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
