package vppsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	dpmodel "github.com/vpp-snmp-agent/vpp-snmp-agent/model"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim/statseg"
)

// Version is what show_version answers.
type Version struct {
	Program, Version, BuildDate, BuildDirectory string
}

// DefaultVersion claims VPP 26.06, the release whose behaviour the
// simulator copies; the build directory says it is the simulator.
var DefaultVersion = Version{
	Program:        "vpe",
	Version:        "26.06-release",
	BuildDate:      "2026-11-21T23:16:25",
	BuildDirectory: "/vppsim",
}

// DefaultTick is how often the traffic generator writes counters.
const DefaultTick = 100 * time.Millisecond

// Config configures a Sim.
type Config struct {
	APISocket   string // the binary API socket (required)
	StatsSocket string // the stats socket; "" runs without a stats segment
	CLISocket   string // the control CLI socket; "" runs without one

	// Scenario is the configured interfaces; nil is DefaultScenario().
	Scenario *Scenario
	// Interfaces adds that many generated interfaces: QinQ sub-interfaces
	// spread over the scenario's dpdk ports (loopbacks when it has none),
	// admin up, with GeneratedRates of traffic each.
	Interfaces     int
	GeneratedRates Rates
	// Workers is the number of worker threads: counters have Workers+1
	// thread entries (main first) and traffic is counted on the workers.
	Workers int
	// Tick is how often traffic is counted: 0 means DefaultTick; negative
	// means never, and traffic only moves when Advance is called (tests).
	Tick time.Duration

	// MessageTable is the table announced to clients; nil is
	// DefaultMessageTable(). A message it lacks cannot be used.
	MessageTable *MsgTable
	// Replay serves a captured VPP instead of a scenario (see LoadReplay).
	Replay  *Replay
	Version *Version
	// LCPBatch is how many lcp_itf_pair_details one lcp_itf_pair_get
	// answers before replying EAGAIN with a cursor (0: all; VPP's limit is
	// time).
	LCPBatch int
	// RestartDelay is how long the sockets stay away during Restart.
	RestartDelay time.Duration
	// StatsSize fixes the stats segment size in bytes (VPP's statseg size);
	// 0 sizes it for the interfaces.
	StatsSize int

	Logger logrus.FieldLogger
}

// Sim is a simulated VPP: the binary API on a unix socket, a stats segment
// on another, a control CLI on a third, and the interface model behind them.
// Its methods are safe for concurrent use.
type Sim struct {
	nb       neighbors // the IP neighbour table
	cfg      Config
	log      logrus.FieldLogger
	table    *MsgTable
	handlers map[uint16]*handler
	plan     []planned
	version  func() Version

	// lifeMu orders Start, Restart and Close.
	lifeMu sync.Mutex

	mu        sync.Mutex
	model     *model
	ctr       *counters
	seg       *statseg.Segment
	api       *apiServer
	gen       int
	started   bool
	closed    bool
	segCancel context.CancelFunc
	segDone   chan struct{}
	segGen    int   // the segment's memfd generation last placed
	simNs     int64 // traffic time since boot, for the heartbeat

	evMu   sync.Mutex
	evQ    []ifEvent
	evWake chan struct{}

	faults faults
	apiN   *apiCounts

	cli    *cliServer
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New checks a configuration and prepares a simulator; Start runs it.
func New(cfg Config) (*Sim, error) {
	if cfg.APISocket == "" {
		return nil, errors.New("vppsim: no API socket path")
	}
	if cfg.Workers < 0 || cfg.Workers > 256 {
		return nil, fmt.Errorf("vppsim: %d workers, want 0..256", cfg.Workers)
	}
	if cfg.Interfaces < 0 || cfg.Interfaces > 1<<21 {
		return nil, fmt.Errorf("vppsim: %d generated interfaces, want 0..%d", cfg.Interfaces, 1<<21)
	}
	s := &Sim{cfg: cfg, evWake: make(chan struct{}, 1)}
	s.log = cfg.Logger
	if s.log == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		s.log = l
	}
	s.log = s.log.WithField("component", "vppsim")
	v := DefaultVersion
	if cfg.Version != nil {
		v = *cfg.Version
	}
	s.table = cfg.MessageTable
	if cfg.Replay != nil {
		if s.table == nil {
			s.table = cfg.Replay.Table
		}
		if cfg.Version == nil && cfg.Replay.Version != nil {
			v = *cfg.Replay.Version
		}
	} else {
		sc := cfg.Scenario
		if sc == nil {
			sc = DefaultScenario()
		}
		p, err := sc.plan()
		if err != nil {
			return nil, fmt.Errorf("vppsim: %w", err)
		}
		s.plan = p
	}
	if s.table == nil {
		s.table = DefaultMessageTable()
	}
	s.version = func() Version { return v }
	s.handlers = make(map[uint16]*handler)
	for _, h := range s.handlerSpecs() {
		if id, ok := s.table.ID(h.name); ok {
			h := h
			s.handlers[id] = &h
		}
	}
	if _, ok := s.table.ID("sockclnt_create_455fb9c4"); !ok {
		return nil, errors.New("vppsim: the message table lacks sockclnt_create_455fb9c4; no client could connect")
	}
	s.apiN = newAPICounts(s.table)
	return s, nil
}

// Start creates the interfaces, opens the sockets and starts the traffic.
// The simulator stops when ctx is done or Close is called.
func (s *Sim) Start(ctx context.Context) error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.mu.Lock()
	if s.started || s.closed {
		s.mu.Unlock()
		return errors.New("vppsim: already started")
	}
	s.started = true
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	if err := s.boot(0, nil); err != nil {
		s.cancel()
		s.shutdownVPP(false)
		return err
	}
	if s.cfg.CLISocket != "" {
		cli, err := newCLIServer(s, s.cfg.CLISocket)
		if err != nil {
			s.cancel()
			s.shutdownVPP(false)
			return err
		}
		s.cli = cli
	}
	s.wg.Add(1)
	go s.dispatchEvents()
	if s.cfg.Tick >= 0 {
		tick := s.cfg.Tick
		if tick == 0 {
			tick = DefaultTick
		}
		s.wg.Add(1)
		go s.ticker(tick)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-s.ctx.Done()
		s.lifeMu.Lock()
		s.shutdownVPP(false)
		s.lifeMu.Unlock()
	}()
	return nil
}

// Close stops the simulator and removes its sockets.
func (s *Sim) Close() error {
	s.lifeMu.Lock()
	s.mu.Lock()
	if !s.started || s.closed {
		s.closed = true
		s.mu.Unlock()
		s.lifeMu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.faults.stop()
	s.shutdownVPP(false)
	if s.cli != nil {
		s.cli.close()
	}
	s.lifeMu.Unlock()
	s.wg.Wait()
	return nil
}

// RestartMode is how the simulated VPP goes away in a restart.
type RestartMode int

const (
	// RestartClean: VPP exits and removes its socket files, then starts
	// again. govpp's statsclient sees stats.sock removed and remaps.
	RestartClean RestartMode = iota
	// RestartKill: VPP is killed (SIGKILL): its socket files stay behind,
	// and the new VPP's stats socket replaces the old file by a rename.
	// govpp's statsclient, which only watches for the file's removal, goes
	// on reading the dead VPP's segment: the stale-segment bug.
	RestartKill
)

// Restart is a clean VPP restart (see RestartWith).
func (s *Sim) Restart() error { return s.RestartWith(RestartClean) }

// RestartWith restarts VPP: API clients are disconnected and the sockets
// go away, then after Config.RestartDelay the configured interfaces are
// created again, in another order (so sw_if_index values move), with
// their counters at zero in a new stats segment. Interfaces made or
// deleted at run time are forgotten, as a restarted VPP forgets them.
func (s *Sim) RestartWith(mode RestartMode) error { return s.restart(mode, false) }

// restart is RestartWith; renumber moves every interface to another
// sw_if_index than it has now (Renumber).
func (s *Sim) restart(mode RestartMode, renumber bool) error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.mu.Lock()
	if !s.started || s.closed {
		s.mu.Unlock()
		return errors.New("vppsim: not running")
	}
	gen := s.gen + 1
	var old map[string]uint32
	if renumber && s.model != nil {
		old = make(map[string]uint32, len(s.model.byName))
		for _, x := range s.model.list() {
			old[x.Name] = x.SwIfIndex
		}
	}
	s.mu.Unlock()
	s.shutdownVPP(mode == RestartKill)
	s.forgetNeighbors()
	if d := s.cfg.RestartDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return s.ctx.Err()
		case <-t.C:
		}
	}
	if err := s.boot(gen, old); err != nil {
		return fmt.Errorf("vppsim: restarting: %w", err)
	}
	s.log.Infof("restarted (generation %d)", gen)
	return nil
}

// Generation counts restarts (0 before the first).
func (s *Sim) Generation() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// MessageTable is the table announced to clients.
func (s *Sim) MessageTable() *MsgTable { return s.table }

// boot is a VPP start: interfaces, stats segment, API socket. With old (the
// indexes of the previous run, by name) every interface is placed on
// another index than it had (Renumber).
func (s *Sim) boot(gen int, old map[string]uint32) error {
	m, err := s.buildModel(gen, nil)
	if err != nil {
		return err
	}
	if old != nil {
		if m, err = s.buildModel(gen, renumbered(m, old)); err != nil {
			return err
		}
	}
	ctr := &counters{sink: nopSink{}, workers: s.cfg.Workers}
	var seg *statseg.Segment
	if s.cfg.StatsSocket != "" {
		seg, err = s.newSegment(len(m.ifs))
		if err != nil {
			return err
		}
		ctr.sink = seg
		if s.cfg.Replay == nil {
			if err := seg.SetInterfaces(m.statNames); err != nil {
				_ = seg.Close()
				return fmt.Errorf("vppsim: stats segment: %w", err)
			}
			now := float64(time.Now().Unix())
			for name, v := range map[string]float64{
				statseg.BootTime: now, statseg.LastUpdate: now, statseg.Heartbeat: 0,
				statseg.NumWorkerThreads: float64(s.cfg.Workers),
			} {
				if err := seg.SetScalar(name, v); err != nil {
					s.log.WithError(err).Warnf("setting %s", name)
				}
			}
		}
	}
	m.namesDirty = false
	m.flushEvents() // nobody listens at boot
	if r := s.cfg.Replay; r != nil {
		// The image holds these already: only the mirror needs them.
		for idx, c := range r.counters {
			*ctr.get(idx).set(0) = c
		}
	}

	s.mu.Lock()
	s.model, s.ctr, s.seg, s.gen, s.simNs = m, ctr, seg, gen, 0
	if seg != nil && s.faults.busy.Load() {
		// A stats-busy window outlives a restart. Under s.mu, so that
		// SetStatsBusy and the window's end see this segment.
		_ = seg.SetBusy(true)
	}
	s.mu.Unlock()

	if seg != nil {
		// The segment is served at a side path renamed into place, so that
		// a killed VPP's socket file can stay behind and be replaced
		// without a removal (RestartKill); a clean exit removes it.
		ctx, cancel := context.WithCancel(s.ctx)
		done := make(chan struct{})
		side := s.sideStatsPath()
		go func() {
			defer close(done)
			if err := seg.Serve(ctx, side); err != nil {
				s.log.WithError(err).Error("stats socket stopped")
			}
		}()
		s.mu.Lock()
		s.segCancel, s.segDone, s.segGen = cancel, done, seg.Generation()
		s.mu.Unlock()
		if err := waitForSocket(s.ctx, side); err != nil {
			return err
		}
		if err := os.Rename(side, s.cfg.StatsSocket); err != nil {
			return fmt.Errorf("vppsim: placing the stats socket: %w", err)
		}
	}
	api, err := newAPIServer(s, s.cfg.APISocket)
	if err != nil {
		return fmt.Errorf("vppsim: %w", err)
	}
	s.mu.Lock()
	s.api = api
	s.mu.Unlock()
	return nil
}

// sideStatsPath is where the stats socket is bound before it is renamed to
// Config.StatsSocket.
func (s *Sim) sideStatsPath() string { return s.cfg.StatsSocket + ".new" }

// followSegmentMove puts the stats socket back in place after the segment
// moved to a new memfd (statseg rebinds its socket at the side path): the
// old file is removed first, so that readers see the removal and remap.
func (s *Sim) followSegmentMove() {
	if s.seg == nil || s.seg.Generation() == s.segGen {
		return
	}
	s.segGen = s.seg.Generation()
	side := s.sideStatsPath()
	if err := waitForSocket(s.ctx, side); err != nil {
		s.log.WithError(err).Error("the stats segment moved but its socket did not appear")
		return
	}
	_ = os.Remove(s.cfg.StatsSocket)
	if err := os.Rename(side, s.cfg.StatsSocket); err != nil {
		s.log.WithError(err).Error("placing the moved stats segment's socket")
	}
}

// waitForSocket waits until Serve listens on its socket file: the file
// appears at bind, a moment before listen, and a client connecting in that
// moment would be refused, so it waits for a connection to succeed (the
// memfd Serve sends on it is dropped with the connection).
func waitForSocket(ctx context.Context, path string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if c, err := net.Dial("unixpacket", path); err == nil {
				_ = c.Close()
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vppsim: stats socket %s did not appear", path)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (s *Sim) newSegment(n int) (*statseg.Segment, error) {
	if r := s.cfg.Replay; r != nil {
		if len(r.StatsImage) == 0 {
			return nil, errors.New("vppsim: the replay has no stats segment image")
		}
		seg, err := statseg.FromImage(r.StatsImage)
		if err != nil {
			return nil, fmt.Errorf("vppsim: %w", err)
		}
		return seg, nil
	}
	opts := []statseg.Option{
		statseg.WithThreads(s.cfg.Workers + 1),
		statseg.WithCapacity(max(1024, n+n/4)),
	}
	if s.cfg.StatsSize > 0 {
		opts = append(opts, statseg.WithSize(s.cfg.StatsSize))
	}
	seg, err := statseg.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("vppsim: %w", err)
	}
	return seg, nil
}

// shutdownVPP is a VPP exit: API socket and clients closed, stats socket
// removed, segment unmapped (readers keep their mapping). A killed VPP
// leaves its socket files behind.
func (s *Sim) shutdownVPP(killed bool) {
	s.mu.Lock()
	api, seg, cancel, done := s.api, s.seg, s.segCancel, s.segDone
	s.api, s.segCancel, s.segDone = nil, nil, nil
	s.mu.Unlock()
	if api != nil {
		api.close(killed)
	}
	if cancel != nil {
		cancel()
		<-done
		if !killed {
			_ = os.Remove(s.cfg.StatsSocket)
		}
	}
	if seg != nil {
		_ = seg.Close()
	}
	s.evMu.Lock()
	s.evQ = nil
	s.evMu.Unlock()
}

// buildModel creates the interfaces of one VPP run. The first run creates
// them in scenario order; run n rotates the order of the independent
// interfaces by n, as a different PCI probe or startup order would, so that
// sw_if_index values change across restarts in a way tests can predict.
// place, when set, fixes the index of each interface by name (renumbered).
func (s *Sim) buildModel(gen int, place map[string]uint32) (*model, error) {
	m := newModel()
	m.place = place
	defer func() { m.place = nil }()
	if r := s.cfg.Replay; r != nil {
		for i := range r.Interfaces {
			if _, err := m.addRaw(&r.Interfaces[i]); err != nil {
				return nil, fmt.Errorf("vppsim: replaying interfaces: %w", err)
			}
		}
		for idx, as := range r.Addresses {
			if x := m.get(idx); x != nil {
				x.Addresses = append([]netip.Prefix(nil), as...)
			}
		}
		m.fillFree()
		return m, nil
	}
	if _, err := m.add(ifaceSpec{Kind: KindLocal}); err != nil {
		return nil, err
	}
	created := make([]*iface, len(s.plan))
	var roots, deps []int
	for i, p := range s.plan {
		if p.root {
			roots = append(roots, i)
		} else {
			deps = append(deps, i)
		}
	}
	if n := len(roots); n > 0 {
		k := gen % n
		roots = append(roots[k:n:n], roots[:k]...)
	}
	for _, i := range roots {
		x, err := m.add(s.plan[i].spec)
		if err != nil {
			return nil, fmt.Errorf("vppsim: creating %s: %w", s.plan[i].spec.Name, err)
		}
		created[i] = x
	}
	// Dependents in scenario order; one whose parent is itself a
	// dependent listed later waits for the next pass.
	for len(deps) > 0 {
		var later []int
		var firstErr error
		for _, i := range deps {
			x, err := m.add(s.plan[i].spec)
			if errors.Is(err, ErrNoSuchInterface) {
				later = append(later, i)
				firstErr = err
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("vppsim: creating %s: %w", s.plan[i].spec.Name, err)
			}
			created[i] = x
		}
		if len(later) == len(deps) {
			return nil, fmt.Errorf("vppsim: %w", firstErr)
		}
		deps = later
	}
	for i, p := range s.plan {
		if p.bond == "" {
			continue
		}
		b, err := m.lookup(p.bond)
		if err != nil {
			return nil, err
		}
		if err := m.enslave(created[i], b); err != nil {
			return nil, fmt.Errorf("vppsim: %w", err)
		}
	}
	if err := s.generate(m); err != nil {
		return nil, err
	}
	// Admin state last, as a startup config's "set interface state" lines.
	for i, p := range s.plan {
		if p.adminUp {
			m.setAdmin(created[i], true)
		}
	}
	return m, nil
}

// generate adds Config.Interfaces QinQ sub-interfaces over the dpdk ports
// (outer VLAN 100.., inner 1..4000), or loopbacks when there is no port.
func (s *Sim) generate(m *model) error {
	n := s.cfg.Interfaces
	if n == 0 {
		return nil
	}
	var ports []*iface
	for _, x := range m.ifs {
		if x != nil && x.Kind == KindDPDK {
			ports = append(ports, x)
		}
	}
	for i := 0; i < n; i++ {
		var sp ifaceSpec
		if len(ports) == 0 {
			sp = ifaceSpec{Kind: KindLoopback}
		} else {
			p := ports[i%len(ports)]
			k := i / len(ports)
			sp = ifaceSpec{
				Kind: KindSub, Parent: p.Name,
				SubID:     uint32(100000 + k),
				OuterVlan: uint16(100 + k/4000),
				InnerVlan: uint16(1 + k%4000),
			}
		}
		sp.Rates = s.cfg.GeneratedRates
		x, err := m.add(sp)
		if err != nil {
			return fmt.Errorf("vppsim: generating interface %d: %w", i, err)
		}
		x.oneWorker = true
		m.setAdmin(x, true)
	}
	return nil
}

// commitLocked publishes what the last change did: the interface names to
// the stats segment and the events to subscribed clients.
func (s *Sim) commitLocked() {
	m := s.model
	if m.namesDirty {
		m.namesDirty = false
		if s.cfg.Replay == nil {
			if err := s.ctr.sink.SetInterfaces(m.statNames); err != nil {
				s.log.WithError(err).Error("updating the stats segment's interfaces")
			}
			s.followSegmentMove()
		}
	}
	if evs := m.flushEvents(); len(evs) > 0 {
		s.evMu.Lock()
		s.evQ = append(s.evQ, evs...)
		s.evMu.Unlock()
		select {
		case s.evWake <- struct{}{}:
		default:
		}
	}
}

// dispatchEvents is VPP's link-state process: it sends queued events to the
// clients registered with want_interface_events, a few moments after the
// change.
func (s *Sim) dispatchEvents() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.evWake:
		}
		// VPP's link-state process runs on the main thread: a stall holds
		// the events back too.
		if end := s.faults.stalled(); end != nil {
			select {
			case <-end:
			case <-s.ctx.Done():
				return
			}
		}
		s.evMu.Lock()
		evs := s.evQ
		s.evQ = nil
		s.evMu.Unlock()
		s.mu.Lock()
		api := s.api
		s.mu.Unlock()
		if api == nil || len(evs) == 0 {
			continue
		}
		for _, t := range api.eventTargets() {
			for _, ev := range evs {
				t.c.sendEvent(t.pid, ev)
			}
			_ = t.c.flush()
		}
	}
}

func (s *Sim) ticker(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	learnt := time.Time{}
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			dt := now.Sub(last)
			last = now
			s.mu.Lock()
			s.tickLocked(dt.Nanoseconds())
			s.mu.Unlock()
			// ARP/ND refreshes far less often than traffic is counted
			if now.Sub(learnt) >= neighborRefresh {
				learnt = now
				s.learnNeighbors()
			}
		}
	}
}

// tickLocked counts dt of traffic and beats the heartbeat once a second of
// it, as VPP's stats collector does. During a stats-busy window nothing is
// counted: the collector is stuck, and counters keep their values.
func (s *Sim) tickLocked(dtNs int64) {
	if dtNs <= 0 || s.model == nil || s.faults.busy.Load() {
		return
	}
	s.advance(dtNs)
	before := s.simNs / 1e9
	s.simNs += dtNs
	if after := s.simNs / 1e9; after != before && s.cfg.Replay == nil {
		_ = s.ctr.sink.SetScalar(statseg.Heartbeat, float64(after))
		_ = s.ctr.sink.SetScalar(statseg.LastUpdate, float64(time.Now().Unix()))
	}
}

// Advance counts d of traffic at once (for tests that run with a negative
// Config.Tick, so that counters move only when they say).
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked(d.Nanoseconds())
}

// Interfaces returns every interface, by sw_if_index.
func (s *Sim) Interfaces() []Interface {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.model == nil {
		return nil
	}
	xs := s.model.list()
	out := make([]Interface, len(xs))
	for i, x := range xs {
		out[i] = s.model.snapshot(x)
	}
	return out
}

// Interface returns one interface by name.
func (s *Sim) Interface(name string) (Interface, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.model == nil {
		return Interface{}, ErrNoSuchInterface
	}
	x, err := s.model.lookup(name)
	if err != nil {
		return Interface{}, err
	}
	return s.model.snapshot(x), nil
}

// LCPPairs returns the linux-cp pairs, in pool (cursor) order.
func (s *Sim) LCPPairs() []LCPPair {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LCPPair
	if s.model == nil {
		return nil
	}
	for _, p := range s.model.pairs {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// change runs one change to the model under the lock and publishes it.
func (s *Sim) change(name string, fn func(m *model, x *iface) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.model == nil {
		return errors.New("vppsim: not started")
	}
	var x *iface
	if name != "" {
		var err error
		if x, err = s.model.lookup(name); err != nil {
			return err
		}
	}
	err := fn(s.model, x)
	s.commitLocked()
	return err
}

// SetAdmin is "set interface state NAME up|down".
func (s *Sim) SetAdmin(name string, up bool) error {
	return s.change(name, func(m *model, x *iface) error {
		m.setAdmin(x, up)
		return nil
	})
}

// SetLink sets the carrier of a port or memif ("set interface link"); on a
// loopback, tap or tunnel it forces the link flag.
func (s *Sim) SetLink(name string, up bool) error {
	return s.change(name, func(m *model, x *iface) error { return m.setLink(x, up) })
}

// SetDetailedStats turns the per-cast counters of an interface on or off,
// as collect_detailed_interface_stats does.
func (s *Sim) SetDetailedStats(name string, on bool) error {
	return s.change(name, func(_ *model, x *iface) error {
		x.DetailedStats = on
		return nil
	})
}

// SetRates changes the simulated traffic of an interface.
func (s *Sim) SetRates(name string, r Rates) error {
	return s.change(name, func(m *model, x *iface) error {
		x.Rates = r
		m.trafficDirty = true
		return nil
	})
}

// SetTag sets an interface's tag (sw_interface_tag_add_del).
func (s *Sim) SetTag(name, tag string) error {
	if len(tag) >= 64 {
		return fmt.Errorf("tag %q: longer than VPP's 63 bytes", tag)
	}
	return s.change(name, func(_ *model, x *iface) error {
		x.Tag = tag
		return nil
	})
}

// CreateLoopback is "create loopback interface": loopN with the lowest
// free instance, admin down, on the next free sw_if_index.
func (s *Sim) CreateLoopback() (Interface, error) {
	return s.create(ifaceSpec{Kind: KindLoopback})
}

// CreateSub is "create sub-interfaces PARENT ID [dot1q OUTER [inner-dot1q
// INNER]] exact-match": outer 0 means ID; inner 0 means one tag.
func (s *Sim) CreateSub(parent string, id uint32, outer, inner uint16) (Interface, error) {
	if outer == 0 {
		if id == 0 || id > 4094 {
			return Interface{}, fmt.Errorf("sub-interface %d of %s needs a VLAN in 1..4094", id, parent)
		}
		outer = uint16(id)
	}
	if outer > 4094 || inner > 4094 {
		return Interface{}, fmt.Errorf("sub-interface %d of %s: VLAN out of 1..4094", id, parent)
	}
	return s.create(ifaceSpec{Kind: KindSub, Parent: parent, SubID: id, OuterVlan: outer, InnerVlan: inner})
}

func (s *Sim) create(sp ifaceSpec) (Interface, error) {
	var out Interface
	err := s.change("", func(m *model, _ *iface) error {
		x, err := m.add(sp)
		if err != nil {
			return err
		}
		s.ctr.reset(x.SwIfIndex)
		out = m.snapshot(x)
		return nil
	})
	return out, err
}

// Delete deletes an interface and what depends on it (its sub-interfaces,
// its linux-cp tap). Its index is reused by the next creation; the stats
// segment keeps it, named "deleted", with its counters.
func (s *Sim) Delete(name string) error {
	return s.change(name, func(m *model, x *iface) error {
		_, err := m.remove(x)
		return err
	})
}

// ClearCounters is "clear interfaces": every interface counter to zero.
func (s *Sim) ClearCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctr == nil {
		return
	}
	s.ctr.clear()
	if s.cfg.Replay == nil {
		_ = s.ctr.sink.SetScalar(statseg.LastStatsClear, float64(time.Now().Unix()))
	}
}

// Counters returns what the simulator has counted for a sw_if_index,
// summed over threads: what a reader of the stats segment must see.
func (s *Sim) Counters(swIfIndex uint32) dpmodel.Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctr == nil {
		return dpmodel.Counters{}
	}
	c, _ := s.ctr.total(swIfIndex)
	return c
}
