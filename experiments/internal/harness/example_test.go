package harness_test

import (
	"fmt"
	"os"

	"github.com/morphnas/morphnas/experiments/internal/harness"
)

func ExampleTable_Markdown() {
	t := harness.Table{
		Columns: []string{"MNIST", "CIFAR10"},
		Rows: []harness.Row{{Method: "AK", Cells: []harness.Cell{
			{Errors: []float64{0.010, 0.012}, Paper: "0.55%"},
			{Status: harness.StatusMissing, Missing: "cifar10 not found", Paper: "11.44%"},
		}}},
	}
	if err := t.Fill(); err != nil {
		fmt.Println(err)
		return
	}
	if err := t.Markdown(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// | Methods | MNIST | CIFAR10 |
	// |---|---|---|
	// | AK | 1.10% ± 1.27 (paper 0.55%) | missing data (paper 11.44%) |
}
