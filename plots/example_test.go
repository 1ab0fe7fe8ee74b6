package plots_test

import (
	"fmt"

	"github.com/morphnas/morphnas/plots"
)

func ExampleModelBand() {
	runs := []plots.Run{
		{Seed: 1, Models: []plots.Model{{Cost: 0.30, Elapsed: 60}, {Cost: 0.20, Elapsed: 120}}},
		{Seed: 2, Models: []plots.Model{{Cost: 0.40, Elapsed: 50}, {Cost: 0.45, Elapsed: 110}}},
	}
	b, err := plots.ModelBand(runs)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range b.X {
		fmt.Printf("%g models: %.2f (%d runs)\n", b.X[i], b.Mean[i], b.N[i])
	}
	// Output:
	// 1 models: 0.35 (2 runs)
	// 2 models: 0.30 (2 runs)
}
