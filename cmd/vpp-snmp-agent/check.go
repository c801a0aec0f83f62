package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/adapter/statsclient"
	"go.fd.io/govpp/core"
	"golang.org/x/sys/unix"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindexfile"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/statsread"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppapi"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppcfg"
)

// checkTimeout bounds each step of check: long enough for a busy VPP to
// dump a large router, short enough that a hung peer is reported soon.
const checkTimeout = 5 * time.Second

// verdict is the first word of a check line.
type verdict int

const (
	vOK verdict = iota
	vWarn
	vFail
)

func (v verdict) String() string { return [...]string{"ok", "warn", "FAIL"}[v] }

// result is one line of check: the verdict, what was tried (a socket path,
// an address, a file) and what came of it, with what to do on failure.
type result struct {
	v       verdict
	subject string
	text    string
}

func (r result) String() string { return fmt.Sprintf("%-4s %s: %s", r.v, r.subject, r.text) }

// runCheck is `vpp-snmp-agent check [flags]`: it connects once to
// everything the daemon uses, prints one line per part, and returns 0 when
// the daemon would work (warnings allowed), 1 when not, and exitConfig on a
// bad flag, as the daemon does.
func runCheck(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, stdout)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "vpp-snmp-agent check: %s\n", oneLine(err))
		return exitConfig
	}
	if cfg.Version {
		fmt.Fprintf(stdout, "vpp-snmp-agent %s\n", version)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	c := &checker{cfg: cfg, log: checkLogger(cfg, stderr)}
	failed := false
	for _, step := range []func(context.Context) result{
		c.vppAPI, c.stats, c.linuxCP, c.vppcfgFile, c.ifIndexFile, c.agentX,
	} {
		sctx, cancel := context.WithTimeout(ctx, checkTimeout)
		r := step(sctx)
		cancel()
		// Each line as soon as its step is done: a step that hangs to its
		// timeout shows where.
		fmt.Fprintln(stdout, r)
		failed = failed || r.v == vFail
	}
	if failed {
		return 1
	}
	return 0
}

// checkLogger routes the libraries' logs (govpp's included, which would
// otherwise write to stdout) to stderr, and silences them unless
// --log-level debug: check's report is its lines.
func checkLogger(cfg config, stderr io.Writer) *logrus.Logger {
	log := newLogger(cfg, stderr)
	if log.Level < logrus.DebugLevel {
		log.SetLevel(logrus.PanicLevel)
	}
	// govpp's loggers and reply timeout are package-level and read by its
	// goroutines, which outlive a probe: set them once per process.
	govppOnce.Do(func() {
		core.SetLogger(log)
		// As the daemon sets it (see setup): a dump of a large router is
		// not cut short by a descheduled reader.
		core.ReplyChannelTimeout = 2 * time.Second
		socketclient.SetLogger(log.WithField("component", "govpp"))
		statsclient.Log = log
	})
	return log
}

var govppOnce sync.Once

// checker runs the steps; later steps use what earlier ones found.
type checker struct {
	cfg config
	log *logrus.Logger
	vpp *vppapi.ProbeResult // nil when the API could not be probed
}

func (c *checker) vppAPI(ctx context.Context) result {
	subject := "VPP API " + c.cfg.APISocket
	cl := vppapi.New(c.cfg.APISocket, vppapi.WithLogger(c.log), vppapi.WithRequestTimeout(checkTimeout))
	p, err := cl.Probe(ctx)
	if err != nil {
		return result{vFail, subject, oneLine(err) + "; " +
			vppSocketAdvice(c.cfg.APISocket, err, "socksvr { socket-name "+c.cfg.APISocket+" }")}
	}
	c.vpp = &p
	return result{vOK, subject, fmt.Sprintf("VPP %s, %s", p.Version, plural(p.Interfaces, "interface"))}
}

func (c *checker) stats(ctx context.Context) result {
	subject := "stats segment " + c.cfg.StatsSocket
	r := statsread.New(c.cfg.StatsSocket, statsread.WithLogger(c.log), statsread.WithTimeout(checkTimeout))
	defer r.Close()
	counters, err := r.Read(ctx)
	if err != nil {
		return result{vFail, subject, oneLine(err) + "; " +
			vppSocketAdvice(c.cfg.StatsSocket, err, "statseg { socket-name "+c.cfg.StatsSocket+" }")}
	}
	info, ok := r.Describe()
	return statsResult(subject, len(counters.Names), info, ok)
}

// statsResult words what a stats read found.
func statsResult(subject string, names int, info statsread.SegmentInfo, described bool) result {
	var parts []string
	if described && info.Version != 0 {
		parts = append(parts, "segment version "+strconv.FormatUint(info.Version, 10))
	}
	parts = append(parts, plural(names, "interface")+" in /if/names")
	if !described {
		return result{vOK, subject, strings.Join(parts, ", ")}
	}
	parts = append(parts, fmt.Sprintf("%d of %d interface counters", len(info.Counters), len(info.Counters)+len(info.Missing)))
	if len(info.Missing) > 0 {
		return result{vWarn, subject, strings.Join(parts, ", ") + "; VPP lacks " +
			strings.Join(info.Missing, ", ") + ": what they feed reads 0"}
	}
	return result{vOK, subject, strings.Join(parts, ", ")}
}

func (c *checker) linuxCP(context.Context) result {
	const subject = "linux-cp"
	switch {
	case c.vpp == nil:
		return result{vWarn, subject, "not checked: no VPP API connection"}
	case !c.vpp.LCP:
		text := "not loaded (VPP lacks lcp_itf_pair_get): no Linux host names for ifName (--lcp-names) or ifAlias"
		return result{vWarn, subject, text}
	}
	return result{vOK, subject, plural(c.vpp.LCPPairs, "pair")}
}

func (c *checker) vppcfgFile(context.Context) result {
	if c.cfg.Config == "" {
		return result{vOK, "vppcfg file", "not configured (--config): ifAlias comes from VPP's interface tags"}
	}
	subject := "vppcfg file " + c.cfg.Config
	aliases, err := vppcfg.Load(c.cfg.Config)
	if err != nil {
		// Its errors name the file, as the line does already.
		text := strings.TrimPrefix(oneLine(err), subject+": ")
		return result{vFail, subject, text + "; the agent refuses to start with it: fix it, or leave --config out"}
	}
	return result{vOK, subject, plural(len(aliases), "description") + " read"}
}

// ifIndexFile tells what the agent will make of its ifIndex file and the
// previous copy beside it. It only reads them (ifindexfile.Inspect): the
// agent's own loading moves a bad file aside. A problem the agent repairs
// by itself is a warning; one that keeps it from ever saving is a failure.
func (c *checker) ifIndexFile(context.Context) result {
	path := c.cfg.IfIndexFile
	prev := path + ifindexfile.PrevSuffix
	in := ifindexfile.Inspect(path)
	r := result{vOK, "ifIndex file " + path, ""}
	var then string // what the agent will do, when that needs saying
	switch {
	case in.File.Err == nil && in.File.Exists:
		r.text = plural(in.File.Names, "entry")
	case in.File.Err == nil && in.From == "":
		r.text = "absent: a first start, every interface gets 1000 + sw_if_index"
	case in.File.Err == nil:
		r.v, r.text = vWarn, "absent"
		then = "the agent will start from the previous copy"
	case errors.Is(in.File.Err, ifindexfile.ErrNotFile):
		r.v, r.text = vFail, oneLine(in.File.Err)
		then = "the agent starts but cannot save ifIndexes until it is moved away"
	default:
		r.v, r.text = vWarn, oneLine(in.File.Err)
		then = "the agent will move it aside (" + filepath.Base(path) + ".corrupt-<unix time>) and start from the previous copy"
	}
	switch {
	case !in.Prev.Exists:
		r.text += "; no previous copy (" + filepath.Base(prev) + ")"
	case in.Prev.Err != nil:
		r.text += "; previous copy unusable: " + oneLine(in.Prev.Err)
	default:
		r.text += "; previous copy " + filepath.Base(prev) + ": " + plural(in.Prev.Names, "entry")
	}
	if then != "" {
		if in.From == "" {
			then = strings.Replace(then, "start from the previous copy",
				"start afresh at 1000 + sw_if_index: ifIndexes may differ from what the NMS knows", 1)
		}
		r.text += "; " + then
	}
	// The agent saves beside the file, creating the directory if needed.
	if dir, err := nearestDir(filepath.Dir(path)); err == nil && unix.Access(dir, unix.W_OK) != nil {
		r.v = vFail
		r.text += "; " + dir + " is not writable by this user: the agent could not save ifIndexes"
	}
	return r
}

// nearestDir is dir, or its nearest existing ancestor.
func nearestDir(dir string) (string, error) {
	for {
		st, err := os.Stat(dir)
		if err == nil && st.IsDir() {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if !errors.Is(err, fs.ErrNotExist) || up == dir {
			return "", fmt.Errorf("no directory for %s", dir)
		}
		dir = up
	}
}

func (c *checker) agentX(ctx context.Context) result {
	subject := "AgentX " + c.cfg.AgentXAddr
	r, err := agentx.Probe(ctx, agentx.Config{
		Addr:        c.cfg.AgentXAddr,
		ID:          subagentID,
		Description: "vpp-snmp-agent " + version + " check",
		Priority:    uint8(c.cfg.Priority),
		Subtrees:    mib.Subtrees(),
		Timeout:     checkTimeout,
	})
	return agentXResult(subject, c.cfg.AgentXAddr, r, err)
}

// agentXResult words a probe of the master: what it accepted, what it
// refused and why, and what to do.
func agentXResult(subject, addr string, r agentx.ProbeResult, err error) result {
	snmpdHint := "is snmpd running with `master agentx` and `agentXSocket " + addr + "` in its configuration?"
	switch {
	case err != nil && !r.Connected:
		var advice string
		switch {
		case errors.Is(err, fs.ErrPermission):
			advice = "snmpd's agentXPerms must let this user in (e.g. agentXPerms 0660 0755 Debian-snmp vpp-snmp-agent), " +
				"and check must run as the agent's user"
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
			advice = "nobody listens there: " + snmpdHint
		default:
			advice = snmpdHint
		}
		return result{vFail, subject, oneLine(err) + "; " + advice}
	case err != nil && (errors.Is(err, agentx.ErrNoResponse) || errors.Is(err, context.DeadlineExceeded)):
		return result{vFail, subject, fmt.Sprintf("connected, but no AgentX answer within %v: %s; is this address snmpd's agentXSocket, and is snmpd answering SNMP?",
			checkTimeout, oneLine(err))}
	case err != nil:
		return result{vFail, subject, oneLine(err) + "; " + snmpdHint}
	case !r.Opened:
		return result{vFail, subject, "the master refused the session (" + r.OpenError.String() + "); see snmpd's log"}
	}
	// Refusals grouped by error, in the order of the subtrees.
	var errs []agentx.ErrorStatus
	refused := map[agentx.ErrorStatus][]string{}
	n := 0
	for _, g := range r.Registrations {
		if g.Error == agentx.NoError {
			continue
		}
		n++
		s := subtreeName(g.Subtree)
		if len(g.Detail) > 0 {
			s += " (the master says: " + varbindsText(g.Detail) + ")"
		}
		if refused[g.Error] == nil {
			errs = append(errs, g.Error)
		}
		refused[g.Error] = append(refused[g.Error], s)
	}
	prio := priorityOf(r)
	if n == 0 {
		return result{vOK, subject, fmt.Sprintf("session opened, %s registered at priority %d, closed",
			plural(len(r.Registrations), "subtree"), prio)}
	}
	text := fmt.Sprintf("session opened; %d of %d registrations at priority %d refused", n, len(r.Registrations), prio)
	for _, e := range errs {
		text += ", " + e.String() + ": " + strings.Join(refused[e], ", ")
	}
	if refused[agentx.DuplicateRegistration] != nil {
		text += fmt.Sprintf("; another subagent holds them at priority %d (snmpd does not say which: "+
			"is vpp-snmp-agent already running? stop it before check)", prio)
		if prio == 127 {
			text += "; snmpd's own IF-MIB registers at 127: use --priority below 127"
		}
	}
	return result{vFail, subject, text}
}

func priorityOf(r agentx.ProbeResult) uint8 {
	if len(r.Registrations) > 0 {
		return r.Registrations[0].Priority
	}
	return 0
}

// vppSocketAdvice says what to do about a failed connection to one of
// VPP's sockets. The libraries do not always wrap the system's error, so
// the socket file itself is examined too.
func vppSocketAdvice(path string, err error, conf string) string {
	var st os.FileInfo
	var statErr error
	if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, fs.ErrNotExist) {
		st, statErr = os.Stat(path)
	}
	switch {
	case errors.Is(err, fs.ErrPermission) || errors.Is(statErr, fs.ErrPermission) ||
		(statErr == nil && st != nil && unix.Access(path, unix.W_OK) != nil):
		return "is VPP running? is the agent in group vpp (startup.conf: unix { gid vpp })? run check as the agent's user"
	case errors.Is(err, fs.ErrNotExist) || errors.Is(statErr, fs.ErrNotExist):
		return "is VPP running? is its socket at this path (startup.conf: " + conf + ")?"
	case st != nil && st.Mode()&fs.ModeSocket == 0:
		return "not a socket: is this the right path (startup.conf: " + conf + ")?"
	case errors.Is(err, syscall.EPROTOTYPE):
		return "a socket of another kind: is this the right path (startup.conf: " + conf + ")?"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nobody listens on it (left by a VPP that stopped?): is VPP running?"
	}
	return "is VPP running and answering, and is this its socket (startup.conf: " + conf + ")?"
}

// subtreeNames names the subtrees mib.Subtrees registers, for the report.
var subtreeNames = map[string]string{
	"1.3.6.1.2.1.2.1":    "ifNumber",
	"1.3.6.1.2.1.2.2":    "ifTable",
	"1.3.6.1.2.1.31.1.1": "ifXTable",
	"1.3.6.1.2.1.31.1.2": "ifStackTable",
	"1.3.6.1.2.1.31.1.5": "ifTableLastChange",
	"1.3.6.1.2.1.31.1.6": "ifStackLastChange",
}

func subtreeName(o agentx.OID) string {
	d := dotted(o)
	if n, ok := subtreeNames[d]; ok {
		return n + " (" + d + ")"
	}
	return d
}

func dotted(o agentx.OID) string {
	s := make([]string, len(o))
	for i, x := range o {
		s[i] = strconv.FormatUint(uint64(x), 10)
	}
	return strings.Join(s, ".")
}

// varbindsText shows what a master put in a refusal, briefly.
func varbindsText(vbs []agentx.Varbind) string {
	var s []string
	for _, vb := range vbs {
		v := vb.Value
		switch v.Type {
		case agentx.TypeOctetString:
			s = append(s, dotted(vb.Name)+" = "+strconv.Quote(string(v.Bytes)))
		case agentx.TypeObjectIdentifier:
			s = append(s, dotted(vb.Name)+" = "+dotted(v.OID))
		case agentx.TypeNull:
			s = append(s, dotted(vb.Name))
		default:
			s = append(s, dotted(vb.Name)+" = "+strconv.FormatUint(v.Integer, 10))
		}
	}
	return strings.Join(s, ", ")
}

// plural is "1 interface", "5 interfaces", "2 entries".
func plural(n int, noun string) string {
	if n != 1 {
		if strings.HasSuffix(noun, "y") {
			noun = strings.TrimSuffix(noun, "y") + "ies"
		} else {
			noun += "s"
		}
	}
	return strconv.Itoa(n) + " " + noun
}
