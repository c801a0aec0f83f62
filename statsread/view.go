package statsread

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// View is the stats segment held for reading in place: each interface's
// counters are summed when asked for (Apply), so that a caller that copies
// them into its own structure anyway (a snapshot) needs no array of every
// interface's counters in between. It holds the Reader until Apply.
type View struct {
	r     *Reader
	epoch uint64
	src   sources
	// Names is /if/names, as Counters.Names; Segment as Counters.Segment.
	Names    []string
	BootTime uint64
	Segment  uint64
	done     bool
}

// View returns the current segment held for Apply, which must be called
// exactly once: reads wait until then. It fails as Read fails.
func (r *Reader) View(ctx context.Context) (*View, error) {
	r.mu.Lock()
	v := &View{r: r}
	err := r.acquire(ctx, func(epoch uint64) error {
		return r.readOnce(epoch, func() error {
			src, err := r.sources(r.seg)
			if err != nil {
				return err
			}
			names, err := r.namesFor(r.seg, src.names.off, src.names.n, src.n)
			if err != nil {
				return err
			}
			v.epoch, v.src, v.Names, v.BootTime, v.Segment = epoch, src, names, src.boot, r.segments
			return nil
		})
	})
	if err != nil {
		r.mu.Unlock()
		return nil, err
	}
	return v, nil
}

// Len is the number of sw_if_index slots the segment has counters for.
func (v *View) Len() int { return v.src.n }

// Apply calls fn with a function that sets *c to sw_if_index sw's
// counters summed over threads (false, leaving *c alone, when the segment
// has none for it), then releases the Reader. It fails when VPP changed
// the segment meanwhile: what fn got is then not to be used.
func (v *View) Apply(fn func(fill func(sw uint32, c *model.Counters) bool)) (err error) {
	if v.done {
		return errors.New("statsread: View applied twice")
	}
	v.done = true
	r := v.r
	defer r.mu.Unlock()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			r.detach()
			err = fmt.Errorf("reading the stats segment: %v", p)
		}
	}()
	if r.seg.b == nil {
		return errSegmentChanged
	}
	fn(func(sw uint32, c *model.Counters) bool {
		if int(sw) >= v.src.n {
			return false
		}
		*c = model.Counters{}
		v.src.add(int(sw), c)
		return true
	})
	if e, busy := r.seg.state(); busy || e != v.epoch {
		return errSegmentChanged
	}
	return nil
}
