package kernel

import (
	"fmt"
	"math"
)

// Config holds the settings of a Kernel. The zero value means every
// default.
type Config struct {
	// Lambda weighs the skip distance against the layer distance in
	// equation (3). Zero means DefaultLambda (1); negative or non-finite is
	// an error.
	Lambda float64
	// Seed draws the Bourgain anchor subsets. The same seed and points give
	// the same kernel.
	Seed uint64
}

// Kernel is the edit-distance kernel kappa(fa, fb) = exp(-rho^2) of
// equation (2) over a fixed set of n architectures, the training points of
// a Gaussian process. It is immutable after New and safe for concurrent
// use.
type Kernel struct {
	lambda float64
	archs  []Arch
	dist   [][]float64
	emb    *Embedding
}

// New computes the distance matrix of archs and embeds it. It errors on an
// empty set or a bad Config. Cost n(n-1)/2 distances plus the embedding.
func New(archs []Arch, cfg Config) (*Kernel, error) {
	lambda := cfg.Lambda
	if math.IsNaN(lambda) || math.IsInf(lambda, 0) || lambda < 0 {
		return nil, fmt.Errorf("kernel: lambda %v, want finite and >= 0", lambda)
	}
	if lambda == 0 {
		lambda = DefaultLambda
	}
	if len(archs) == 0 {
		return nil, fmt.Errorf("kernel: no architectures")
	}
	dist := Matrix(archs, lambda)
	emb, err := Embed(dist, cfg.Seed)
	if err != nil {
		return nil, err
	}
	return &Kernel{lambda: lambda, archs: archs, dist: dist, emb: emb}, nil
}

// N returns the number of training architectures.
func (k *Kernel) N() int { return len(k.archs) }

// Lambda returns the skip weight in use.
func (k *Kernel) Lambda() float64 { return k.lambda }

// Embedding returns the Bourgain embedding of the training architectures.
func (k *Kernel) Embedding() *Embedding { return k.emb }

// Distances returns the n x n edit-distance matrix. It is shared; do not
// change it.
func (k *Kernel) Distances() [][]float64 { return k.dist }

// Matrix returns the n x n kernel matrix, K[i][j] = exp(-rho_ij^2), with
// ones on the diagonal. It is freshly allocated.
func (k *Kernel) Matrix() [][]float64 {
	n := len(k.archs)
	out := make([][]float64, n)
	flat := make([]float64, n*n)
	for i := range out {
		out[i] = flat[i*n : (i+1)*n : (i+1)*n]
		out[i][i] = 1
	}
	for i := range n {
		for j := range i {
			r := k.emb.Rho(k.emb.coords[i], k.emb.coords[j])
			v := math.Exp(-r * r)
			out[i][j], out[j][i] = v, v
		}
	}
	return out
}

// Row returns kappa(a, x_i) for every training architecture x_i, in order;
// kappa(a, a) is 1. a is embedded with the training anchor subsets, so Row
// of a training architecture equals its row of Matrix. Cost: a distance to
// each training architecture that belongs to an anchor subset, then O(n k).
func (k *Kernel) Row(a Arch) []float64 {
	d := make([]float64, len(k.archs))
	var w work
	for _, i := range k.emb.used {
		d[i] = w.distance(a, k.archs[i], k.lambda)
	}
	x := k.emb.place(d)
	row := make([]float64, len(k.archs))
	for i, c := range k.emb.coords {
		r := k.emb.Rho(x, c)
		row[i] = math.Exp(-r * r)
	}
	return row
}
