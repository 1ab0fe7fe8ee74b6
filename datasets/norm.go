package datasets

import (
	"fmt"
	"math"
)

// minStd is the smallest standard deviation FitNorm keeps; a channel that is
// (nearly) constant gets Std 1, so that Apply only centres it instead of
// blowing noise up or dividing by zero.
const minStd = 1e-6

// Norm holds per-channel normalisation statistics: Apply maps a value v of
// channel c to (v - Mean[c]) / Std[c]. Fit it on the training part only
// ([FitNorm]) and store it with the model, so that prediction applies the
// same transform. Its JSON form is {"mean": [...], "std": [...]}.
type Norm struct {
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
}

// FitNorm returns the mean and population standard deviation of each
// channel over all pixels of all images of s, accumulated in float64. A
// channel whose standard deviation is below 1e-6 gets Std 1. An empty set
// gives Mean 0 and Std 1 for every channel.
func FitNorm(s *Set) Norm {
	sum := make([]float64, s.C)
	sq := make([]float64, s.C)
	for i, v := range s.X {
		c := i % s.C
		sum[c] += float64(v)
	}
	count := float64(len(s.X) / max(s.C, 1))
	n := Norm{Mean: make([]float32, s.C), Std: make([]float32, s.C)}
	mean := make([]float64, s.C)
	for c := range sum {
		if count > 0 {
			mean[c] = sum[c] / count
		}
	}
	// Second pass on the centred values: no cancellation for large N.
	for i, v := range s.X {
		c := i % s.C
		d := float64(v) - mean[c]
		sq[c] += d * d
	}
	for c := range sum {
		n.Mean[c] = float32(mean[c])
		std := 1.0
		if count > 0 {
			std = math.Sqrt(sq[c] / count)
		}
		if std < minStd {
			std = 1
		}
		n.Std[c] = float32(std)
	}
	return n
}

// Channels returns the number of channels n normalises.
func (n Norm) Channels() int { return len(n.Mean) }

// Apply normalises x in place: x holds images in NHWC layout with c
// channels, so value i belongs to channel i%c. It panics if c is not
// n.Channels() or len(x) is not a multiple of c (a programming error).
func (n Norm) Apply(x []float32, c int) {
	if c != len(n.Mean) || c != len(n.Std) || c <= 0 || len(x)%c != 0 {
		panic(fmt.Sprintf("datasets: norm of %d channels applied to %d values of %d channels", len(n.Mean), len(x), c))
	}
	for i := 0; i < len(x); i += c {
		px := x[i : i+c : i+c]
		for k := range px {
			px[k] = (px[k] - n.Mean[k]) / n.Std[k]
		}
	}
}

// Validate checks a Norm read back from storage: one mean and one positive,
// finite standard deviation per channel.
func (n Norm) Validate() error {
	if len(n.Mean) == 0 || len(n.Mean) != len(n.Std) {
		return fmt.Errorf("datasets: norm has %d means and %d standard deviations", len(n.Mean), len(n.Std))
	}
	for c := range n.Mean {
		m, s := float64(n.Mean[c]), float64(n.Std[c])
		if math.IsNaN(m) || math.IsInf(m, 0) || !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("datasets: norm channel %d: mean %v, std %v", c, m, s)
		}
	}
	return nil
}
