package poller

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
)

// OIDs of RFC 2863's notifications and their objects.
var (
	snmpTrapOID0 = agentx.OID{1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}
	linkDown     = agentx.OID{1, 3, 6, 1, 6, 3, 1, 1, 5, 3}
	linkUp       = agentx.OID{1, 3, 6, 1, 6, 3, 1, 1, 5, 4}
	ifEntry      = agentx.OID{1, 3, 6, 1, 2, 1, 2, 2, 1}
	ifXEntry     = agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 1, 1}
)

// Varbinds returns the Notify varbinds of a transition: snmpTrapOID.0,
// ifIndex, ifAdminStatus and ifOperStatus as RFC 2863 section 6 lists them,
// then ifDescr and ifAlias so a trap is readable without a lookup. ok is
// false when the transition needs no notification.
func Varbinds(t mib.Transition) (vbs []agentx.Varbind, ok bool) {
	up, ok := t.Kind()
	if !ok {
		return nil, false
	}
	trap := linkDown
	if up {
		trap = linkUp
	}
	col := func(entry agentx.OID, c uint32) agentx.OID {
		return append(append(agentx.OID{}, entry...), c, t.IfIndex)
	}
	integer := func(v int) agentx.Value {
		return agentx.Value{Type: agentx.TypeInteger, Integer: uint64(uint32(int32(v)))}
	}
	return []agentx.Varbind{
		{Name: snmpTrapOID0, Value: agentx.Value{Type: agentx.TypeObjectIdentifier, OID: trap}},
		{Name: col(ifEntry, 1), Value: integer(int(t.IfIndex))},
		{Name: col(ifEntry, 7), Value: integer(int(t.Admin))},
		{Name: col(ifEntry, 8), Value: integer(int(t.Oper))},
		{Name: col(ifEntry, 2), Value: agentx.Value{Type: agentx.TypeOctetString, Bytes: []byte(t.Name)}},
		{Name: col(ifXEntry, 18), Value: agentx.Value{Type: agentx.TypeOctetString, Bytes: []byte(t.Alias)}},
	}, true
}

// Notifier sends linkUp/linkDown for transitions, in order, at most Rate a
// second (a storm is cut, counted and logged, never queued without bound).
type Notifier struct {
	send    func(context.Context, []agentx.Varbind) error
	log     logrus.FieldLogger
	rate    int
	queue   chan []agentx.Varbind
	dropped atomic.Int64 // over the rate limit since the last log line
	// Totals since start, for metrics.
	sentTotal, droppedTotal atomic.Uint64

	tokens float64
	last   time.Time
}

// NewNotifier returns a Notifier sending through send (agentx.Session's
// Notify) at most rate notifications a second; rate 0 sends none.
func NewNotifier(send func(context.Context, []agentx.Varbind) error, rate int, log logrus.FieldLogger) *Notifier {
	return &Notifier{
		send: send, log: log, rate: rate,
		queue:  make(chan []agentx.Varbind, min(max(rate, 1), 1024)),
		tokens: float64(rate),
	}
}

// Transition queues the notification of t, if it needs one. It never
// blocks; it is called from the poller with its lock held, one caller at a
// time.
func (n *Notifier) Transition(t mib.Transition) {
	if !t.TrapEnabled || n.rate == 0 {
		return
	}
	vbs, ok := Varbinds(t)
	if !ok {
		return
	}
	now := time.Now()
	if !n.last.IsZero() {
		n.tokens = min(float64(n.rate), n.tokens+now.Sub(n.last).Seconds()*float64(n.rate))
	}
	n.last = now
	if n.tokens >= 1 {
		select {
		case n.queue <- vbs:
			n.tokens--
			return
		default:
		}
	}
	n.dropped.Add(1)
	n.droppedTotal.Add(1)
}

// Counts returns how many notifications were sent, and how many were
// dropped (over the rate limit, or no master to take them), since start.
func (n *Notifier) Counts() (sent, dropped uint64) {
	return n.sentTotal.Load(), n.droppedTotal.Load()
}

// Run sends queued notifications until ctx is done. A notification that
// cannot be sent (no master for 5 s) is logged and dropped.
func (n *Notifier) Run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if d := n.dropped.Swap(0); d > 0 {
				n.log.WithField("dropped", d).WithField("rate_limit", n.rate).
					Warn("linkUp/linkDown storm: notifications over the rate limit were dropped")
			}
		case vbs := <-n.queue:
			n.deliver(ctx, vbs)
		}
	}
}

func (n *Notifier) deliver(ctx context.Context, vbs []agentx.Varbind) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := n.send(sctx, vbs)
		cancel()
		if err == nil {
			n.sentTotal.Add(1)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !errors.Is(err, agentx.ErrNotConnected) || time.Now().After(deadline) {
			n.log.WithError(err).WithField("trap", vbs[0].Value.OID).WithField("ifIndex", vbs[1].Value.Integer).
				Warn("sending a linkUp/linkDown notification; dropped")
			n.droppedTotal.Add(1)
			return
		}
		t := time.NewTimer(200 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
