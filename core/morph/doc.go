// Package morph implements the graph-level network morphisms of section 3.3
// of the paper: deepen, widen, add-skip and concat-skip, each applied to a
// whole graph so that every tensor shape stays consistent, and each keeping
// the function of a network that carries weights.
//
// An Op is a plain value that serialises to JSON. Apply changes a graph in
// place; on a model that carries weights it transfers them so that, in
// inference mode, the morphed network computes what its parent computed (up
// to float32 rounding, and up to the small symmetry-breaking noise when a
// noise source is given). On a bare architecture it changes only the
// architecture and allocates no weights, so the searchers can explore
// candidates cheaply and the trainer transfers weights when it builds the
// chosen one. The same ops replayed on a copy give the identical graph.
//
// Options lists Omega(f), the operations the searchers may choose from, and
// Sample draws one of them.
//
// Conventions, shared with package graph:
//
//   - Morphisms only append layers and rewire inputs, so a node id names the
//     same tensor before and after. Widen adds channels to the tensors of
//     its effective area: the copies follow the old channels, and a
//     concatenation keeps each input's channels together, in input order.
//   - Deepen, add-skip and concat-skip rewire only the main-chain consumer
//     of the node they act on, as the paper's implementation redirects a
//     single edge: a skip connection that already starts at that node keeps
//     starting from the same tensor.
package morph
