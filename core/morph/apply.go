package morph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/morphnas/morphnas/core/graph"
)

// NoiseStd is the standard deviation of the Gaussian noise that Apply adds
// to every new weight (the inserted layers, the copied units of a widen)
// when it is given a noise source, to break the symmetry between copies. It
// is small next to the weights of He initialisation (about 0.06 for a 3x3
// conv over 64 channels), so the function changes by far less than what one
// step of training does.
const NoiseStd = 1e-3

// Apply applies op to g in place.
//
// When g carries weights (g.HasWeights), they are transferred so that the
// function is kept: inserted layers start as the identity (deepen) or as a
// zero contribution (skips), and widened layers follow Net2Net, copying
// units and dividing the weights that read the copies by the number of
// copies. With noise nil the morphed network computes, in inference mode,
// what g computed, up to float32 rounding; with a noise source every new
// weight gets Gaussian noise of standard deviation NoiseStd. A bare graph
// gets only the architecture change: no weights are allocated, and layers
// whose weights no longer fit lose them.
//
// An op that does not fit g is an *OpError (matching ErrInvalidOp) that
// names it, and g is then left unchanged. Apply never writes into the
// Params or Inputs that g held: changed layers get new ones.
func Apply(g *graph.Graph, op Op, noise *rand.Rand) error {
	e, err := newEdit(g, op, noise)
	if err != nil {
		return err
	}
	switch op.Kind {
	case Deepen:
		err = e.deepen()
	case Widen:
		err = e.widen()
	case AddSkip:
		err = e.skip(false)
	case ConcatSkip:
		err = e.skip(true)
	default:
		err = e.fail("unknown operation %q, want %s, %s, %s or %s", string(op.Kind), Deepen, Widen, AddSkip, ConcatSkip)
	}
	if err != nil {
		return err
	}
	return e.commit()
}

// ApplyAll applies ops in order, as Apply does. When one fails, the error
// says which, and g is left as it was before the first.
func ApplyAll(g *graph.Graph, ops []Op, noise *rand.Rand) error {
	orig := g.Layers
	for k, op := range ops {
		if err := Apply(g, op, noise); err != nil {
			g.Layers = orig
			return fmt.Errorf("%w (op %d of %d)", err, k+1, len(ops))
		}
	}
	return nil
}

// edit is one operation in progress. It works on a shallow copy of the
// layers: Inputs and Params are shared with the original graph until a
// layer is changed, and a changed layer gets new slices, so the original is
// untouched until commit.
type edit struct {
	g       *graph.Graph
	op      Op
	noise   *rand.Rand
	weights bool // transfer weights (g carries them)

	layers []graph.Layer
	shapes []graph.Shape // of g, by node
	chain  []int         // main-chain nodes, input to output
	pos    []int         // position of each node on the chain, -1 off it
	out    int           // output node
}

func newEdit(g *graph.Graph, op Op, noise *rand.Rand) (*edit, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("morph: %v: graph is not valid: %w", op, err)
	}
	shapes, err := g.Shapes()
	if err != nil {
		return nil, fmt.Errorf("morph: %v: %w", op, err)
	}
	e := &edit{
		g: g, op: op, noise: noise, weights: g.HasWeights(),
		layers: slices.Clone(g.Layers), shapes: shapes,
		chain: g.MainChain(), out: g.Output(),
	}
	e.pos = chainPositions(g.NumNodes(), e.chain)
	return e, nil
}

func chainPositions(nodes int, chain []int) []int {
	pos := make([]int, nodes)
	for i := range pos {
		pos[i] = -1
	}
	for i, v := range chain {
		pos[v] = i
	}
	return pos
}

// commit checks the new graph and installs its layers in g.
func (e *edit) commit() error {
	h := &graph.Graph{Input: e.g.Input, Classes: e.g.Classes, Layers: e.layers}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("morph: %v: result is not a valid graph: %w", e.op, err)
	}
	if e.weights && !h.HasWeights() {
		return fmt.Errorf("morph: %v: weights were not transferred to every layer", e.op)
	}
	e.g.Layers = e.layers
	return nil
}

func (e *edit) fail(format string, args ...any) error {
	return &OpError{Op: e.op, Msg: fmt.Sprintf(format, args...)}
}

// chainNode checks that v is a node of the main chain other than the
// output; role names it in the error ("node" or "to").
func (e *edit) chainNode(v int, role string) error {
	n := len(e.g.Layers)
	switch {
	case v < 0 || v > n:
		return e.fail("%s %d does not exist (graph has nodes 0 to %d)", role, v, n)
	case v == e.out:
		return e.fail("%s %d is the output", role, v)
	case e.pos[v] < 0:
		return e.fail("%s %d (%s) is not on the main chain", role, v, e.kindOf(v))
	}
	return nil
}

// kindOf names what produces node v.
func (e *edit) kindOf(v int) string {
	if v == 0 {
		return "input"
	}
	return string(e.g.Layers[v-1].Kind)
}

// mainConsumer returns the index of the main-chain layer that reads the
// main-chain node v, which is not the output.
func (e *edit) mainConsumer(v int) int { return e.chain[e.pos[v]+1] - 1 }

// add appends a layer and returns the node it produces.
func (e *edit) add(l graph.Layer) int {
	e.layers = append(e.layers, l)
	return len(e.layers)
}

// rewire makes input k of layer i read node v.
func (e *edit) rewire(i, k, v int) {
	in := slices.Clone(e.layers[i].Inputs)
	in[k] = v
	e.layers[i].Inputs = in
}

// perturb adds the symmetry-breaking noise to w, when there is a source.
func (e *edit) perturb(w []float32) {
	if e.noise == nil {
		return
	}
	for j := range w {
		w[j] += float32(e.noise.NormFloat64() * NoiseStd)
	}
}

// nonNegative reports whether node v can never hold a negative value in
// inference mode: a ReLU or softmax output, or pooling, dropout, flattening,
// a concatenation or a sum of such nodes.
func nonNegative(layers []graph.Layer, v int) bool {
	memo := map[int]bool{}
	var rec func(v int) bool
	rec = func(v int) bool {
		if v == 0 {
			return false
		}
		if r, ok := memo[v]; ok {
			return r
		}
		l := &layers[v-1]
		r := false
		switch l.Kind {
		case graph.ReLU, graph.Softmax:
			r = true
		case graph.MaxPool, graph.Dropout, graph.GlobalAvgPool, graph.Flatten:
			r = rec(l.Inputs[0])
		case graph.Add, graph.Concat:
			r = rec(l.Inputs[0]) && rec(l.Inputs[1])
		}
		memo[v] = r
		return r
	}
	return rec(v)
}

// bnIdentity returns batch-norm parameters over c channels that compute
// the identity in inference mode: mean 0, variance 1, beta 0 and gamma
// sqrt(1 + epsilon), which cancels the epsilon under the square root.
func bnIdentity(c int) *graph.Params {
	p := &graph.Params{
		Gamma: make([]float32, c), Beta: make([]float32, c),
		Mean: make([]float32, c), Var: make([]float32, c),
	}
	g := float32(math.Sqrt(1 + graph.BNEpsilon))
	for i := range c {
		p.Gamma[i], p.Var[i] = g, 1
	}
	return p
}
