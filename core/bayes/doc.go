// Package bayes is the Bayesian optimizer of section 3 of the paper, shared
// by the searchers that choose architectures with it (AK, which morphs the
// chosen model, and BO, which trains it from scratch).
//
// Update: Fit fits a Gaussian process (package gp) to the successful
// observations of a search history, over the edit-distance kernel of package
// kernel; failed trials carry no cost and are left out (Surrogate.Excluded
// counts them). Generation: Optimize minimises the upper-confidence bound
// alpha(f) = mu(f) - beta*sigma(f) of equation (9) over the tree of
// architectures reachable by morphisms from the observed ones, with the
// A*-and-simulated-annealing search of Algorithm 1, and returns the nearest
// observed ancestor of the best candidate and the operations that lead from
// it.
//
// Length scale: the kernel is exp(-rho^2 / l^2) (package kernel). The paper
// fixes no scale for rho; at l = 1 architectures three edits apart
// correlate e^-9, so the Gaussian process knows little beyond one or two
// morphs. By default each Fit chooses l from DefaultLengths (0.5 to 8) by
// the Gaussian process's log marginal likelihood on the observed costs, the
// usual type-II maximum likelihood choice of a kernel hyperparameter,
// keeping l = 1 unless another value beats it by LengthMargin, and
// Optimize predicts every candidate with that kernel; Config.Length fixes l
// instead (1 for the paper's form). On the synthetic objective of package
// searchtest the choice is about 2; on costs that are pure noise it falls to
// the smallest values of the grid. Over 20 seeds of 30 evaluations on that
// objective, AK's mean best cost went from 0.118 at l = 1 to 0.104. At n = 200 the nine fits take the update
// step from about 10 ms to about 22 ms, small beside a proposal's
// generation (about 0.1 s).
//
// Candidates are bare architectures: Optimize clones graphs without weights
// and applies operations to the architecture only. A candidate whose
// architecture was observed (failed trials included), is pending, or was
// already generated in the same call is skipped by a hash lookup, so
// generation stays linear in the number of candidates.
//
// In the layering of DESIGN.md the package sits after core/search, whose
// History and Observation it reads.
package bayes
