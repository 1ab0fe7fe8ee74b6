package smac

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Forest is a random forest of regression trees (Breiman 2001) in the
// manner SMAC uses it as a surrogate (Hutter et al. 2011, section 4.1):
// every tree is grown on a bootstrap sample of the data; at every node a
// random subset of the features is searched for the split that minimises
// the squared error of the two sides; leaves predict the mean of their
// targets. The prediction is the mean of the trees' predictions, its
// uncertainty their variance.
type Forest struct {
	trees []*node
}

// ForestConfig holds the settings of a forest. The zero value means every
// default.
type ForestConfig struct {
	// Trees is the number of trees; zero means 10, SMAC3's default.
	Trees int
	// FeatureRatio is the share of the features tried at each split; zero
	// means 5/6, SMAC3's default.
	FeatureRatio float64
	// MinSplit is the smallest node that is split; zero means 3, SMAC3's
	// default.
	MinSplit int
}

// node is a tree node: an inner node splits on feature at threshold (x <=
// threshold goes left); a leaf (left == nil) predicts value.
type node struct {
	feature     int
	threshold   float64
	left, right *node
	value       float64
}

// FitForest grows a forest on the points xs (all of one length) and their
// targets ys, drawing from rng. It panics if xs is empty or the lengths
// disagree: callers pass at least one point.
func FitForest(xs [][]float64, ys []float64, cfg ForestConfig, rng *rand.Rand) *Forest {
	if len(xs) == 0 || len(xs) != len(ys) {
		panic("smac: forest needs as many targets as points, at least one")
	}
	if cfg.Trees == 0 {
		cfg.Trees = 10
	}
	if cfg.FeatureRatio == 0 {
		cfg.FeatureRatio = 5.0 / 6
	}
	if cfg.MinSplit == 0 {
		cfg.MinSplit = 3
	}
	d := len(xs[0])
	nf := max(1, int(math.Ceil(cfg.FeatureRatio*float64(d))))
	f := &Forest{trees: make([]*node, cfg.Trees)}
	for t := range f.trees {
		sample := make([]int, len(xs))
		for i := range sample {
			sample[i] = rng.IntN(len(xs))
		}
		f.trees[t] = grow(xs, ys, sample, nf, cfg.MinSplit, rng)
	}
	return f
}

// Predict returns the mean and the variance of the trees' predictions at x.
func (f *Forest) Predict(x []float64) (mean, variance float64) {
	for _, t := range f.trees {
		mean += t.predict(x)
	}
	mean /= float64(len(f.trees))
	for _, t := range f.trees {
		d := t.predict(x) - mean
		variance += d * d
	}
	return mean, variance / float64(len(f.trees))
}

func (n *node) predict(x []float64) float64 {
	for n.left != nil {
		if x[n.feature] <= n.threshold {
			n = n.left
		} else {
			n = n.right
		}
	}
	return n.value
}

// grow builds the tree of the points listed in idx.
func grow(xs [][]float64, ys []float64, idx []int, nf, minSplit int, rng *rand.Rand) *node {
	mean := 0.0
	for _, i := range idx {
		mean += ys[i]
	}
	mean /= float64(len(idx))
	leaf := &node{value: mean}
	if len(idx) < minSplit {
		return leaf
	}

	// Search a random subset of the features for the best split.
	d := len(xs[0])
	features := rng.Perm(d)[:nf]
	bestSSE, bestF, bestT := math.Inf(1), -1, 0.0
	sorted := slices.Clone(idx)
	for _, f := range features {
		slices.SortStableFunc(sorted, func(a, b int) int {
			switch {
			case xs[a][f] < xs[b][f]:
				return -1
			case xs[a][f] > xs[b][f]:
				return 1
			}
			return 0
		})
		// Prefix sums give each split's squared error in O(1).
		total, totalSq := 0.0, 0.0
		for _, i := range sorted {
			total += ys[i]
			totalSq += ys[i] * ys[i]
		}
		left, leftSq := 0.0, 0.0
		for k := 0; k < len(sorted)-1; k++ {
			y := ys[sorted[k]]
			left += y
			leftSq += y * y
			a, b := xs[sorted[k]][f], xs[sorted[k+1]][f]
			if a == b {
				continue
			}
			nl, nr := float64(k+1), float64(len(sorted)-k-1)
			right, rightSq := total-left, totalSq-leftSq
			sse := leftSq - left*left/nl + rightSq - right*right/nr
			if sse < bestSSE {
				bestSSE, bestF, bestT = sse, f, (a+b)/2
			}
		}
	}
	if bestF < 0 {
		return leaf // every sampled feature is constant on this node
	}

	// Split and recurse.
	var l, r []int
	for _, i := range idx {
		if xs[i][bestF] <= bestT {
			l = append(l, i)
		} else {
			r = append(r, i)
		}
	}
	return &node{
		feature: bestF, threshold: bestT,
		left:  grow(xs, ys, l, nf, minSplit, rng),
		right: grow(xs, ys, r, nf, minSplit, rng),
	}
}
