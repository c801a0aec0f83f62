// Command vpp-snmp-agent is an AgentX subagent that serves IF-MIB for the
// interfaces of VPP: it parses its configuration, wires the parts and runs
// until SIGTERM or SIGINT; SIGHUP reloads the vppcfg YAML.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/adapter/statsclient"
	"go.fd.io/govpp/core"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindexfile"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/poller"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/statsread"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppapi"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppcfg"
)

// version is set at build time (-ldflags -X main.version=...).
var version = "dev"

// subagentID identifies us in the AgentX Open: the IF-MIB module we serve.
var subagentID = agentx.OID{1, 3, 6, 1, 2, 1, 31}

func main() {
	// The live heap is small and steady (the snapshot, the last dump) while
	// every dump and counter read makes garbage the size of it: collect
	// sooner than Go's default. Measured at 100,000 interfaces: 297 MB of
	// anonymous memory at GOGC=100, 177 MB at 25, the same CPU for a walk.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for tests: 0 on a clean stop, 2 on a bad
// configuration. Once started the agent does not give up: it retries VPP
// and snmpd until stopped.
func run(args []string, stdout, stderr io.Writer) int {
	// check is a subcommand: the first argument, its flags after it.
	if len(args) > 0 && args[0] == "check" {
		return runCheck(args[1:], stdout, stderr)
	}
	cfg, err := parseConfig(args, stdout)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "vpp-snmp-agent: %s\n", oneLine(err))
		return 2
	}
	if cfg.Version {
		fmt.Fprintf(stdout, "vpp-snmp-agent %s\n", version)
		return 0
	}
	// Take SIGHUP before anything else: a reload during start-up must not
	// kill the process (its default action).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	a, err := setup(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "vpp-snmp-agent: %s\n", oneLine(err))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	a.serve(ctx, hup)
	return 0
}

// oneLine keeps a configuration error on one line: some span several
// (yaml.v3's "unmarshal errors:" list one per line).
func oneLine(err error) string {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// agent holds the started parts.
type agent struct {
	cfg      config
	log      *logrus.Logger
	session  *agentx.Session
	vpp      *vppapi.Client
	stats    *statsread.Reader
	poller   *poller.Poller
	notifier *poller.Notifier
	events   chan poller.Event
}

// setup checks everything that can be checked before starting (the vppcfg
// file, the ifIndex file, the AgentX address), so that a bad configuration
// fails at once with one clear line and nothing half-started.
func setup(cfg config, stderr io.Writer) (*agent, error) {
	log := newLogger(cfg, stderr)
	// govpp logs through package-level loggers; route them through ours.
	core.SetLogger(log)
	// govpp's socket reader drops a reply (a dump then comes back short,
	// with no error) when a request's reply buffer stays full for this
	// long; the default 100 ms is one descheduling of our reader. Waiting
	// longer delays other replies instead, which the request timeouts
	// bound, and the poller keeps rows a short dump misses anyway.
	core.ReplyChannelTimeout = 2 * time.Second
	socketclient.SetLogger(log.WithField("component", "govpp"))
	statsclient.Log = log // its default writes to stdout

	var aliases map[string]string
	if cfg.Config != "" {
		var err error
		if aliases, err = vppcfg.Load(cfg.Config); err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
	}
	idx, err := ifindexfile.Load(cfg.IfIndexFile)
	if err != nil {
		return nil, fmt.Errorf("--ifindex-file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.IfIndexFile), 0o755); err != nil {
		return nil, fmt.Errorf("--ifindex-file: %w", err)
	}
	session, err := agentx.New(agentx.Config{
		Addr:        cfg.AgentXAddr,
		ID:          subagentID,
		Description: "vpp-snmp-agent " + version + ": IF-MIB for VPP",
		Priority:    uint8(cfg.Priority),
		Subtrees:    mib.Subtrees(),
		Logger:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("--agentx-addr: %w", err)
	}
	a := &agent{
		cfg:     cfg,
		log:     log,
		session: session,
		vpp:     vppapi.New(cfg.APISocket, vppapi.WithLogger(log)),
		stats: statsread.New(cfg.StatsSocket, statsread.WithLogger(log),
			statsread.WithMaxBackoff(cfg.PollInterval), statsread.WithTimeout(max(time.Second, cfg.PollInterval))),
		events: make(chan poller.Event, 256),
	}
	a.notifier = poller.NewNotifier(session.Notify, cfg.TrapRate, log)
	p, err := poller.New(poller.Config{
		Interfaces: func(ctx context.Context) (poller.Dump, error) {
			ifs, conn, err := a.vpp.Dump(ctx)
			return poller.Dump{Interfaces: ifs, Conn: conn}, err
		},
		Interface: a.vpp.InterfaceOn,
		Counters:  a.readStats,
		Events:    a.events,
		Publish:   session.SetTree,
		Notify:    a.notifier.Transition,
		Indexes:   idx,
		SaveIndexes: func(x *mib.Indexes) error {
			return ifindexfile.Save(cfg.IfIndexFile, x)
		},
		Options:         mib.Options{Clock: session.Clock(), LCPNames: cfg.LCPNames, Aliases: aliases},
		MaxAge:          cfg.PollInterval,
		DetailsInterval: cfg.DetailsInterval,
		DownAfter:       cfg.VPPDownAfter,
		Logger:          log,
	})
	if err != nil {
		return nil, err
	}
	a.poller = p
	return a, nil
}

// readStats reads the stats segment for the poller, which must tell a
// segment that is gone (VPP dead, when the API is lost too) from one that
// is busy or slow. Each read gets its own storage: the poller serves the
// previous read's counters until it has the next.
func (a *agent) readStats(ctx context.Context) (poller.Stats, error) {
	c, err := a.stats.Read(ctx)
	if errors.Is(err, statsread.ErrNoSegment) {
		err = fmt.Errorf("%w: %w", poller.ErrStatsGone, err)
	}
	return poller.Stats{Counters: c.BySwIfIndex, Names: c.Names, Segment: c.Segment}, err
}

// serve runs every part until ctx is done, then closes the AgentX session.
func (a *agent) serve(ctx context.Context, hup <-chan os.Signal) {
	a.log.WithFields(logrus.Fields{
		"version": version, "agentx": a.cfg.AgentXAddr, "api": a.cfg.APISocket, "stats": a.cfg.StatsSocket,
	}).Info("vpp-snmp-agent starting")
	var wg sync.WaitGroup
	start := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }

	start(func() { _ = a.vpp.Run(ctx) })
	start(func() { a.forwardEvents(ctx) })
	start(func() { _ = a.poller.Run(ctx) })
	start(func() { a.notifier.Run(ctx) })
	start(func() { a.reloadOnHUP(ctx, hup) })

	// Register once the first snapshot is there (or VPP is late), so that a
	// walk right after start sees VPP's interfaces rather than none.
	t := time.NewTimer(5 * time.Second)
	select {
	case <-a.poller.Ready():
	case <-t.C:
		a.log.Warn("no interface data from VPP yet; registering with snmpd anyway")
	case <-ctx.Done():
	}
	t.Stop()
	start(func() { _ = a.session.Run(ctx) })
	wg.Wait()
	a.stats.Close()
	a.log.Info("vpp-snmp-agent stopped")
}

// forwardEvents turns vppapi's events into the poller's.
func (a *agent) forwardEvents(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-a.vpp.Events():
			if !ok {
				return
			}
			pe := poller.Event{Conn: ev.Conn}
			switch ev.Kind {
			case vppapi.InterfaceChanged:
				pe.SwIfIndex, pe.AdminUp, pe.LinkUp, pe.Deleted = ev.SwIfIndex, ev.AdminUp, ev.LinkUp, ev.Deleted
			case vppapi.Connected, vppapi.Resync:
				pe.Resync = true
			case vppapi.Disconnected:
				pe.Down = true // with the stats segment gone too, VPP is
			default:
				continue
			}
			select {
			case a.events <- pe:
			case <-ctx.Done():
				return
			}
		}
	}
}

// reloadOnHUP reloads the vppcfg YAML on SIGHUP; a bad file is logged and
// the previous descriptions stay.
func (a *agent) reloadOnHUP(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if a.cfg.Config == "" {
				a.log.Info("SIGHUP: no --config to reload")
				continue
			}
			aliases, err := vppcfg.Load(a.cfg.Config)
			if err != nil {
				a.log.WithError(err).Error("SIGHUP: reloading the vppcfg file; keeping the previous descriptions")
				continue
			}
			a.poller.SetAliases(aliases)
			a.log.WithField("descriptions", len(aliases)).Info("SIGHUP: vppcfg file reloaded")
		}
	}
}
