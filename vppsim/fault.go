package vppsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.fd.io/govpp/api"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim/statseg"
)

// Fault is one of the simulator's fault knobs (see doc.go, "Faults").
type Fault int

// The knobs, in the order "fault" lists them.
const (
	FaultDetailsDrop Fault = iota // drop a percentage of every dump's sw_interface_details
	FaultStatsBusy                // hold the stats segment's in_progress set for a while
	FaultAPIStall                 // answer no API request for a while, then answer late, in order
	FaultAPIClose                 // close the client in the middle of the next dump (one-shot)
	FaultShortFrame               // the next reply frame claims 2 bytes (one-shot)
	FaultHugeFrame                // the next reply frame claims 0xffffffff bytes (one-shot)
	FaultRenumber                 // a restart that moves every sw_if_index
	numFaults
)

var faultNames = [numFaults]string{"details-drop", "stats-busy", "api-stall", "api-close", "short-frame", "huge-frame", "renumber"}

func (f Fault) String() string {
	if f < 0 || f >= numFaults {
		return "fault(" + strconv.Itoa(int(f)) + ")"
	}
	return faultNames[f]
}

const (
	// shortFrameLen is what a short frame claims and carries: the message
	// id, without the context a reader needs (bytes 2..6).
	shortFrameLen = 2
	// hugeFrameLen is what a huge frame claims; hugeFrameData bytes of the
	// real message (id and context) follow it.
	hugeFrameLen  = 0xffffffff
	hugeFrameData = 6
)

// FaultState is one listed knob: its setting in force ("off" when it is not
// in force any more, e.g. a one-shot used up or a window ended) and how
// often it acted since it was first set.
type FaultState struct {
	Fault   Fault
	Setting string
	Fired   uint64
}

func (st FaultState) String() string {
	return fmt.Sprintf("%s %s fired %d", st.Fault, st.Setting, st.Fired)
}

// knob is the listing state of one fault.
type knob struct {
	listed  bool
	setting string // "" when not in force
	fired   uint64
}

// faults holds the knobs of one Sim. Its mutex is taken after Sim.mu and
// apiConn.wmu when they are held, never before them.
type faults struct {
	mu    sync.Mutex
	knobs [numFaults]knob

	dropPct int
	rng     *rand.Rand // which details a dump drops; seeded when set, so runs repeat

	// armed has bit 1<<Fault set for each one-shot waiting to fire: the
	// per-frame check is one atomic load. Written under mu.
	armed atomic.Uint32
	// busy is read by the traffic ticker under Sim.mu; written under mu.
	busy      atomic.Bool
	busyWin   uint64 // identifies the current stats-busy window for its timer
	busyTimer *time.Timer

	stallEnd   chan struct{} // closed when the current stall ends; nil when none
	stallWin   uint64
	stallTimer *time.Timer
	stallHeld  bool // the current stall held a request (counted once)
}

// setLocked lists k with a setting in force.
func (f *faults) setLocked(k Fault, setting string) {
	f.knobs[k].listed = true
	f.knobs[k].setting = setting
}

func (f *faults) list() []FaultState {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []FaultState
	for k, n := range f.knobs {
		if !n.listed {
			continue
		}
		setting := n.setting
		if setting == "" {
			setting = "off"
		}
		out = append(out, FaultState{Fault: Fault(k), Setting: setting, Fired: n.fired})
	}
	return out
}

func (f *faults) fired(k Fault) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.knobs[k].fired
}

// arm sets a one-shot.
func (f *faults) arm(k Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(k, "armed")
	f.armed.Store(f.armed.Load() | 1<<k)
}

// take fires a one-shot if it is armed: it reports whether the caller must
// act.
func (f *faults) take(k Fault) bool {
	if f.armed.Load()&(1<<k) == 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed.Load()&(1<<k) == 0 {
		return false
	}
	f.armed.Store(f.armed.Load() &^ (1 << k))
	f.knobs[k].setting = ""
	f.knobs[k].fired++
	return true
}

// setDetailsDrop sets the percentage of details each dump drops (0: none).
func (f *faults) setDetailsDrop(pct int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropPct = pct
	f.rng = rand.New(rand.NewPCG(uint64(pct), 0x76707073696d)) // fixed seed: the same dumps drop the same details
	if pct == 0 {
		f.knobs[FaultDetailsDrop].setting = "" // listed (as off) only if it was set
		return
	}
	f.setLocked(FaultDetailsDrop, strconv.Itoa(pct))
}

// detailsToDrop chooses which of a dump's n details to drop: exactly
// round(n × P / 100) of them, spread at random (selection sampling), so
// that a dump comes back short by a known count and a different set of
// interfaces goes missing each time. nil when nothing is dropped.
func (f *faults) detailsToDrop(n int) []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dropPct == 0 || n == 0 {
		return nil
	}
	k := (n*f.dropPct + 50) / 100
	if k == 0 {
		return nil
	}
	drop := make([]bool, n)
	for i, left := 0, k; i < n && left > 0; i++ {
		if f.rng.IntN(n-i) < left {
			drop[i] = true
			left--
		}
	}
	f.knobs[FaultDetailsDrop].fired += uint64(k)
	return drop
}

// startBusy opens a stats-busy window of d (0 ends the current one); end is
// called with the window's id when d has passed. It reports whether the
// flag must be held.
func (f *faults) startBusy(d time.Duration, end func(win uint64)) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busyTimer != nil {
		f.busyTimer.Stop()
		f.busyTimer = nil
	}
	f.busyWin++
	if d <= 0 {
		f.busy.Store(false)
		f.knobs[FaultStatsBusy].setting = ""
		return false
	}
	f.setLocked(FaultStatsBusy, d.String())
	if !f.busy.Load() {
		f.knobs[FaultStatsBusy].fired++
	}
	f.busy.Store(true)
	win := f.busyWin
	f.busyTimer = time.AfterFunc(d, func() { end(win) })
	return true
}

// endBusy closes window win; it reports false when that window was
// replaced or ended already.
func (f *faults) endBusy(win uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if win != f.busyWin || !f.busy.Load() {
		return false
	}
	f.busy.Store(false)
	f.busyTimer = nil
	f.knobs[FaultStatsBusy].setting = ""
	return true
}

// setStall opens an API stall of d, or re-times the current one to end d
// from now; 0 ends it. Held requests are answered when it ends.
func (f *faults) setStall(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stallTimer != nil {
		f.stallTimer.Stop()
		f.stallTimer = nil
	}
	if d <= 0 {
		f.endStallLocked()
		return
	}
	if f.stallEnd == nil {
		f.stallEnd = make(chan struct{})
		f.stallWin++
		f.stallHeld = false
	}
	f.setLocked(FaultAPIStall, d.String())
	win := f.stallWin
	f.stallTimer = time.AfterFunc(d, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if win == f.stallWin {
			f.endStallLocked()
		}
	})
}

func (f *faults) endStallLocked() {
	if f.stallEnd != nil {
		close(f.stallEnd)
		f.stallEnd = nil
	}
	f.stallTimer = nil
	f.knobs[FaultAPIStall].setting = ""
}

// stallGate returns the channel to wait on before answering a request (nil:
// no stall). The first request a window holds counts the window as fired.
func (f *faults) stallGate() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stallEnd == nil {
		return nil
	}
	if !f.stallHeld {
		f.stallHeld = true
		f.knobs[FaultAPIStall].fired++
	}
	return f.stallEnd
}

// stalled is stallGate without counting (for events, which are not
// requests).
func (f *faults) stalled() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stallEnd
}

// fire counts an immediate fault (renumber) that acted.
func (f *faults) fire(k Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(k, "")
	f.knobs[k].fired++
}

// clear turns every knob off and forgets the counts. It reports whether the
// stats segment's flag was held and must be released.
func (f *faults) clear() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	wasBusy := f.busy.Load()
	if f.busyTimer != nil {
		f.busyTimer.Stop()
		f.busyTimer = nil
	}
	f.busyWin++
	f.busy.Store(false)
	if f.stallTimer != nil {
		f.stallTimer.Stop()
	}
	f.endStallLocked()
	f.dropPct = 0
	f.armed.Store(0)
	f.knobs = [numFaults]knob{}
	return wasBusy
}

// stop ends the timers at Close.
func (f *faults) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busyTimer != nil {
		f.busyTimer.Stop()
	}
	if f.stallTimer != nil {
		f.stallTimer.Stop()
	}
}

// The Sim's fault methods: what the "fault" CLI commands call.

// Faults lists the knobs set since the last ClearFaults, in Fault order.
func (s *Sim) Faults() []FaultState { return s.faults.list() }

// FaultFired is how often a knob acted since the last ClearFaults: dropped
// details one each, a stall or busy window 1, a one-shot 1, a renumbering 1.
func (s *Sim) FaultFired(k Fault) uint64 { return s.faults.fired(k) }

// SetDetailsDrop drops percent % (0..100) of the sw_interface_details of
// every sw_interface_dump from now on; 0 stops dropping.
func (s *Sim) SetDetailsDrop(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("details-drop: %d %%, want 0..100", percent)
	}
	s.faults.setDetailsDrop(percent)
	return nil
}

// SetStatsBusy holds the stats segment's in_progress flag set for d, then
// clears it; no traffic is counted meanwhile, so counters keep their
// values. 0 ends the current window. A restart in the window keeps the new
// segment busy until it ends.
func (s *Sim) SetStatsBusy(d time.Duration) error {
	switch {
	case d < 0:
		return fmt.Errorf("stats-busy: negative duration %v", d)
	case s.cfg.StatsSocket == "":
		return errors.New("stats-busy: the simulator runs without a stats segment")
	case s.cfg.Replay != nil:
		return errors.New("stats-busy: a replayed stats segment is read-only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.model == nil {
		return errors.New("stats-busy: not started")
	}
	on := s.faults.startBusy(d, s.endStatsBusy)
	if s.seg != nil {
		// A segment closed by a restart under way is no error: boot
		// holds the next one busy.
		if err := s.seg.SetBusy(on); err != nil && on && !errors.Is(err, statseg.ErrClosed) {
			return fmt.Errorf("stats-busy: %w", err)
		}
	}
	return nil
}

// endStatsBusy is the end of stats-busy window win.
func (s *Sim) endStatsBusy(win uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.endBusy(win) && s.seg != nil {
		_ = s.seg.SetBusy(false) // a segment closed by a restart needs nothing
	}
}

// SetAPIStall stops answering API requests, on every connection, new ones
// included, for d: they are read and held, then answered in order when the
// stall ends, as after a VPP main thread that was stuck. Events wait too.
// Setting it again during a stall re-times it; 0 ends it now.
func (s *Sim) SetAPIStall(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("api-stall: negative duration %v", d)
	}
	s.faults.setStall(d)
	return nil
}

// ArmAPIClose closes the connection of the client whose dump comes next
// (any *_dump or lcp_itf_pair_get), after the first half of its details
// (rounded up) and before the rest and the control_ping_reply.
func (s *Sim) ArmAPIClose() { s.faults.arm(FaultAPIClose) }

// ArmShortFrame makes the next reply frame (on any connection; events
// excepted) claim and carry 2 bytes: the message id, no context.
func (s *Sim) ArmShortFrame() { s.faults.arm(FaultShortFrame) }

// ArmHugeFrame makes the next reply frame (on any connection; events
// excepted) claim 0xffffffff bytes and carry only the message's first 6
// (id and context). The connection stays open.
func (s *Sim) ArmHugeFrame() { s.faults.arm(FaultHugeFrame) }

// Renumber is a clean restart after which every interface has its name and
// a different sw_if_index (local0 stays 0): the interfaces are placed on
// the same indexes, each moved to the next one in the old order, the last
// to the first. It needs two interfaces besides local0 to move them all.
func (s *Sim) Renumber() error {
	if s.cfg.Replay != nil {
		return errors.New("renumber: a replay's indexes are those captured")
	}
	if err := s.restart(RestartClean, true); err != nil {
		return err
	}
	s.faults.fire(FaultRenumber)
	return nil
}

// ClearFaults turns every fault off (a stall ends, held requests are
// answered; the stats segment is released) and forgets the counts.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.clear() && s.seg != nil {
		_ = s.seg.SetBusy(false)
	}
}

// faultCLI is the "fault" command.
func (s *Sim) faultCLI(f []string) string {
	if len(f) == 0 {
		var b strings.Builder
		for _, st := range s.Faults() {
			b.WriteString(st.String() + "\n")
		}
		return b.String()
	}
	arg := func() (string, bool) {
		if len(f) != 2 {
			return "", false
		}
		return f[1], true
	}
	dur := func() (time.Duration, string) {
		a, ok := arg()
		if !ok {
			return 0, fmt.Sprintf("fault %s: want a duration, e.g. 6s\n", f[0])
		}
		d, err := time.ParseDuration(a)
		if err != nil || d < 0 {
			return 0, fmt.Sprintf("fault %s: bad duration `%s'\n", f[0], a)
		}
		return d, ""
	}
	oneShot := func(arm func()) string {
		if len(f) != 1 {
			return fmt.Sprintf("fault %s: unknown input `%s'\n", f[0], strings.Join(f[1:], " "))
		}
		arm()
		return ""
	}
	fail := func(err error) string {
		if err != nil {
			return "fault " + err.Error() + "\n"
		}
		return ""
	}
	switch f[0] {
	case "off":
		s.ClearFaults()
		return ""
	case "details-drop":
		a, ok := arg()
		p, err := strconv.Atoi(a)
		if !ok || err != nil || p < 0 || p > 100 {
			return "fault details-drop: want a percentage, 0..100\n"
		}
		return fail(s.SetDetailsDrop(p))
	case "stats-busy":
		d, bad := dur()
		if bad != "" {
			return bad
		}
		return fail(s.SetStatsBusy(d))
	case "api-stall":
		d, bad := dur()
		if bad != "" {
			return bad
		}
		return fail(s.SetAPIStall(d))
	case "api-close":
		return oneShot(s.ArmAPIClose)
	case "short-frame":
		return oneShot(s.ArmShortFrame)
	case "huge-frame":
		return oneShot(s.ArmHugeFrame)
	case "renumber":
		if len(f) != 1 {
			return fmt.Sprintf("fault renumber: unknown input `%s'\n", strings.Join(f[1:], " "))
		}
		if err := s.Renumber(); err != nil {
			return fail(err)
		}
		return fmt.Sprintf("renumbered (generation %d)\n", s.Generation())
	}
	return fmt.Sprintf("fault: unknown input `%s'\n", strings.Join(f, " "))
}

// apiCounts counts the binary API messages received and sent, by message
// id (one counter per id of the announced table).
type apiCounts struct {
	table *MsgTable
	n     []atomic.Uint64
}

func newAPICounts(t *MsgTable) *apiCounts {
	maxID := 0
	for _, e := range t.Entries {
		maxID = max(maxID, int(e.ID))
	}
	return &apiCounts{table: t, n: make([]atomic.Uint64, maxID+1)}
}

// count counts one message whose frame starts with id.
func (a *apiCounts) count(id uint16) {
	if int(id) < len(a.n) {
		a.n[id].Add(1)
	}
}

// byName sums the counts by message name without its CRC.
func (a *apiCounts) byName() map[string]uint64 {
	out := map[string]uint64{}
	for _, e := range a.table.Entries {
		if v := a.n[e.ID].Load(); v > 0 {
			out[withoutCRC(e.NameCRC)] += v
		}
	}
	return out
}

// withoutCRC cuts the "_<8 hex digits>" of a name_crc.
func withoutCRC(nameCRC string) string {
	i := strings.LastIndexByte(nameCRC, '_')
	if i < 0 || len(nameCRC)-i != 9 {
		return nameCRC
	}
	for _, c := range nameCRC[i+1:] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return nameCRC
		}
	}
	return nameCRC[:i]
}

// APICounts returns how many binary API messages of each name (without
// CRC, e.g. "sw_interface_details") the simulator received or sent since
// it started, restarts included. A message is received when it is read off
// the socket (during a stall each connection reads one message, counted,
// and holds it), and sent
// when its frame is queued (dropped details and messages not sent after a
// closed connection are not counted; a short or huge frame is).
func (s *Sim) APICounts() map[string]uint64 { return s.apiN.byName() }

// showAPI is "show api": one "name count" line per message, by name.
func (s *Sim) showAPI() string {
	m := s.APICounts()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s %d\n", n, m[n])
	}
	return b.String()
}

// sendDetails sends a dump's details and reports whether the connection is
// still open: api-close, when armed, sends only the first half (rounded up)
// and closes the connection, so that the client sees a dump cut short with
// no end.
func sendDetails[T api.Message](c *apiConn, context uint32, out []T) bool {
	if c.srv.sim.faults.take(FaultAPIClose) {
		for _, d := range out[:(len(out)+1)/2] {
			c.send(context, d)
		}
		c.srv.log.Infof("fault api-close: closing client %#x in the middle of a dump", c.index)
		c.abort()
		return false
	}
	for _, d := range out {
		c.send(context, d)
	}
	return true
}
