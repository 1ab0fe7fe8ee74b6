package datasets

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rgbSet makes 5 images of 3x2 pixels and 3 channels with distinct
// values; channel 2 is constant.
func rgbSet() *Set {
	s := &Set{N: 5, H: 3, W: 2, C: 3, Y: make([]int, 5), Classes: []string{"a"}}
	for n := range 5 {
		for h := range 3 {
			for w := range 2 {
				s.X = append(s.X,
					float32(n*6+h*2+w)/29,   // channel 0: 0..1
					float32((n+h*w)%4)*0.25, // channel 1
					0.5)                     // channel 2: constant
			}
		}
	}
	return s
}

func TestFitNormMatchesDirectComputation(t *testing.T) {
	s := rgbSet()
	n := FitNorm(s)
	require.Equal(t, 3, n.Channels())

	// Direct computation, channel by channel through the image index:
	// mean = sum/count, std = sqrt(sum of squares/count - mean^2).
	for c := range 3 {
		var sum, sq float64
		count := 0
		for i := range s.N {
			img := s.Image(i)
			for p := c; p < len(img); p += 3 {
				v := float64(img[p])
				sum += v
				sq += v * v
				count++
			}
		}
		mean := sum / float64(count)
		std := math.Sqrt(sq/float64(count) - mean*mean)
		if c == 2 {
			std = 1 // constant channel
		}
		// float32 storage: relative 1e-6 is a few float32 ulps.
		assert.InEpsilon(t, mean, float64(n.Mean[c]), 1e-6, "mean of channel %d", c)
		assert.InEpsilon(t, std, float64(n.Std[c]), 1e-5, "std of channel %d", c)
	}
}

func TestNormApplyStandardises(t *testing.T) {
	s := rgbSet()
	n := FitNorm(s)
	x := append([]float32(nil), s.X...)
	n.Apply(x, 3)
	after := FitNorm(&Set{X: x, C: 3})
	for c := range 2 {
		assert.InDelta(t, 0, after.Mean[c], 1e-6, "channel %d", c)
		assert.InDelta(t, 1, after.Std[c], 1e-6, "channel %d", c)
	}
	assert.Equal(t, float32(0), after.Mean[2], "constant channel centred")
	// Value by value: (v - mean) / std.
	for i, v := range s.X {
		c := i % 3
		assert.Equal(t, (v-n.Mean[c])/n.Std[c], x[i])
	}
	assert.Panics(t, func() { n.Apply(x, 1) })
	assert.Panics(t, func() { n.Apply(x[:4], 3) })
}

func TestNormJSON(t *testing.T) {
	n := FitNorm(rgbSet())
	b, err := json.Marshal(n)
	require.NoError(t, err)
	assert.Regexp(t, `^\{"mean":\[[^]]+\],"std":\[[^]]+\]\}$`, string(b))
	var back Norm
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, n, back, "float32 values survive JSON exactly")
	require.NoError(t, back.Validate())
}

func TestNormValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    Norm
		msg  string
	}{
		{"empty", Norm{}, "0 means and 0 standard deviations"},
		{"lengths", Norm{Mean: []float32{0, 0}, Std: []float32{1}}, "2 means and 1"},
		{"zero std", Norm{Mean: []float32{0}, Std: []float32{0}}, "channel 0: mean 0, std 0"},
		{"nan mean", Norm{Mean: []float32{float32(math.NaN())}, Std: []float32{1}}, "mean NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorContains(t, tc.n.Validate(), tc.msg)
		})
	}
}

func TestFitNormEmpty(t *testing.T) {
	n := FitNorm(&Set{C: 2})
	assert.Equal(t, Norm{Mean: []float32{0, 0}, Std: []float32{1, 1}}, n)
}
