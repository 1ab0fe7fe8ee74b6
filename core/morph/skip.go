package morph

import "github.com/morphnas/morphnas/core/graph"

// skip adds a skip connection from the main-chain node u to the later
// main-chain node v: add(G, u, v) when concat is false, concat(G, u, v)
// otherwise (section 3.3).
//
// The branch repeats the downsampling of the main chain between u and v, so
// that it reaches v's spatial size: each max pool is copied, and each
// strided conv becomes a max pool of window 1 with the same stride (same
// output size, ceil(H/s)). For an add, a 1x1 conv (a dense layer between
// flat nodes) initialised to zero then brings u's channels to v's width
// (L_c), and v's main-chain consumer reads Add(v, branch). For a concat, v's
// main-chain consumer reads a 1x1 conv (dense between flat nodes), marked
// Skip, over Concat(v, branch) that brings the width back to v's: identity
// on v's channels, zero on u's. Max pooling does not commute with the 1x1
// conv, but the branch contributes zero either way, so the function is
// kept.
func (e *edit) skip(concat bool) error {
	u, v := e.op.Node, e.op.To
	if err := e.chainNode(u, "node"); err != nil {
		return err
	}
	if err := e.chainNode(v, "to"); err != nil {
		return err
	}
	su, sv := e.shapes[u], e.shapes[v]
	switch {
	case u == v:
		return e.fail("node and to are both %d, want a later to", u)
	case e.pos[v] < e.pos[u]:
		return e.fail("to %d comes before node %d on the main chain", v, u)
	case e.op.Units != 0 || e.op.Kernel != 0:
		return e.fail("units and kernel are not used by %s", e.op.Kind)
	case su.Spatial() != sv.Spatial():
		return e.fail("node %d is %v and to %d is %v: a skip cannot cross a flatten or global pooling", u, su, v, sv)
	}
	next := e.mainConsumer(v)

	// Pooling on the branch wherever the main chain downsamples.
	b := u
	for p := e.pos[u] + 1; p <= e.pos[v]; p++ {
		l := &e.g.Layers[e.chain[p]-1]
		switch {
		case l.Kind == graph.MaxPool:
			b = e.add(graph.Layer{Kind: graph.MaxPool, Inputs: []int{b}, Kernel: l.Kernel, Stride: l.Stride})
		case l.Kind == graph.Conv2D && l.EffectiveStride() > 1:
			b = e.add(graph.Layer{Kind: graph.MaxPool, Inputs: []int{b}, Kernel: 1, Stride: l.EffectiveStride()})
		}
	}

	// The 1x1 conv (or dense layer) and the join.
	kind, kernel := graph.Conv2D, 1
	if !su.Spatial() {
		kind, kernel = graph.Dense, 0
	}
	var end int
	if !concat {
		l := graph.Layer{Kind: kind, Inputs: []int{b}, Units: sv.C, Kernel: kernel}
		if e.weights {
			l.Params = &graph.Params{W: make([]float32, su.C*sv.C), B: make([]float32, sv.C)}
			e.perturb(l.Params.W)
		}
		b = e.add(l)
		end = e.add(graph.Layer{Kind: graph.Add, Inputs: []int{v, b}})
	} else {
		c := e.add(graph.Layer{Kind: graph.Concat, Inputs: []int{v, b}})
		l := graph.Layer{Kind: kind, Inputs: []int{c}, Units: sv.C, Kernel: kernel, Skip: true}
		if e.weights {
			w := make([]float32, (sv.C+su.C)*sv.C)
			for r := range sv.C {
				w[r*sv.C+r] = 1
			}
			e.perturb(w)
			l.Params = &graph.Params{W: w, B: make([]float32, sv.C)}
		}
		end = e.add(l)
	}
	e.rewire(next, 0, end)
	return nil
}
