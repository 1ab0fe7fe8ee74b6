package datasets_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/morphnas/morphnas/datasets"
)

// writeIDX writes an IDX file of unsigned bytes with the given dimensions.
func writeIDX(path string, dims []int, data []byte) error {
	head := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	return os.WriteFile(path, append(head, data...), 0o644)
}

// This example decodes a tiny MNIST-format data set written to a temporary
// folder, splits it 50/50 by class, fits the normalisation on the training
// part only and shows the JSON form that is stored with a model.
func Example() {
	dir, err := os.MkdirTemp("", "datasets-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Four 2x2 images: pixel bytes 0, 51, 102, ..., labels 3, 1, 3, 1.
	pixels := make([]byte, 16)
	for i := range pixels {
		pixels[i] = byte(i * 17)
	}
	images, labels := filepath.Join(dir, "images"), filepath.Join(dir, "labels")
	if err := writeIDX(images, []int{4, 2, 2}, pixels); err != nil {
		log.Fatal(err)
	}
	if err := writeIDX(labels, []int{4}, []byte{3, 1, 3, 1}); err != nil {
		log.Fatal(err)
	}

	set, err := datasets.ReadIDXFiles(images, labels)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d images of %dx%dx%d, labels %v, first pixels %.3f\n",
		set.N, set.H, set.W, set.C, set.Y, set.X[:3])

	train, val := set.Split(0.5, 1)
	fmt.Println("train per class:", train.Counts()[1], train.Counts()[3], "validation:", val.N)

	// Statistics of the training part only, applied to both parts. Seed 1
	// puts images 0 and 1 in the training part: pixel values 0/15 ... 7/15,
	// mean 3.5/15, population standard deviation sqrt(5.25)/15.
	norm := datasets.FitNorm(train)
	norm.Apply(train.X, train.C)
	norm.Apply(val.X, val.C)
	js, err := json.Marshal(norm)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(js))

	// Load refuses to guess: with no CIFAR-10 files and no download
	// allowed, the error says where it looked and how to install them.
	_, _, err = datasets.Load("cifar10", datasets.Options{Dir: dir, CacheDir: dir})
	fmt.Println("cifar10 not found:", errors.Is(err, datasets.ErrNotFound))
	// Output:
	// 4 images of 2x2x1, labels [3 1 3 1], first pixels [0.000 0.067 0.133]
	// train per class: 1 1 validation: 2
	// {"mean":[0.23333333],"std":[0.15275252]}
	// cifar10 not found: true
}
