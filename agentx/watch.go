package agentx

import (
	"errors"
	"os"
	"time"
)

// hotFor is how long after the socket's path changed the session keeps
// trying at every look: snmpd binds the socket (the path appears) a moment
// before it listens and sets agentXPerms, and an attempt in between is
// refused.
const hotFor = time.Second

// pathWatch notices the master's unix socket appearing or being replaced
// (snmpd removes a stale socket and binds a new one when it starts). It
// uses stat(2) alone, cheap enough at every tick while the master is down,
// and unlike inotify it needs no parent directory (snmpd creates that
// too) and no inotify instance.
type pathWatch struct {
	path     string
	fi       os.FileInfo // at the last look, nil when stat failed
	err      error       // the stat error at the last look
	hotUntil time.Time
}

// newWatch returns a watch of the master's socket path, or nil when there
// is no path to watch (TCP, or an abstract unix socket).
func (s *Session) newWatch() *pathWatch {
	if s.network != "unix" || s.address == "" || s.address[0] == '@' || s.address[0] == 0 {
		return nil
	}
	return &pathWatch{path: s.address}
}

// mark records the path's state before an attempt, so that any change
// after it is noticed.
func (w *pathWatch) mark() {
	if w != nil {
		w.look()
	}
}

// settled ends the eager attempts after a change: the change led to a
// session.
func (w *pathWatch) settled() {
	if w != nil {
		w.hotUntil = time.Time{}
	}
}

// look stats the path and says whether it changed since the last look.
func (w *pathWatch) look() bool {
	fi, err := os.Stat(w.path)
	changed := !sameState(w.fi, w.err, fi, err)
	w.fi, w.err = fi, err
	return changed
}

// due says whether an attempt is worth making now: the path exists and
// changed since the last look, or changed less than hotFor ago.
func (w *pathWatch) due(now time.Time) bool {
	if w.look() && w.fi != nil {
		w.hotUntil = now.Add(hotFor)
		return true
	}
	return w.fi != nil && now.Before(w.hotUntil)
}

func sameState(a os.FileInfo, aerr error, b os.FileInfo, berr error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil && errno(aerr) == errno(berr)
	}
	return os.SameFile(a, b) && a.Mode() == b.Mode() && a.ModTime().Equal(b.ModTime())
}

// errno is the system error beneath err, or err itself.
func errno(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
