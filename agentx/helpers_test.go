package agentx

import "sync/atomic"

func newTestDispatcher(t Tree, context string) *dispatcher {
	var p atomic.Pointer[treeRef]
	if t != nil {
		p.Store(&treeRef{t: t})
	}
	return newDispatcher(&p, context)
}
