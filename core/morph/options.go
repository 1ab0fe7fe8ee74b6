package morph

import (
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
)

// The settings of the operations Options offers.
const (
	// DeepenKernel is the kernel size of the convs that deepen inserts.
	DeepenKernel = 3
	// MaxConvWidth and MaxDenseWidth cap the width a widen may reach: a
	// conv or dense layer is offered a widen only while twice its width
	// stays within the cap.
	MaxConvWidth  = 512
	MaxDenseWidth = 1024
	// MaxSkipSpan bounds how far a skip offered by Options reaches: to one
	// of the next MaxSkipSpan block ends after its start. It keeps the
	// number of options linear in the depth (the AK searcher expands each
	// of them) while leaving every skip of a network of up to
	// MaxSkipSpan+1 blocks on offer.
	MaxSkipSpan = 6
)

// Options returns Omega(f) of section 3.3: every operation the searchers
// may apply to g, in a fixed order (deepens, widens, then skips), each
// valid for g. An invalid graph has none. What is offered, in the spirit of
// the paper and of its implementation:
//
//   - deepen after every main-chain ReLU output, and after global average
//     pooling: a DeepenKernel x DeepenKernel conv when the node is spatial,
//     a dense layer of the node's width when it is flat;
//   - widen of every main-chain conv and dense layer (not the 1x1 convs
//     that fold concatenations back, which belong to their skip) to twice
//     its width, within MaxConvWidth or MaxDenseWidth, when its effective
//     area can be widened (the classifier feeding the softmax cannot);
//   - add-skip and concat-skip between block ends u before v, v among the
//     next MaxSkipSpan block ends, both spatial or both flat, unless a skip
//     from u to v exists already. A block end is
//     a main-chain ReLU, max pool or dropout output that the main chain does
//     not pool or drop out further, so a conv block ending in ReLU and max
//     pooling offers its pooled output. Skips across downsampling get
//     pooling on the branch (see Apply).
//
// On a flat network such as graph.MLP nothing needs spatial dimensions:
// deepens insert dense layers and skips use dense layers. A plain chain of
// b conv blocks offers 2b+1 deepens and widens and b(b-1) skips, at most
// 2*MaxSkipSpan*b: 13 options for the paper's initial architecture.
func Options(g *graph.Graph) []Op {
	if g.Validate() != nil {
		return nil
	}
	shapes, err := g.Shapes()
	if err != nil {
		return nil
	}
	order, err := g.TopoOrder()
	if err != nil {
		return nil
	}
	chain := g.MainChain()
	pos := chainPositions(g.NumNodes(), chain)
	inner := chain[1 : len(chain)-1] // neither the input nor the output
	var ops []Op

	// Deepen.
	for _, u := range inner {
		switch g.Layers[u-1].Kind {
		case graph.ReLU, graph.GlobalAvgPool:
			if shapes[u].Spatial() {
				ops = append(ops, Op{Kind: Deepen, Node: u, Kernel: DeepenKernel})
			} else {
				ops = append(ops, Op{Kind: Deepen, Node: u, Units: shapes[u].C})
			}
		}
	}

	// Widen.
	for _, u := range inner {
		l := &g.Layers[u-1]
		if !l.HasWidth() || l.Skip {
			continue
		}
		n, limit := 2*shapes[u].C, MaxConvWidth
		if l.Kind == graph.Dense {
			limit = MaxDenseWidth
		}
		if n > limit {
			continue
		}
		if _, err := planWiden(g.Layers, shapes, order, u, n); err != nil {
			continue
		}
		ops = append(ops, Op{Kind: Widen, Node: u, Units: n})
	}

	// Skips between block ends.
	var ends []int
	for p := 1; p < len(chain)-1; p++ {
		switch g.Layers[chain[p]-1].Kind {
		case graph.ReLU, graph.MaxPool, graph.Dropout:
		default:
			continue
		}
		switch g.Layers[chain[p+1]-1].Kind {
		case graph.MaxPool, graph.Dropout:
			continue
		}
		ends = append(ends, chain[p])
	}
	have := existingSkips(g, pos)
	for i, u := range ends {
		for _, v := range ends[i+1 : min(len(ends), i+1+MaxSkipSpan)] {
			if shapes[u].Spatial() != shapes[v].Spatial() || have[[2]int{u, v}] {
				continue
			}
			ops = append(ops, Op{Kind: AddSkip, Node: u, To: v}, Op{Kind: ConcatSkip, Node: u, To: v})
		}
	}
	return ops
}

// Sample draws one operation uniformly from Options(g); it reports false
// when there is none.
func Sample(g *graph.Graph, rng *rand.Rand) (Op, bool) {
	ops := Options(g)
	if len(ops) == 0 {
		return Op{}, false
	}
	return ops[rng.IntN(len(ops))], true
}

// existingSkips returns the pairs (u, v) of main-chain nodes joined by a
// skip connection: for each add or concat, v is found from its first input
// back through the joins stacked on v, and u from its second input back
// along the branch to the main chain.
func existingSkips(g *graph.Graph, pos []int) map[[2]int]bool {
	have := map[[2]int]bool{}
	for _, l := range g.Layers {
		if (l.Kind != graph.Add && l.Kind != graph.Concat) || len(l.Inputs) != 2 {
			continue
		}
		v := l.Inputs[0]
		for v > 0 {
			p := &g.Layers[v-1]
			if p.Kind != graph.Add && p.Kind != graph.Concat && !(p.Kind == graph.Conv2D && p.Skip) && !(p.Kind == graph.Dense && p.Skip) {
				break
			}
			v = p.Inputs[0]
		}
		u := l.Inputs[1]
		for u > 0 && pos[u] < 0 {
			u = g.Layers[u-1].Inputs[0]
		}
		have[[2]int{u, v}] = true
	}
	return have
}
