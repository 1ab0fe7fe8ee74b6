package morph_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
)

// Morph a small trained-looking CNN: list Omega(f), apply two operations
// with weight transfer, check that the output is kept, and replay the
// operations from their JSON form on the bare architecture.
func Example() {
	g := graph.PlainCNN(graph.Shape{H: 8, W: 8, C: 3}, 3, []graph.ConvSpec{{Units: 4}, {Units: 8}})
	for _, op := range morph.Options(g) {
		fmt.Println(op)
	}

	// A model with weights, and its output on one input.
	m := g.Clone(false)
	if err := m.InitWeights(rand.New(rand.NewPCG(1, 2))); err != nil {
		panic(err)
	}
	x := make([]float64, g.Input.Size())
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	before, _ := m.Forward(x, 1)

	ops := []morph.Op{{Kind: morph.Widen, Node: 1, Units: 8}, {Kind: morph.AddSkip, Node: 4, To: 8}}
	if err := morph.ApplyAll(m, ops, nil); err != nil {
		panic(err)
	}
	after, _ := m.Forward(x, 1)
	worst := 0.0
	out := m.Output()
	for j := range before[out] {
		worst = max(worst, math.Abs(before[out][j]-after[out][j]))
	}
	fmt.Println("output kept:", worst < 1e-6)

	// The operations as JSON, replayed on the bare architecture.
	data, _ := json.Marshal(ops)
	fmt.Println(string(data))
	var replay []morph.Op
	_ = json.Unmarshal(data, &replay)
	if err := morph.ApplyAll(g, replay, nil); err != nil {
		panic(err)
	}
	// conv 3->8 (224) + bn (32) + conv 8->8 (584) + bn (32) + 1x1 conv on
	// the skip (72) + dense 8->3 (27).
	p, _ := g.ParamCount()
	fmt.Println("same graph:", g.Hash() == m.Hash(), "params:", p, "bare:", !g.HasWeights())
	// Output:
	// deepen(node 3, kernel 3)
	// deepen(node 7, kernel 3)
	// deepen(node 9, units 8)
	// widen(node 1, units 8)
	// widen(node 5, units 16)
	// add-skip(node 4, to 8)
	// concat-skip(node 4, to 8)
	// output kept: true
	// [{"op":"widen","node":1,"units":8},{"op":"add-skip","node":4,"to":8}]
	// same graph: true params: 971 bare: true
}
