// Package kernel is the neural network kernel of section 3.1 of the paper:
// the edit distance between two architectures, its Bourgain embedding into
// a Euclidean space, and the kernel kappa = exp(-rho^2) built on it.
//
// The distance is d(fa, fb) = D_l + lambda*D_s (equation 3). An
// architecture enters it only through its Arch, see Describe:
//
//   - D_l (equations 4 to 6) is the edit distance between the width
//     sequences of the two main chains: the conv and dense layers, in
//     topological order, leaving out the 1x1 convs flagged graph.Layer.Skip
//     that fold a concatenation back. Widening a layer costs equation (5),
//     |wa - wb| / max(wa, wb); inserting or deleting a layer costs 1. The
//     paper's recurrence (6) says max; a minimum edit distance takes the
//     minimum, and so do we. Kernel sizes, strides and the layers without a
//     width (pooling, batch norm, dropout) do not enter the distance.
//   - D_s (equations 7 and 8) matches the skip connections of the two
//     architectures by an optimal assignment (the Hungarian method, O(s^3))
//     and adds 1 for every skip left unmatched. A skip is described by u, the
//     rank of the width layer it starts after (0 for the input), and delta,
//     the number of width layers it spans; d_s is equation (8). An add skip
//     and a concat skip are never closer than 1, the cost of removing one
//     and inserting the other.
//
// d is a metric on Arch values (Theorem 1): both per-item costs are the
// Soergel distance |x - y|_1 / |max(x, y)|_1, which is a metric bounded by 1,
// and edit and matching distances over such a cost with unit insertions are
// metrics. On graphs it is a pseudometric: two graphs that differ only in
// what the distance ignores (kernel sizes, pooling, dropout) are at 0.
//
// A kernel exp(-gamma*d^2) over a metric that is not Euclidean need not be
// positive semidefinite. Following Theorem 2, Embed maps the n observed
// architectures into R^k with Bourgain's construction: k = O(log^2 n)
// random anchor subsets, drawn from a seed, and the coordinate of a point on
// an anchor subset is its distance to the nearest member. rho is the
// Euclidean distance between embedded points, scaled as Embedding.Scale
// documents, and kappa = exp(-rho^2) is then a Gaussian kernel over points of
// R^k: positive semidefinite on every history, duplicates included. A new
// candidate is embedded with the same anchor subsets, so the kernel between
// a candidate and the history is the one the Gaussian process was fitted
// with.
//
// Length scale. Theorem 2 and Maehara's result hold for rho up to a change
// of scale, so the paper's kappa = exp(-rho^2) leaves the scale free. We
// write kappa = exp(-rho^2 / l^2), Config.Length being l, still positive
// semidefinite for every l > 0. At l = 1 (DefaultLength, the paper's form
// with Embedding.Scale) architectures one, two and three edits apart
// correlate about e^-1, e^-4 and e^-9: a Gaussian process then knows little
// beyond one or two morphs. Larger l widens that reach (at l = 2 one edit
// gives e^-0.25, three e^-2.25). Kernel.WithLength changes l without
// recomputing distances, so a caller such as core/bayes can choose l per
// fit, e.g. by the Gaussian process's marginal likelihood, and predict with
// the same Kernel.
package kernel
