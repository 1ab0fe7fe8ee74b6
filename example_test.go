package morphnas_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/morphnas/morphnas"
)

func Example() {
	dir, _ := os.MkdirTemp("", "morphnas-example")
	defer os.RemoveAll(dir)

	// Twelve 4x4 images: bright top half ("top") or bright bottom half.
	x := morphnas.Images{Pixels: make([]float32, 12*16), N: 12, H: 4, W: 4, C: 1}
	labels := make([]string, 12)
	for i := range 12 {
		labels[i] = []string{"top", "bottom"}[i%2]
		for p := range 8 {
			x.Pixels[i*16+(i%2)*8+p] = 1
		}
	}

	clf, err := morphnas.NewImageClassifier(morphnas.Options{
		Dir: filepath.Join(dir, "search"), MaxModels: 1, MaxEpochs: 1,
	})
	if err != nil {
		panic(err)
	}
	if err := clf.Fit(context.Background(), x, labels); err != nil {
		panic(err)
	}
	predicted, _ := clf.Predict(x)
	fmt.Println("predictions:", len(predicted))
	fmt.Println("classes:", clf.Model().Labels)
	fmt.Println("models trained:", clf.Result.Trained)
	// Output:
	// predictions: 12
	// classes: [bottom top]
	// models trained: 1
}
