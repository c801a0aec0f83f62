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
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/core"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindexfile"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/metrics"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/poller"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/statsread"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppapi"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppcfg"
)

// exitConfig is the exit status of a bad configuration, which a restart
// cannot fix (sysexits' EX_CONFIG): not 2, which is what Go's runtime exits
// with on a panic, a crash the unit must restart.
const exitConfig = 78

// version is set at build time (-ldflags -X main.version=...).
var version = "dev"

// subagentID identifies us in the AgentX Open: the IF-MIB module we serve.
var subagentID = agentx.OID{1, 3, 6, 1, 2, 1, 31}

func main() {
	// The live heap is steady (the snapshot, the interfaces, the ifIndex
	// map: about 500 bytes per interface) while every counter read makes a
	// new counter array of 128 bytes per interface: collect soon. Measured
	// at 100,000 interfaces (peak RssAnon through start, churn, walks): 98 to
	// 111 MB at GOGC=25, 92 MB at 10, for about 2 % of a core more. The
	// memory limit follows the interfaces (memoryBudget).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(10)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for tests: 0 on a clean stop, exitConfig
// on a bad configuration. Once started the agent does not give up: it retries VPP
// and snmpd until stopped. A bad ifIndex state file is not a bad
// configuration (a restart could not fix it either): it is logged and the
// agent starts.
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
		return exitConfig
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
		return exitConfig
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
	// neighborEvents carries VPP's neighbour events to the poller.
	neighborEvents chan poller.NeighborEvent
	metrics        *metrics.Metrics
}

// setup checks everything that can be checked before starting (the vppcfg
// file, the AgentX address), so that a bad configuration fails at once with
// one clear line and nothing half-started, and loads the ifIndex state,
// which cannot fail: what was wrong with it is logged.
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

	var aliases map[string]string
	if cfg.Config != "" {
		var err error
		if aliases, err = vppcfg.Load(cfg.Config); err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
	}
	m := metrics.New()
	session, err := agentx.New(agentx.Config{
		Addr:        cfg.AgentXAddr,
		ID:          subagentID,
		Description: "vpp-snmp-agent " + version + ": IF-MIB, IP-MIB and EtherLike-MIB for VPP",
		Priority:    uint8(cfg.Priority),
		Subtrees:    mib.Subtrees(cfg.mibList()...),
		Observer:    m,
		Logger:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("--agentx-addr: %w", err)
	}
	// After every check that exits exitConfig, so that such an exit prints one line.
	idx, rep := ifindexfile.Load(cfg.IfIndexFile)
	logIfIndexLoad(log, cfg.IfIndexFile, idx, rep)
	idx = idx.WithForgetAfter(cfg.IfIndexForgetAfter)
	if err := os.MkdirAll(filepath.Dir(cfg.IfIndexFile), 0o755); err != nil {
		// Serving matters more than saving; the saver repeats the error.
		log.WithError(err).Error("creating the ifIndex state directory")
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
	a.neighborEvents = make(chan poller.NeighborEvent, 256)
	a.notifier = poller.NewNotifier(session.Notify, cfg.TrapRate, log)
	a.metrics = m
	a.metrics.Notifications(a.notifier.Counts)
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
		// One Store for the agent's life: it reads back only a file it did not write.
		SaveIndexes:     ifindexfile.NewStore(cfg.IfIndexFile).Save,
		Options:         mib.Options{Clock: session.Clock(), LCPNames: cfg.LCPNames, Aliases: aliases, MIBs: cfg.mibList()},
		IP:              a.ipConfig(cfg),
		MaxAge:          cfg.PollInterval,
		DetailsInterval: cfg.DetailsInterval,
		DownAfter:       cfg.VPPDownAfter,
		Observer:        withMemoryBudget(a.metrics),
		Logger:          log,
	})
	if err != nil {
		return nil, err
	}
	a.poller = p
	return a, nil
}

// ipConfig feeds IP-MIB when it is served, and nothing otherwise: its
// address dump is one request per interface and family.
func (a *agent) ipConfig(cfg config) poller.IPConfig {
	if !slices.Contains(cfg.mibList(), "ip") {
		return poller.IPConfig{}
	}
	return poller.IPConfig{
		Addresses: a.vpp.Addresses,
		Neighbors: a.vpp.Neighbors,
		Events:    a.neighborEvents,
		Interval:  cfg.IPInterval,
	}
}

// logIfIndexLoad says what loading the ifIndex state found: each problem,
// and which map the agent starts from, at error level when ifIndexes may
// change because of it.
func logIfIndexLoad(log logrus.FieldLogger, path string, idx *ifindex.Registry, rep ifindexfile.LoadReport) {
	for _, err := range rep.Problems {
		log.WithError(err).WithField("file", path).Error("ifIndex state file unusable")
	}
	l := log.WithFields(logrus.Fields{"file": path, "names": idx.Len()})
	switch {
	case rep.From == path:
		l.Info("ifIndex state loaded")
	case rep.From != "" && len(rep.Problems) == 0:
		l.WithField("from", rep.From).Warn("ifIndex state file missing; using its previous copy (remove both to start afresh)")
	case rep.From != "":
		l.WithField("from", rep.From).Error("using the previous copy of the ifIndex state; names first seen after it was written may get other ifIndexes")
	case len(rep.Problems) > 0:
		l.Error("no usable ifIndex state: starting as on first sight (1000 + sw_if_index); interfaces may get other ifIndexes")
	default:
		l.Info("no ifIndex state file yet: first start (1000 + sw_if_index)")
	}
}

// readStats reads the stats segment for the poller, which must tell a
// segment that is gone (VPP dead, when the API is lost too) from one that
// is busy or slow. The counters are read in place (Stats.Apply) straight
// into the snapshot, so reuse is not needed.
func (a *agent) readStats(ctx context.Context, reuse []model.Counters) (poller.Stats, error) {
	v, err := a.stats.View(ctx)
	if err != nil {
		if errors.Is(err, statsread.ErrNoSegment) {
			err = fmt.Errorf("%w: %w", poller.ErrStatsGone, err)
		}
		return poller.Stats{Counters: reuse}, err
	}
	return poller.Stats{Names: v.Names, Segment: v.Segment, Apply: v.Apply}, nil
}

// serve runs every part until ctx is done, then closes the AgentX session.
func (a *agent) serve(ctx context.Context, hup <-chan os.Signal) {
	a.log.WithFields(logrus.Fields{
		"version": version, "agentx": a.cfg.AgentXAddr, "api": a.cfg.APISocket, "stats": a.cfg.StatsSocket,
	}).Info("vpp-snmp-agent starting")
	var wg sync.WaitGroup
	start := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	if a.cfg.MetricsAddr != "" {
		addr, wait, err := a.metrics.Serve(ctx, a.cfg.MetricsAddr)
		if err != nil {
			// Metrics are for watching the agent; without them it still
			// serves SNMP.
			a.log.WithError(err).Error("--metrics-addr: serving without metrics")
		} else {
			a.log.WithField("addr", addr.String()).Info("serving Prometheus metrics at /metrics")
			start(func() {
				if err := wait(); err != nil {
					a.log.WithError(err).Error("serving /metrics stopped")
				}
			})
		}
	}

	start(func() { _ = a.vpp.Run(ctx) })
	start(func() { a.forwardEvents(ctx) })
	start(func() { a.forwardNeighborEvents(ctx) })
	start(func() { _ = a.poller.Run(ctx) })
	start(func() { a.notifier.Run(ctx) })
	start(func() { a.reloadOnHUP(ctx, hup) })
	if path := os.Getenv(heapProfileEnv); path != "" {
		start(func() { heapProfiles(ctx, path, a.log) })
	}

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
			case vppapi.Connected:
				pe.Resync = true
				a.metrics.VPPConnected(true)
			case vppapi.Resync:
				pe.Resync = true
			case vppapi.Disconnected:
				pe.Down = true // with the stats segment gone too, VPP is
				a.metrics.VPPConnected(false)
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

// forwardNeighborEvents turns vppapi's neighbour events into the poller's,
// dropping what the poller cannot take at once (its periodic dump catches
// up).
func (a *agent) forwardNeighborEvents(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-a.vpp.NeighborEvents():
			select {
			case a.neighborEvents <- poller.NeighborEvent{Conn: ev.Conn, SwIfIndex: ev.SwIfIndex}:
			default:
			}
		}
	}
}
