package morph

import (
	"fmt"
	"slices"

	"github.com/morphnas/morphnas/core/graph"
)

// widen gives the conv or dense layer producing node u Op.Units outputs
// (wide(G, u) of section 3.3) and reshapes every layer of the effective
// area to match, transferring weights the Net2Net way.
func (e *edit) widen() error {
	u := e.op.Node
	n := len(e.g.Layers)
	switch {
	case u < 0 || u > n:
		return e.fail("node %d does not exist (graph has nodes 0 to %d)", u, n)
	case u == 0:
		return e.fail("node 0 is the input, which no layer produces")
	case !e.g.Layers[u-1].HasWidth():
		return e.fail("node %d is produced by %s, want conv2d or dense", u, e.g.Layers[u-1].Kind)
	case e.op.Units <= e.shapes[u].C:
		return e.fail("units %d, want more than the current width %d of node %d", e.op.Units, e.shapes[u].C, u)
	case e.op.To != 0 || e.op.Kernel != 0:
		return e.fail("to and kernel are not used by widen")
	}
	order, err := e.g.TopoOrder()
	if err != nil {
		return fmt.Errorf("morph: %v: %w", e.op, err)
	}
	p, err := planWiden(e.g.Layers, e.shapes, order, u, e.op.Units)
	if err != nil {
		return e.fail("%v", err)
	}

	// Every layer whose input or output changes width: the producing conv
	// and dense layers (new output units copy old ones), the consuming ones
	// (the weights reading a copied unit are divided by its copy count), and
	// batch norm (parameters and statistics follow their channel).
	for i := range e.g.Layers {
		l := &e.layers[i]
		a, o := l.Inputs[0], i+1
		in, out := p.layout[a], p.layout[o]
		switch l.Kind {
		case graph.Conv2D, graph.Dense:
			if in == nil && out == nil {
				continue
			}
			if out != nil {
				l.Units = len(out)
			}
			l.Params = nil
			if e.weights {
				l.Params = e.remapKernel(&e.g.Layers[i], e.shapes[a].C, e.shapes[o].C, in, p.div[a], out)
			}
		case graph.BatchNorm:
			if out == nil {
				continue
			}
			l.Params = nil
			if e.weights {
				old := e.g.Layers[i].Params
				l.Params = &graph.Params{
					Gamma: gather(old.Gamma, out), Beta: gather(old.Beta, out),
					Mean: gather(old.Mean, out), Var: gather(old.Var, out),
				}
			}
		}
	}
	return nil
}

// remapKernel returns the weights of conv or dense layer l after a widen:
// input channel j of the new layer reads old channel in[j] with its weights
// divided by div[j]; output unit k copies old unit out[k]. Nil layouts mean
// the side keeps its width. The copied output units (those past the old
// width) get the symmetry-breaking noise.
func (e *edit) remapKernel(l *graph.Layer, cin, cout int, in []int, div []float32, out []int) *graph.Params {
	if in == nil {
		in, div = identity(cin), nil
	}
	if out == nil {
		out = identity(cout)
	}
	taps := 1
	if l.Kind == graph.Conv2D {
		taps = l.Kernel * l.Kernel
	}
	old := l.Params
	ci, co := len(in), len(out)
	w := make([]float32, taps*ci*co)
	for t := range taps {
		for j, r := range in {
			src := old.W[(t*cin+r)*cout:][:cout]
			dst := w[(t*ci+j)*co:][:co]
			for k, q := range out {
				dst[k] = src[q]
			}
			if div != nil && div[j] != 1 {
				for k := range dst {
					dst[k] /= div[j]
				}
			}
			if co > cout {
				e.perturb(dst[cout:])
			}
		}
	}
	b := make([]float32, co)
	for k, q := range out {
		b[k] = old.B[q]
	}
	return &graph.Params{W: w, B: b}
}

// gather returns src[idx[0]], src[idx[1]], ...
func gather(src []float32, idx []int) []float32 {
	out := make([]float32, len(idx))
	for j, r := range idx {
		out[j] = src[r]
	}
	return out
}

func identity(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// widenPlan says how widening one node reshapes the tensors of its
// effective area.
type widenPlan struct {
	// layout[v] lists, for each channel of node v after the widen, the
	// channel of v before it whose values it holds; nil for a node that
	// keeps its width. Flat nodes count their values as channels.
	layout [][]int
	// div[v][j] is the number of copies of the unit that channel j of node
	// v holds: the weights reading that channel are divided by it, so that
	// the copies together contribute what the original did.
	div [][]float32
}

// planWiden computes the effective area of widening node u0 (produced by a
// conv or dense layer) to n channels, and the new layout of each tensor in
// it.
//
// Section 3.3 defines the effective area as a set of nodes linked by layers
// other than conv and dense. Here it is tracked channel by channel, which
// is what the layers after a concatenation need: each channel of a node in
// the area is tied to the unit of u0 whose values it carries (or to none).
// Ties pass unchanged through batch norm, ReLU, pooling, dropout and
// global pooling, join the two inputs of an add, sit at an offset in a
// concatenation and repeat at every position of a flattening; they stop at
// conv and dense layers, which are the producing set L_p (their output is
// tied) and the consuming set L_n (their input is).
//
// New unit j of u0 (j from the old width c up to n) copies unit (j-c) mod c,
// round robin, so the choice is the same for weights and bare graphs.
//
// Known limit: a producer puts its copies after its old channels, while a
// concatenation puts them after each input's channels, so when an add joins
// a concatenation (or a tensor computed from one without a conv between)
// to a conv or dense output in the area, the two cannot be aligned and the
// widen is refused. The morphisms never build such a graph: a
// concatenation is always folded back by a 1x1 conv.
func planWiden(layers []graph.Layer, shapes []graph.Shape, order []int, u0, n int) (*widenPlan, error) {
	nodes := len(layers) + 1
	cons := make([][]int, nodes)
	for i, l := range layers {
		for _, a := range l.Inputs {
			cons[a] = append(cons[a], i)
		}
	}

	// Ties, propagated to a fixed point along the layers.
	tie := make([][]int, nodes)
	var queue []int
	queued := make([]bool, nodes)
	push := func(v int) {
		if !queued[v] {
			queued[v] = true
			queue = append(queue, v)
		}
	}
	get := func(v int) []int {
		if tie[v] == nil {
			tie[v] = make([]int, shapes[v].C)
			for c := range tie[v] {
				tie[v][c] = -1
			}
		}
		return tie[v]
	}
	var bad error
	unify := func(a, ca, b, cb int) {
		va, vb := -1, -1
		if tie[a] != nil {
			va = tie[a][ca]
		}
		if tie[b] != nil {
			vb = tie[b][cb]
		}
		switch {
		case va == vb:
		case va < 0:
			get(a)[ca] = vb
			push(a)
		case vb < 0:
			get(b)[cb] = va
			push(b)
		default:
			bad = fmt.Errorf("channel %d of node %d and channel %d of node %d must match, but carry units %d and %d of node %d",
				ca, a, cb, b, va, vb, u0)
		}
	}
	relate := func(i int) {
		l := &layers[i]
		o, a := i+1, l.Inputs[0]
		switch l.Kind {
		case graph.BatchNorm, graph.ReLU, graph.MaxPool, graph.Dropout, graph.GlobalAvgPool:
			for c := range shapes[o].C {
				unify(o, c, a, c)
			}
		case graph.Add:
			b := l.Inputs[1]
			for c := range shapes[o].C {
				unify(o, c, a, c)
				unify(o, c, b, c)
			}
		case graph.Concat:
			b, ca := l.Inputs[1], shapes[a].C
			for c := range ca {
				unify(o, c, a, c)
			}
			for c := range shapes[b].C {
				unify(o, ca+c, b, c)
			}
		case graph.Flatten:
			s := shapes[a]
			for p := range s.H * s.W {
				for c := range s.C {
					unify(o, p*s.C+c, a, c)
				}
			}
		case graph.Softmax:
			if tie[a] != nil || tie[o] != nil {
				bad = fmt.Errorf("the widened area reaches the output: node %d feeds the softmax over the %d classes", a, shapes[a].C)
			}
		}
	}
	t := get(u0)
	for c := range t {
		t[c] = c
	}
	push(u0)
	for len(queue) > 0 && bad == nil {
		v := queue[0]
		queue, queued[v] = queue[1:], false
		if v > 0 {
			relate(v - 1)
		}
		for _, i := range cons[v] {
			relate(i)
		}
	}
	if bad != nil {
		return nil, bad
	}
	if tie[0] != nil {
		return nil, fmt.Errorf("the widened area reaches the input node 0, whose width is fixed")
	}

	// The copies: new unit j of u0 copies unit src[j-c0].
	c0 := shapes[u0].C
	count := make([]int, c0)
	for c := range count {
		count[c] = 1
	}
	for j := c0; j < n; j++ {
		count[(j-c0)%c0]++
	}

	// Layouts, in topological order: producers append their copies after
	// their old channels; other layers follow their inputs.
	p := &widenPlan{layout: make([][]int, nodes), div: make([][]float32, nodes)}
	for _, i := range order {
		o := i + 1
		if tie[o] == nil {
			continue
		}
		l := &layers[i]
		lay := func(v int) []int {
			if p.layout[v] != nil {
				return p.layout[v]
			}
			return identity(shapes[v].C)
		}
		var out []int
		switch l.Kind {
		case graph.Conv2D, graph.Dense:
			// For each new unit of u0 in order, the channels of o tied to
			// the unit it copies.
			byUnit := make([][]int, c0)
			for r, s := range tie[o] {
				if s >= 0 {
					byUnit[s] = append(byUnit[s], r)
				}
			}
			out = identity(shapes[o].C)
			for j := c0; j < n; j++ {
				out = append(out, byUnit[(j-c0)%c0]...)
			}
		case graph.BatchNorm, graph.ReLU, graph.MaxPool, graph.Dropout, graph.GlobalAvgPool:
			out = lay(l.Inputs[0])
		case graph.Add:
			x, y := lay(l.Inputs[0]), lay(l.Inputs[1])
			if !slices.Equal(x, y) {
				// TODO: give the producers behind one input the layout of
				// the other, for hand-built graphs that add a concatenation.
				return nil, fmt.Errorf("cannot align the widened inputs %d and %d of layer %d (add)", l.Inputs[0], l.Inputs[1], i)
			}
			out = x
		case graph.Concat:
			ca := shapes[l.Inputs[0]].C
			out = slices.Clone(lay(l.Inputs[0]))
			for _, r := range lay(l.Inputs[1]) {
				out = append(out, ca+r)
			}
		case graph.Flatten:
			s := shapes[l.Inputs[0]]
			in := lay(l.Inputs[0])
			for q := range s.H * s.W {
				for _, r := range in {
					out = append(out, q*s.C+r)
				}
			}
		default:
			return nil, fmt.Errorf("layer %d (%s) cannot be widened", i, l.Kind)
		}
		p.layout[o] = out
	}

	// Copy counts, and a check that every old channel appears exactly as
	// many times as its unit has copies: that is what keeps the function.
	for v, out := range p.layout {
		if out == nil {
			continue
		}
		div := make([]float32, len(out))
		seen := make([]int, shapes[v].C)
		for j, r := range out {
			div[j] = 1
			if s := tie[v][r]; s >= 0 {
				div[j] = float32(count[s])
			}
			seen[r]++
		}
		for r, k := range seen {
			want := 1
			if s := tie[v][r]; s >= 0 {
				want = count[s]
			}
			if k != want {
				return nil, fmt.Errorf("channel %d of node %d appears %d times after the widen, want %d", r, v, k, want)
			}
		}
		p.div[v] = div
	}
	return p, nil
}
