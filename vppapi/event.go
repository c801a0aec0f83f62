package vppapi

import (
	"fmt"

	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
)

// EventKind says what an Event reports.
type EventKind uint8

const (
	// InterfaceChanged is one sw_interface_event: an interface's admin or
	// link state changed, or it was created or deleted.
	InterfaceChanged EventKind = iota
	// Connected is sent after every (re)connection to VPP, once events are
	// subscribed: whatever was known before may be stale (VPP may have
	// restarted and reused sw_if_index values), so dump everything again.
	Connected
	// Disconnected is sent when the connection to VPP is lost; Interfaces
	// fails with ErrNotConnected until the next Connected.
	Disconnected
	// Resync says that events were dropped because the receiver fell behind:
	// dump everything again.
	Resync
)

func (k EventKind) String() string {
	switch k {
	case InterfaceChanged:
		return "InterfaceChanged"
	case Connected:
		return "Connected"
	case Disconnected:
		return "Disconnected"
	case Resync:
		return "Resync"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is what Client.Events delivers. SwIfIndex, AdminUp, LinkUp and
// Deleted are set for InterfaceChanged only.
//
// AdminUp and LinkUp are the event's flags as VPP sends them, and VPP sets
// them from what happened since its link-state process last woke (an
// admin-up event, a link-up event), not from the state: an admin-up on a
// sub-interface arrives with LinkUp false although its link is up. Treat an
// event as "this interface changed" and take the state from a dump.
type Event struct {
	Kind EventKind
	// Conn numbers the API connection the event belongs to, from 1: what
	// was learnt on one connection (sw_if_index values above all) must not
	// be applied to another's interfaces. 0 on a Resync from forward.
	Conn      uint64
	SwIfIndex uint32
	AdminUp   bool
	LinkUp    bool
	Deleted   bool
}

// eventFrom maps one sw_interface_event.
func eventFrom(e *interfaces.SwInterfaceEvent, conn uint64) Event {
	return Event{
		Kind:      InterfaceChanged,
		Conn:      conn,
		SwIfIndex: uint32(e.SwIfIndex),
		AdminUp:   e.Flags&interface_types.IF_STATUS_API_FLAG_ADMIN_UP != 0,
		LinkUp:    e.Flags&interface_types.IF_STATUS_API_FLAG_LINK_UP != 0,
		Deleted:   e.Deleted,
	}
}

// forward moves events from in to out without ever blocking on out: when out
// is full the event is dropped and a single Resync is delivered as soon as
// there is room, so a slow receiver costs a re-dump, never a stalled govpp
// reader. It closes out when in is closed.
func forward(in <-chan Event, out chan<- Event) {
	defer close(out)
	lost := false
	for {
		if !lost {
			ev, ok := <-in
			if !ok {
				return
			}
			select {
			case out <- ev:
			default:
				lost = true
			}
			continue
		}
		select {
		case out <- Event{Kind: Resync}:
			lost = false
		case _, ok := <-in:
			if !ok {
				return
			}
			// Folded into the pending Resync.
		}
	}
}
