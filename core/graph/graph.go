package graph

import "fmt"

// Shape is the shape of one example's tensor. A spatial tensor has H, W and
// C all positive (NHWC layout without the batch); a flat tensor has H = W = 0
// and C values.
type Shape struct {
	H int `json:"h,omitempty"`
	W int `json:"w,omitempty"`
	C int `json:"c"`
}

// Spatial reports whether s has height and width.
func (s Shape) Spatial() bool { return s.H > 0 && s.W > 0 }

// Size is the number of values in one example.
func (s Shape) Size() int {
	if s.Spatial() {
		return s.H * s.W * s.C
	}
	return s.C
}

func (s Shape) String() string {
	if s.Spatial() {
		return fmt.Sprintf("%dx%dx%d", s.H, s.W, s.C)
	}
	return fmt.Sprintf("[%d]", s.C)
}

// Graph is a network: an input shape, a number of classes, and layers, where
// layer i produces node i+1 and node 0 is the input.
type Graph struct {
	Input   Shape   `json:"input"`
	Classes int     `json:"classes"`
	Layers  []Layer `json:"layers"`
}

// New returns an empty graph with the given input shape and class count.
func New(input Shape, classes int) *Graph {
	return &Graph{Input: input, Classes: classes}
}

// Append appends a layer and returns the id of the node it produces.
func (g *Graph) Append(l Layer) int {
	g.Layers = append(g.Layers, l)
	return len(g.Layers)
}

// NumNodes is the number of nodes, the input included.
func (g *Graph) NumNodes() int { return len(g.Layers) + 1 }

// Producer returns the index of the layer that produces node v, or -1 for
// the input.
func Producer(v int) int { return v - 1 }

// Output returns the id of the output node: the one produced by the last
// softmax layer, or -1 when there is none.
func (g *Graph) Output() int {
	for i := len(g.Layers) - 1; i >= 0; i-- {
		if g.Layers[i].Kind == Softmax {
			return i + 1
		}
	}
	return -1
}

// Consumers returns, for every node, the indices of the layers that read it,
// in increasing layer order.
func (g *Graph) Consumers() [][]int {
	out := make([][]int, g.NumNodes())
	for i, l := range g.Layers {
		for _, u := range l.Inputs {
			if u >= 0 && u < len(out) {
				out[u] = append(out[u], i)
			}
		}
	}
	return out
}

// Clone returns a copy of the architecture that shares nothing with g. The
// weights are copied when withWeights is set and dropped otherwise.
func (g *Graph) Clone(withWeights bool) *Graph {
	c := &Graph{Input: g.Input, Classes: g.Classes, Layers: make([]Layer, len(g.Layers))}
	for i, l := range g.Layers {
		c.Layers[i] = l.clone(withWeights)
		if !withWeights {
			c.Layers[i].Params = nil
		}
	}
	return c
}

// HasWeights reports whether every layer that needs parameters has them.
func (g *Graph) HasWeights() bool {
	for _, l := range g.Layers {
		if needsParams(l.Kind) && l.Params == nil {
			return false
		}
	}
	return true
}

// StripWeights drops all parameters, leaving a bare architecture.
func (g *Graph) StripWeights() {
	for i := range g.Layers {
		g.Layers[i].Params = nil
	}
}

func needsParams(k Kind) bool { return k == Conv2D || k == Dense || k == BatchNorm }

// MainChain returns the ids of the nodes on the main chain, from the input
// to the output, found by walking back from the output through first
// inputs. It assumes a valid graph.
func (g *Graph) MainChain() []int {
	out := g.Output()
	if out < 0 {
		return nil
	}
	var rev []int
	for v := out; ; {
		rev = append(rev, v)
		if v == 0 {
			break
		}
		v = g.Layers[v-1].Inputs[0]
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
