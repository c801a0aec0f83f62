package agentx

import (
	"context"
	"errors"
	"fmt"
)

var (
	sysUpTime0    = OID{1, 3, 6, 1, 2, 1, 1, 3, 0}
	snmpTrapOID0  = OID{1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}
	errNotifyVars = errors.New("a Notify's varbinds are [sysUpTime.0,] snmpTrapOID.0, objects")
)

// Notify sends a notification through the master and waits for its
// Response. vbs are snmpTrapOID.0 (an ObjectIdentifier) and the objects,
// optionally preceded by sysUpTime.0 (without it, snmpd adds its own). It
// fails with ErrNotConnected when no session is registered. On an idle
// unix-socket session the Notify leaves within the read poll interval
// (50 ms).
func (s *Session) Notify(ctx context.Context, vbs []Varbind) error {
	_, err := s.notify(ctx, vbs)
	return err
}

func (s *Session) notify(ctx context.Context, vbs []Varbind) (*pdu, error) {
	i := 0
	if len(vbs) > 0 && vbs[0].Name.Compare(sysUpTime0) == 0 {
		i = 1
	}
	if len(vbs) <= i || vbs[i].Name.Compare(snmpTrapOID0) != 0 || vbs[i].Value.Type != TypeObjectIdentifier {
		return nil, errNotifyVars
	}
	c := s.cur.Load()
	if c == nil {
		return nil, ErrNotConnected
	}
	p := c.newPDU(pduNotify)
	p.varbinds = vbs
	cl := &call{kind: callNotify, b: p.appendTo(nil), done: make(chan callResult, 1)}
	select {
	case c.outbox <- cl:
	case <-c.done:
		return nil, ErrNotConnected
	case <-ctx.Done():
		return nil, fmt.Errorf("queueing Notify: %w", ctx.Err())
	}
	c.t.wake()
	var r callResult
	select {
	case r = <-cl.done:
	case <-c.done:
		select {
		case r = <-cl.done:
		default:
			r.err = errConnLost
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the Response to Notify: %w", ctx.Err())
	}
	if r.err != nil {
		return nil, fmt.Errorf("sending Notify: %w", r.err)
	}
	if r.p.resError != NoError {
		return r.p, fmt.Errorf("master refused Notify: %v (index %d)", r.p.resError, r.p.resIndex)
	}
	return r.p, nil
}
