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
	// Length is the length scale l of kappa = exp(-rho^2 / l^2), in units
	// of the embedded distance rho. Zero means DefaultLength (1): the scale
	// at which two architectures one edit apart correlate about e^-1.
	// Negative or non-finite is an error. See doc.go for choosing it.
	Length float64
}

// DefaultLength is the length scale of a Kernel when Config.Length is zero.
// At l = 1, architectures one, two and three edits apart correlate about
// e^-1, e^-4 and e^-9 (Embedding.Scale keeps the edit distance's overall
// size).
const DefaultLength = 1.0

// Kernel is the edit-distance kernel kappa(fa, fb) = exp(-rho^2 / l^2) of
// equation (2) over a fixed set of n architectures, the training points of
// a Gaussian process; the paper's kernel is l = 1, and any l > 0 rescales
// rho, which the embedding allows. It is immutable after New and safe for
// concurrent use.
type Kernel struct {
	lambda float64
	length float64
	archs  []Arch
	dist   [][]float64
	emb    *Embedding
	rho2   []float64 // n x n squared embedded distances, row-major, shared
}

// New computes the distance matrix of archs, embeds it and keeps the
// squared embedded distances. It errors on an empty set or a bad Config.
// Cost n(n-1)/2 distances plus the embedding and O(n^2 k) for rho.
func New(archs []Arch, cfg Config) (*Kernel, error) {
	lambda := cfg.Lambda
	if math.IsNaN(lambda) || math.IsInf(lambda, 0) || lambda < 0 {
		return nil, fmt.Errorf("kernel: lambda %v, want finite and >= 0", lambda)
	}
	if lambda == 0 {
		lambda = DefaultLambda
	}
	length := cfg.Length
	if err := checkLength(length); err != nil && length != 0 {
		return nil, err
	}
	if length == 0 {
		length = DefaultLength
	}
	if len(archs) == 0 {
		return nil, fmt.Errorf("kernel: no architectures")
	}
	dist := Matrix(archs, lambda)
	emb, err := Embed(dist, cfg.Seed)
	if err != nil {
		return nil, err
	}
	n := len(archs)
	rho2 := make([]float64, n*n)
	for i := range n {
		for j := range i {
			r := emb.Rho(emb.coords[i], emb.coords[j])
			rho2[i*n+j], rho2[j*n+i] = r*r, r*r
		}
	}
	return &Kernel{lambda: lambda, length: length, archs: archs, dist: dist, emb: emb, rho2: rho2}, nil
}

// WithLength returns a Kernel over the same architectures, distances and
// embedding with length scale l. It errors when l is not positive and
// finite. Cost O(1): everything but l is shared with k.
func (k *Kernel) WithLength(l float64) (*Kernel, error) {
	if err := checkLength(l); err != nil {
		return nil, err
	}
	c := *k
	c.length = l
	return &c, nil
}

func checkLength(l float64) error {
	if !(l > 0) || math.IsInf(l, 0) {
		return fmt.Errorf("kernel: length scale %v, want finite and > 0", l)
	}
	return nil
}

// N returns the number of training architectures.
func (k *Kernel) N() int { return len(k.archs) }

// Lambda returns the skip weight in use.
func (k *Kernel) Lambda() float64 { return k.lambda }

// Length returns the length scale l in use.
func (k *Kernel) Length() float64 { return k.length }

// Embedding returns the Bourgain embedding of the training architectures.
func (k *Kernel) Embedding() *Embedding { return k.emb }

// Distances returns the n x n edit-distance matrix. It is shared; do not
// change it.
func (k *Kernel) Distances() [][]float64 { return k.dist }

// Matrix returns the n x n kernel matrix, K[i][j] = exp(-rho_ij^2 / l^2),
// with ones on the diagonal. It is freshly allocated. Cost O(n^2).
func (k *Kernel) Matrix() [][]float64 {
	n := len(k.archs)
	out := make([][]float64, n)
	flat := make([]float64, n*n)
	inv := 1 / (k.length * k.length)
	for i := range out {
		out[i] = flat[i*n : (i+1)*n : (i+1)*n]
		out[i][i] = 1
	}
	for i := range n {
		for j := range i {
			v := math.Exp(-k.rho2[i*n+j] * inv)
			out[i][j], out[j][i] = v, v
		}
	}
	return out
}

// Row returns kappa(a, x_i) for every training architecture x_i, in order,
// at the Kernel's length scale; kappa(a, a) is 1. a is embedded with the
// training anchor subsets, so Row of a training architecture equals its row
// of Matrix. Cost: a distance to
// each training architecture that belongs to an anchor subset, then O(n k).
func (k *Kernel) Row(a Arch) []float64 {
	d := make([]float64, len(k.archs))
	var w work
	for _, i := range k.emb.used {
		d[i] = w.distance(a, k.archs[i], k.lambda)
	}
	x := k.emb.place(d)
	row := make([]float64, len(k.archs))
	inv := 1 / (k.length * k.length)
	for i, c := range k.emb.coords {
		r := k.emb.Rho(x, c)
		row[i] = math.Exp(-r * r * inv)
	}
	return row
}
