package vppapi

import (
	"context"
)

// ProbeResult is what one connection to VPP found.
type ProbeResult struct {
	// Version is VPP's version string, e.g. "26.06-release".
	Version string
	// Interfaces is the number of interfaces in the dump.
	Interfaces int
	// LCP says whether the running VPP has linux-cp's messages (the
	// linux_cp plugin is loaded); LCPPairs counts the pairs whose phy
	// interface is in the dump.
	LCP      bool
	LCPPairs int
}

// Probe makes one connection to VPP exactly as each attempt of Run does
// (message check, event subscription, version), dumps the interfaces once
// and disconnects. It does not retry and is independent of Run: it is for
// configuration checks, which need the error Run would only log. The
// connection and each request are bounded by the request timeout.
func (c *Client) Probe(ctx context.Context) (ProbeResult, error) {
	s, w, err := c.connect(ctx)
	if err != nil {
		return ProbeResult{}, err
	}
	defer func() {
		s.cancel()
		w.Close()
		s.conn.Disconnect()
	}()
	res := ProbeResult{Version: s.version, LCP: s.lcp}
	rctx, cancel := s.requestContext(ctx, c.reqTimeout)
	defer cancel()
	ifs, err := s.interfaces(rctx, 0)
	if err != nil {
		return res, err
	}
	res.Interfaces = len(ifs)
	for _, in := range ifs {
		if in.LCPHostName() != "" {
			res.LCPPairs++
		}
	}
	return res, nil
}
