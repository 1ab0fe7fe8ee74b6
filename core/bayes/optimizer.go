package bayes

import (
	"fmt"
	"sync"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/kernel"
	"github.com/morphnas/morphnas/core/morph"
)

// DefaultCacheSize is the number of expanded architectures whose children
// an Optimizer remembers when Config.CacheSize is zero. An entry holds, per
// child, its operation, hash and distance description: a few hundred bytes
// per child, tens of kilobytes per entry for the networks of a search.
const DefaultCacheSize = 2048

// Optimizer runs Algorithm 1 and remembers, across calls, the children of
// the architectures it expanded: the operations of Omega(f), the hash and
// the distance description of each child, and whether it fits the size
// limits. These depend only on the architecture, so the cache changes no
// result; it spares the morphing and hashing that dominate generation when
// successive proposals expand the same architectures. When it holds
// Config.CacheSize entries it is emptied. An Optimizer is safe for
// concurrent use.
type Optimizer struct {
	cfg Config

	mu    sync.Mutex
	cache map[string][]child
}

// child is one child of an expanded architecture.
type child struct {
	op   morph.Op
	hash string
	arch kernel.Arch
	ok   bool // within the size limits, and described
}

// NewOptimizer returns an Optimizer with cfg, or an error naming the first
// setting out of range.
func NewOptimizer(cfg Config) (*Optimizer, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return &Optimizer{cfg: cfg, cache: map[string][]child{}}, nil
}

// Config returns the settings in use, defaults filled in.
func (o *Optimizer) Config() Config { return o.cfg }

// children returns the children of f, from the cache or computed, in the
// order of morph.Options. Operations that do not apply are left out.
func (o *Optimizer) children(f *node) []child {
	o.mu.Lock()
	cs, ok := o.cache[f.hash]
	o.mu.Unlock()
	if ok {
		return cs
	}
	g, err := f.graph()
	if err != nil {
		return nil
	}
	for _, op := range morph.Options(g) {
		// Apply leaves the layers, inputs and parameters that a graph held
		// untouched and installs new ones, so a shallow copy of g is
		// enough.
		c := &graph.Graph{Input: g.Input, Classes: g.Classes, Layers: g.Layers}
		if morph.Apply(c, op, nil) != nil {
			continue
		}
		ch := child{op: op, hash: c.Hash()}
		if o.cfg.Fits(c) {
			ch.arch, err = kernel.Describe(c)
			ch.ok = err == nil
		}
		cs = append(cs, ch)
	}
	o.mu.Lock()
	if len(o.cache) >= o.cfg.CacheSize {
		clear(o.cache)
	}
	o.cache[f.hash] = cs
	o.mu.Unlock()
	return cs
}

// graph returns the architecture of n, replaying its operation on its
// tree parent's architecture the first time it is asked for.
func (n *node) graph() (*graph.Graph, error) {
	if n.g != nil {
		return n.g, nil
	}
	pg, err := n.from.graph()
	if err != nil {
		return nil, err
	}
	g := &graph.Graph{Input: pg.Input, Classes: pg.Classes, Layers: pg.Layers}
	if err := morph.Apply(g, n.op, nil); err != nil {
		return nil, fmt.Errorf("bayes: %w", err)
	}
	n.g = g
	return g, nil
}

// path returns the operations from n's nearest observed ancestor to n.
func (n *node) path() []morph.Op {
	var ops []morph.Op
	for m := n; m.from != nil; m = m.from {
		ops = append(ops, m.op)
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	return ops
}
