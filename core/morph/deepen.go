package morph

import "github.com/morphnas/morphnas/core/graph"

// deepen inserts a layer after the main-chain node u (deep(G, u) of section
// 3.3): a conv of the same width (kernel Op.Kernel, 3 when zero) when u is
// spatial, a dense layer of the same width when it is flat, then batch norm,
// then a ReLU only when u can never be negative, so that ReLU keeps it
// unchanged. The new layers start as the identity (Chen et al., 2015): a
// conv whose centre tap is the identity matrix, a dense identity matrix,
// and batch norm that passes its input through. Only the main-chain
// consumer of u reads the new output.
func (e *edit) deepen() error {
	u := e.op.Node
	if err := e.chainNode(u, "node"); err != nil {
		return err
	}
	if e.op.To != 0 {
		return e.fail("to is not used by deepen")
	}
	s := e.shapes[u]
	if e.op.Units != 0 && e.op.Units != s.C {
		return e.fail("units %d: deepen keeps the width %d of node %d", e.op.Units, s.C, u)
	}

	// The inserted conv or dense layer, identity-initialised.
	var l graph.Layer
	if s.Spatial() {
		k := e.op.Kernel
		if k == 0 {
			k = 3
		}
		if k < 0 || k%2 == 0 {
			return e.fail("kernel %d, want an odd size", k)
		}
		l = graph.Layer{Kind: graph.Conv2D, Inputs: []int{u}, Units: s.C, Kernel: k}
		if e.weights {
			w := make([]float32, k*k*s.C*s.C)
			centre := (k/2)*k + k/2
			for c := range s.C {
				w[(centre*s.C+c)*s.C+c] = 1
			}
			e.perturb(w)
			l.Params = &graph.Params{W: w, B: make([]float32, s.C)}
		}
	} else {
		if e.op.Kernel != 0 {
			return e.fail("kernel %d given, but node %d is flat %v and gets a dense layer", e.op.Kernel, u, s)
		}
		l = graph.Layer{Kind: graph.Dense, Inputs: []int{u}, Units: s.C}
		if e.weights {
			w := make([]float32, s.C*s.C)
			for c := range s.C {
				w[c*s.C+c] = 1
			}
			e.perturb(w)
			l.Params = &graph.Params{W: w, B: make([]float32, s.C)}
		}
	}
	next := e.mainConsumer(u)
	x := e.add(l)

	// Batch norm, and a ReLU where it is the identity.
	bn := graph.Layer{Kind: graph.BatchNorm, Inputs: []int{x}}
	if e.weights {
		bn.Params = bnIdentity(s.C)
	}
	x = e.add(bn)
	if nonNegative(e.layers, u) {
		x = e.add(graph.Layer{Kind: graph.ReLU, Inputs: []int{x}})
	}
	e.rewire(next, 0, x)
	return nil
}
