package kernel

import (
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
)

// Skip describes one skip connection for the distance (equation 8).
type Skip struct {
	// U is the topological rank of the width layer the skip starts after:
	// the number of width layers on the main chain up to and including its
	// start node, 0 when it starts at the input.
	U int `json:"u"`
	// Delta is the number of width layers the skip spans, between its start
	// node and the main-chain node it joins.
	Delta int `json:"delta"`
	// Concat is set for a concatenation, clear for an addition.
	Concat bool `json:"concat,omitempty"`
}

// Arch is what the distance sees of an architecture: the widths of its
// width layers along the main chain, in topological order, and its skip
// connections in the order of the layers that merge them.
type Arch struct {
	Widths []int  `json:"widths"`
	Skips  []Skip `json:"skips,omitempty"`
}

// Describe returns the Arch of g. The width layers are the conv and dense
// layers of the main chain (graph.Graph.MainChain), the dense classifier
// included, except those flagged graph.Layer.Skip. Every add or concat
// layer on the main chain is a skip connection: its first input is where it
// ends, and its start is found by walking back from its second input through
// first inputs until the main chain is reached. Describe checks only what it
// reads; it errors on a graph without a softmax output, a width layer with
// no positive width, or a skip branch that never reaches the main chain.
func Describe(g *graph.Graph) (Arch, error) {
	chain := g.MainChain()
	if len(chain) == 0 {
		return Arch{}, fmt.Errorf("kernel: graph has no softmax output")
	}
	onChain := make([]bool, g.NumNodes())
	for _, v := range chain {
		onChain[v] = true
	}

	// Rank every main-chain node by the width layers up to it.
	rank := make([]int, g.NumNodes())
	var a Arch
	for _, v := range chain[1:] {
		l := &g.Layers[v-1]
		if l.HasWidth() && !l.Skip {
			if l.Units <= 0 {
				return Arch{}, fmt.Errorf("kernel: layer %d (%s) has width %d, want > 0", v-1, l.Kind, l.Units)
			}
			a.Widths = append(a.Widths, l.Units)
		}
		rank[v] = len(a.Widths)
	}

	// Describe every merge on the main chain by (u, delta).
	for _, v := range chain[1:] {
		l := &g.Layers[v-1]
		if (l.Kind != graph.Add && l.Kind != graph.Concat) || len(l.Inputs) < 2 {
			continue
		}
		start, steps := l.Inputs[1], 0
		for start < 0 || start >= len(onChain) || !onChain[start] {
			if start <= 0 || start > len(g.Layers) || steps > len(g.Layers) || len(g.Layers[start-1].Inputs) == 0 {
				return Arch{}, fmt.Errorf("kernel: skip branch of layer %d (%s) never reaches the main chain", v-1, l.Kind)
			}
			start, steps = g.Layers[start-1].Inputs[0], steps+1
		}
		end := l.Inputs[0]
		if rank[end] < rank[start] {
			return Arch{}, fmt.Errorf("kernel: skip of layer %d (%s) starts at node %d after its end %d", v-1, l.Kind, start, end)
		}
		a.Skips = append(a.Skips, Skip{U: rank[start], Delta: rank[end] - rank[start], Concat: l.Kind == graph.Concat})
	}
	return a, nil
}

// MustDescribe is Describe for graphs known to be valid; it panics on error.
func MustDescribe(g *graph.Graph) Arch {
	a, err := Describe(g)
	if err != nil {
		panic(err)
	}
	return a
}
