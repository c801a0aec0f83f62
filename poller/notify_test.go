package poller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
)

func TestVarbinds(t *testing.T) {
	vbs, ok := Varbinds(mib.Transition{IfIndex: 1003, Name: "gre0", Alias: "to-core", Admin: mib.StatusUp, Oper: mib.StatusDown, PrevOper: mib.StatusUp, TrapEnabled: true})
	if !ok {
		t.Fatal("up -> down needs a linkDown")
	}
	want := []struct {
		name string
		v    agentx.Value
	}{
		{"1.3.6.1.6.3.1.1.4.1.0", agentx.Value{Type: agentx.TypeObjectIdentifier, OID: linkDown}},
		{"1.3.6.1.2.1.2.2.1.1.1003", agentx.Value{Type: agentx.TypeInteger, Integer: 1003}},
		{"1.3.6.1.2.1.2.2.1.7.1003", agentx.Value{Type: agentx.TypeInteger, Integer: 1}},
		{"1.3.6.1.2.1.2.2.1.8.1003", agentx.Value{Type: agentx.TypeInteger, Integer: 2}},
		{"1.3.6.1.2.1.2.2.1.2.1003", agentx.Value{Type: agentx.TypeOctetString, Bytes: []byte("gre0")}},
		{"1.3.6.1.2.1.31.1.1.1.18.1003", agentx.Value{Type: agentx.TypeOctetString, Bytes: []byte("to-core")}},
	}
	if len(vbs) != len(want) {
		t.Fatalf("%d varbinds, want %d", len(vbs), len(want))
	}
	for i, w := range want {
		if got := oidString(vbs[i].Name); got != w.name {
			t.Errorf("varbind %d name %s, want %s", i, got, w.name)
		}
		g := vbs[i].Value
		if g.Type != w.v.Type || g.Integer != w.v.Integer || string(g.Bytes) != string(w.v.Bytes) || g.OID.Compare(w.v.OID) != 0 {
			t.Errorf("varbind %d value %+v, want %+v", i, g, w.v)
		}
	}
	if _, ok := Varbinds(mib.Transition{Oper: mib.StatusLowerLayerDown, PrevOper: mib.StatusDown}); ok {
		t.Error("down -> lowerLayerDown must not notify")
	}
	vbs, _ = Varbinds(mib.Transition{IfIndex: 1, Admin: mib.StatusUp, Oper: mib.StatusUp, PrevOper: mib.StatusLowerLayerDown})
	if vbs[0].Value.OID.Compare(linkUp) != 0 {
		t.Error("lowerLayerDown -> up is not a linkUp")
	}
}

func oidString(o agentx.OID) string {
	s := ""
	for i, x := range o {
		if i > 0 {
			s += "."
		}
		s += itoa(x)
	}
	return s
}

func itoa(x uint32) string {
	if x == 0 {
		return "0"
	}
	var b [10]byte
	i := len(b)
	for x > 0 {
		i--
		b[i] = byte('0' + x%10)
		x /= 10
	}
	return string(b[i:])
}

// TestNotifierOrderAndStorm: transitions under the rate arrive in order; a
// storm beyond it is cut and logged with the number dropped.
func TestNotifierOrderAndStorm(t *testing.T) {
	var mu sync.Mutex
	var sent []uint64
	send := func(_ context.Context, vbs []agentx.Varbind) error {
		mu.Lock()
		sent = append(sent, vbs[1].Value.Integer)
		mu.Unlock()
		return nil
	}
	log, hook := test.NewNullLogger()
	n := NewNotifier(send, 10, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	defer func() { cancel(); <-done }()

	flap := func(i int) mib.Transition {
		tr := mib.Transition{IfIndex: uint32(i), Admin: mib.StatusUp, Oper: mib.StatusDown, PrevOper: mib.StatusUp, TrapEnabled: true}
		if i%2 == 1 {
			tr.Oper, tr.PrevOper = mib.StatusUp, mib.StatusDown
		}
		return tr
	}
	for i := range 1000 {
		n.Transition(flap(i))
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		var warned bool
		var dropped int64
		for _, e := range hook.AllEntries() {
			if e.Level == logrus.WarnLevel && e.Data["dropped"] != nil {
				warned = true
				dropped += e.Data["dropped"].(int64)
			}
		}
		mu.Lock()
		got := len(sent)
		mu.Unlock()
		// The burst is the rate (10); the tokens that refill while the
		// 1000 calls run (a few ms, more under -race) may let a few more
		// through.
		if warned && got >= 10 && got <= 20 && int64(got)+dropped == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent %d and %d logged as dropped (want about the first 10 of 1000), storm warned: %v", got, dropped, warned)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, idx := range sent {
		if (i < 10 && idx != uint64(i)) || (i > 0 && idx <= sent[i-1]) {
			t.Fatalf("notification %d is for ifIndex %d: order lost (%v)", i, idx, sent)
		}
	}
}

func TestNotifierSkipsDisabled(t *testing.T) {
	n := NewNotifier(func(context.Context, []agentx.Varbind) error { return nil }, 10, logrus.New())
	n.Transition(mib.Transition{IfIndex: 1, Oper: mib.StatusDown, PrevOper: mib.StatusUp, TrapEnabled: false})
	if len(n.queue) != 0 {
		t.Error("a transition with ifLinkUpDownTrapEnable disabled was queued")
	}
	n.Transition(mib.Transition{IfIndex: 1, Oper: mib.StatusDown, PrevOper: mib.StatusUp, TrapEnabled: true})
	if len(n.queue) != 1 {
		t.Error("a transition with ifLinkUpDownTrapEnable enabled was not queued")
	}
}
